"""Argument checks of the schedules and the clipping references: every bad argument gets a
``ValueError`` (or ``TypeError`` for a wrong type) that names it. The checks every reference
shares (``non_negative``, ``positive_number``, ``flag``, ``choice``) are
:mod:`coursekit._validate`'s."""

import math
import numbers

from coursekit import _validate as v


def in_range(name, value, low, high, *, low_open=False, high_open=False):
    """A finite real in [low, high] (either end open), as a Python float."""
    value = v.real(name, value)
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    return value


def integer(name, value, *, minimum):
    """An int >= minimum (a step count, a patience), as a Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def n_steps(value):
    return integer("n_steps", value, minimum=1)


def norm_type(value):
    """A p-norm order: a real > 0 or inf (also the string "inf", as torch accepts it)."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return math.inf
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"norm_type must be a real > 0 or inf, got {value!r}")
    if value <= 0:
        raise ValueError(f"norm_type must be a real > 0 or inf, got {value!r}")
    return float(value)


def gradient_list(grads, backend):
    """A non-empty list or tuple of floating arrays (tensors) of one dtype (and one device).

    Returns the list; finiteness is checked by the caller (see ``first_non_finite``).
    """
    if not isinstance(grads, (list, tuple)):
        wanted = "arrays" if backend == "numpy" else "tensors"
        raise TypeError(f"grads must be a list of {wanted}, got {type(grads).__name__}")
    if not grads:
        raise ValueError("grads must hold at least one gradient, got an empty list")
    for i, g in enumerate(grads):
        v.float_array(f"grads[{i}]", g, backend=backend)
    v.same_dtype(**{f"grads[{i}]": g for i, g in enumerate(grads)})
    if backend == "torch":
        v.same_device(**{f"grads[{i}]": g for i, g in enumerate(grads)})
    return list(grads)


def non_finite(index, count):
    return ValueError(
        f"grads[{index}] holds {count} non-finite value(s) (nan or inf): clipping cannot repair "
        "a gradient that has already overflowed; lower the learning rate or clip earlier"
    )
