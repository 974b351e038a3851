"""The student side of 01_gradient_checking's exercise (see :mod:`coursekit.gradcheck.exercises`):
seeded functions and points, and the student's numerical gradient run on them. Every other
case is float32."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError
from coursekit.grading.exercise_tools import Float32Cases

FLOAT32_STEP = 1e-2


def _case(rng, hidden, dtype):
    shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
    coef = rng.standard_normal(shape).astype(dtype)
    case = {"x": rng.standard_normal(shape).astype(dtype), "coef": coef}
    return {**case, "h": FLOAT32_STEP} if dtype == np.float32 else case


def _function(coef):
    def f(x):
        x = np.asarray(x, dtype=np.float64)
        return float(np.sum(coef * np.sin(x)) + 0.5 * np.sum(x**2))

    return f


def _run(fns, case):
    x = case["x"]
    before = x.copy()
    step = {"h": case["h"]} if "h" in case else {}
    grad = fns["numerical_gradient"](_function(case["coef"]), x, **step)
    if not np.array_equal(x, before):
        raise StudentError("changed x in place; restore each element after perturbing it")
    return {"grad": grad}


CASES = {"gradcheck.numerical_gradient": Cases(Float32Cases(_case), _run)}
