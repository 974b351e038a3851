"""Learning-rate schedules and gradient clipping in torch.

The schedules are the functions of :mod:`~coursekit.schedules.numpy_ref` (a schedule is a
sequence of Python floats, which is what an optimizer's ``group["lr"]`` holds; they return
float64 NumPy arrays). Clipping is written from tensor operations: it takes a list of
gradient tensors on the caller's device, keeps their dtype and device, and returns new
tensors and the total norm as a 0-d tensor (:func:`clip_grad_norm`, :func:`clip_grad_value`).
Checking that the gradients are finite reads one number back from the device.

For a training loop, :func:`clip_grad_norm_` and :func:`clip_grad_value_` change the
parameters' ``.grad`` in place without any check, so they never synchronise with the device.
"""

import math

import torch

from coursekit import _validate as v
from coursekit.schedules import _checks as check
from coursekit.schedules.cosine import cosine_annealing, cosine_warm_restarts, one_cycle, warmup_cosine
from coursekit.schedules.numpy_ref import NORM_EPS
from coursekit.schedules.plateau import PlateauState, plateau_init, plateau_step, reduce_on_plateau
from coursekit.schedules.rates import (
    constant,
    exponential_decay,
    linear_anneal,
    multi_step_decay,
    power_decay,
    step_decay,
)

__all__ = [
    "constant",
    "step_decay",
    "multi_step_decay",
    "exponential_decay",
    "power_decay",
    "linear_anneal",
    "cosine_annealing",
    "cosine_warm_restarts",
    "warmup_cosine",
    "one_cycle",
    "reduce_on_plateau",
    "PlateauState",
    "plateau_init",
    "plateau_step",
    "clip_grad_norm",
    "clip_grad_value",
    "total_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
]

_BACKEND = "torch"


def _checked(grads):
    grads = check.gradient_list(grads, _BACKEND)
    bad = torch.stack([(~torch.isfinite(g)).sum() for g in grads]).tolist()  # one read-back
    for i, count in enumerate(bad):
        if count:
            raise check.non_finite(i, count)
    return grads


def _norm(a, p):
    """The p-norm of all of a's entries, a 0-d tensor of a's dtype on a's device (half
    precision summed in float32, as torch does)."""
    if a.numel() == 0:
        return a.new_zeros(())
    if a.dtype in (torch.float16, torch.bfloat16):
        return _norm(a.float(), p).to(a.dtype)
    if p == math.inf:
        return a.abs().amax()
    if p == 2.0:
        return (a * a).sum().sqrt()
    return (a.abs() ** p).sum() ** (1.0 / p)


def _total(grads, p):
    return _norm(torch.stack([_norm(g, p) for g in grads]), p)


def total_norm(grads, *, norm_type=2.0):
    """The p-norm of all gradients together (the norm of the per-tensor norms), a 0-d tensor
    on their device; see :func:`coursekit.schedules.numpy_ref.total_norm`."""
    return _total(_checked(grads), check.norm_type(norm_type))


def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    """Scale all gradients by ``min(max_norm / (total_norm + 1e-6), 1)``, torch's
    ``clip_grad_norm_`` without changing its inputs.

    See :func:`coursekit.schedules.numpy_ref.clip_grad_norm`. The factor stays a tensor on
    the device (no ``if total_norm > max_norm``, which would read it back).

    Returns:
        (clipped, total_norm): new tensors shaped like grads, and the 0-d total norm before
        clipping.
    """
    max_norm = v.non_negative("max_norm", max_norm)
    p = check.norm_type(norm_type)
    grads = _checked(grads)
    norm = _total(grads, p)
    factor = torch.clamp(max_norm / (norm + NORM_EPS), max=1.0)
    return [g * factor for g in grads], norm


def clip_grad_value(grads, clip_value):
    """Clamp every entry to [-clip_value, clip_value]: torch's ``clip_grad_value_`` on copies."""
    clip_value = v.non_negative("clip_value", clip_value)
    return [torch.clamp(g, -clip_value, clip_value) for g in _checked(grads)]


def _grads_of(parameters):
    """The gradients of ``parameters``: one tensor, or an iterable of them, as torch takes."""
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@torch.no_grad()
def clip_grad_norm_(parameters, max_norm, *, norm_type=2.0):
    """In place and unchecked, for training loops: scale the ``.grad`` of ``parameters``
    (a tensor or an iterable of tensors) like :func:`clip_grad_norm`. Returns the total norm before
    clipping as a 0-d tensor, without reading anything back (a non-finite gradient gives a
    non-finite norm and non-finite gradients, as in torch)."""
    grads = _grads_of(parameters)
    if not grads:
        return torch.zeros(())
    norm = _total(grads, check.norm_type(norm_type))
    factor = torch.clamp(float(max_norm) / (norm + NORM_EPS), max=1.0)
    for g in grads:
        g.mul_(factor)
    return norm


@torch.no_grad()
def clip_grad_value_(parameters, clip_value):
    """In place and unchecked: clamp the ``.grad`` of ``parameters`` to [-clip_value, clip_value]."""
    for g in _grads_of(parameters):
        g.clamp_(-float(clip_value), float(clip_value))
