"""One submission, graded as one unit: nbgrader's autograde (its kernel in the sandbox), then
the audit. The unit's inputs are data (the notebook's bytes, the assignment, the limits) and so
is its result, so it runs the same in a forked process here or on a Dask worker elsewhere.

:func:`start` forks the unit and returns a :class:`Running` whose :meth:`Running.poll` watches
its time and memory (the whole tree: nbgrader, the kernel and the audit's runner) and kills it
past a limit; the result then says ``timeout``, ``memory`` or ``processes``. What a unit sends
back is a :class:`~coursekit.grading.outcomes.UnitResult`, written as JSON by the unit and read
back here (:meth:`~coursekit.grading.outcomes.UnitResult.to_json`, the same text a Dask worker
returns).
"""

import base64
import dataclasses
import json
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.grading import defaults, watchdog
from coursekit.grading.audit import Plan
from coursekit.grading.errors import GraderError
from coursekit.grading.outcomes import AuditResult, AutogradeResult, Status, UnitResult


@dataclass(frozen=True)
class Assignment:
    """What grading any submission of one assignment needs; built once by the parent."""

    assignment_id: str
    notebook_name: str
    config_text: str
    gradebook: bytes  # an assignment-only gradebook (see gradebook.template)
    solution_nb: dict
    release_nb: dict
    audit_seed: int
    limits: watchdog.Limits = field(default_factory=watchdog.Limits)
    audit_limits: watchdog.Limits = field(
        default_factory=lambda: watchdog.Limits(defaults.AUDIT_TIMEOUT, defaults.AUDIT_MEMORY_MB)
    )
    sandboxed: bool = True
    manifest: dict | None = None  # the parent's coursekit files, for workers to compare with
    cell_seconds: int = defaults.CELL_TIMEOUT  # nbgrader's cell timeout in the course's configuration


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: bytes
    hidden_key: str
    timestamp: str | None = None


_PLANS: dict[tuple[str, str], Plan] = {}


def audit_plan(assignment: Assignment) -> Plan:
    """The audit's plan of an assignment, made once per process."""
    from coursekit.grading import audit

    key = (assignment.assignment_id, json.dumps(assignment.solution_nb, sort_keys=True))
    if key not in _PLANS:
        _PLANS[key] = audit.plan(assignment.solution_nb, assignment.release_nb)
    return _PLANS[key]


def _configure(app, assignment, submission, notebook_path):
    from nbgrader.converters.autograde import Autograde

    from coursekit.grading.exercises import HIDDEN_KEY_ENV
    from coursekit.grading.kernel import sandboxed_preprocessors

    if not assignment.sandboxed:
        os.environ[HIDDEN_KEY_ENV] = submission.hidden_key
        return
    section = app.config.Autograde
    steps = (
        section["autograde_preprocessors"]
        if "autograde_preprocessors" in section
        else Autograde.class_traits()["autograde_preprocessors"].default()
    )
    section.autograde_preprocessors = sandboxed_preprocessors(list(steps))
    app.config.SandboxedKernelManager.hidden_key = submission.hidden_key
    app.config.SandboxedKernelManager.notebook_file = str(notebook_path)


def autograde(assignment: Assignment, submission: Submission, workspace: str | Path) -> dict[str, Any]:
    """nbgrader's autograde of one submission in ``workspace``; returns its part of the result."""
    from nbgrader.apps.autogradeapp import AutogradeApp

    from coursekit.grading import gradebook

    aid, student = assignment.assignment_id, submission.student
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "nbgrader_config.py").write_text(assignment.config_text)
    (workspace / "gradebook.db").write_bytes(assignment.gradebook)
    folder = workspace / "submitted" / student / aid
    folder.mkdir(parents=True)
    notebook = folder / assignment.notebook_name
    notebook.write_bytes(submission.notebook)
    if submission.timestamp:
        (folder / "timestamp.txt").write_text(submission.timestamp)
    os.chdir(workspace)
    app = AutogradeApp.instance()
    app.initialize([aid, "--student", student, "--force", f"--CourseDirectory.root={workspace}"])
    _configure(app, assignment, submission, notebook)
    app.start()
    graded = workspace / "autograded" / student / aid / assignment.notebook_name
    return {
        "graded": gradebook.grades_of(workspace / "gradebook.db", aid, student),
        "autograded": base64.b64encode(graded.read_bytes()).decode(),
    }


def audit(assignment: Assignment, submission: Submission) -> AuditResult:
    from coursekit.grading.audit import audit_notebook

    return audit_notebook(
        submission.notebook,
        audit_plan(assignment),
        student=submission.student,
        seed=assignment.audit_seed,
        limits=assignment.audit_limits,
        sandboxed=assignment.sandboxed,
        cell_seconds=assignment.cell_seconds,
    )


def _write(path, text):
    partial = Path(str(path) + ".part")
    partial.write_text(text)
    partial.replace(path)


def _redirect_output(path):
    """Send this process's output, at the descriptor and the Python level, to ``path``."""
    log = open(path, "w")
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)


def autograde_watched(assignment: Assignment, submission: Submission) -> AutogradeResult:
    """:func:`autograde` in a child watched against ``assignment.limits``."""
    workspace = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
    part, log = workspace / "nbgrader.json", workspace / "nbgrader.log"
    grader_error = workspace / "grader-error.txt"  # written by nbgrader's side, never the kernel
    output_notes = workspace / "outputs-cut.txt"  # likewise
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            from coursekit.grading import kernel

            kernel.GRADER_ERROR_FILE = str(grader_error)
            kernel.OUTPUT_NOTE_FILE = str(output_notes)
            _redirect_output(log)
            _write(part, json.dumps(autograde(assignment, submission, workspace / "course")))
            code = 0
        except BaseException:  # nbgrader gave up on this submission (e.g. its kernel died)
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    watched = watchdog.watch(pid, assignment.limits, folder=workspace)
    seconds, peak_mb = round(watched.seconds, 2), round(watched.peak_mb, 1)
    try:
        if grader_error.exists():
            return AutogradeResult(
                Status.GRADER_ERROR, grader_error.read_text()[:1000], seconds=seconds, peak_mb=peak_mb
            )
        if watched.status != Status.OK:
            return AutogradeResult(watched.status, watched.message, seconds=seconds, peak_mb=peak_mb)
        cut = tuple(output_notes.read_text()[:2000].splitlines()) if output_notes.exists() else ()
        if part.exists():
            return AutogradeResult(
                Status.OK, "", seconds=seconds, peak_mb=peak_mb, output_cut=cut, **json.loads(part.read_text())
            )
        return AutogradeResult(
            Status.CRASHED, last_error(log.read_text()), seconds=seconds, peak_mb=peak_mb, output_cut=cut
        )
    finally:
        watchdog.remove(workspace)


def _unit_body(assignment, submission, result_path, audit_only):
    """The forked unit: autograde, then audit, writing the result after each step."""
    from coursekit.grading import normalize

    result, code = UnitResult(submission.student), 1
    try:
        _redirect_output(Path(result_path).with_suffix(".log"))
        submission = dataclasses.replace(submission, notebook=normalize.notebook_bytes(submission.notebook))
        if not audit_only:
            autograded = autograde_watched(assignment, submission)
            result = dataclasses.replace(result, nbgrader=autograded)
            _write(result_path, result.to_json())
            if autograded.status == Status.GRADER_ERROR:
                raise GraderError(autograded.message)
        result = dataclasses.replace(result, audit=audit(assignment, submission))
        _write(result_path, result.to_json())
        code = 0
    except GraderError as err:
        _write(result_path, dataclasses.replace(result, grader_error=str(err)).to_json())
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def last_error(text: str) -> str:
    """The reason nbgrader gave up, from its log, in a sentence."""
    errors = [line.split("ERROR]", 1)[1].strip() for line in text.splitlines() if "| ERROR]" in line]
    if any("Kernel died" in e for e in errors):
        return "the notebook's kernel died while it ran (os._exit, a crash or a signal), so nbgrader could not grade it"
    if errors:
        return errors[0][:300]
    lines = (
        [line for line in text.splitlines() if "Error" in line or "error" in line] or text.strip().splitlines() or [""]
    )
    return lines[-1][:300]


class Running:
    """A unit running in a forked child, watched against its limits."""

    def __init__(self, assignment: Assignment, submission: Submission, audit_only: bool = False) -> None:
        self.student = submission.student
        self.folder = tempfile.mkdtemp(prefix="coursekit-unit-")
        self.result_path = Path(self.folder) / "result.json"
        # A backstop: each step is watched against its own limits inside the unit.
        total = watchdog.Limits(
            timeout=assignment.limits.timeout + assignment.audit_limits.timeout + defaults.UNIT_SLACK_SECONDS,
            memory_mb=max(assignment.limits.memory_mb, assignment.audit_limits.memory_mb) + 1024,
            max_processes=assignment.limits.max_processes + 16,
            disk_mb=assignment.limits.disk_mb + 64,
        )
        pid = os.fork()
        if pid == 0:
            tempfile.tempdir = self.folder  # everything the unit writes (sockets too) stays here
            _unit_body(assignment, submission, self.result_path, audit_only)
        self.watcher = watchdog.Watcher(pid, total, folder=self.folder)

    def poll(self) -> UnitResult | None:
        """None while the unit runs, else its result, with how its process ended."""
        watched = self.watcher.poll()
        if watched is None:
            return None
        try:
            result = UnitResult.from_json(self.result_path.read_text())
        except (OSError, ValueError, KeyError, TypeError):  # it died before writing, or mid-way
            result = UnitResult(self.student)
        finally:
            watchdog.remove(self.folder)
        rounded = dataclasses.replace(watched, seconds=round(watched.seconds, 2), peak_mb=round(watched.peak_mb, 1))
        return dataclasses.replace(result, student=self.student, watched=rounded)


def start(assignment: Assignment, submission: Submission, audit_only: bool = False) -> Running:
    return Running(assignment, submission, audit_only)


def grade_here(
    assignment: Assignment, submission: Submission, poll: float = 0.05, audit_only: bool = False
) -> UnitResult:
    """Grade one submission in a watched child of this process and wait for its result."""
    import time

    running = start(assignment, submission, audit_only)
    while (result := running.poll()) is None:
        time.sleep(poll)
    return result
