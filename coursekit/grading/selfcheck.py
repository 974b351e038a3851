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
from typing import Any

from coursekit import course
from coursekit.grading import defaults, wording
from coursekit.grading.audit.extract import check_calls, read_notebook, test_cells
from coursekit.grading.markers import STDERR_IGNORED

MAX_LINES = 12
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Row:
    grade_id: str
    exercises: list
    passed: bool
    message: str = ""


def feedback_lines(text: str | None) -> str:
    """The feedback worth showing: every line of a GradingFailure (the convention line
    always), and the last lines of any other error."""
    lines = [line for line in ANSI.sub("", text or "").splitlines() if line.strip()]
    if any(wording.is_failure_line(line) for line in lines):
        start = next(i for i, line in enumerate(lines) if wording.is_failure_line(line))
        lines = lines[start:]
    keep = lines[-MAX_LINES:]
    keep += [line for line in lines[:-MAX_LINES] if wording.is_convention_line(line)]
    return "\n".join(keep)


HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.DOTALL | re.MULTILINE)


def original_cells(path: str | Path, *, answers: bool = False) -> dict[str, Any]:
    """{grade id: locked cell as released} for this notebook's assignment, from the course's
    instructor notebook with its hidden tests removed (as nbgrader removes them), or {} when
    the notebook is not inside a course folder (fetched through the exchange, say); with
    ``answers``, its answer cells instead."""
    try:
        root = course.find_root(Path(path).resolve().parent)
    except FileNotFoundError:
        return {}
    for assignment_id in course.assignments(root):
        source = root / "solutions" / assignment_id / course.notebook_name(assignment_id)
        if course.notebook_name(assignment_id) == Path(path).name and source.exists():
            cells = {}
            for cell in read_notebook(source)["cells"]:
                meta = cell["metadata"].get("nbgrader", {})
                if meta.get("solution" if answers else "locked"):
                    text = "".join(cell["source"])
                    cells[meta["grade_id"]] = {**cell, "source": HIDDEN.sub("", text).rstrip("\n")}
            return cells
    return {}


def edited_locked_cells(notebook: dict[str, Any]) -> list[str]:
    """Grade ids of locked cells whose source no longer matches nbgrader's checksum."""
    from nbformat import from_dict
    from nbgrader.utils import compute_checksum

    edited = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") and meta.get("checksum"):
            source = cell.get("source", "")
            plain = from_dict({**cell, "source": "".join(source) if isinstance(source, list) else source})
            if compute_checksum(plain) != meta["checksum"]:
                edited.append(meta["grade_id"])
    return edited


def restore_locked_cells(notebook: dict[str, Any], originals: dict[str, Any]) -> list[str]:
    """Put the original locked cells back where they were edited; returns their grade ids."""
    edited = edited_locked_cells(notebook)
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in edited and grade_id in originals:
            cell["source"] = originals[grade_id]["source"]
    return edited


def _config(timeout, folder):
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = timeout
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = STDERR_IGNORED
    config.Validator.ignore_checksums = True  # edited locked cells are restored and named here
    # Unix sockets instead of TCP: nothing listens on the network, and ipykernel has no
    # "running over TCP without encryption" warning to print.
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(folder) / "kernel")
    return config


def check_notebook(path: str | Path, *, timeout: int = defaults.CELL_TIMEOUT) -> tuple[list[Row], list[str]]:
    """Execute ``path`` as the grader does; returns (rows, edited locked cells)."""
    from nbgrader.validator import Validator

    from coursekit.headless import nbgrader_execute

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
    edited = restore_locked_cells(notebook, original_cells(path))
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        copy.write_text(json.dumps(notebook))
        validator = Validator(config=_config(timeout, folder))
        validator.preprocessors = [
            nbgrader_execute() if p.__name__ == "Execute" else p for p in validator.preprocessors
        ]
        results = validator.validate(str(copy))
    failed = {r["source"]: r.get("raw_error", "") for r in results.get("failed", [])}
    missing = missing_answers(notebook, original_cells(path, answers=True))
    rows = []
    for cell in test_cells(notebook):
        names = [name for name, _ in check_calls(cell.source)] or [cell.grade_id]
        error = failed.get(cell.source.strip())
        passed = error is None
        message = feedback_lines(error) if error else ""
        lost = [missing[f] for _, functions in check_calls(cell.source) for f in functions if f in missing]
        if lost:
            message = (
                f"the answer cell {lost[0]!r} is missing from your notebook (deleted?): the "
                f"grader cannot find your answer there. Copy that cell back from the released "
                f"notebook, put your answer in it, and run this check again\n" + message
            ).strip()
        if cell.grade_id in edited:
            verdict = "passes" if passed else "fails"
            message = (
                f"you edited this test cell; the grader puts it back as released and grades "
                f"that, and the restored test {verdict}\n" + message
            ).strip()
        rows.append(Row(cell.grade_id, names, passed and not lost, message))
    return rows, edited


def missing_answers(notebook: dict[str, Any], answer_cells: dict[str, Any]) -> dict[str, str]:
    """{function name: grade id} of the released answer cells that ``notebook`` lacks, for
    each function such a cell defines."""
    from coursekit.grading.audit.extract import solution_cells

    present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in notebook["cells"]}
    released = {"cells": list(answer_cells.values())}
    return {name: grade_id for name, grade_id in solution_cells(released).items() if grade_id not in present}


def summary(rows: list[Row], edited: list[str]) -> str:
    lines = []
    for row in rows:
        lines.append(f"{wording.PASSED if row.passed else wording.FAILED} {', '.join(row.exercises)}")
        lines.extend("    " + line for line in row.message.splitlines())
    if edited:
        lines.append(
            f"! {len(edited)} locked cell(s) were edited ({', '.join(edited)}); "
            "the grader puts them back as released, and so did this check."
        )
    done = sum(r.passed for r in rows)
    lines.append(
        f"\n{done} of {len(rows)} exercises pass their visible tests"
        + (" (the grader also runs hidden tests)." if done == len(rows) else ".")
    )
    return "\n".join(lines)
