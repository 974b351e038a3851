"""One grade, everywhere it is seen: a class of 00_backprop graded once, then every place an
instructor or a student looks is read back.

The class: a finished notebook; the same notebook with one benign edit each (a duplicated or
split answer cell, a scratch cell and a moved cell, ids rewritten, nbformat 4.4, outputs left
in), which must keep full marks and no flag; a faker that rebinds ``check`` to print the
success lines (nbgrader gives it full marks, the audit none), whose final score must be the
one in the CSV, the gradebook (what formgrader shows), ``nbgrader export`` and the feedback
page; a syntax error and an answer that raises, whose feedback must point at the student's line.
"""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import coursekit
from coursekit import course
from coursekit.grading import class_grade, class_report, feedback_page, gradebook, sandbox, synthetic

import benign_edits
from conftest import ROOT

AID = "00_backprop"
NAME = course.notebook_name(AID)
FULL = 10.0
FAKE_CHECK = "def check(name, *a, **k):\n    print(f'✓ {name}: all 3 visible cases pass')\n"
SYNTAX_ERROR = (
    "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True)\n    return e / e.sum(axis=1, keepdims=True)\n"
)
RAISES = (
    "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=2, keepdims=True)\n"
)
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here"),
]


def _answer(nb, grade_id):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def _class(root):
    finished = synthetic.finished_notebook(ROOT, AID)
    release = json.loads((root / "notebooks" / AID / NAME).read_text())
    notebooks = {"finished": finished, **{edit.__name__: edit(finished) for edit in benign_edits.EDITS}}
    faker = json.loads(json.dumps(release))
    _answer(faker, "dense_forward")["source"] = FAKE_CHECK + "".join(_answer(faker, "dense_forward")["source"])
    notebooks["faker"] = faker
    for student, source in (("syntax_error", SYNTAX_ERROR), ("raises", RAISES)):
        nb = json.loads(json.dumps(finished))
        _answer(nb, "softmax")["source"] = source
        notebooks[student] = nb
    for student, nb in notebooks.items():
        folder = root / "submitted" / student / AID
        folder.mkdir(parents=True)
        (folder / NAME).write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = course.copy_course(ROOT, tmp_path_factory.mktemp("course"))
    course.generate(root, AID)
    _class(root)
    outcomes, csv_path = class_grade.grade_class(root, AID, jobs=2, progress=False, audit_seed=11)
    return root, {o.student: o for o in outcomes}, csv_path


@pytest.mark.parametrize("edit", [e.__name__ for e in benign_edits.EDITS] + ["finished"])
def test_an_honest_notebook_with_a_benign_edit_keeps_full_marks_and_no_flag(graded, edit):
    _, outcomes, _ = graded
    o = outcomes[edit]
    assert (o.status, o.score, o.audit_score, o.final_score, o.flags) == ("ok", FULL, FULL, FULL, []), (
        o.status,
        o.score,
        o.audit_score,
        o.final_score,
        o.flags,
        o.message,
        o.failures,
    )


def _export(root):
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to", "export.csv"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return {row["student_id"]: row for row in csv.DictReader((root / "export.csv").open())}


def test_the_final_score_is_the_same_in_the_csv_the_gradebook_the_export_and_the_feedback(graded):
    root, outcomes, csv_path = graded
    rows = {r["student"]: r for r in csv.DictReader(csv_path.open())}
    exported = _export(root)
    scores = gradebook.scores(root, AID)
    for student, o in outcomes.items():
        final = o.final_score
        assert float(rows[student]["final_score"]) == final, student
        assert scores[student][0] == final, student  # what formgrader shows
        assert float(exported[student]["score"]) == final, student
        page = (root / "feedback" / student / AID / NAME.replace(".ipynb", ".html")).read_text()
        assert f"(Score: {final:.1f} / {FULL:.1f})" in page, student
        assert feedback_page.POLICY in page and "cdnjs" not in page, student  # nothing loads from elsewhere
        assert str(Path(coursekit.__file__).resolve().parent.parent) not in page, student  # no path of ours
    faker = outcomes["faker"]
    assert (faker.score, faker.audit_score, faker.final_score) == (FULL, 0.0, 0.0)


def test_the_audit_says_why_in_formgrader_and_on_the_feedback_page(graded):
    root, _, _ = graded
    from nbgrader.api import Gradebook

    with Gradebook(gradebook.url(root)) as gb:
        grade = gb.find_grade("test_softmax", Path(NAME).stem, AID, "faker")
        assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (2.0, 0.0, True)
        comment = gb.find_comment("softmax", Path(NAME).stem, AID, "faker").comment
    assert comment.startswith(gradebook.AUDIT_COMMENT) and "not implemented yet" in comment
    page = (root / "feedback" / "faker" / AID / NAME.replace(".ipynb", ".html")).read_text()
    assert "0 of 2 points of test_softmax confirmed" in page


def test_a_syntax_error_and_a_raising_answer_point_at_the_students_line(graded):
    root, outcomes, _ = graded
    syntax = " ".join(outcomes["syntax_error"].failures)
    assert "the answer cell softmax has a SyntaxError on line 2" in syntax, syntax
    raised = " ".join(outcomes["raises"].failures)
    assert "softmax raised AxisError" in raised and "line 3: `return e / e.sum(axis=2" in raised, raised
    page = (root / "feedback" / "syntax_error" / AID / NAME.replace(".ipynb", ".html")).read_text()
    assert "softmax is not defined because the cell that defines softmax has a SyntaxError on line 2" in page
    page = (root / "feedback" / "raises" / AID / NAME.replace(".ipynb", ".html")).read_text()
    assert "softmax raised AxisError" in page and "line 3: `return e / e.sum(axis=2" in page.replace("&#96;", "`")


def test_an_instructors_override_in_formgrader_survives_a_regrade(graded):
    root, _, _ = graded
    from nbgrader.api import Gradebook

    with Gradebook(gradebook.url(root)) as gb:
        grade = gb.find_grade("test_dense_forward", Path(NAME).stem, AID, "faker")
        grade.manual_score = 1.0  # the instructor, in formgrader
        gb.db.commit()
    outcomes, csv_path = class_grade.grade_class(root, AID, jobs=1, progress=False, audit_seed=12, only=["faker"])
    assert outcomes[0].final_score == 1.0  # the instructor's point, and the audit's 0 elsewhere
    assert gradebook.scores(root, AID)["faker"][0] == 1.0
    assert re.search(r"^faker,10\.0,10\.0,ok,.*,1\.0,", csv_path.read_text(), re.M)


def test_the_class_report_lists_everyone_in_notebook_order_after_a_partial_regrade(graded):
    """Runs after the re-grade of one student above: the report still reads every student."""
    root, outcomes, _ = graded
    path, data = class_report.write(root, AID)
    assert list(data["exercises"]) == [
        "layers.dense_forward",
        "layers.dense_backward",
        "layers.softmax",
        "layers.softmax_cross_entropy",
        "gradcheck.numerical_gradient",
    ]
    assert set(data["table"]) == set(outcomes)
    assert "faker" in data["review"]  # nbgrader 10, the audit 0
    assert "raises" not in data["review"]  # nbgrader and the audit agree: a wrong answer, no question
    assert not {e.__name__ for e in benign_edits.EDITS} & set(data["review"])
    page = path.read_text()
    assert "<h2>Students (10)</h2>" in page and "<td>faker</td>" in page
