"""Late work: the due date (late.toml or nbgrader's gradebook), timestamps, extensions and the
penalty policy; shown in the CSV, the export and the class report."""

import json
from datetime import datetime, timezone

import pytest

from coursekit.term import export, late

from term_fixtures import course_root, write_grades

A = "00_backprop"


def submit(root, student, when):
    folder = root / "submitted" / student / A
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(when)


@pytest.mark.parametrize(
    "method,seconds,expected",
    [
        ("none", 10 * 86400, 0.0),
        ("zero", 60, 7.0),
        ("per_day", 1, 1.0),
        ("per_day", 86400, 1.0),
        ("per_day", 86401, 2.0),
        ("per_hour", 3 * 3600 + 1, 4.0),
        ("per_day", 30 * 86400, 7.0),
    ],
)
def test_the_policy(method, seconds, expected):
    # rate 0.1 of a maximum of 10 points: 1 point per started day (or hour), never past the score
    assert late.Policy(method, rate=0.1).penalty(7.0, 10.0, seconds) == expected


def test_grace_and_checks():
    assert late.Policy("zero", grace_minutes=5).penalty(7.0, 10.0, 299) == 0.0
    assert late.Policy("zero", grace_minutes=5).penalty(7.0, 10.0, 301) == 7.0
    with pytest.raises(ValueError, match="method must be one of"):
        late.Policy("half")
    with pytest.raises(ValueError, match="rate must be in"):
        late.Policy("per_day", rate=2)
    with pytest.raises(ValueError, match="cannot read the time"):
        late.parse_time("yesterday", "timestamp.txt")


def test_a_late_submission_is_penalised_as_configured_and_shown(tmp_path):
    from coursekit.grading import class_report

    root = course_root(tmp_path)
    (root / "late.toml").write_text(
        f'[policy]\nmethod = "per_day"\nrate = 0.1\ngrace_minutes = 10\n[duedates]\n{A} = "2026-10-01 23:59:00 UTC"\n'
    )
    (root / "extensions.csv").write_text(f"student,assignment,extra_hours\nbob,{A},48\ncat,01_other,100\n")
    submit(root, "ann", "2026-10-02 00:05:00.000000 UTC")  # 6 minutes: inside the grace
    submit(root, "bob", "2026-10-03 05:59:00.000000 UTC")  # 30 h late, 48 h extension
    submit(root, "cat", "2026-10-03 00:59:00.000000 UTC")  # 25 h late: two started days
    (root / "submitted" / "dan" / A).mkdir(parents=True)  # no timestamp: not late
    write_grades(root, A, {s: {"final_score": 8, "max_score": 10} for s in ("ann", "bob", "cat", "dan")})
    found = late.annotate(root, A)
    assert set(found) == {"ann", "cat"} and found["cat"] == (25 * 3600, 2.0)  # bob has an extension
    assert found["ann"] == (360, 0.0)  # late, within the grace: no penalty
    assert export.read_grades(root, A)[0] == {"ann": 8.0, "bob": 8.0, "cat": 6.0, "dan": 8.0}
    assert late.annotate(root, A) == found  # annotating twice keeps one pair of columns
    assert (root / "grades" / f"{A}.csv").read_text().splitlines()[0].endswith("flags,seconds_late,late_penalty")
    (root / "grades" / f"{A}.json").write_text(
        json.dumps(
            {
                "assignment": A,
                "students": {
                    s: {
                        "score": 8.0,
                        "max_score": 10.0,
                        "status": "ok",
                        "message": "",
                        "audit_score": 8.0,
                        "final_score": 8.0,
                        "flags": [],
                        "exercises": {},
                        "seconds": 1.0,
                    }
                    for s in ("ann", "bob", "cat", "dan")
                },
            }
        )
    )
    page = class_report.write(root, A)[0].read_text()
    assert "Late work (2)" in page and "1 d 1 h 0 min" in page


def test_the_due_date_comes_from_nbgraders_gradebook(tmp_path, monkeypatch):
    import os
    import sys

    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])  # alembic

    from coursekit.grading import gradebook

    root = course_root(tmp_path)
    with Gradebook(gradebook.url(root)) as gb:
        gb.add_assignment(A, duedate=datetime(2026, 10, 1, 12, 0))
    submit(root, "ann", "2026-10-01 13:30:00.000000 UTC")
    assert late.lateness(root, A, ["ann"]) == {"ann": 5400.0}
    (root / "late.toml").write_text(f'[duedates]\n{A} = "2026-10-01T14:00:00+00:00"\n')  # overrides it
    assert late.lateness(root, A, ["ann"]) == {"ann": 0.0}
    assert late.load_settings(root)[0] == late.Policy()  # no policy: nothing is taken
    assert late.parse_time("2026-10-01T16:00:00+02:00", "x") == datetime(2026, 10, 1, 14, tzinfo=timezone.utc)
