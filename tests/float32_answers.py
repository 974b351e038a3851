"""Helpers for the exercises' float32 tests.

- :func:`float64_inside` turns a correct answer into one that computes in float64 and casts
  its results back to float32: still correct, and the farthest a correct float32 answer can
  be from the float32 reference, so it tests the float32 tolerances.
- :func:`upcast` turns it into one that returns float64 for float32 input: wrong.
- :func:`float32_cases` registers a copy of an exercise whose many cases are all float32.
"""

import dataclasses

import numpy as np

from coursekit import grading
from coursekit.grading.exercise_tools import Float32Cases


def _map(value, convert):
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_map(v, convert) for v in value)
    if isinstance(value, list):
        return [_map(v, convert) for v in value]
    if isinstance(value, dict):
        return {k: _map(v, convert) for k, v in value.items()}
    return convert(value)


def _any_float32(values):
    found = []
    _map(values, lambda v: found.append(isinstance(v, np.ndarray) and v.dtype == np.float32))
    return any(found)


def _to(dtype, source):
    def convert(value):
        if isinstance(value, (np.ndarray, np.floating)) and value.dtype == source:
            return value.astype(dtype)
        return value

    return convert


def float64_inside(f):
    """``f`` run on float64 copies of its float32 arrays, its float64 results cast to float32."""

    def answer(*args, **kwargs):
        single = _any_float32((args, kwargs))
        to64 = _to(np.float64, np.float32)
        result = f(*_map(args, to64), **_map(kwargs, to64))
        return _map(result, _to(np.float32, np.float64)) if single else result

    answer.__name__ = f"{getattr(f, '__name__', 'answer')}_float64_inside"
    return answer


def upcast(f):
    """``f`` run on float64 copies of its float32 arrays, its results left in float64."""

    def answer(*args, **kwargs):
        to64 = _to(np.float64, np.float32)
        return f(*_map(args, to64), **_map(kwargs, to64))

    answer.__name__ = f"{getattr(f, '__name__', 'answer')}_upcast"
    return answer


def float32_cases(name, count=200):
    """Register a copy of exercise ``name`` with ``count`` visible and ``count`` hidden cases,
    all float32 (from other seeds than the exercise's own), and return the copy's name.

    An exercise built with :class:`coursekit.grading.exercise_tools.Float32Cases` gets float32 cases
    only; one without (activations, which run every case in float32 too) keeps its own.
    """
    ex = grading.exercise(name)
    make_case = ex.make_case.only(np.float32) if isinstance(ex.make_case, Float32Cases) else ex.make_case
    copy = dataclasses.replace(ex, name=f"{name}.float32", make_case=make_case, visible_cases=count, hidden_cases=count)
    grading.register(copy)
    return copy.name
