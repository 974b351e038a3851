"""The class's submissions as grading reads them: who submitted, and each notebook read once,
as untrusted input (see :mod:`coursekit.grading.untrusted`). ``coursekit grade`` and the
term's tools (similarity, the re-grade diff) read them here, the same way."""

from pathlib import Path

from coursekit import course
from coursekit.grading import submission, untrusted
from coursekit.grading.outcomes import Outcome, Status
from coursekit.grading.secret import course_secret, submission_key

MAX_NOTEBOOK_BYTES = 50 * 2**20


def students(root: str | Path, assignment_id: str) -> list[str]:
    """Student ids with a submission of ``assignment_id`` under submitted/."""
    base = Path(root) / "submitted"
    return sorted(p.parent.name for p in base.glob(f"*/{assignment_id}") if p.is_dir())


def read_submission(root: str | Path, folder: Path, assignment_id: str) -> tuple[bytes | None, str | None]:
    """(notebook bytes, None), or (None, why it cannot be graded)."""
    import nbformat

    expected = folder / course.notebook_name(assignment_id)
    try:
        untrusted.check_folder(folder, Path(root) / "submitted")
        if not expected.exists() and not expected.is_symlink():
            found = ", ".join(sorted(p.name for p in folder.iterdir())[:20]) or "nothing"
            return None, f"no {expected.name} in the submission (found: {found})"
        data = untrusted.read_regular(expected, MAX_NOTEBOOK_BYTES)
    except untrusted.Refused as err:
        return None, str(err)
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
    except Exception as err:  # any parse or schema error makes it malformed
        return None, f"{expected.name} is not a valid notebook: {str(err).splitlines()[0][:200]}"
    return data, None


def collect(root: str | Path, assignment_id: str, who: list[str]) -> tuple[list[submission.Submission], list[Outcome]]:
    """(submissions to grade, outcomes of the malformed ones); each notebook is read once."""
    secret = course_secret(root)
    todo, done = [], []
    for student in who:
        folder = Path(root) / "submitted" / student / assignment_id
        data, reason = read_submission(root, folder, assignment_id)
        if data is None:
            done.append(Outcome(student, Status.MALFORMED, message=reason or ""))
            continue
        todo.append(
            submission.Submission(
                student, data, submission_key(secret, assignment_id, student), untrusted.timestamp(folder)
            )
        )
    return todo, done
