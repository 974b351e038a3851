"""What the instructor gets: feedback for students, ``grades/<assignment>.csv`` and a table.

The CSV keeps nbgrader's score (``score``) and the status of grading (``ok`` when it went
normally) and adds the audit's score, the final score (what the audit confirms: the lower of
the two) and the flags. ``grades/<assignment>.json`` keeps the rest: the audit's seed, the
hash of each notebook as graded, failures, per-exercise results, time and memory.
"""

import csv
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from coursekit.grading import gradebook
from coursekit.grading.outcomes import Outcome, Status

COLUMNS = ["student", "score", "max_score", "status", "message", "audit_score", "final_score", "flags"]
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))
_CONTROL.update({127: None})


def clean(text: str, limit: int = 2000) -> str:
    """A student-controlled string made safe to print, write and show: no lone surrogates,
    no terminal control sequences, and bounded in length."""
    text = str(text).encode("utf-8", "replace").decode("utf-8").translate(_CONTROL)
    return text if len(text) <= limit else text[:limit] + "…"


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not read as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


NO_SANDBOX = "no-sandbox: graded without the OS sandbox (--no-sandbox)"


def feedback(root: str | Path, assignment_id: str, outcomes: list[Outcome], *, everyone: bool = True) -> None:
    """HTML feedback for the students graded: one nbgrader call for the class when
    ``everyone``, else (or if that fails or takes too long) one per student, each with a time
    limit, so one notebook cannot stop everyone's feedback."""
    from coursekit.grading.feedback_page import harden_all

    graded = [o for o in outcomes if o.status == Status.OK]
    if not graded:
        return
    try:
        _generate_feedback(root, assignment_id, outcomes, graded, everyone)
    finally:
        harden_all(root, assignment_id, [o.student for o in graded])


def _generate_feedback(root, assignment_id, outcomes, graded, everyone):

    def run(timeout, *args):
        try:
            return subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_feedback", assignment_id, "--force", *args],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=timeout,
            ).returncode, ""
        except subprocess.TimeoutExpired:
            return None, f"took longer than {timeout} s"

    if everyone:
        skip = ",".join(o.student for o in outcomes if o.status != Status.OK)
        if run(60 + 10 * len(graded), f"--CourseDirectory.student_id_exclude={skip}")[0] == 0:
            return
    for o in graded:
        code, why = run(120, "--student", o.student)
        if code != 0:
            o.message = f"feedback failed: {why or 'nbgrader generate_feedback exited with an error'}"


def fill_scores(
    root: str | Path, assignment_id: str, outcomes: list[Outcome], *, sandboxed: bool = True
) -> list[Outcome]:
    """The final score: the gradebook's, which holds autograde's scores with the audit's
    verdict written over them where it confirms fewer points (``score`` stays autograde's)."""
    scores = gradebook.scores(root, assignment_id)
    max_score = gradebook.max_score(root, assignment_id)
    for o in outcomes:
        o.max_score = max_score
        if o.status != Status.OK:
            o.score = 0.0
        o.final_score = float(scores.get(o.student, (0.0, max_score))[0] or 0.0) if o.status == Status.OK else 0.0
        if not sandboxed and NO_SANDBOX not in o.flags:
            o.flags.append(NO_SANDBOX)
    return outcomes


def export(
    root: str | Path, assignment_id: str, outcomes: list[Outcome], assignment: Any = None, *, sandboxed: bool = True
) -> Path:
    """Write grades/<id>.csv and grades/<id>.json; returns the CSV's path. Students graded
    earlier and not in ``outcomes`` keep their last rows."""
    folder = Path(root) / "grades"
    folder.mkdir(exist_ok=True)
    rows = {**recorded(root, assignment_id), **{o.student: o.to_record() for o in outcomes}}
    target = folder / f"{assignment_id}.csv"
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for student in sorted(rows):
            row = rows[student]
            writer.writerow([spreadsheet_cell(row[c] if c != "flags" else "; ".join(row[c])) for c in COLUMNS])
    details = {
        "assignment": assignment_id,
        "graded_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "sandboxed": sandboxed,
        "audit_seed": getattr(assignment, "audit_seed", None),
        "students": dict(sorted(rows.items())),
    }
    (folder / f"{assignment_id}.json").write_text(json.dumps(details, indent=1))
    return target


def recorded(root: str | Path, assignment_id: str) -> dict[str, dict[str, Any]]:
    """{student: details} from grades/<id>.json, or {} before the first grading."""
    path = Path(root) / "grades" / f"{assignment_id}.json"
    try:
        return json.loads(path.read_text())["students"]
    except (OSError, ValueError, KeyError):
        return {}


def audit_json(outcomes: dict[str, Outcome]) -> str:
    """``coursekit audit --json``: {student: {nbgrader_score, audit_score, max_score, flags}}."""
    return json.dumps(
        {
            s: {"nbgrader_score": o.score, "audit_score": o.audit_score, "max_score": o.max_score, "flags": o.flags}
            for s, o in sorted(outcomes.items())
        },
        indent=1,
        sort_keys=True,
    )


def _wrapped(prefix, text, width=100):
    return textwrap.wrap(text, width=width, initial_indent=prefix, subsequent_indent=" " * len(prefix)) or [
        prefix.rstrip()
    ]


def table(outcomes: list[Outcome]) -> str:
    """The class as text: scores, status, then each flag and failure in full, wrapped."""
    width = max([len(o.student) for o in outcomes] + [7])
    lines = [f"{'student':<{width}}  {'nbgrader':>9} {'audit':>6} {'final':>6} {'max':>5}  status"]
    for o in outcomes:
        mark = "  REVIEW" if needs_review(o) else ""
        lines.append(
            f"{o.student:<{width}}  {o.score:>9g} {o.audit_score:>6g} {o.final_score:>6g} "
            f"{o.max_score:>5g}  {o.status}{mark}"
        )
        indent = " " * (width + 4)
        if o.message:
            lines += _wrapped(f"{indent}{o.status}: ", o.message)
        for flag in o.flags:
            lines += _wrapped(f"{indent}flag: ", flag)
        shown = set()
        for failure in o.failures:  # the first failure of each exercise; the JSON has them all
            exercise = failure.split(" ", 1)[0]
            if exercise not in shown:
                shown.add(exercise)
                lines += _wrapped(f"{indent}fails: ", failure)
    review = sorted(o.student for o in outcomes if needs_review(o))
    lines.append(
        f"\n{len(review)} of {len(outcomes)} submissions to review" + (f": {', '.join(review)}" if review else "")
    )
    return "\n".join(lines)


def needs_review(outcome: Any) -> bool:
    """Flagged, graded differently by nbgrader and the audit, or not graded normally."""
    return bool(outcome.flags) or outcome.audit_score != outcome.score or outcome.status != Status.OK


def as_json(outcomes: list[Outcome]) -> str:
    return json.dumps({o.student: o.to_record() for o in outcomes}, indent=1)
