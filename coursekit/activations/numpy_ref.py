"""Activation functions and their elementwise derivatives in NumPy, by hand.

Every ``<name>(z)`` maps an array of any shape to an array of the same shape and dtype, and
``<name>_grad(z)`` returns the derivative ``f'(z)`` elementwise (the local factor that the
backward pass multiplies into the upstream gradient: ``dz = da * f'(z)``).

At the kink z = 0 the derivatives follow torch's autograd: the left branch is taken, so
``relu_grad(0) = 0``, ``leaky_relu_grad(0) = alpha``, ``elu_grad(0) = alpha`` and
``selu_grad(0) = SELU_SCALE * SELU_ALPHA``.

Defaults follow ``torch.nn.functional``: ``leaky_relu`` has ``alpha=0.01`` (torch's
``negative_slope``; Keras's ``LeakyReLU`` uses 0.3), ``elu`` has ``alpha=1.0``.

Topic 10 adds the smooth activations of recent networks, equal to torch's
``F.gelu(approximate=...)``, ``F.silu`` and ``F.mish``: :func:`gelu` (exact, or its tanh
approximation), :func:`silu` (Swish with beta = 1) and :func:`mish`, each with its
derivative, listed in ``MODERN_FUNCTIONS``.
"""

import math

import numpy as np

from coursekit import _validate as v

# Klambauer et al. (2017), "Self-Normalizing Neural Networks", eq. (14), full precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _z(z):
    return v.float_array("z", z, backend="numpy")


def _alpha(alpha):
    return v.positive_number("alpha", alpha, allow_zero=True)


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, without overflow for large |z|.

    Args:
        z: any shape, floating dtype.

    Returns:
        array shaped like z, values in [0, 1].
    """
    _z(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def sigmoid_grad(z):
    """Derivative of the logistic, ``s(z) * (1 - s(z))``; at most 1/4 (at z = 0).

    Computed as ``e / (1 + e)**2`` with ``e = exp(-|z|)``, which keeps full relative
    precision where ``1 - s(z)`` would cancel (large z).
    """
    _z(z)
    e = np.exp(-np.abs(z))
    return (e / ((1 + e) * (1 + e))).astype(z.dtype, copy=False)


def tanh(z):
    """Hyperbolic tangent ``(1 - exp(-2|z|)) / (1 + exp(-2|z|))`` with the sign of z.

    ``expm1`` keeps full relative precision near 0, where tanh(z) ~ z.
    """
    _z(z)
    e = np.exp(-2 * np.abs(z))
    return (np.sign(z) * -np.expm1(-2 * np.abs(z)) / (1 + e)).astype(z.dtype, copy=False)


def tanh_grad(z):
    """Derivative of tanh, ``1 - tanh(z)**2``; 1 at z = 0.

    Computed as ``4e / (1 + e)**2`` with ``e = exp(-2|z|)`` (= sech(z)**2), which keeps full
    relative precision where ``1 - tanh(z)**2`` would cancel (large |z|).
    """
    _z(z)
    e = np.exp(-2 * np.abs(z))
    return (4 * e / ((1 + e) * (1 + e))).astype(z.dtype, copy=False)


def relu(z):
    """Rectified linear unit ``max(0, z)``."""
    _z(z)
    return np.where(z > 0, z, np.zeros_like(z))


def relu_grad(z):
    """Derivative of ReLU: 1 where z > 0, else 0 (0 at z = 0, as in torch)."""
    _z(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU ``max(alpha*z, z)`` for 0 <= alpha <= 1: slope ``alpha`` for z < 0.

    Args:
        z: any shape, floating dtype.
        alpha: slope of the negative side (torch's ``negative_slope``), >= 0.
    """
    _z(z)
    _alpha(alpha)
    return np.where(z > 0, z, alpha * z).astype(z.dtype, copy=False)


def leaky_relu_grad(z, alpha=0.01):
    """Derivative of leaky ReLU: 1 where z > 0, else ``alpha`` (alpha at z = 0, as in torch)."""
    _z(z)
    _alpha(alpha)
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)


def elu(z, alpha=1.0):
    """Exponential linear unit: z for z > 0, ``alpha * (exp(z) - 1)`` otherwise.

    Args:
        z: any shape, floating dtype.
        alpha: value the function approaches for z -> -inf is ``-alpha``; >= 0.
    """
    _z(z)
    _alpha(alpha)
    negative = alpha * np.expm1(np.minimum(z, 0))  # min(): no overflow for large z
    return np.where(z > 0, z, negative).astype(z.dtype, copy=False)


def elu_grad(z, alpha=1.0):
    """Derivative of ELU: 1 where z > 0, else ``alpha * exp(z)`` (= ``elu(z) + alpha``)."""
    _z(z)
    _alpha(alpha)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype, copy=False)


def selu(z):
    """Scaled ELU, ``SELU_SCALE * elu(z, SELU_ALPHA)`` (Klambauer et al., 2017)."""
    return (SELU_SCALE * elu(z, SELU_ALPHA)).astype(z.dtype, copy=False)


def selu_grad(z):
    """Derivative of SELU: ``SELU_SCALE`` where z > 0, else ``SELU_SCALE * SELU_ALPHA * exp(z)``."""
    return (SELU_SCALE * elu_grad(z, SELU_ALPHA)).astype(z.dtype, copy=False)


# ----- topic 10: GELU, SiLU (Swish) and Mish -----------------------------------------------

GELU_TANH_COEF = 0.044715
"""The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel, 2016)."""


APPROXIMATIONS = ("none", "tanh")
"""GELU's two forms, by torch's names: exact (``"none"``) and the tanh approximation."""


def _gelu_tanh_inner(z):
    return math.sqrt(2 / math.pi) * (z + GELU_TANH_COEF * z * z * z)


def _sech2(a):
    """``sech(a)**2 = 1 - tanh(a)**2``, as ``4e / (1 + e)**2`` with e = exp(-2|a|) (no cancellation)."""
    e = np.exp(-2 * np.abs(a))
    return 4 * e / ((1 + e) * (1 + e))


def gelu(z, approximate="none"):
    """Gaussian error linear unit, ``z * Phi(z)`` with Phi the standard normal CDF.

    Args:
        z: any shape, floating dtype.
        approximate: "none" for the exact ``Phi(z) = erfc(-z / sqrt(2)) / 2``; "tanh" for
            ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3)))`` (torch's names; Keras's
            ``gelu(approximate=False/True)``).

    Returns:
        array shaped like z.
    """
    from scipy.special import erfc  # scipy comes with scikit-learn

    _z(z)
    if v.choice("approximate", approximate, APPROXIMATIONS) == "tanh":
        return (0.5 * z * (1 + np.tanh(_gelu_tanh_inner(z)))).astype(z.dtype, copy=False)
    return (z * (0.5 * erfc(-z / math.sqrt(2)))).astype(z.dtype, copy=False)


def gelu_grad(z, approximate="none"):
    """Derivative of :func:`gelu`: ``Phi(z) + z * phi(z)`` (phi the normal density), or the
    derivative of the tanh approximation, ``0.5 (1 + t) + 0.5 z sech²(a) a'`` with
    ``a = sqrt(2/pi) (z + 0.044715 z**3)``, ``t = tanh(a)``."""
    from scipy.special import erfc

    _z(z)
    if v.choice("approximate", approximate, APPROXIMATIONS) == "tanh":
        a = _gelu_tanh_inner(z)
        da = math.sqrt(2 / math.pi) * (1 + 3 * GELU_TANH_COEF * z * z)
        return (0.5 * (1 + np.tanh(a)) + 0.5 * z * _sech2(a) * da).astype(z.dtype, copy=False)
    density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return (0.5 * erfc(-z / math.sqrt(2)) + z * density).astype(z.dtype, copy=False)


def silu(z):
    """Sigmoid linear unit (Swish with beta = 1), ``z * sigmoid(z)``."""
    return (z * sigmoid(z)).astype(z.dtype, copy=False)


def silu_grad(z):
    """Derivative of SiLU, ``s(z) (1 + z (1 - s(z)))``, with ``1 - s(z)`` as ``s(-z)``."""
    return (sigmoid(z) * (1 + z * sigmoid(-z))).astype(z.dtype, copy=False)


def _softplus(z):
    return np.logaddexp(0, z)  # log(1 + exp(z)) without overflow


def mish(z):
    """Mish (Misra, 2019), ``z * tanh(softplus(z))`` with ``softplus(z) = log(1 + exp(z))``."""
    _z(z)
    return (z * np.tanh(_softplus(z))).astype(z.dtype, copy=False)


def mish_grad(z):
    """Derivative of Mish, ``tanh(sp) + z * sech²(sp) * sigmoid(z)`` with sp = softplus(z)."""
    _z(z)
    sp = _softplus(z)
    return (np.tanh(sp) + z * _sech2(sp) * sigmoid(z)).astype(z.dtype, copy=False)


FUNCTIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
}
"""name -> (function, derivative), for code that picks an activation by name."""

MODERN_FUNCTIONS = {
    "gelu": (gelu, gelu_grad),
    "silu": (silu, silu_grad),
    "mish": (mish, mish_grad),
}
"""Topic 10's activations, name -> (function, derivative); kept apart from ``FUNCTIONS`` (the
notes' six, which topic 03 and the training helpers offer)."""
