"""The term's hooks in a real grading: coursekit grade writes the late columns, and a
re-grade after one student's notebook changed lists exactly that student; --dry-run (the same
grading, in a copy of the course) shows it and writes nothing here. The diff itself is tested
in test_term_changes.py."""

import json
import subprocess
import sys

import pytest

from coursekit.grading import sandbox, synthetic

from conftest import ROOT

AID = synthetic.ASSIGNMENT
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here"),
]


def grade(root, *extra):
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "grade", AID, "--jobs", "2", "--audit-seed", "5", *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_late_columns_and_the_regrade_diff(tmp_path):
    root = synthetic.make_course(ROOT, tmp_path)
    synthetic.make_class(root, 2, seed=1, crash_rate=0.0, blank_rate=0.0)
    folder = root / "submitted" / "student0001" / AID
    (folder / "timestamp.txt").write_text("2026-10-02 02:00:00.000000 UTC")
    (root / "late.toml").write_text(f'[policy]\nmethod = "zero"\n[duedates]\n{AID} = "2026-10-02 00:00:00 UTC"\n')
    grade(root)
    rows = (root / "grades" / f"{AID}.csv").read_text().splitlines()
    assert rows[0].endswith("seconds_late,late_penalty")
    late_row = dict(zip(rows[0].split(","), rows[2].split(",")))
    assert late_row["student"] == "student0001" and late_row["seconds_late"] == "7200"
    assert float(late_row["late_penalty"]) == float(late_row["final_score"])  # zero: all of it
    notebook = json.loads((folder / synthetic.NOTEBOOK).read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "dense_forward":
            variants = synthetic.VARIANTS["dense_forward"]
            was_right = "".join(cell["source"]) != variants["no_bias"][0]
            cell["source"] = variants["no_bias" if was_right else "right"][0]  # its score changes
    (folder / synthetic.NOTEBOOK).write_text(json.dumps(notebook))
    before = (root / "grades" / f"{AID}.csv").read_bytes()
    dry = grade(root, "--dry-run")
    assert (root / "grades" / f"{AID}.csv").read_bytes() == before
    assert "dry run, nothing written: 1 grade(s) changed" in dry and "student0001" in dry.split("grade(s) changed")[1]
    assert "the notebook changed" in dry and "student0000:" not in dry.split("grade(s) changed")[1]
    kept = json.loads((root / "grades" / f"{AID}.changes.json").read_text())
    assert kept == {"assignment": AID, "regrade": False, "changes": []}  # the first grading's, untouched
