"""From a grading unit's result to a student's outcome: the gradebook's scores and the audit's
verdict written into it, the graded notebook and the files kept beside it, and the outcome's
status, message, flags and failures in the words the CSV and the report show."""

import base64
import dataclasses
from pathlib import Path
from typing import Any

from coursekit.grading import gradebook, report, submission, untrusted
from coursekit.grading.outcomes import AuditResult, AutogradeResult, Outcome, Status, UnitResult, Watched


def _record(root, assignment, outcome, graded, audit, previous):
    """Autograde's scores and then the audit's verdict into the gradebook."""
    from coursekit.grading.verdict import audit_verdict

    aid, student = assignment.assignment_id, outcome.student
    outcome.score = float(sum(g["auto_score"] or 0.0 for g in graded["grades"]))
    gradebook.merge(root, aid, student, graded, ours=previous.get("gradebook_audit"))
    verdict, comments = audit_verdict(submission.audit_plan(assignment), graded, audit)
    notebook = Path(assignment.notebook_name).stem
    outcome.gradebook_audit = gradebook.record_audit(root, aid, student, notebook, verdict, comments)


def _autograde_step(result: UnitResult, audit_only: bool) -> AutogradeResult:
    """How autograde ended; where it did not run to its end (or was not asked to), how the
    unit's process ended stands for it."""
    ended = result.watched or Watched(Status.CRASHED, message="the grading unit died")
    if audit_only:
        return AutogradeResult(ended.status, ended.message)
    if result.nbgrader is None:  # the unit itself was killed or died before autograde ended
        status = ended.status if ended.status != Status.OK else Status.CRASHED
        return AutogradeResult(status, ended.message or "the grading unit died")
    return result.nbgrader


def _write_graded(root, assignment, outcome, step):
    target = Path(root) / "autograded" / outcome.student / assignment.assignment_id
    target.mkdir(parents=True, exist_ok=True)
    (target / assignment.notebook_name).write_bytes(base64.b64decode(step.autograded))
    untrusted.copy_allowed(Path(root) / "submitted" / outcome.student / assignment.assignment_id, target)


def _take_audit(outcome: Outcome, audit: AuditResult | None, ended: Watched | None) -> None:
    if audit is None:
        why = (ended.message if ended else "") or "it died"
        outcome.flags.append(f"audit-missing: the audit did not finish ({why})")
        return
    outcome.audit_score = audit.audit_score
    outcome.flags += audit.flags
    outcome.failures = list(audit.failures)
    outcome.exercises = dict(audit.exercises)


def apply(
    root: str | Path,
    assignment: submission.Assignment,
    outcome: Outcome,
    result: UnitResult,
    audit_only: bool = False,
    previous: dict[str, Any] | None = None,
) -> Outcome:
    """Fill ``outcome`` from a unit's result; write its grades and graded notebook.

    Args:
        previous: the student's details as the last grading recorded them (grades/<id>.json).
    """
    if result.grader_error or (result.nbgrader and result.nbgrader.status == Status.GRADER_ERROR):
        # no student code ran: nothing about this student is written
        outcome.status = Status.GRADER_ERROR
        outcome.message = report.clean(result.grader_error or (result.nbgrader and result.nbgrader.message) or "")
        return outcome
    step = _autograde_step(result, audit_only)
    outcome.status, outcome.message = step.status, step.message
    outcome.seconds = result.watched.seconds if result.watched else 0.0
    outcome.peak_mb = step.peak_mb
    if outcome.status == Status.OK and not audit_only:
        _record(root, assignment, outcome, step.graded, result.audit, previous or {})
        _write_graded(root, assignment, outcome, step)
    if step.output_cut:
        outcome.flags.append(
            f"output: {len(step.output_cut)} cell(s) printed past the cap, cut in the "
            f"graded notebook ({step.output_cut[0]})"
        )
    _take_audit(outcome, result.audit, result.watched)
    outcome.message = report.clean(outcome.message)
    outcome.flags = [report.clean(f, 300) for f in outcome.flags]
    outcome.failures = [report.clean(f, 600) for f in outcome.failures]
    outcome.exercises = {
        name: dataclasses.replace(r, failure=r.failure and report.clean(r.failure, 600))
        for name, r in outcome.exercises.items()
    }
    return outcome
