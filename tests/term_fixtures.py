"""A tiny course root with grades/<A>.csv written as ``coursekit grade`` writes them, for the
term commands' tests (no grading runs)."""

import csv
from pathlib import Path

from coursekit.grading.report import COLUMNS
from coursekit.grading.report import spreadsheet_cell as _cell

ASSIGNMENTS = ("00_backprop", "01_unstable_gradients")


def course_root(tmp_path):
    root = Path(tmp_path) / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    for a in ASSIGNMENTS:
        (root / "solutions" / f"{a}.py").write_text("# %%\n")
    return root


def write_grades(root, assignment_id, rows, extra_columns=()):
    """rows: {student: dict(score=, final_score=, max_score=, ...)}."""
    folder = Path(root) / "grades"
    folder.mkdir(exist_ok=True)
    columns = [*COLUMNS, *extra_columns]
    with (folder / f"{assignment_id}.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for student, row in sorted(rows.items()):
            full = {
                "student": student,
                "score": row.get("score", row["final_score"]),
                "status": "ok",
                "message": "",
                "audit_score": row["final_score"],
                "flags": "",
                **row,
            }
            writer.writerow([_cell(full.get(c, "")) for c in columns])
