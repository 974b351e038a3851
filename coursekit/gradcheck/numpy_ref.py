"""Central-difference gradients and the relative error used to compare gradients."""

import numbers

import numpy as np

from coursekit import _validate as v


def _scalar(value, name="f(x)"):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())
    if not isinstance(value, (numbers.Real, np.ndarray)) or np.ndim(value) != 0:
        raise TypeError(f"{name} must return a scalar, got {type(value).__name__} {np.shape(value)}")
    return float(value)


def numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by central differences.

    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)`` for every element i of x.

    Args:
        f: callable mapping an array shaped like x to a scalar.
        x: point at which to differentiate, any shape, floating dtype. Left unchanged.
        h: step size, > 0.

    Returns:
        array shaped like x, with x's dtype.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    v.float_array("x", x, backend="numpy")
    v.positive_number("h", h)
    point = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = point[i]
        point[i] = original + h
        f_plus = _scalar(f(point))
        point[i] = original - h
        f_minus = _scalar(f(point))
        point[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest elementwise relative error, ``max |a-b| / max(1e-8, |a|+|b|)``.

    Args:
        a, b: arrays (or scalars) of the same shape.

    Returns:
        float; 0.0 for empty inputs.
    """
    a = np.asarray(a, dtype=np.float64) if not isinstance(a, np.ndarray) else a.astype(np.float64)
    b = np.asarray(b, dtype=np.float64) if not isinstance(b, np.ndarray) else b.astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
