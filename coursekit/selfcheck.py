"""``coursekit check NOTEBOOK``: the student's self-check before handing in.

Runs the notebook's visible tests with ``nbgrader.validator.Validator`` (not the exit code of
``nbgrader validate``, which is 0 even when tests fail) and prints one line per exercise.
"""

from dataclasses import dataclass
from pathlib import Path

from coursekit.audit.extract import check_calls, read_notebook, test_cells


@dataclass
class Row:
    grade_id: str
    exercises: list
    passed: bool
    message: str = ""


def _first_lines(text, n=4):
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", text or "")
    lines = [l for l in plain.splitlines() if l.strip()]
    return "\n".join(lines[:n])


def check_notebook(path, *, timeout=120):
    """Execute ``path`` as nbgrader's validator does; returns (rows, changed_sources)."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no notebook at {path}")
    if path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook (.ipynb)")
    try:
        cells = test_cells(read_notebook(path))
    except (ValueError, KeyError) as err:
        raise ValueError(f"{path} is not a valid notebook: {err}") from err
    if not cells:
        raise ValueError(f"{path} has no graded test cells (is it a coursekit notebook?)")
    config = Config()
    config.Execute.timeout = timeout
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = r"\w*Warning\b"
    results = Validator(config=config).validate(str(path.resolve()))
    failed = {r["source"]: r.get("raw_error", "") for r in results.get("failed", [])}
    rows = []
    for cell in cells:
        names = [name for name, _ in check_calls(cell.source)] or [cell.grade_id]
        error = failed.get(cell.source.strip())
        rows.append(Row(cell.grade_id, names, error is None, _first_lines(error) if error else ""))
    return rows, [r["source"] for r in results.get("changed", [])] + \
        [r["source"] for r in results.get("type_changed", [])]


def summary(rows, changed):
    lines = []
    for row in rows:
        mark = "✓" if row.passed else "✗"
        lines.append(f"{mark} {', '.join(row.exercises)}")
        if row.message:
            lines.extend("    " + l for l in row.message.splitlines())
    if changed:
        lines.append(f"! {len(changed)} locked cell(s) were edited; the grader restores them:")
        lines.extend("    " + src.splitlines()[0] for src in changed if src)
    done = sum(r.passed for r in rows)
    lines.append(f"\n{done} of {len(rows)} exercises pass their visible tests"
                 + (" (the grader also runs hidden tests)." if done == len(rows) else "."))
    return "\n".join(lines)
