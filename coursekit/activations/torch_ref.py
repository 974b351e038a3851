"""Activation functions and their derivatives in torch, from tensor operations.

Same names, signatures and conventions as :mod:`coursekit.activations.numpy_ref` (see its
docstring for the derivative at z = 0). Tensors keep their dtype and device; no autograd
and no ``torch.nn.functional`` activation is used (GELU's exact form uses ``torch.erfc``).
"""

import math

import torch

from coursekit import _validate as v
from coursekit.activations.numpy_ref import APPROXIMATIONS, GELU_TANH_COEF, SELU_ALPHA, SELU_SCALE


def _z(z):
    return v.float_array("z", z, backend="torch")


def _alpha(alpha):
    return v.positive_number("alpha", alpha, allow_zero=True)


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, without overflow; z any shape."""
    _z(z)
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    """Derivative of the logistic, ``s(z) * (1 - s(z))``, as ``e / (1 + e)**2``, e = exp(-|z|)."""
    _z(z)
    e = torch.exp(-z.abs())
    return e / ((1 + e) * (1 + e))


def tanh(z):
    """Hyperbolic tangent, ``sign(z) * (1 - exp(-2|z|)) / (1 + exp(-2|z|))``."""
    _z(z)
    a = -2 * z.abs()
    return torch.sign(z) * -torch.expm1(a) / (1 + torch.exp(a))


def tanh_grad(z):
    """Derivative of tanh, ``1 - tanh(z)**2``, as ``4e / (1 + e)**2``, e = exp(-2|z|)."""
    _z(z)
    e = torch.exp(-2 * z.abs())
    return 4 * e / ((1 + e) * (1 + e))


def relu(z):
    """Rectified linear unit ``max(0, z)``."""
    _z(z)
    return torch.where(z > 0, z, torch.zeros_like(z))


def relu_grad(z):
    """1 where z > 0, else 0."""
    _z(z)
    return (z > 0).to(z.dtype)


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU: z for z > 0, ``alpha * z`` otherwise (alpha >= 0)."""
    _z(z)
    _alpha(alpha)
    return torch.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=0.01):
    """1 where z > 0, else ``alpha``."""
    _z(z)
    _alpha(alpha)
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, alpha))


def elu(z, alpha=1.0):
    """ELU: z for z > 0, ``alpha * (exp(z) - 1)`` otherwise (alpha >= 0)."""
    _z(z)
    _alpha(alpha)
    return torch.where(z > 0, z, alpha * torch.expm1(z.clamp(max=0)))


def elu_grad(z, alpha=1.0):
    """1 where z > 0, else ``alpha * exp(z)``."""
    _z(z)
    _alpha(alpha)
    return torch.where(z > 0, torch.ones_like(z), alpha * torch.exp(z.clamp(max=0)))


def selu(z):
    """Scaled ELU, ``SELU_SCALE * elu(z, SELU_ALPHA)``."""
    return SELU_SCALE * elu(z, SELU_ALPHA)


def selu_grad(z):
    """``SELU_SCALE`` where z > 0, else ``SELU_SCALE * SELU_ALPHA * exp(z)``."""
    return SELU_SCALE * elu_grad(z, SELU_ALPHA)


# ----- topic 10: GELU, SiLU (Swish) and Mish -----------------------------------------------


def _gelu_tanh_inner(z):
    return math.sqrt(2 / math.pi) * (z + GELU_TANH_COEF * z * z * z)


def _sech2(a):
    """``1 - tanh(a)**2`` as ``4e / (1 + e)**2``, e = exp(-2|a|)."""
    e = torch.exp(-2 * a.abs())
    return 4 * e / ((1 + e) * (1 + e))


def gelu(z, approximate="none"):
    """``z * Phi(z)``, exact (``approximate="none"``) or with the tanh approximation ("tanh").

    See :func:`coursekit.activations.numpy_ref.gelu`.
    """
    _z(z)
    if v.choice("approximate", approximate, APPROXIMATIONS) == "tanh":
        return 0.5 * z * (1 + torch.tanh(_gelu_tanh_inner(z)))
    return z * (0.5 * torch.erfc(-z / math.sqrt(2)))


def gelu_grad(z, approximate="none"):
    """``Phi(z) + z * phi(z)``, or the derivative of the tanh approximation."""
    _z(z)
    if v.choice("approximate", approximate, APPROXIMATIONS) == "tanh":
        a = _gelu_tanh_inner(z)
        da = math.sqrt(2 / math.pi) * (1 + 3 * GELU_TANH_COEF * z * z)
        return 0.5 * (1 + torch.tanh(a)) + 0.5 * z * _sech2(a) * da
    density = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return 0.5 * torch.erfc(-z / math.sqrt(2)) + z * density


def silu(z):
    """``z * sigmoid(z)`` (Swish with beta = 1)."""
    return z * sigmoid(z)


def silu_grad(z):
    """``s(z) (1 + z s(-z))``."""
    return sigmoid(z) * (1 + z * sigmoid(-z))


def mish(z):
    """``z * tanh(softplus(z))``."""
    _z(z)
    return z * torch.tanh(torch.logaddexp(z, torch.zeros_like(z)))


def mish_grad(z):
    """``tanh(sp) + z * sech²(sp) * sigmoid(z)`` with sp = softplus(z)."""
    _z(z)
    sp = torch.logaddexp(z, torch.zeros_like(z))
    return torch.tanh(sp) + z * _sech2(sp) * sigmoid(z)


FUNCTIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
}
"""name -> (function, derivative)."""

MODERN_FUNCTIONS = {
    "gelu": (gelu, gelu_grad),
    "silu": (silu, silu_grad),
    "mish": (mish, mish_grad),
}
"""Topic 10's activations, name -> (function, derivative)."""
