"""Learning-rate schedules and gradient clipping in NumPy.

The schedules (:mod:`~coursekit.schedules.rates`, :mod:`~coursekit.schedules.cosine`,
:mod:`~coursekit.schedules.plateau`) return float64 arrays of Python-float rates and are the
same functions in :mod:`~coursekit.schedules.torch_ref`. Clipping works on a list of
gradient arrays, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_`` do on a
model's parameters, but returns new arrays: the inputs are never changed. The arrays keep
their floating dtype (float32 stays float32: the arithmetic is NumPy's, with Python floats
as weak scalars).
"""

import math

import numpy as np

from coursekit import _validate as v
from coursekit.schedules import _checks as check
from coursekit.schedules.cosine import cosine_annealing, cosine_warm_restarts, one_cycle, warmup_cosine
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
]

_BACKEND = "numpy"
NORM_EPS = 1e-6
"""torch adds this to the total norm before dividing: ``max_norm / (total_norm + 1e-6)``."""


def _checked(grads):
    grads = check.gradient_list(grads, _BACKEND)
    for i, g in enumerate(grads):
        bad = g.size - int(np.count_nonzero(np.isfinite(g)))
        if bad:
            raise check.non_finite(i, bad)
    return grads


def _norm(a, p):
    """The p-norm of all of a's entries, in a's dtype (0 for an empty array). Half precision
    is summed in float32, as torch does: 300 four times has norm 600, although 300**2
    overflows float16."""
    if a.size == 0:
        return a.dtype.type(0)
    if a.dtype.itemsize < 4:
        return _norm(a.astype(np.float32), p).astype(a.dtype)
    if p == math.inf:
        return np.max(np.abs(a))
    if p == 2.0:
        return np.sqrt(np.sum(np.square(a)))
    return np.sum(np.abs(a) ** p) ** (1.0 / p)


def total_norm(grads, *, norm_type=2.0):
    """The p-norm of all gradients together, as if they were one concatenated vector: the
    norm of the per-array norms (``torch.nn.utils.get_total_norm``).

    Args:
        grads: non-empty list of finite floating arrays of one dtype, any shapes.
        norm_type: p, a real > 0, or inf (the largest absolute entry).

    Returns:
        a NumPy scalar of the gradients' dtype.
    """
    grads, p = _checked(grads), check.norm_type(norm_type)
    dtype = grads[0].dtype
    return _norm(np.array([_norm(g, p) for g in grads], dtype=dtype), p)


def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    """Rescale all gradients together so that their total norm is at most about max_norm.

    Every gradient is multiplied by the same factor
    ``min(max_norm / (total_norm + 1e-6), 1)``: the direction of the whole update is kept,
    only its length shrinks (torch's ``clip_grad_norm_``, with its 1e-6). Clipping each
    array by its own norm instead would change the direction.

    Args:
        grads: non-empty list of finite floating arrays of one dtype (not changed).
        max_norm: the largest total norm let through (>= 0).
        norm_type: p of the p-norm, a real > 0, or inf.

    Returns:
        (clipped, total_norm): a list of new arrays shaped and typed like grads, and the
        total norm *before* clipping, a NumPy scalar of the gradients' dtype.

    Raises:
        ValueError: a non-finite gradient (naming it), a negative max_norm, a bad norm_type.
    """
    max_norm = v.non_negative("max_norm", max_norm)
    norm = total_norm(grads, norm_type=norm_type)
    factor = np.minimum(max_norm / (norm + NORM_EPS), 1.0)
    return [g * factor for g in grads], norm


def clip_grad_value(grads, clip_value):
    """Clip every gradient entry to [-clip_value, clip_value] (torch's ``clip_grad_value_``).

    Unlike norm clipping this changes the direction of the update: large entries are cut,
    small ones kept.

    Args:
        grads: non-empty list of finite floating arrays of one dtype (not changed).
        clip_value: the bound (>= 0).

    Returns:
        list of new arrays shaped and typed like grads.
    """
    clip_value = v.non_negative("clip_value", clip_value)
    return [np.clip(g, -clip_value, clip_value) for g in _checked(grads)]
