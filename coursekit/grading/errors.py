"""Failures of the grader itself, told apart from anything a student did."""

from pathlib import Path
from typing import Any


class GraderError(RuntimeError):
    """Grading failed before any student code ran (the sandbox, the kernel, the audit's runner
    or coursekit inside them): an error of the run, never a student's zero.

    Attributes:
        outcomes: when raised by ``coursekit grade``, every student's outcome (those that hit
            the failure have the status ``grader-error`` and were not written).
        csv_path: the CSV written for the others, or None.
    """

    def __init__(self, message: str, outcomes: list[Any] | None = None, csv_path: str | Path | None = None) -> None:
        super().__init__(message)
        self.outcomes = outcomes or []
        self.csv_path = csv_path
