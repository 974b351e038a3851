"""``coursekit check NOTEBOOK``: the student's self-check before handing in.

It grades what the grader will grade: a copy of the notebook whose locked cells (the tests
and the setup) are put back as released, as nbgrader does, so an edited test cell shows ✗ and
is named. It runs that copy with ``nbgrader.validator.Validator`` (not the exit code of
``nbgrader validate``, which is 0 even when tests fail) and prints one line per exercise with
the whole feedback of a failing one, including the convention the answer matches.
"""

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from coursekit import course
from coursekit.grading.audit.extract import check_calls, read_notebook, test_cells

MAX_LINES = 12
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Row:
    grade_id: str
    exercises: list
    passed: bool
    message: str = ""


def feedback_lines(text):
    """The feedback worth showing: every line of a GradingFailure (the convention line
    always), and the last lines of any other error."""
    lines = [l for l in ANSI.sub("", text or "").splitlines() if l.strip()]
    if any(l.lstrip().startswith("✗") for l in lines):
        start = next(i for i, l in enumerate(lines) if l.lstrip().startswith("✗"))
        lines = lines[start:]
    keep = lines[-MAX_LINES:]
    keep += [l for l in lines[:-MAX_LINES] if "Your answer matches" in l]
    return "\n".join(keep)


def released_notebook(path):
    """The release this notebook came from (notebooks/<id>/<name>), or None if not found."""
    try:
        root = course.find_root(Path(path).resolve().parent)
    except FileNotFoundError:
        return None
    for assignment_id in course.assignments(root):
        candidate = root / "notebooks" / assignment_id / course.notebook_name(assignment_id)
        if course.notebook_name(assignment_id) == Path(path).name and candidate.exists():
            return candidate
    return None


def restore_locked_cells(notebook, release):
    """Put the release's locked cells back; returns the grade ids of those that were edited."""
    original = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in release["cells"]
                if c["metadata"].get("nbgrader", {}).get("locked")}
    edited = []
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in original:
            source = original[grade_id]["source"]
            if "".join(cell.get("source", "")) != "".join(source):
                edited.append(grade_id)
            cell["source"] = source
            cell["metadata"] = original[grade_id]["metadata"]
    return edited


def _config(timeout, folder):
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = timeout
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = r"\w*Warning\b"
    # Unix sockets instead of TCP: nothing listens on the network, and ipykernel has no
    # "running over TCP without encryption" warning to print.
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(folder) / "kernel")
    return config


def check_notebook(path, *, timeout=120):
    """Execute ``path`` as the grader does; returns (rows, edited locked cells)."""
    from nbgrader.validator import Validator

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no notebook at {path}")
    if path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook (.ipynb)")
    try:
        notebook = read_notebook(path)
        cells = test_cells(notebook)
    except (ValueError, KeyError) as err:
        raise ValueError(f"{path} is not a valid notebook: {err}") from err
    if not cells:
        raise ValueError(f"{path} has no graded test cells (is it a coursekit notebook?)")
    release = released_notebook(path)
    edited = restore_locked_cells(notebook, read_notebook(release)) if release else []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        copy.write_text(json.dumps(notebook))
        results = Validator(config=_config(timeout, folder)).validate(str(copy))
    failed = {r["source"]: r.get("raw_error", "") for r in results.get("failed", [])}
    rows = []
    for cell in test_cells(notebook):
        names = [name for name, _ in check_calls(cell.source)] or [cell.grade_id]
        error = failed.get(cell.source.strip())
        passed = error is None and cell.grade_id not in edited
        message = feedback_lines(error) if error else ""
        if cell.grade_id in edited:
            message = ("you edited this test cell; it is graded as released\n" + message).strip()
        rows.append(Row(cell.grade_id, names, passed, message))
    return rows, edited


def summary(rows, edited):
    lines = []
    for row in rows:
        lines.append(f"{'✓' if row.passed else '✗'} {', '.join(row.exercises)}")
        lines.extend("    " + l for l in row.message.splitlines())
    if edited:
        lines.append(f"! {len(edited)} locked cell(s) were edited ({', '.join(edited)}); "
                     "the grader puts them back as released, and so did this check.")
    done = sum(r.passed for r in rows)
    lines.append(f"\n{done} of {len(rows)} exercises pass their visible tests"
                 + (" (the grader also runs hidden tests)." if done == len(rows) else "."))
    return "\n".join(lines)
