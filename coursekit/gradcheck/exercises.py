"""Graded exercise of 00_backprop: the numerical gradient by central differences.

Every other case is float32: the gradient must keep x's dtype. Those cases pass the step
h = 1e-2: in float32 (about 7 digits) x + 1e-5 is rounded by up to 1% of the step, so two
correct answers could differ by 1%; with h = 1e-2 they differ by about 1e-5. The function
differentiated computes in float64, so that rounding is the only float32 error.
"""

import numpy as np

from coursekit.gradcheck import numpy_ref as ref
from coursekit.gradcheck.cases import CASES
from coursekit.grading import Convention, Exercise, register


def _forward_difference(f, x, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        step = x.copy()
        step[i] += h
        grad[i] = (f(step) - fx) / h
    return grad


def _step_ignored(f, x, h=1e-5):
    return ref.numerical_gradient(f, x)


register(
    Exercise(
        name="gradcheck.numerical_gradient",
        roles=("numerical_gradient",),
        make_case=CASES["gradcheck.numerical_gradient"].make_case,
        run=CASES["gradcheck.numerical_gradient"].run,
        reference={"numerical_gradient": ref.numerical_gradient},
        conventions=(
            Convention(
                "forward differences",
                "(f(x+h) - f(x)) / h has an error of order h; use central differences, "
                "(f(x+h) - f(x-h)) / (2h), whose error is of order h².",
                {"numerical_gradient": _forward_difference},
            ),
            Convention(
                "a step fixed at 1e-5 (the h argument ignored)",
                "Perturb each element by the h you are given; 1e-5 is only its default.",
                {"numerical_gradient": _step_ignored},
            ),
        ),
        tolerances={"float64": (1e-6, 1e-8), "float32": (1e-4, 1e-5)},
    )
)
