"""Helpers that the topics' ``cases*.py`` (the student side of their exercises) share.

- :class:`Float32Cases` makes an exercise's cases alternate float64 and float32, so that its
  visible and hidden cases both hold float32 inputs and an answer that turns float32 into
  float64 is told to keep the dtype (the reference contract: float32 stays float32).
  :class:`IndexedCases` tells a case generator which case of the set it draws, so that each
  set is sure to hold the inputs that tell a known mistake from the right answer.
- A backward exercise runs the student's own forward pass first and returns its output too;
  naming that output in the exercise's ``checked_first`` makes the feedback say to fix the
  forward pass first (:func:`forward_first_message`, compared with the reference's output in
  the grading process) instead of reporting the backward errors that follow from it.
  :func:`forward_first` is the same message for a ``run`` that can tell by itself.
"""

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from coursekit.grading import wording
from coursekit.grading.case_side import DEFAULT_TOLERANCES, StudentError

FLOAT_DTYPES = (np.float64, np.float32)


class IndexedCases:
    """A ``make_case`` that knows which case of the set it draws: ``build(rng, hidden, index)``
    gets index 0, 1, 2, ... for the visible (or the hidden) cases, whatever the seed, so that
    every set holds the inputs on which a known mistake shows (a train=False case, logits
    large enough to overflow, a short gradient), not only by chance.

    ``grading.cases`` draws the visible (or the hidden) cases of an exercise one after the
    other from one new generator; this counts the cases drawn from the current generator.
    """

    def __init__(self, build: Callable) -> None:
        self.build = build
        self._rng, self._drawn = None, 0

    def _next_index(self, rng):
        if rng is not self._rng:
            self._rng, self._drawn = rng, 0
        self._drawn += 1
        return self._drawn - 1

    def __call__(self, rng: np.random.Generator, hidden: bool) -> dict[str, Any]:
        return self.build(rng, hidden, self._next_index(rng))


class Float32Cases(IndexedCases):
    """A ``make_case`` whose cases alternate float64 and float32: the 1st, 3rd, ... case of
    a set is float64, the 2nd, 4th, ... float32, whatever the seed.

    Args:
        build: ``build(rng, hidden, dtype) -> dict``, a case whose floating arrays have dtype
            (``np.float64`` or ``np.float32``); with ``indexed=True``,
            ``build(rng, hidden, dtype, index)`` (see :class:`IndexedCases`).
        dtypes: the dtypes the cases take in turn.
    """

    def __init__(self, build: Callable, *, indexed: bool = False, dtypes: Iterable[type] = FLOAT_DTYPES) -> None:
        super().__init__(build)
        self.indexed, self.dtypes = indexed, tuple(dtypes)

    def only(self, dtype: type) -> "Float32Cases":
        """The same generator with every case in ``dtype``."""
        return Float32Cases(self.build, indexed=self.indexed, dtypes=(dtype,))

    def __call__(self, rng: np.random.Generator, hidden: bool) -> dict[str, Any]:
        index = self._next_index(rng)
        dtype = self.dtypes[index % len(self.dtypes)]
        return self.build(rng, hidden, dtype, index) if self.indexed else self.build(rng, hidden, dtype)


def mismatch(got: Any, expected: np.ndarray, expected_name: str = "the right one") -> str | None:
    """How a student's array differs from the expected one, if it does.

    Args:
        got: the student's value.
        expected: ndarray, any shape.
        expected_name: what the feedback calls ``expected``.

    Returns:
        None if ``got`` is an ndarray of ``expected``'s shape and dtype, equal to it within
        the grading's default tolerances; else a phrase saying how it differs.
    """
    if not isinstance(got, np.ndarray):
        return f"is a {type(got).__name__}, not a numpy.ndarray"
    if got.shape != expected.shape:
        return f"has shape {got.shape}, expected {expected.shape}"
    if got.dtype != expected.dtype:
        return f"has dtype {got.dtype}, expected {expected.dtype} (keep the inputs' dtype)"
    if got.size == 0:
        return None
    tolerances = DEFAULT_TOLERANCES
    rtol, atol = tolerances.get(str(expected.dtype), tolerances["float64"])
    got = np.array(got, dtype=np.float64, copy=True, subok=False)
    want = expected.astype(np.float64)
    excess = np.abs(got - want) - (atol + rtol * np.abs(want))
    excess = np.where(np.isnan(excess), np.inf, excess)
    if not (excess > 0).any():
        return None
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), got.shape))
    return f"differs from {expected_name}: at index {where} expected {want[where]:.6g}, got {got[where]:.6g}"


def forward_first_message(roles: tuple, role: str, exercise: str, problem: str) -> str:
    """What a backward exercise says when the student's forward pass is wrong.

    Args:
        roles: the exercise's roles, e.g. ("dense_forward", "dense_backward").
        role: the forward function's role, e.g. "dense_forward".
        exercise: the forward pass's own exercise, e.g. "layers.dense_forward".
        problem: what is wrong, a phrase that follows the role's name.
    """
    return (
        f"{' / '.join(roles)} cannot be graded yet: {wording.FORWARD_FIRST}. On this case "
        f'{role} {problem}; check("{exercise}", {role}) says what is wrong with it'
    )


def forward_first(role: str, exercise: str, problem: str) -> StudentError:
    """The ``StudentError`` a backward exercise's ``run`` raises when it finds the forward
    pass wrong by itself (without a reference)."""
    return StudentError(
        f"cannot be graded yet: {wording.FORWARD_FIRST}. On this case {role} {problem}; "
        f'check("{exercise}", {role}) says what is wrong with it'
    )
