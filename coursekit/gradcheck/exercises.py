"""Graded exercise of 00_backprop: the numerical gradient by central differences."""

import numpy as np

from coursekit.gradcheck import numpy_ref as ref
from coursekit.grading import Convention, Exercise, StudentError, register


def _case(rng, hidden):
    shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
    coef = rng.standard_normal(shape)
    return {"x": rng.standard_normal(shape), "coef": coef}


def _function(coef):
    return lambda x: float(np.sum(coef * np.sin(x)) + 0.5 * np.sum(x**2))


def _run(fns, case):
    x = case["x"]
    before = x.copy()
    grad = fns["numerical_gradient"](_function(case["coef"]), x)
    if not np.array_equal(x, before):
        raise StudentError("changed x in place; restore each element after perturbing it")
    return {"grad": grad}


def _forward_difference(f, x, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        step = x.copy()
        step[i] += h
        grad[i] = (f(step) - fx) / h
    return grad


register(Exercise(
    name="gradcheck.numerical_gradient",
    roles=("numerical_gradient",),
    make_case=_case,
    run=_run,
    reference={"numerical_gradient": ref.numerical_gradient},
    conventions=(
        Convention(
            "forward differences",
            "(f(x+h) - f(x)) / h has an error of order h; use central differences, "
            "(f(x+h) - f(x-h)) / (2h), whose error is of order h².",
            {"numerical_gradient": _forward_difference},
        ),
    ),
    tolerances={"float64": (1e-6, 1e-8)},
))
