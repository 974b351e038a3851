"""The typed vocabulary of grading: how a unit ended and what it carries back.

A grading unit (:mod:`coursekit.grading.submission`) runs nbgrader's autograde and then the
audit, in a forked child here or on a Dask worker elsewhere, and sends back one
:class:`UnitResult`. :meth:`UnitResult.to_json` and :meth:`UnitResult.from_json` are the one
serialisation of that boundary: the fork writes it to a file, a Dask worker returns it as
text. The instructor's process turns each result into a student's :class:`Outcome`, which the
CSV, grades/<id>.json, the report and the feedback read.

Every status of grading is a :class:`Status`; it is a ``str``, so it is written as its value
("ok", "timeout", …) in the CSV and in JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How the grading of one submission (or one step of it) ended."""

    OK = "ok"  # graded
    MALFORMED = "malformed"  # no notebook that can be graded
    CRASHED = "crashed"  # the kernel or the unit died
    TIMEOUT = "timeout"  # past its wall-clock limit (killed by the watchdog)
    MEMORY = "memory"  # past its memory limit (killed)
    PROCESSES = "processes"  # too many processes (killed)
    THREADS = "threads"  # too many threads (killed)
    DISK = "disk"  # wrote too much into its folder (killed)
    GRADER_ERROR = "grader-error"  # the grader failed before any student code ran


@dataclass(frozen=True)
class Watched:
    """How a watched process tree ended: :attr:`Status.OK` when it exited by itself, else the
    limit it was killed for (timeout, memory, processes, threads or disk); its exit code, peak
    memory and time."""

    status: Status
    exitcode: int | None = None
    peak_mb: float = 0.0
    seconds: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class AutogradeResult:
    """nbgrader's autograde of one submission, run in its own watched child."""

    status: Status
    message: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0
    graded: dict[str, Any] | None = None  # gradebook.grades_of: the scores per cell
    autograded: str = ""  # the graded notebook, base64
    output_cut: tuple[str, ...] = ()  # cells whose output went past the cap


@dataclass(frozen=True)
class ExerciseResult:
    """What the audit found for one exercise: whether its visible and its hidden cases pass,
    the first failure's message and the known convention the answer matches, if any."""

    visible: bool
    hidden: bool
    convention: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class AuditResult:
    """The audit of one submission: the points it confirms and why it confirms fewer."""

    audit_score: float
    max_score: float
    flags: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    exercises: dict[str, ExerciseResult] = field(default_factory=dict)
    cells: dict[str, float] = field(default_factory=dict)  # test cell's grade_id -> points confirmed

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditResult:
        return cls(
            float(data["audit_score"]),
            float(data["max_score"]),
            list(data.get("flags", ())),
            list(data.get("failures", ())),
            {name: ExerciseResult(**result) for name, result in (data.get("exercises") or {}).items()},
            {name: float(points) for name, points in (data.get("cells") or {}).items()},
        )


@dataclass(frozen=True)
class UnitResult:
    """What one grading unit sends back. ``grader_error`` is set when the grader failed before
    any student code ran; ``watched`` is how the unit's process ended (None before it ends)."""

    student: str
    nbgrader: AutogradeResult | None = None
    audit: AuditResult | None = None
    grader_error: str = ""
    watched: Watched | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> UnitResult:
        data = json.loads(text)
        nbgrader, audit, watched = data.get("nbgrader"), data.get("audit"), data.get("watched")
        return cls(
            student=data["student"],
            nbgrader=None if nbgrader is None else _autograde_from_dict(nbgrader),
            audit=None if audit is None else AuditResult.from_dict(audit),
            grader_error=data.get("grader_error") or "",
            watched=None if watched is None else Watched(**{**watched, "status": Status(watched["status"])}),
        )


def _autograde_from_dict(data: dict[str, Any]) -> AutogradeResult:
    return AutogradeResult(
        **{**data, "status": Status(data["status"]), "output_cut": tuple(data.get("output_cut", ()))}
    )


@dataclass
class Outcome:
    """One student's grade: the CSV's columns first, then what the report uses. Filled in by
    :mod:`coursekit.grading.class_grade`, written by :mod:`coursekit.grading.report`."""

    student: str
    status: Status
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""
    audit_score: float = 0.0
    final_score: float = 0.0
    flags: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    exercises: dict[str, ExerciseResult] = field(default_factory=dict)
    gradebook_audit: dict[str, Any] = field(default_factory=dict)  # manual scores the audit wrote
    sha256: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0

    def to_record(self) -> dict[str, Any]:
        """The outcome as plain data (grades/<id>.json keeps one per student)."""
        return asdict(self)
