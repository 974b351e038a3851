"""Deep plain networks in NumPy, seen layer by layer: what topic 01 measures.

A stack of ``L`` dense layers without biases (as in Glorot & Bengio, 2010) maps a batch
``a_0 = x`` (N, D_0) through

    z_l = a_{l-1} @ w_l,    a_l = f(z_l),    l = 1..L,    w_l of shape (D_{l-1}, D_l).

The backward pass, from ``dout = dL/da_L``, is

    delta_l = dL/da_l * f'(z_l),   dL/dw_l = a_{l-1}.T @ delta_l,   dL/da_{l-1} = delta_l @ w_l.T.

Per layer this multiplies the gradient's variance by about ``D_l * Var[w] * E[f'(z)^2]``:
below 1 the gradients vanish towards the input, above 1 they explode.
"""

import numpy as np

from coursekit import _validate as v
from coursekit.activations import numpy_ref as act
from coursekit.init import numpy_ref as init

INITIALISERS = {
    "standard_normal": lambda fan_in, fan_out, rng: rng.standard_normal((fan_in, fan_out)),
    "glorot_uniform": init.glorot_uniform,
    "glorot_normal": init.glorot_normal,
    "he_uniform": init.he_uniform,
    "he_normal": init.he_normal,
    "lecun_normal": init.lecun_normal,
}
"""name -> ``f(fan_in, fan_out, *, rng)`` returning a (fan_in, fan_out) matrix."""

ACTIVATIONS = {"linear": (lambda z: z, lambda z: np.ones_like(z)), **act.FUNCTIONS}
"""name -> (f, f') for the activations a deep net may use."""

SATURATION_BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
"""The asymptotes of the saturating activations."""


def _activation(activation):
    if callable(activation):
        return activation, None
    v.choice("activation", activation, ACTIVATIONS)
    return ACTIVATIONS[activation]


def _weights(weights, x):
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError("weights must be a non-empty list of 2-D arrays")
    width = x.shape[1]
    for i, w in enumerate(weights):
        v.float_array(f"weights[{i}]", w, backend="numpy", ndim=2)
        if w.shape[0] != width:
            raise ValueError(f"weights[{i}] must have {width} rows to follow the previous layer, got shape {w.shape}")
        width = w.shape[1]
    v.same_dtype(x=x, **{f"weights_{i}": w for i, w in enumerate(weights)})


def init_weights(sizes, *, init="standard_normal", gain=1.0, rng):
    """Weight matrices for a deep net with layer widths ``sizes`` (input width first).

    Args:
        sizes: ``[D_0, D_1, ..., D_L]``, positive integers.
        init: a name in ``INITIALISERS`` or a callable ``f(fan_in, fan_out, *, rng)``, such
            as the initialisers of :mod:`coursekit.init`.
        gain: factor on every matrix (on the standard deviation).
        rng: ``numpy.random.Generator``.

    Returns:
        list of L arrays, ``weights[l]`` of shape (D_l, D_{l+1}).
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two positive widths, got {sizes}")
    if not callable(init):
        v.choice("init", init, INITIALISERS)
    v.positive_number("gain", gain)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    make = init if callable(init) else INITIALISERS[init]
    return [gain * make(a, b, rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]


def deep_forward(x, weights, activation="sigmoid"):
    """Forward pass through the stack.

    Args:
        x: inputs, shape (N, D_0).
        weights: list of L matrices, ``weights[l]`` of shape (D_l, D_{l+1}).
        activation: a name in ``ACTIVATIONS`` (or a callable f, then no backward pass).

    Returns:
        activations: list of L arrays, ``a_1 .. a_L``, each (N, D_l).
        cache: for :func:`deep_backward`.
    """
    v.float_array("x", x, backend="numpy", ndim=2)
    _weights(weights, x)
    f, f_grad = _activation(activation)
    a, zs, activations = x, [], []
    for w in weights:
        z = a @ w
        a = f(z)
        zs.append(z)
        activations.append(a)
    return activations, (x, list(weights), zs, activations, f_grad)


def deep_backward(dout, cache):
    """Backward pass of :func:`deep_forward`.

    Args:
        dout: ``dL/da_L``, shape (N, D_L).
        cache: from :func:`deep_forward` (with a named activation).

    Returns:
        dx: ``dL/dx``, shape (N, D_0).
        dweights: list of L arrays, ``dL/dw_l`` shaped like ``weights[l]``.
    """
    dx, dweights, _ = backward_with_deltas(dout, cache)
    return dx, dweights


def backward_with_deltas(dout, cache):
    """:func:`deep_backward` that also returns ``deltas``: the L arrays ``dL/dz_l`` (N, D_l)."""
    x, weights, zs, activations, f_grad = cache
    if f_grad is None:
        raise ValueError("deep_backward needs a named activation (its derivative is looked up)")
    v.float_array("dout", dout, backend="numpy", ndim=2)
    v.shape_equal("dout", dout, activations[-1].shape)
    inputs = [x] + activations[:-1]
    grad, dweights, deltas = dout, [None] * len(weights), [None] * len(weights)
    for k in reversed(range(len(weights))):
        deltas[k] = grad * f_grad(zs[k])
        dweights[k] = inputs[k].T @ deltas[k]
        grad = deltas[k] @ weights[k].T
    return grad, dweights, deltas


def gradient_norms(x, weights, dout, activation="sigmoid"):
    """Frobenius norm of ``dL/dw_l`` for each layer, input side first.

    Args:
        x: (N, D_0); weights: list of L matrices; dout: ``dL/da_L``, (N, D_L).
        activation: name in ``ACTIVATIONS``.

    Returns:
        array of shape (L,).
    """
    _, cache = deep_forward(x, weights, activation)
    _, dweights = deep_backward(dout, cache)
    return np.array([np.sqrt(np.sum(dw * dw)) for dw in dweights], dtype=x.dtype)


def layer_variances(x, weights, activation):
    """Variance of each layer's activations, all N x D_l values together (``a.var()``).

    Args:
        x: (N, D_0); weights: list of L matrices.
        activation: a name in ``ACTIVATIONS`` or a callable f applied elementwise.

    Returns:
        array of shape (L,): ``Var[a_1], ..., Var[a_L]``.
    """
    activations, _ = deep_forward(x, weights, activation)
    return np.array([a.var() for a in activations], dtype=x.dtype)


def saturated_fraction(a, *, tol=0.01, bounds=(0.0, 1.0)):
    """Fraction of the values of ``a`` within ``tol`` of either asymptote.

    Args:
        a: activations, any shape (a logistic's by default).
        tol: distance to an asymptote below which a unit counts as saturated, > 0.
        bounds: (low, high) asymptotes; (0, 1) for the logistic, (-1, 1) for tanh.

    Returns:
        float in [0, 1].
    """
    v.float_array("a", a, backend="numpy")
    v.positive_number("tol", tol)
    low, high = bounds
    if not low < high:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds}")
    if a.size == 0:
        raise ValueError("a is empty: the fraction of saturated units is undefined")
    return float(np.mean((a <= low + tol) | (a >= high - tol)))
