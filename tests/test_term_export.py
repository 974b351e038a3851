"""coursekit export: Canvas's gradebook CSV parsed back with the rules Canvas documents, a
roster with a missing and an extra student, Moodle's CSV and plain CSV/JSON."""

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from coursekit.term import export
from coursekit.term import roster as roster_file

from term_fixtures import course_root, write_grades

A, B = "00_backprop", "01_unstable_gradients"
CANVAS_IDENTITY = {"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}


def parse_canvas(text):
    """Canvas's gradebook import rules, written from its documentation: RFC 4180 CSV in
    UTF-8; the first row names the columns; Student, ID, SIS User ID, SIS Login ID and
    Section identify the student; a row whose first cell reads "Points Possible" gives
    maxima; every other column is an assignment, "Name (id)" updating Canvas assignment id,
    a bare name creating a new one; an empty cell leaves a grade unchanged.

    Returns ({(name, canvas id or None): points}, {student key: {(name, id): score or None}})."""
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    header = rows[0]
    assert CANVAS_IDENTITY <= set(header), header
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    columns = {}
    for i, name in enumerate(header):
        if name not in CANVAS_IDENTITY:
            found = re.fullmatch(r"(.+) \((\d+)\)", name)
            columns[i] = (found[1], found[2]) if found else (name, None)
    points, students = {}, {}
    for row in rows[1:]:
        assert len(row) == len(header), row
        if row[0].strip() == "Points Possible":
            points = {columns[i]: float(row[i]) for i in columns}
            continue
        key = row[1] or row[2] or row[3]
        assert key, f"Canvas cannot match a row with no ID, SIS User ID or SIS Login ID: {row}"
        students[key] = {columns[i]: (float(row[i]) if row[i] != "" else None) for i in columns}
    return points, students


@pytest.fixture()
def root(tmp_path):
    root = course_root(tmp_path)
    write_grades(
        root,
        A,
        {
            "ann": {"final_score": 7, "score": 9, "max_score": 10},
            "bob": {"final_score": 10, "max_score": 10},
            "-eve": {"final_score": 2.5, "max_score": 10},
            "zed": {"final_score": 4, "max_score": 10},
        },
    )
    write_grades(root, B, {"ann": {"final_score": 3, "max_score": 6}, "bob": {"final_score": 6, "max_score": 6}})
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,lms_id,name,email,sis_login_id,section\n"
        'ann,101,"Smith, Ann",ann@x.edu,asmith,S1\n'
        'bob,102,"O\'Neil, Bob ""Bobby""",bob@x.edu,boneil,S1\n'
        '-eve,103,"=Eve",eve@x.edu,eve,S2\n'
        'cat,104,"Lee, Cat",cat@x.edu,clee,S2\n'
    )
    return root, roster


def test_a_canvas_export_round_trips_with_a_missing_and_an_extra_student(root):
    root, roster = root
    result = export.export(root, [A], fmt="canvas", roster=roster, canvas_ids={A: "5501"})
    points, students = parse_canvas(result.text)
    column = (A, "5501")
    assert points == {column: 10.0}
    graded = export.read_grades(root, A)[0]
    assert students == {
        "101": {column: graded["ann"]},
        "102": {column: graded["bob"]},
        "103": {column: graded["-eve"]},
        "104": {column: None},
    }
    assert graded["ann"] == 7.0  # the audit-confirmed score, not nbgrader's 9
    assert result.missing == ["cat"] and result.unknown == ["zed"]
    assert any("zed" in line and "not on the roster" in line for line in result.problems())
    names = [row[0] for row in csv.reader(io.StringIO(result.text))][2:]
    assert names == ["'=Eve", "Smith, Ann", 'O\'Neil, Bob "Bobby"', "Lee, Cat"]  # quoted, not split; no formula


def test_the_whole_course_without_a_roster_keeps_everyone(root):
    root, _ = root
    points, students = parse_canvas(export.export(root, fmt="canvas").text)
    assert set(points) == {(A, None), (B, None)} and points[(B, None)] == 6.0
    assert set(students) == {"ann", "bob", "-eve", "zed"}  # SIS Login ID = nbgrader's id
    assert students["zed"] == {(A, None): 4.0, (B, None): None}


def test_missing_zero_and_moodle_and_plain_formats(root):
    root, roster = root
    moodle = list(
        csv.DictReader(io.StringIO(export.export(root, [A, B], fmt="moodle", roster=roster, missing="zero").text))
    )
    by_email = {r["Email address"]: r for r in moodle}
    assert set(by_email) == {"ann@x.edu", "bob@x.edu", "eve@x.edu", "cat@x.edu"}
    assert by_email["cat@x.edu"][A] == "0" and by_email["ann@x.edu"][B] == "3"
    plain = json.loads(export.export(root, fmt="json", roster=roster).text)
    assert plain["students"]["zed"]["scores"] == {A: 4.0, B: None}  # kept, with no LMS id
    assert plain["students"]["cat"]["scores"] == {A: None, B: None}
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(export.export(root, fmt="csv", roster=roster).text))}
    assert set(rows) == {"ann", "bob", "-eve", "cat", "zed"} and rows["ann"]["lms_id"] == "101"


def test_late_penalty_is_taken_from_the_final_score(tmp_path):
    root = course_root(tmp_path)
    write_grades(
        root,
        A,
        {
            "ann": {"final_score": 7, "max_score": 10, "late_penalty": 2},
            "bob": {"final_score": 1, "max_score": 10, "late_penalty": 3},
        },
        extra_columns=("late_penalty",),
    )
    assert export.read_grades(root, A)[0] == {"ann": 5.0, "bob": 0.0}


def test_errors_name_the_problem(root, tmp_path):
    root, roster = root
    with pytest.raises(ValueError, match="fmt must be one of"):
        export.export(root, [A], fmt="excel")
    with pytest.raises(ValueError, match="has not been graded yet"):
        export.export(course_root(tmp_path / "other"), [A])
    bad = tmp_path / "bad.csv"
    bad.write_text("student,mail\nann,a@x\n")
    with pytest.raises(ValueError, match="unknown columns \\['mail'\\]"):
        export.export(root, [A], roster=bad)
    bad.write_text("student,email\nann,a@x\nann,b@x\n")
    with pytest.raises(ValueError, match="appears twice"):
        export.export(root, [A], roster=bad)
    bad.write_bytes("student,name\nann,Zoë\n".encode("cp1252"))  # Excel's "CSV" on Windows
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 19: b'\\xeb'\); save it as 'CSV UTF-8'"):
        export.export(root, [A], roster=bad)
    bad.write_bytes("\ufeffstudent,name\nann,Zoë\n".encode("utf-8"))  # Excel's "CSV UTF-8": a BOM
    assert roster_file.load(bad)["ann"].name == "Zoë"


def test_the_command_writes_the_file_and_reports_on_stderr(root, tmp_path):
    root, roster = root
    out = tmp_path / "canvas.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.cli",
            "--root",
            str(root),
            "export",
            A,
            "--roster",
            str(roster),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "missing: cat" in result.stderr and "unknown: zed" in result.stderr
    assert parse_canvas(out.open(newline="").read())[1]["101"] == {(A, None): 7.0}
