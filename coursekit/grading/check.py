"""``check``: what a notebook's test cell calls to grade the student's functions.

A test cell runs ``check("layers.dense_forward", dense_forward)``. The exercise is looked up
in the registry; the student's functions run on its visible (or hidden) cases under the call
guard; the outputs are compared with the reference's. On a wrong answer the feedback names
the case, the shape or dtype mismatch, the largest error and where it is, and the known
alternative convention the answer matches, if any.
"""

import copy
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from coursekit.grading import wording
from coursekit.grading.compare import compare_outputs, describe
from coursekit.grading.exercise_tools import forward_first_message, mismatch
from coursekit.grading.exercises import Convention, Exercise, cases, exercise
from coursekit.grading.guard import run_student


class GradingFailure(AssertionError):
    """A failed check. IPython shows only its message, not a traceback."""

    def _render_traceback_(self):
        return str(self).splitlines()


def problems(ex: Exercise, got: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What is wrong with the outputs ``got``: an earlier function's wrong output alone (see
    ``Exercise.checked_first``), else every output that differs from ``expected``."""
    for key, (role, name) in ex.checked_first.items():
        if key in expected:
            problem = mismatch(got.get(key), expected[key])
            if problem:
                return [forward_first_message(ex.roles, role, name, f"returned out that {problem}")]
    return compare_outputs(got, expected, ex.tolerances)


def matching_convention(
    ex: Exercise, got: dict[str, Any], case: dict[str, Any], tolerances: Mapping[str, tuple]
) -> Convention | None:
    """The first known convention whose outputs match ``got`` on ``case``, or None."""
    for convention in ex.conventions:
        functions = {**ex.reference, **convention.functions}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                alt = ex.run(functions, copy.deepcopy(case))
        except Exception:
            continue
        if not compare_outputs(got, alt, tolerances):
            return convention
    return None


def check(name: str, *student_functions: Callable, hidden: bool = False) -> None:
    """Grade student functions on an exercise's visible (or hidden) random cases.

    Args:
        name: registered exercise, e.g. "layers.dense_forward".
        *student_functions: the student's functions, in the exercise's ``roles`` order.
        hidden: use the hidden cases (the hidden test cells set this).

    Raises:
        GradingFailure: with feedback naming the case and what is wrong.
    """
    ex = exercise(name)
    if len(student_functions) != len(ex.roles):
        raise TypeError(f"check({name!r}, ...) takes {len(ex.roles)} function(s): {', '.join(ex.roles)}")
    functions = dict(zip(ex.roles, student_functions))
    for role, fn in functions.items():
        if not callable(fn):
            raise GradingFailure(f"{role} should be a function, got {type(fn).__name__}")
    kind = "hidden" if hidden else "visible"
    all_cases = cases(ex, hidden)
    for i, case in enumerate(all_cases, 1):
        where = f"{ex.name}, {kind} case {i} of {len(all_cases)} ({describe(case)})"
        got, problem = run_student(ex, functions, case)
        if problem:
            raise GradingFailure(f"{wording.failed_header(where)}\n  {problem}")
        expected = ex.run(ex.reference, copy.deepcopy(case))
        wrong = problems(ex, got, expected)
        if wrong:
            lines = [wording.failed_header(where)] + [f"  {p}" for p in wrong]
            convention = (
                None if wording.says_forward_first(wrong[0]) else matching_convention(ex, got, case, ex.tolerances)
            )
            if convention:
                lines.append(wording.convention_line(convention.name, convention.explanation))
            raise GradingFailure("\n".join(lines))
    print(wording.passed_line(ex.name, len(all_cases), kind))
