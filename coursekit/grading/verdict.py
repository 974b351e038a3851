"""What the audit confirms, per graded cell, in the words nbgrader's gradebook keeps.

The final grade of a cell is the lower of autograde's score and the audit's: the audit
confirms points, it never adds any. Where it confirms fewer, the gradebook gets the audit's
score as the cell's manual score (so every view of the gradebook shows the final score) and
its reason as a comment on the answer cell that defines the function that failed.
"""

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coursekit.grading.outcomes import AuditResult
from coursekit.grading.report import clean

if TYPE_CHECKING:
    from coursekit.grading.audit import Plan


def audit_verdict(
    plan: "Plan", graded: Mapping[str, Any], audit: AuditResult | None
) -> tuple[dict[str, float], dict[str, str]]:
    """(verdict, comments) for :func:`coursekit.grading.gradebook.record_audit`.

    Args:
        plan: the assignment's :class:`coursekit.grading.audit.Plan`.
        graded: autograde's results for the student (``gradebook.grades_of``).
        audit: the audit's result (:class:`~coursekit.grading.outcomes.AuditResult`), or None
            if it did not finish (then it confirms nothing).
    """
    auto = {g["name"]: float(g["auto_score"] or 0.0) for g in graded["grades"]}
    confirmed = audit.cells if audit else {}
    exercises = audit.exercises if audit else {}
    verdict: dict[str, float] = {}
    comments: dict[str, str] = {}
    for cell in plan.test_cells:
        given = auto.get(cell.grade_id, 0.0)
        kept = min(given, float(confirmed.get(cell.grade_id, 0.0)))
        if kept >= given:
            continue
        verdict[cell.grade_id] = kept
        reasons = [exercises[name].failure if name in exercises else None for name, _ in cell.calls]
        reason = "; ".join(r for r in reasons if r) or _no_result(audit)
        # shown through markdown on the feedback page: student text stays text
        text = html.escape(clean(f"{kept:g} of {given:g} points of {cell.grade_id} confirmed: {reason}", 1000))
        for _, functions in cell.calls:
            for function in functions:
                if function in plan.solution_cells:
                    comments.setdefault(plan.solution_cells[function], text)
    return verdict, comments


def _no_result(audit):
    if audit is None:
        return "the audit did not finish, so it confirms no points; see the grading report"
    flags = "; ".join(audit.flags[:3])
    return f"the audit's run of your code gave no result ({flags or 'no reason given'})"
