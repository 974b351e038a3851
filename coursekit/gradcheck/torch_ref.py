"""Central-difference gradients and relative error for torch tensors (no autograd)."""

import numbers

import torch

from coursekit import _validate as v


def _scalar(value):
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(f"f(x) must return a scalar, got a tensor of shape {tuple(value.shape)}")
        return value.reshape(()).to(torch.float64)
    if isinstance(value, numbers.Real):
        return torch.tensor(float(value), dtype=torch.float64)
    raise TypeError(f"f(x) must return a scalar, got {type(value).__name__}")


@torch.no_grad()
def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of scalar ``f`` at ``x`` (any shape). x is left unchanged.

    Returns a tensor shaped like x, with its dtype and device.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    v.float_array("x", x, backend="torch")
    v.positive_number("h", h)
    point = x.detach().clone()
    flat = point.view(-1)
    grad = torch.zeros(flat.shape, dtype=torch.float64, device=x.device)
    for i in range(flat.numel()):
        original = flat[i].clone()
        flat[i] = original + h
        f_plus = _scalar(f(point)).to(x.device)
        flat[i] = original - h
        f_minus = _scalar(f(point)).to(x.device)
        flat[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.view(x.shape).to(x.dtype)


def relative_error(a, b):
    """Largest elementwise relative error, ``max |a-b| / max(1e-8, |a|+|b|)``, as a float."""
    a = torch.as_tensor(a).detach().to(torch.float64)
    b = torch.as_tensor(b).detach().to(device=a.device, dtype=torch.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.numel() == 0:
        return 0.0
    return float(((a - b).abs() / ((a.abs() + b.abs()).clamp_min(1e-8))).max())
