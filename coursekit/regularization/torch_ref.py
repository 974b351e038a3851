"""Weight penalties, dropout and input noise in torch, from tensor operations.

Same names and signatures as :mod:`coursekit.regularization.numpy_ref` (with an optional
``generator: torch.Generator`` in place of ``rng``); tensors keep their dtype and device, and
no autograd is used inside the functions. :class:`Dropout` and :class:`GaussianNoise` are
``nn.Module`` layers built on them, for ``coursekit.training.build_mlp(layers=...)``.
"""

import torch
from torch import nn

from coursekit import _validate as v
from coursekit.regularization._checks import drop_probability, norm_axes, torch_generator, train_flag


def l1_penalty(w, lam):
    """L1 penalty λ·Σ|w| and its subgradient λ·sign(w) (0 where w is 0).

    Args:
        w: weights, any shape.
        lam: λ >= 0.

    Returns:
        penalty: 0-d tensor of w's dtype; grad: shape of w.
    """
    v.float_array("w", w, backend="torch")
    v.positive_number("lam", lam, allow_zero=True)
    return lam * w.abs().sum(), lam * torch.sign(w)


def l2_penalty(w, lam):
    """L2 penalty λ/2·Σw² and its gradient λ·w, what torch's ``weight_decay=λ`` adds to the
    gradient (weight decay for SGD; not for Adam, where ``AdamW`` decouples the decay).

    Args:
        w: weights, any shape.
        lam: λ >= 0.

    Returns:
        penalty: 0-d tensor of w's dtype; grad: shape of w.
    """
    v.float_array("w", w, backend="torch")
    v.positive_number("lam", lam, allow_zero=True)
    return lam / 2 * (w * w).sum(), lam * w


def soft_threshold(w, threshold):
    """Proximal operator of threshold·|w|: sign(w)·max(|w| - threshold, 0)."""
    v.float_array("w", w, backend="torch")
    v.positive_number("threshold", threshold, allow_zero=True)
    return torch.sign(w) * torch.clamp(w.abs() - threshold, min=0)


def max_norm(w, max_value, *, axis=0, eps=1e-7):
    """Rescale each slice of w whose L2 norm over ``axis`` exceeds ``max_value``.

    See :func:`coursekit.regularization.numpy_ref.max_norm`: ``max_norm(w, r, axis=0)`` of a
    2-D w equals ``torch.renorm(w, 2, 1, r)``; for ``nn.Linear.weight`` (out, in) use axis=1.

    Args:
        w: weights, at least 1-D. max_value: > 0. axis: int or tuple of ints. eps: >= 0.

    Returns:
        w_new: shape, dtype and device of w (a new tensor).
    """
    v.float_array("w", w, backend="torch")
    axes = norm_axes(axis, w.ndim)
    max_value = v.positive_number("max_value", max_value)
    eps = v.positive_number("eps", eps, allow_zero=True)
    norms = torch.linalg.vector_norm(w, dim=axes, keepdim=True)
    return w * torch.where(norms > max_value, max_value / (norms + eps), torch.ones_like(norms))


def dropout_forward(x, p_drop, *, train=True, generator=None):
    """Inverted dropout: drop each unit with probability p_drop, scale the rest by 1/(1-p_drop).

    Args:
        x: activations, any shape.
        p_drop: drop probability in [0, 1).
        train: if False, the identity (a copy of x).
        generator: optional ``torch.Generator`` on x's device.

    Returns:
        out: shape, dtype and device of x.
        cache: the scaled mask, or None at test time.
    """
    v.float_array("x", x, backend="torch")
    p_drop = drop_probability(p_drop)
    train = train_flag(train)
    generator = torch_generator(generator, x)
    if not train:
        return x.clone(), None
    if p_drop == 0:
        return x.clone(), torch.ones_like(x)
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= p_drop
    mask = keep.to(x.dtype) / (1 - p_drop)
    return x * mask, mask


def dropout_backward(dout, cache):
    """Backward pass of :func:`dropout_forward`: dout times the forward mask."""
    v.float_array("dout", dout, backend="torch")
    if cache is None:
        return dout.clone()
    v.shape_equal("dout", dout, cache.shape)
    v.same_dtype(dout=dout, mask=cache)
    v.same_device(dout=dout, mask=cache)
    return dout * cache


def gaussian_noise(x, stddev, *, train=True, generator=None):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        x: inputs, any shape.
        stddev: >= 0.
        train: if False, the identity (a copy of x).
        generator: optional ``torch.Generator`` on x's device.

    Returns:
        out: shape, dtype and device of x.
    """
    v.float_array("x", x, backend="torch")
    v.positive_number("stddev", stddev, allow_zero=True)
    train = train_flag(train)
    generator = torch_generator(generator, x)
    if not train or stddev == 0:
        return x.clone()
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return x + stddev * noise


def bias_variance(predictions, target):
    """Empirical bias² and variance; predictions (S, P), target (P,). See the NumPy version."""
    v.float_array("predictions", predictions, backend="torch", ndim=2)
    v.float_array("target", target, backend="torch", ndim=1)
    v.shape_equal("target", target, (predictions.shape[1],))
    v.same_dtype(predictions=predictions, target=target)
    v.same_device(predictions=predictions, target=target)
    if predictions.shape[0] == 0:
        raise ValueError("predictions must hold at least one model (one row)")
    mean = predictions.mean(dim=0)
    bias2 = ((mean - target) ** 2).mean()
    variance = ((predictions - mean) ** 2).mean(dim=0).mean()
    return bias2, variance


class _DropoutFunction(torch.autograd.Function):
    """Autograd wrapper whose backward is the hand-written :func:`dropout_backward`."""

    @staticmethod
    def forward(ctx, x, p_drop, generator):
        out, mask = dropout_forward(x, p_drop, train=True, generator=generator)
        ctx.save_for_backward(mask)
        return out

    @staticmethod
    def backward(ctx, dout):
        (mask,) = ctx.saved_tensors
        return dropout_backward(dout, mask), None, None


class Dropout(nn.Module):
    """Inverted dropout as a layer; a drop-in for ``nn.Dropout(p)`` in train and eval mode.

    Args:
        p: drop probability in [0, 1) (``nn.Dropout``'s name for p_drop).
        generator: optional ``torch.Generator`` (default: torch's global generator, as
            ``nn.Dropout`` uses).
    """

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        self.p = drop_probability(p)
        self.generator = generator

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return _DropoutFunction.apply(x, self.p, self.generator)

    def extra_repr(self):
        return f"p={self.p}"


class GaussianNoise(nn.Module):
    """Adds N(0, stddev²) noise in training (like Keras's ``GaussianNoise``); identity in eval.

    Args:
        stddev: >= 0.
        generator: optional ``torch.Generator``.
    """

    def __init__(self, stddev, generator=None):
        super().__init__()
        self.stddev = float(v.positive_number("stddev", stddev, allow_zero=True))
        self.generator = generator

    def forward(self, x):
        if not self.training or self.stddev == 0:
            return x
        return gaussian_noise(x, self.stddev, train=True, generator=self.generator)
