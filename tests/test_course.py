"""The course as nbgrader sees it: no drift, clean notebooks, and the full round trip.

For every assignment, in a temporary copy of the course: generate the release (it must equal
the committed notebooks/), submit the solution and the untouched release as two students,
autograde both: the solution scores full marks, the blank scores zero.
"""

import json
import shutil
import subprocess
import sys

import pytest

from coursekit import course
from coursekit.grading import class_grade, sandbox

from conftest import ROOT, finished_student_notebook

ASSIGNMENTS = course.assignments(ROOT)


def test_there_are_assignments():
    assert "00_backprop" in ASSIGNMENTS


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_solution_notebook_is_built_from_its_source(assignment_id):
    built = course.dumps(course.to_notebook(ROOT / "solutions" / f"{assignment_id}.py"))
    committed = ROOT / "solutions" / assignment_id / course.notebook_name(assignment_id)
    assert committed.read_text() == built, f"run: coursekit release {assignment_id}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_each_released_notebook_says_what_its_answers_may_use(assignment_id):
    """The sentence comes from the exercises' ``packages``, which ``check`` and the audit enforce."""
    from coursekit import grading
    from coursekit.grading.audit import extract
    from coursekit.grading.refusals import may_use_sentence

    name = course.notebook_name(assignment_id)
    calls = extract.test_cells(json.loads((ROOT / "solutions" / assignment_id / name).read_text()))
    expected = may_use_sentence([grading.exercise(n) for cell in calls for n, _ in cell.calls])
    release = json.loads((ROOT / "notebooks" / assignment_id / name).read_text())
    text = " ".join(
        " ".join(
            c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in release["cells"]
            if c["cell_type"] == "markdown"
        ).split()
    )
    assert expected in text


def _all_notebooks():
    return sorted(p for folder in ("solutions", "notebooks") for p in (ROOT / folder).glob("*/*.ipynb"))


@pytest.mark.parametrize("path", _all_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_carry_no_outputs_and_valid_metadata(path):
    nb = json.loads(path.read_text())
    grade_ids = []
    for cell in nb["cells"]:
        assert not cell.get("outputs") and not cell.get("execution_count"), cell["id"]
        meta = cell["metadata"].get("nbgrader")
        if meta is None:
            continue
        assert meta["schema_version"] == 3
        assert meta["grade_id"] and all(ch.isalnum() or ch in "_-" for ch in meta["grade_id"])
        grade_ids.append(meta["grade_id"])
        if meta["grade"]:
            assert meta["locked"] and meta["points"] > 0 and cell["cell_type"] == "code"
        if meta["solution"]:
            assert not meta["locked"]
    assert len(grade_ids) == len(set(grade_ids))
    assert any(c["metadata"].get("nbgrader", {}).get("grade") for c in nb["cells"])


def _submit(course_dir, assignment_id, student, notebook):
    folder = course_dir / "submitted" / student / assignment_id
    folder.mkdir(parents=True)
    shutil.copy2(notebook, folder / course.notebook_name(assignment_id))


@pytest.mark.notebook
@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here")
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_round_trip_solution_full_marks_blank_zero(assignment_id, tmp_path):
    """Release, then grade the solution and the untouched release as two students, as
    `coursekit grade` does: sandboxed nbgrader and the audit agree on full marks and zero."""
    course_dir = course.copy_course(ROOT, tmp_path)
    release = course.generate(course_dir, assignment_id)
    name = course.notebook_name(assignment_id)

    committed = json.loads((ROOT / "notebooks" / assignment_id / name).read_text())
    assert json.loads((release / name).read_text()) == committed, (
        f"notebooks/{assignment_id} drifted from solutions/; run: coursekit release {assignment_id}"
    )
    assert "BEGIN HIDDEN TESTS" not in (release / name).read_text()
    assert "BEGIN SOLUTION" not in (release / name).read_text()

    _submit(course_dir, assignment_id, "solution", finished_student_notebook(assignment_id, tmp_path))
    _submit(course_dir, assignment_id, "blank", release / name)
    outcomes, _ = class_grade.grade_class(course_dir, assignment_id, jobs=2, timeout=600, progress=False)
    solution, blank = sorted(outcomes, key=lambda o: o.student != "solution")
    assert solution.max_score > 0 and solution.status == "ok", solution
    assert solution.score == solution.audit_score == solution.final_score == solution.max_score, solution
    assert solution.flags == [], solution.flags
    assert (blank.status, blank.score, blank.audit_score) == ("ok", 0, 0), blank
    graded = (course_dir / "autograded" / "solution" / assignment_id / name).read_text()
    assert "hidden cases pass" in graded, "the hidden tests did not run at autograde"
    assert all(e.visible and e.hidden for e in solution.exercises.values()), solution.exercises
    feedback = (course_dir / "feedback" / "solution" / assignment_id / name.replace(".ipynb", ".html")).read_text()
    if "$" in "".join("".join(c["source"]) for c in committed["cells"] if c["cell_type"] == "markdown"):
        assert "<math" in feedback, "the feedback's formulas were not converted to MathML"


def test_import_coursekit_does_not_import_torch():
    code = "import sys, coursekit, coursekit.layers, coursekit.grading; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_device_helper():
    import coursekit

    assert coursekit.device().type in {"cuda", "mps", "cpu"}
    assert coursekit.device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="prefer must be one of"):
        coursekit.device("tpu")
