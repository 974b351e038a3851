"""The numerical-gradient exercise's float32 cases, which pass a larger step h, and the
feedback for an answer that ignores h. (tests/test_grading.py tests the forward-difference
convention; tests/test_exercises_float32.py the float32 cases of every exercise.)"""

import numpy as np
import pytest

from coursekit import grading
from coursekit.grading import GradingFailure, check

NAME = "gradcheck.numerical_gradient"


def numerical_gradient(f, x, h=1e-5):
    """All the perturbed points at once: row k of the stack is x with element k moved."""
    flat = x.reshape(-1)
    steps = h * np.eye(flat.size, dtype=x.dtype)
    plus = [f((flat + s).reshape(x.shape)) for s in steps]
    minus = [f((flat - s).reshape(x.shape)) for s in steps]
    return ((np.array(plus) - np.array(minus)) / (2 * h)).astype(x.dtype).reshape(x.shape)


def in_place(f, x, h=1e-5):
    """The notebook's way: perturb x itself and put each element back."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@pytest.mark.parametrize("answer", [numerical_gradient, in_place])
@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(answer, hidden):
    check(NAME, answer, hidden=hidden)


def test_float32_cases_pass_a_larger_step():
    for hidden in (False, True):
        cases = grading.cases(grading.exercise(NAME), hidden)
        assert all(c.get("h") == (1e-2 if c["x"].dtype == np.float32 else None) for c in cases)


@pytest.mark.parametrize("hidden", [False, True])
def test_an_answer_that_ignores_h_is_named(hidden):
    ignores_h = lambda f, x, h=1e-5: in_place(f, x)  # noqa: E731
    pattern = r"float32, coef: .*, h=0.01\):\n  grad: largest error .*\n  Your answer matches a step fixed at 1e-5"
    with pytest.raises(GradingFailure, match=pattern):
        check(NAME, ignores_h, hidden=hidden)
