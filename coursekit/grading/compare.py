"""Comparing a student's outputs with the reference's: what is wrong, said precisely.

The numpy functions used here are taken once at import, so that a student cell that patches
numpy later cannot change the comparison (a notebook imports this in its first, locked cell).
"""

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

_abs, _max, _argmax, _isfinite, _asarray = np.abs, np.max, np.argmax, np.isfinite, np.array
_unravel = np.unravel_index


def describe(case: Mapping[str, Any]) -> str:
    """Short text for a case: each array's shape and dtype, each scalar's value."""
    parts = []
    for key, value in case.items():
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            parts.append(f"{key}: {tuple(value.shape)} {str(value.dtype).replace('torch.', '')}")
        elif isinstance(value, (numbers.Number, str, bool)) or value is None:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def _as_plain_array(name, value, expected):
    """The student's value as a plain ndarray, or a message saying why it is not one."""
    if hasattr(value, "detach") and hasattr(value, "cpu") and type(value).__name__ == "Tensor":
        value = value.detach().cpu().numpy()
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if not isinstance(value, np.ndarray):
            return None, f"{name} should be a numpy.ndarray, got {type(value).__name__}"
    elif not isinstance(value, (numbers.Real, np.ndarray, np.generic)) or isinstance(value, bool):
        return None, f"{name} should be a number, got {type(value).__name__}"
    plain = _asarray(value, copy=True, subok=False)
    if plain.dtype == object:
        return None, f"{name} holds Python objects (dtype=object), not numbers"
    return plain, None


def _index(flat, shape):
    return tuple(int(i) for i in _unravel(int(flat), shape)) if shape else ()


def compare(name: str, got: Any, expected: Any, tolerances: Mapping[str, tuple[float, float]]) -> str | None:
    """None if ``got`` matches ``expected``, else a message naming the problem."""
    expected = _asarray(expected, copy=True, subok=False)
    got, problem = _as_plain_array(name, got, expected)
    if problem:
        return problem
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if got.dtype != expected.dtype and expected.ndim > 0:
        return f"{name} has dtype {got.dtype}, expected {expected.dtype} (keep the inputs' dtype)"
    if got.size == 0:
        return None
    if not _isfinite(got).all() and _isfinite(expected).all():
        where = _index(_argmax(~_isfinite(got)), got.shape)
        return f"{name} is not finite at index {where}: got {got[where]}"
    rtol, atol = tolerances.get(str(expected.dtype), tolerances["float64"])
    err = _abs(got.astype(np.float64) - expected.astype(np.float64))
    excess = err - (atol + rtol * _abs(expected.astype(np.float64)))
    if not (excess > 0).any():
        return None
    where = _index(_argmax(excess), got.shape)
    return (
        f"{name}: largest error {float(_max(err)):.3g}; at index {where} expected "
        f"{expected[where]:.6g}, got {got[where]:.6g} (tolerance rtol={rtol:g}, atol={atol:g})"
    )


def compare_outputs(
    got: Mapping[str, Any], expected: Mapping[str, Any], tolerances: Mapping[str, tuple[float, float]]
) -> list[str]:
    problems = [compare(k, got.get(k), v, tolerances) for k, v in expected.items()]
    return [p for p in problems if p]
