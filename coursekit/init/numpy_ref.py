"""Weight initialisers in NumPy: variance scaling, its named shortcuts and the gain table.

Every initialiser draws a weight matrix of shape (fan_in, fan_out), the course's ``w`` in
``out = x @ w + b`` (torch's ``nn.Linear.weight`` is the transpose), with

    Var[w] = scale / n,   n = fan_in, fan_out or (fan_in + fan_out) / 2  (``mode``)

from a normal distribution with that variance, or from the uniform distribution on
[-r, r] with r = sqrt(3 * scale / n), since a uniform on [-r, r] has variance r**2 / 3.

| shortcut         | scale | mode    | distribution | source                        |
|------------------|-------|---------|--------------|-------------------------------|
| ``glorot_uniform`` | 1   | fan_avg | uniform      | Glorot & Bengio (2010)        |
| ``glorot_normal``  | 1   | fan_avg | normal       | Glorot & Bengio (2010)        |
| ``he_uniform``     | 2   | fan_in  | uniform      | He et al. (2015)              |
| ``he_normal``      | 2   | fan_in  | normal       | He et al. (2015)              |
| ``lecun_normal``   | 1   | fan_in  | normal       | LeCun et al. (1998), for SELU |

He et al. use fan_in, as do Keras and ``torch.nn.init.kaiming_*`` (their default mode).
The lecture notes' table uses fan_avg for the ReLU row: ``variance_scaling(scale=2,
mode="fan_avg")`` gives that, and for layers with fan_in == fan_out it is the same thing.
``scale`` multiplies the variance (Keras's ``VarianceScaling``); torch's ``gain``
multiplies the standard deviation, so ``scale = gain**2``.
"""

import math
import numbers

import numpy as np

from coursekit import _validate as v

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("uniform", "normal")


def _fan(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def variance_and_limit(fan_in, fan_out, *, scale=1.0, mode="fan_avg"):
    """The target variance ``scale / n`` and the uniform bound ``r = sqrt(3 * variance)``.

    Checks every argument (shared by the NumPy and torch initialisers).

    Returns:
        (variance, r) as floats.
    """
    fan_in, fan_out = _fan("fan_in", fan_in), _fan("fan_out", fan_out)
    scale = v.positive_number("scale", scale)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[v.choice("mode", mode, MODES)]
    variance = scale / n
    return variance, math.sqrt(3.0 * variance)


def variance_scaling(fan_in, fan_out, *, scale=1.0, mode="fan_avg", distribution="uniform", rng, dtype=np.float64):
    """Random weights with variance ``scale / n``, where n depends on ``mode``.

    Args:
        fan_in: number of inputs of the layer (D), a positive integer.
        fan_out: number of outputs (M), a positive integer.
        scale: positive factor on the variance (a torch ``gain`` g is ``scale = g**2``).
        mode: "fan_in", "fan_out" or "fan_avg" (the mean of the two).
        distribution: "uniform" on [-r, r] with r = sqrt(3 * scale / n), or "normal" with
            standard deviation sqrt(scale / n) (not truncated).
        rng: ``numpy.random.Generator``, the only source of randomness.
        dtype: floating dtype of the result.

    Returns:
        w, shape (fan_in, fan_out).

    Raises:
        ValueError: non-positive fan or scale, unknown mode or distribution.
        TypeError: rng is not a Generator.
    """
    variance, limit = variance_and_limit(fan_in, fan_out, scale=scale, mode=mode)
    v.choice("distribution", distribution, DISTRIBUTIONS)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {np.dtype(dtype)}")
    shape = (int(fan_in), int(fan_out))
    if distribution == "uniform":
        w = rng.uniform(-limit, limit, size=shape)
    else:
        w = rng.normal(0.0, math.sqrt(variance), size=shape)
    return w.astype(dtype, copy=False)


def glorot_uniform(fan_in, fan_out, *, rng):
    """Glorot/Xavier uniform: r = sqrt(6 / (fan_in + fan_out)). Shape (fan_in, fan_out)."""
    return variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_avg", distribution="uniform", rng=rng)


def glorot_normal(fan_in, fan_out, *, rng):
    """Glorot/Xavier normal: sigma = sqrt(2 / (fan_in + fan_out)). Shape (fan_in, fan_out)."""
    return variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_avg", distribution="normal", rng=rng)


def he_uniform(fan_in, fan_out, *, rng):
    """He/Kaiming uniform: r = sqrt(6 / fan_in) (He et al. use fan_in; the notes fan_avg)."""
    return variance_scaling(fan_in, fan_out, scale=2.0, mode="fan_in", distribution="uniform", rng=rng)


def he_normal(fan_in, fan_out, *, rng):
    """He/Kaiming normal: sigma = sqrt(2 / fan_in) (He et al. use fan_in; the notes fan_avg)."""
    return variance_scaling(fan_in, fan_out, scale=2.0, mode="fan_in", distribution="normal", rng=rng)


def lecun_normal(fan_in, fan_out, *, rng):
    """LeCun normal: sigma = sqrt(1 / fan_in), the initialiser SELU's self-normalisation assumes."""
    return variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_in", distribution="normal", rng=rng)


def _leaky_gain(param):
    slope = 0.01 if param is None else param
    if isinstance(slope, bool) or not isinstance(slope, numbers.Real) or not math.isfinite(slope):
        raise ValueError(f"param (the leaky ReLU slope) must be a finite number, got {param!r}")
    return math.sqrt(2.0 / (1.0 + slope**2))


GAINS = {
    "linear": lambda param: 1.0,
    "identity": lambda param: 1.0,
    "sigmoid": lambda param: 4.0,
    "tanh": lambda param: 1.0,
    "relu": lambda param: math.sqrt(2.0),
    "leaky_relu": _leaky_gain,
    "elu": lambda param: math.sqrt(2.0),
    "selu": lambda param: 1.0,
}


def gain(activation, param=None):
    """The course's gain table: the factor on the standard deviation (and on the uniform
    bound r) of a variance-preserving initialiser, ``sigma = gain * sqrt(1 / n)``, i.e.
    ``variance_scaling(..., scale=gain(activation)**2, mode=...)``.

    | activation   | gain                 | source                                          |
    |--------------|----------------------|-------------------------------------------------|
    | linear       | 1                    | Glorot & Bengio (2010), linear regime           |
    | sigmoid      | 4                    | Glorot & Bengio (2010) via Bengio's Theano      |
    |              |                      | tutorials: the logistic's slope at 0 is 1/4     |
    | tanh         | 1                    | Glorot & Bengio (2010): tanh's slope at 0 is 1  |
    | relu         | sqrt(2)              | He et al. (2015): half the units are off        |
    | leaky_relu   | sqrt(2 / (1 + a**2)) | He et al. (2015), a = param (default 0.01)      |
    | elu          | sqrt(2)              | the notes' "ReLU and its variants" row          |
    | selu         | 1                    | Klambauer et al. (2017), with mode="fan_in"     |

    How it differs from the lecture notes' table: the notes put the factor 4 on the
    hyperbolic tangent and 1 on the logistic. That is a known error; the 4 belongs to the
    logistic, whose derivative at 0 is 1/4 (tanh's is 1), and propagating a batch through
    50 layers shows it (topic 02). The notes also use fan_avg for the ReLU row, where
    He et al. use fan_in.

    How it differs from ``torch.nn.init.calculate_gain``: torch gives sigmoid 1 (not 4),
    tanh 5/3 (chosen empirically so that the forward variance of a deep tanh net settles
    instead of slowly decaying) and selu 3/4 (torch's own choice; for self-normalisation
    torch's docs recommend ``nonlinearity="linear"``, i.e. 1, as here). torch has no entry
    for elu. relu, leaky_relu and linear agree.

    Args:
        activation: one of the names above ("identity" is a synonym of "linear").
        param: the leaky ReLU's negative slope (default 0.01); ignored otherwise.

    Returns:
        float.

    Raises:
        ValueError: unknown activation, or a non-numeric leaky ReLU slope.
    """
    if not isinstance(activation, str) or activation not in GAINS:
        raise ValueError(f"unknown activation {activation!r}; choose from {', '.join(GAINS)}")
    return float(GAINS[activation](param))
