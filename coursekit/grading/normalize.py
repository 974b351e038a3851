"""Benign edits made harmless before grading: what students' front ends and fingers do to a
notebook must not cost an honest student anything.

A student duplicates or splits an answer cell (both copies keep nbgrader's metadata), saves
with a front end that rewrites cell ids or writes nbformat 4.4 (no ids), moves cells, adds
scratch cells, or leaves outputs in. nbgrader's autograde fails on a repeated ``grade_id``,
and ids are not a cell's identity. So each notebook is graded as:

- nbformat 4.5, every cell with an id, every id unique (missing or repeated ids are replaced
  by ones derived from the cell's position);
- the first cell with a given ``grade_id`` keeps nbgrader's identity; a later copy becomes an
  ordinary cell of the student's (it still runs, in its place, as nbgrader and the audit run
  every cell in order, so the answer defined last is the one graded).

The notebook's bytes as collected are what is hashed and kept; this is a view for grading.
"""

import json
from typing import Any


def notebook(nb: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A normalised copy of a notebook (a dict), and notes on what was repaired.

    Returns:
        (notebook dict, [note, ...]); the notes say which ids and cells were changed.
    """
    nb = json.loads(json.dumps(nb))
    notes = []
    nb["nbformat"], minor = 4, nb.get("nbformat_minor", 0)
    if minor < 5:
        nb["nbformat_minor"] = 5
        notes.append(f"nbformat 4.{minor} read as 4.5")
    seen_ids: set[str] = set()
    seen_grades: set[Any] = set()
    for index, cell in enumerate(nb.get("cells", [])):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id or cell_id in seen_ids:
            cell["id"] = _fresh_id(index, seen_ids)
        seen_ids.add(cell["id"])
        meta = cell.setdefault("metadata", {})
        grade_id = meta.get("nbgrader", {}).get("grade_id") if isinstance(meta.get("nbgrader"), dict) else None
        if grade_id is None:
            continue
        if grade_id in seen_grades:
            meta.pop("nbgrader")
            notes.append(f"a second cell {grade_id!r} (a copy) is graded as a cell of yours")
        seen_grades.add(grade_id)
    return nb, notes


def notebook_bytes(data: bytes) -> bytes:
    """:func:`notebook` for a notebook's bytes; bytes that do not parse are left as they are."""
    try:
        nb, _ = notebook(json.loads(data))
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return data
    return json.dumps(nb).encode()


def _fresh_id(index, taken):
    candidate, n = f"cell-{index}", 0
    while candidate in taken:
        n += 1
        candidate = f"cell-{index}-{n}"
    return candidate
