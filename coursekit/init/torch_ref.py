"""Weight initialisers in torch, from ``torch.rand``/``torch.randn``.

Same names and conventions as :mod:`coursekit.init.numpy_ref` (read its docstring for the
formulas and sources). Randomness comes only from the optional ``generator``; the result is
created with ``dtype`` (default: torch's default dtype) on ``device`` (default: cpu, or the
generator's device).

Shapes are (fan_in, fan_out), the course's ``w``; ``nn.Linear.weight`` wants the
transpose: ``linear.weight.data = he_normal(fan_in, fan_out).T``.
"""

import math

import torch

from coursekit import _validate as v
from coursekit.init.numpy_ref import (
    DISTRIBUTIONS,
    gain,  # the same table for both backends (pure Python)
    variance_and_limit,
)

__all__ = [
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "gain",
]


def _placement(generator, dtype, device):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    if device is None:
        device = generator.device if generator is not None else torch.device("cpu")
    device = torch.device(device)
    if generator is not None and generator.device.type != device.type:
        raise ValueError(
            f"generator is on {generator.device} but device is {device}; create the "
            f"generator with torch.Generator(device={device.type!r})"
        )
    return dtype, device


def variance_scaling(
    fan_in, fan_out, *, scale=1.0, mode="fan_avg", distribution="uniform", generator=None, dtype=None, device=None
):
    """Random weights with variance ``scale / n`` (n from ``mode``); shape (fan_in, fan_out).

    Args:
        fan_in, fan_out: positive integers.
        scale: positive factor on the variance (``scale = gain**2``).
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "uniform" on [-r, r] with r = sqrt(3 * scale / n), or "normal".
        generator: optional ``torch.Generator`` (on ``device``).
        dtype: floating dtype (default ``torch.get_default_dtype()``).
        device: where to create the tensor.

    Returns:
        tensor of shape (fan_in, fan_out).
    """
    variance, limit = variance_and_limit(fan_in, fan_out, scale=scale, mode=mode)
    v.choice("distribution", distribution, DISTRIBUTIONS)
    dtype, device = _placement(generator, dtype, device)
    shape = (int(fan_in), int(fan_out))
    if distribution == "uniform":
        u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
        return (2 * u - 1) * limit
    return torch.randn(shape, generator=generator, dtype=dtype, device=device) * math.sqrt(variance)


def glorot_uniform(fan_in, fan_out, *, generator=None, dtype=None, device=None):
    """Glorot/Xavier uniform, r = sqrt(6 / (fan_in + fan_out))."""
    return variance_scaling(
        fan_in,
        fan_out,
        scale=1.0,
        mode="fan_avg",
        distribution="uniform",
        generator=generator,
        dtype=dtype,
        device=device,
    )


def glorot_normal(fan_in, fan_out, *, generator=None, dtype=None, device=None):
    """Glorot/Xavier normal, sigma = sqrt(2 / (fan_in + fan_out))."""
    return variance_scaling(
        fan_in,
        fan_out,
        scale=1.0,
        mode="fan_avg",
        distribution="normal",
        generator=generator,
        dtype=dtype,
        device=device,
    )


def he_uniform(fan_in, fan_out, *, generator=None, dtype=None, device=None):
    """He/Kaiming uniform, r = sqrt(6 / fan_in)."""
    return variance_scaling(
        fan_in,
        fan_out,
        scale=2.0,
        mode="fan_in",
        distribution="uniform",
        generator=generator,
        dtype=dtype,
        device=device,
    )


def he_normal(fan_in, fan_out, *, generator=None, dtype=None, device=None):
    """He/Kaiming normal, sigma = sqrt(2 / fan_in)."""
    return variance_scaling(
        fan_in,
        fan_out,
        scale=2.0,
        mode="fan_in",
        distribution="normal",
        generator=generator,
        dtype=dtype,
        device=device,
    )


def lecun_normal(fan_in, fan_out, *, generator=None, dtype=None, device=None):
    """LeCun normal, sigma = sqrt(1 / fan_in)."""
    return variance_scaling(
        fan_in,
        fan_out,
        scale=1.0,
        mode="fan_in",
        distribution="normal",
        generator=generator,
        dtype=dtype,
        device=device,
    )
