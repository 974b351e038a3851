"""Argument checks shared by the tuning modules (each names the argument it rejects)."""

import math
import numbers

import numpy as np

SAMPLER_METHODS = ("sample", "grid", "suggest", "contains")


def check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def check_count(name, n):
    """An integer >= 1 (a number of trials, workers, points...)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return int(n)


def check_objective(objective):
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    return objective


def check_bounds(low, high, *, log=False, integer=False):
    """Finite numbers (integers if ``integer``) with low < high, and low > 0 on a log scale."""
    kind = numbers.Integral if integer else numbers.Real
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, kind):
            wanted = "an integer" if integer else "a real number"
            raise TypeError(f"{name} must be {wanted}, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low >= high:
        raise ValueError(f"low must be < high, got low={low} and high={high}")
    if log and low <= 0:
        raise ValueError(f"a log scale needs low > 0 (log of a non-positive bound), got low={low}")


def check_space(space):
    """A search space: a non-empty dict ``name -> sampler``; returns it."""
    if not isinstance(space, dict) or not space:
        raise TypeError(f"space must be a non-empty dict name -> sampler, got {space!r}")
    for name, sampler in space.items():
        if not isinstance(name, str):
            raise TypeError(f"space keys must be parameter names (str), got {name!r}")
        if any(not callable(getattr(sampler, m, None)) for m in SAMPLER_METHODS):
            raise TypeError(
                f"space[{name!r}] must be a sampler (Uniform, LogUniform, IntUniform, Choice), got {sampler!r}"
            )
    return space
