"""What to audit in a notebook: the instructor's test cells and the student's code cells."""

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAGIC = re.compile(r"^\s*[%!]")


@dataclass
class TestCell:
    """A graded test cell of the instructor's notebook and the ``check`` calls in it."""

    grade_id: str
    points: float
    source: str
    calls: list = field(default_factory=list)  # [(exercise name, [argument names])]


@dataclass
class StudentCell:
    cell_id: str
    kind: str  # "setup" (locked, not graded), "solution", "test", "added" (by the student), "other"
    source: str
    changed: bool  # differs from the instructor's cell with the same id


def read_notebook(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def without_magics(source: str) -> str:
    """Source with IPython magics and shell escapes commented out, so ``ast`` can parse it."""
    return "\n".join("# " + line if MAGIC.match(line) else line for line in source.splitlines())


def check_calls(source: str) -> list[tuple[Any, list[str]]]:
    """[(exercise, [argument names])] for each ``check("name", f, g, ...)`` call."""
    calls: list[tuple[Any, list[str]]] = []
    for node in ast.walk(ast.parse(without_magics(source))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "check"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names = [a.id for a in node.args[1:] if isinstance(a, ast.Name)]
            calls.append((node.args[0].value, names))
    return calls


def test_cells(instructor_notebook: dict[str, Any]) -> list[TestCell]:
    """The graded test cells of the instructor's (solution) notebook, hidden tests included."""
    cells = []
    for cell in instructor_notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade"):
            src = _source(cell)
            # the visible and the hidden check of an exercise are one call for the audit, which
            # runs both kinds of cases
            unique = dict.fromkeys((name, tuple(args)) for name, args in check_calls(src))
            calls = [(name, list(args)) for name, args in unique]
            cells.append(TestCell(meta["grade_id"], float(meta.get("points", 0)), src, calls))
    return cells


def student_cells(submitted_notebook: dict[str, Any], instructor_notebook: dict[str, Any]) -> list[StudentCell]:
    """The student's code cells, each labelled and compared with the instructor's.

    A cell is matched by its nbgrader identity (``grade_id``), else by its content (an
    instructor's cell, such as a demonstration, with its id rewritten or gone), else by its
    id; a cell that matches nothing is the student's own (``added``)."""
    original: dict[Any, tuple[str, dict[str, Any]]] = {}
    by_source: dict[str, Any] = {}
    for cell in instructor_notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        original[meta.get("grade_id") or cell.get("id")] = (_source(cell), meta)
        if cell.get("cell_type") == "code" and not meta.get("grade_id"):
            by_source.setdefault(_source(cell).strip(), cell.get("id"))
    cells = []
    for cell in submitted_notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        src = _source(cell)
        key = meta.get("grade_id") or by_source.get(src.strip()) or cell.get("id")
        if meta.get("solution"):
            kind = "solution"
        elif meta.get("grade"):
            kind = "test"
        elif meta.get("locked"):
            kind = "setup"
        elif key not in original:
            kind = "added"
        else:
            kind = "other"
        instructor_source = original.get(key, (None, {}))[0]
        cells.append(StudentCell(str(key), kind, src, changed=src != instructor_source))
    return cells


def solution_cells(instructor_notebook: dict[str, Any]) -> dict[str, str]:
    """{function name: grade_id of the answer cell that defines it} (where the audit's
    reason for a lost point goes in nbgrader's gradebook and the feedback)."""
    found: dict[str, str] = {}
    for cell in instructor_notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("solution"):
            continue
        try:
            tree = ast.parse(without_magics(_source(cell)))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.setdefault(node.name, meta["grade_id"])
    return found
