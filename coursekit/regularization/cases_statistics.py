"""Helpers for grading random layers (dropout, input noise) by their statistics (student side:
the cases modules of dropout and the input noise use them).

A student's dropout draws its own random numbers (``rng.random``, ``rng.uniform``,
``rng.binomial``, ...), so its mask cannot be compared with the reference's element by
element. Each exercise's ``run`` therefore returns statistics that every correct answer
reproduces *exactly*: a measured drop fraction or noise level is replaced by the value it
is consistent with (within six standard errors), chosen among the right one and the known
mistakes (:func:`snap`). A wrong answer then differs from the reference by a clear amount,
and the known alternatives (cs231n's keep probability, non-inverted dropout, a variance
used as a standard deviation) reproduce their own value too, so the feedback names them.
"""

import numpy as np

from coursekit.grading.case_side import StudentError

SIGMAS = 6.0  # a correct answer lands outside six standard errors with odds below 1e-8


def snap(value, candidates, tolerance):
    """The first candidate within ``tolerance(candidate)`` of ``value``, else ``value``."""
    for candidate in candidates:
        if abs(value - candidate) <= tolerance(candidate):
            return float(candidate)
    return float(value)


def check_array(name, value, like):
    """``value``, checked to be a finite ndarray with the shape and dtype of ``like``."""
    if not isinstance(value, np.ndarray):
        raise StudentError(f"should return {name} as a numpy.ndarray, got {type(value).__name__}")
    if value.shape != like.shape:
        raise StudentError(f"returned {name} of shape {value.shape}, expected {like.shape} (the shape of x)")
    if value.dtype != like.dtype:
        raise StudentError(f"returned {name} of dtype {value.dtype}, expected {like.dtype} (keep x's dtype)")
    if not np.isfinite(value).all():
        raise StudentError(f"returned {name} with non-finite values")
    return value


def unchanged(x, before):
    """Raise if the student's function changed its input in place."""
    if not np.array_equal(x, before):
        raise StudentError("changed x in place; compute a new array instead")


def rtol(dtype):
    """Relative tolerance for "scaled by exactly one factor" in this dtype."""
    return 1e-10 if dtype == np.float64 else 1e-5


def seeded(case):
    """A fresh generator with the case's seed: the same draws on every call."""
    return np.random.default_rng(case["seed"])
