"""Layer normalisation in torch from tensor operations, and a from-scratch ``LayerNorm``.

Same names, signatures and conventions as :mod:`coursekit.layernorm.numpy_ref` (torch's:
biased variance, eps inside the root). Tensors stay on the caller's device and keep their
dtype. No autograd is used inside: :class:`LayerNorm` plugs the closed-form backward into
autograd through :class:`LayerNormFunction`.
"""

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from coursekit.layernorm import _checks
from coursekit.layernorm.numpy_ref import LayerNormCache

__all__ = ["LayerNorm", "LayerNormCache", "LayerNormFunction", "layernorm_backward", "layernorm_forward"]


def _forward(x, gamma, beta, eps):
    mean = x.mean(dim=-1, keepdim=True)
    centred = x - mean
    inv_std = torch.rsqrt((centred * centred).mean(dim=-1, keepdim=True) + eps)
    return torch.addcmul(beta, centred * inv_std, gamma), mean, inv_std


def _backward(dout, x, mean, inv_std, gamma):
    xhat = (x - mean) * inv_std
    leading = tuple(range(x.dim() - 1))
    dbeta = dout.sum(dim=leading) if leading else dout.clone()
    dgamma = (dout * xhat).sum(dim=leading) if leading else dout * xhat
    g = dout * gamma
    dx = inv_std * (g - g.mean(dim=-1, keepdim=True) - xhat * (g * xhat).mean(dim=-1, keepdim=True))
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, *, eps=1e-5):
    """LayerNorm over the last axis; see :func:`coursekit.layernorm.numpy_ref.layernorm_forward`.

    Args:
        x: (..., D) tensor. gamma, beta: (D,) tensors of x's dtype and device. eps: > 0.

    Returns:
        out (..., D) and a :class:`LayerNormCache`. No autograd graph is recorded.
    """
    eps = _checks.forward_args("torch", x, gamma, beta, eps)
    with torch.no_grad():
        out, mean, inv_std = _forward(x, gamma, beta, eps)
    return out, LayerNormCache(x, mean, inv_std, gamma)


def layernorm_backward(dout, cache):
    """Closed-form backward pass of :func:`layernorm_forward`.

    Returns:
        dx (..., D), dgamma (D,), dbeta (D,).
    """
    _checks.backward_args("torch", dout, cache, LayerNormCache)
    with torch.no_grad():
        return _backward(dout, *cache)


class LayerNormFunction(torch.autograd.Function):
    """LayerNorm for autograd, with the hand-written backward: ``apply(x, gamma, beta, eps)``."""

    @staticmethod
    def forward(ctx, x, gamma, beta, eps):
        out, mean, inv_std = _forward(x, gamma, beta, eps)
        ctx.save_for_backward(x, mean, inv_std, gamma)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        dx, dgamma, dbeta = _backward(dout, *ctx.saved_tensors)
        return dx, dgamma, dbeta, None


class LayerNorm(nn.Module):
    """From-scratch ``nn.LayerNorm`` over the last axis.

    Same parameters (``weight``, ``bias``) and state_dict as torch's module for a 1-D
    ``normalized_shape``, so the two load each other's weights and compute the same outputs
    and gradients, in training and in eval mode alike (LayerNorm keeps no running
    statistics).

    Args:
        normalized_shape: D (an int, or a 1-tuple), the size of the last axis.
        eps: > 0, added to the variance inside the square root.
        elementwise_affine: learn gamma (``weight``) and beta (``bias``).

    Shape:
        input (..., D); output the same.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        if len(shape) != 1 or isinstance(shape[0], bool) or not isinstance(shape[0], int) or shape[0] < 1:
            raise ValueError(f"normalized_shape must be a positive int D (the last axis), got {normalized_shape!r}")
        from coursekit import _validate as v

        self.normalized_shape, self.eps = shape, float(v.positive_number("eps", eps))
        self.elementwise_affine = bool(elementwise_affine)
        factory = {"device": device, "dtype": dtype}
        if self.elementwise_affine:
            self.weight = nn.Parameter(torch.ones(shape, **factory))
            self.bias = nn.Parameter(torch.zeros(shape, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
            self.register_buffer("_ones", torch.ones(shape, **factory), persistent=False)
            self.register_buffer("_zeros", torch.zeros(shape, **factory), persistent=False)

    def forward(self, x):
        if x.dim() < 1 or x.shape[-1] != self.normalized_shape[0]:
            raise ValueError(f"x must have shape (..., {self.normalized_shape[0]}), got {tuple(x.shape)}")
        gamma, beta = (self.weight, self.bias) if self.elementwise_affine else (self._ones, self._zeros)
        if x.dtype != gamma.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the module holds {gamma.dtype}; use .to()")
        return LayerNormFunction.apply(x, gamma, beta, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
