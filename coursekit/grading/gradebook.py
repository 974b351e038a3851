"""The course's nbgrader gradebook, written by the grading parent alone.

Each submission is autograded in a private workspace with its own copy of an assignment-only
gradebook (:func:`template`); the parent then copies the scores into the course's
``gradebook.db`` (:func:`merge`) and the graded notebook into ``autograded/``, so that many
submissions can be graded at once, or on other machines, while one process writes.
"""

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def url(root: str | Path) -> str:
    return f"sqlite:///{Path(root) / 'gradebook.db'}"


def _generate(course_dir, assignment_id, release_dir):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            assignment_id,
            "--force",
            f"--CourseDirectory.release_directory={release_dir}",
        ],
        cwd=course_dir,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not register {assignment_id} in the gradebook:\n{result.stderr[-2000:]}")


def register(root: str | Path, assignment_id: str) -> None:
    """Make sure the course's gradebook knows the assignment and its cells."""
    with tempfile.TemporaryDirectory() as tmp:
        _generate(root, assignment_id, tmp)


def template(root: str | Path) -> bytes:
    """The bytes of a copy of the course's gradebook without any student or submission."""
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "gradebook.db"
        shutil.copy2(Path(root) / "gradebook.db", copy)
        with sqlite3.connect(copy) as db:
            for table in ("grade", "comment", "submitted_notebook", "submitted_assignment", "student"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
        with sqlite3.connect(copy) as db:
            db.execute("VACUUM")
        return copy.read_bytes()


def grades_of(root_or_db: str | Path, assignment_id: str, student: str) -> dict[str, Any]:
    """What autograde wrote for one student: {"grades": [...], "comments": [...], "penalties"}."""
    from nbgrader.api import Gradebook

    path = Path(root_or_db)
    db = f"sqlite:///{path if path.suffix == '.db' else path / 'gradebook.db'}"
    with Gradebook(db) as gb:
        submission = gb.find_submission(assignment_id, student)
        notebooks = list(submission.notebooks)
        return {
            "grades": [
                {"notebook": nb.name, "name": g.name, "auto_score": g.auto_score} for nb in notebooks for g in nb.grades
            ],
            "comments": [
                {"notebook": nb.name, "name": c.name, "auto_comment": c.auto_comment}
                for nb in notebooks
                for c in nb.comments
            ],
            "penalties": {nb.name: nb.late_submission_penalty for nb in notebooks},
            "timestamp": submission.timestamp.isoformat() if submission.timestamp else None,
        }


AUDIT_COMMENT = "coursekit's audit"  # how the audit's comments begin


def merge(
    root: str | Path,
    assignment_id: str,
    student: str,
    graded: Mapping[str, Any],
    ours: Mapping[str, float] | None = None,
) -> None:
    """Write one student's autograde results into the course's gradebook.

    A manual score a grader gave earlier is kept, and the cell is marked for review, as
    nbgrader's own autograde does; a manual score the audit wrote last time (``ours``:
    {grade_id: score}, as :func:`record_audit` returned it) is cleared, to be written anew.
    """
    import warnings

    from nbgrader.api import Gradebook

    ours = ours or {}
    with Gradebook(url(root)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's notes on nbgrader's own session use
        gb.update_or_create_student(student)
        extra = {"timestamp": graded["timestamp"]} if graded.get("timestamp") else {}
        gb.update_or_create_submission(assignment_id, student, **extra)
        for entry in graded["grades"]:
            grade = gb.find_grade(entry["name"], entry["notebook"], assignment_id, student)
            grade.auto_score = entry["auto_score"]
            if grade.manual_score is not None and ours.get(entry["name"]) == grade.manual_score:
                grade.manual_score = None
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        for entry in graded["comments"]:
            comment = gb.find_comment(entry["name"], entry["notebook"], assignment_id, student)
            comment.auto_comment = entry["auto_comment"]
            if (comment.manual_comment or "").startswith(AUDIT_COMMENT):
                comment.manual_comment = None
        for name, penalty in graded.get("penalties", {}).items():
            gb.find_submission_notebook(name, assignment_id, student).late_submission_penalty = penalty
        gb.db.commit()


def record_audit(
    root: str | Path,
    assignment_id: str,
    student: str,
    notebook: str,
    verdict: Mapping[str, float],
    comments: Mapping[str, str],
) -> dict[str, float]:
    """Write what the audit confirms into the gradebook, so that formgrader, ``nbgrader
    export`` and the feedback page show the final score.

    Args:
        notebook: nbgrader's notebook id (the file name without ``.ipynb``).
        verdict: {test cell grade_id: points the audit confirms}, for the cells where that is
            less than autograde gave; each becomes the cell's manual score, marked for review
            (``needs_manual_grade``) so that an instructor can confirm or override it in
            formgrader. A cell an instructor already graded by hand is left as it is.
        comments: {answer cell grade_id: why}, shown beside the answer in formgrader and on
            the feedback page.

    Returns:
        {grade_id: score written}, to be kept (grades/<id>.json) and passed to :func:`merge`
        on the next grading.
    """
    import warnings

    from nbgrader.api import Gradebook

    written: dict[str, float] = {}
    with Gradebook(url(root)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for grade_id, points in verdict.items():
            grade = gb.find_grade(grade_id, notebook, assignment_id, student)
            if grade.manual_score is None:
                grade.manual_score = float(points)
                grade.needs_manual_grade = True
                written[grade_id] = float(points)
        for grade_id, text in comments.items():
            comment = gb.find_comment(grade_id, notebook, assignment_id, student)
            if not comment.manual_comment:
                comment.manual_comment = f"{AUDIT_COMMENT}: {text}"
        gb.db.commit()
    return written


def set_late_penalty(root: str | Path, assignment_id: str, student: str, notebook: str, points: float) -> None:
    """Set one student's late penalty (points taken off the notebook's score)."""
    import warnings

    from nbgrader.api import Gradebook

    with Gradebook(url(root)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb.find_submission_notebook(notebook, assignment_id, student).late_submission_penalty = float(points)
        gb.db.commit()


def scores(root: str | Path, assignment_id: str) -> dict[str, tuple[float, float]]:
    """{student id: (score, max score)} from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(url(root)) as gb:
        return {sub.student.id: (sub.score, sub.max_score) for sub in gb.assignment_submissions(assignment_id)}


def max_score(root: str | Path, assignment_id: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(url(root)) as gb:
        return gb.find_assignment(assignment_id).max_score
