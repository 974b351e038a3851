"""Authoring and releasing the course: sources -> solution notebooks -> student release.

Each topic is written as a jupytext "percent" script, ``solutions/<id>.py``, beside the
nbgrader source folder ``solutions/<id>/``. Cells are marked for nbgrader in the ``# %%``
header:

    # %% solution="dense_forward"            an autograded answer cell
    # %% tests="test_dense_forward" points=2  a locked test cell worth 2 points
    # %% locked="setup"                        a read-only cell

:func:`build` turns the script into ``solutions/<id>/<topic>.ipynb`` (no outputs, stable
cell ids) and :func:`release` runs ``nbgrader generate_assignment`` on it in a temporary
copy of the course, so no gradebook is left in the repository, and copies the result to
``notebooks/<id>/``.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT_MARKER = "nbgrader_config.py"
ID_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+$")


def find_root(start=None):
    """The course root: the nearest folder, from ``start`` upwards, with nbgrader_config.py."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ROOT_MARKER).exists() and (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(f"no course root (a folder with {ROOT_MARKER} and solutions/) at or above {here}")


def assignments(root):
    """Assignment ids with a source script, in teaching order."""
    return sorted(p.stem for p in (Path(root) / "solutions").glob("*.py") if ID_PATTERN.match(p.stem))


def check_assignment(root, assignment_id):
    known = assignments(root)
    if assignment_id not in known:
        raise ValueError(f"unknown assignment {assignment_id!r}; known: {', '.join(known) or 'none'}")


def notebook_name(assignment_id):
    """'00_backprop' -> 'backprop.ipynb'."""
    return assignment_id.split("_", 1)[1] + ".ipynb"


def _nbgrader_metadata(meta):
    base = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    if "solution" in meta:
        return {**base, "grade_id": meta.pop("solution"), "solution": True}
    if "tests" in meta:
        points = meta.pop("points", 1)
        return {**base, "grade": True, "grade_id": meta.pop("tests"), "locked": True, "points": points}
    if "locked" in meta:
        return {**base, "grade_id": meta.pop("locked"), "locked": True}
    return None


def to_notebook(script_path):
    """Read a percent script and return the notebook as a plain dict."""
    import jupytext

    nb = jupytext.read(script_path)
    cells = []
    seen = set()
    for index, cell in enumerate(nb.cells):
        meta = {k: v for k, v in cell.metadata.items() if k not in ("lines_to_next_cell",)}
        nbgrader = _nbgrader_metadata(meta)
        cell_id = nbgrader["grade_id"] if nbgrader else f"cell-{index:03d}"
        if cell_id in seen:
            raise ValueError(f"{script_path}: cell id {cell_id!r} is used twice")
        seen.add(cell_id)
        out = {"cell_type": cell.cell_type, "id": cell_id, "metadata": meta, "source": cell.source}
        if nbgrader:
            out["metadata"] = {**meta, "nbgrader": nbgrader}
        if cell.cell_type == "code":
            out.update(execution_count=None, outputs=[])
        cells.append(out)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(notebook):
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def build(root, assignment_id):
    """Write solutions/<id>/<topic>.ipynb from solutions/<id>.py; returns its path."""
    root = Path(root)
    check_assignment(root, assignment_id)
    target = root / "solutions" / assignment_id / notebook_name(assignment_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps(to_notebook(root / "solutions" / f"{assignment_id}.py")))
    return target


def copy_course(root, destination):
    """Copy what nbgrader needs (config and solutions) into ``destination``."""
    root, destination = Path(root), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / ROOT_MARKER, destination / ROOT_MARKER)
    shutil.copytree(
        root / "solutions",
        destination / "solutions",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    return destination


def nbgrader(course_dir, *args, timeout=None):
    """Run an nbgrader command in ``course_dir``; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def generate(course_dir, assignment_id):
    """``nbgrader generate_assignment`` in ``course_dir``; raises with nbgrader's log on failure."""
    result = nbgrader(course_dir, "generate_assignment", assignment_id, "--force")
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment_id} failed:\n{result.stderr}")
    return Path(course_dir) / "notebooks" / assignment_id


def release(root, assignment_id):
    """Rebuild the solution notebook and regenerate notebooks/<id>/ from it."""
    root = Path(root)
    build(root, assignment_id)
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(copy_course(root, tmp), assignment_id)
        target = root / "notebooks" / assignment_id
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(generated, target)
    return target
