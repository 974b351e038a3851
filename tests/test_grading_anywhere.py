"""Grading works wherever the course and Python live, and a failure of the grader is an error of
the run, never a student's zero.

The course is a copy under ``/tmp`` in a folder with a space in its name; Python is a virtual
environment under ``/tmp`` reached through a symbolic link (as on clusters with symlinked
homes), whose ``.pth`` file points at this installation's packages; ``TMPDIR`` is longer than a
Unix socket's path may be. Then the grader is broken on purpose (a bubblewrap wrapper that
cannot start Python for the kernel, or for the audit) and must stop, keep every earlier grade and
write no score.
"""

import csv
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import coursekit
from coursekit.grading import class_grade, sandbox, synthetic
from coursekit.grading.errors import GraderError

from conftest import ROOT

AID = synthetic.ASSIGNMENT
RIGHT = {exercise: "right" for exercise in synthetic.VARIANTS}
BLANK = {exercise: synthetic.BLANK for exercise in synthetic.VARIANTS}
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here"),
]

GRADE_SCRIPT = """
import json, sys
from coursekit.grading import class_grade, sandbox
assert sandbox.unavailable_reason() is None, sandbox.unavailable_reason()
outcomes, _ = class_grade.grade_class(sys.argv[1], sys.argv[2], jobs=2, progress=False, audit_seed=7)
print(json.dumps({o.student: [o.status, o.score, o.audit_score, o.final_score, o.flags] for o in outcomes}))
"""


def _venv_under_tmp(base):
    """A virtual environment at ``base/venv``, reached as ``base/link``, with this
    installation's packages (by a .pth file) and a copy of coursekit under ``base``."""
    venv, link = base / "venv", base / "link"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    package_copy = base / "course copy" / "src"
    shutil.copytree(
        Path(coursekit.__file__).parent, package_copy / "coursekit", ignore=shutil.ignore_patterns("__pycache__")
    )
    purelib = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "coursekit-test.pth").write_text(f"{package_copy}\n" + "\n".join(site.getsitepackages()) + "\n")
    (venv / "share").symlink_to(Path(sys.prefix) / "share")  # nbconvert's templates
    link.symlink_to(venv)
    return link / "bin" / "python", package_copy


def test_grading_works_from_a_clone_and_a_venv_under_tmp_behind_a_link_with_a_long_tmpdir():
    base = Path(tempfile.mkdtemp(prefix="ck-anywhere-", dir="/tmp"))
    try:
        python, package_copy = _venv_under_tmp(base)
        root = synthetic.make_course(ROOT, base / "course copy" / "course")
        synthetic.write_submission(root, "honest", RIGHT)
        synthetic.write_submission(root, "blank", BLANK)
        long_tmp = base / ("t" * 60) / ("u" * 60)
        long_tmp.mkdir(parents=True)
        env = {
            **os.environ,
            "TMPDIR": str(long_tmp),
            "PATH": f"{python.parent}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        env.pop("PYTHONPATH", None)
        where = (
            subprocess.run(
                [str(python), "-c", "import coursekit, sys; print(coursekit.__file__, sys.prefix, sep='|')"],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                cwd=base,
            )
            .stdout.strip()
            .split("|")
        )
        assert where == [str(package_copy / "coursekit" / "__init__.py"), str(python.parent.parent)]
        done = subprocess.run(
            [str(python), "-c", GRADE_SCRIPT, str(root), AID],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            cwd=base,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        grades = json.loads(done.stdout.strip().splitlines()[-1])
        full = synthetic.MAX_SCORE
        assert grades["honest"] == ["ok", full, full, full, []], grades
        assert grades["blank"] == ["ok", 0.0, 0.0, 0.0, []], grades
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- a grader that cannot start Python -------------------------------------------------------

WRAPPER = """#!{python}
import os, sys
real, markers = {real!r}, {markers!r}
args = sys.argv[1:]
program = args.index("--") + 1
if "python" in args[program] and all(marker in " ".join(args) for marker in markers):
    args[program] = "/nonexistent/python"  # this sandbox cannot start Python
os.execv(real, [real] + args)
"""


def _broken_bwrap(folder, marker):
    path = Path(folder) / f"bwrap-{marker or 'all'}"
    markers = [marker] if marker else []
    path.write_text(WRAPPER.format(python=sys.executable, real=sandbox.bwrap_binary(), markers=markers))
    path.chmod(0o755)
    return str(path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course graded once normally: honest full marks, the other student blank."""
    root = synthetic.make_course(ROOT, tmp_path_factory.mktemp("course"))
    synthetic.write_submission(root, "honest", RIGHT)
    synthetic.write_submission(root, "other", BLANK)
    outcomes, csv_path = class_grade.grade_class(root, AID, jobs=2, progress=False, audit_seed=3)
    assert {o.student: (o.status, o.final_score) for o in outcomes} == {
        "honest": ("ok", synthetic.MAX_SCORE),
        "other": ("ok", 0.0),
    }
    return root


def _fingerprint(root):
    """Hashes of everything a grading writes."""
    names = ["gradebook.db", f"grades/{AID}.csv", f"grades/{AID}.json"]
    return {n: hashlib.sha256((Path(root) / n).read_bytes()).hexdigest() for n in names}


@pytest.mark.parametrize("marker", ["ipykernel_launcher", "coursekit.grading.audit.runner"])
def test_a_grader_that_cannot_start_python_writes_no_score_and_keeps_earlier_grades(
    graded, marker, tmp_path, monkeypatch
):
    root = graded
    before = _fingerprint(root)
    synthetic.write_submission(root, "other", RIGHT)  # re-handed in, now right: must not be graded 0
    monkeypatch.setenv("COURSEKIT_BWRAP", _broken_bwrap(tmp_path, marker))
    with pytest.raises(GraderError) as raised:
        class_grade.grade_class(root, AID, jobs=2, progress=False, audit_seed=3, only=["other"])
    assert "before their code ran (other)" in str(raised.value)
    assert [o.status for o in raised.value.outcomes] == ["grader-error"]
    assert "crashed" not in str(raised.value) and "the notebook's kernel died" not in str(raised.value)
    rows = {r["student"]: r for r in csv.DictReader((Path(root) / "grades" / f"{AID}.csv").open())}
    assert rows["other"]["final_score"] == "0.0" and rows["other"]["status"] == "ok"  # the earlier grade
    assert _fingerprint(root)["gradebook.db"] == before["gradebook.db"]
    cli = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--root", str(root), "grade", AID, "--student", "other"],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert cli.returncode == 3, cli.stderr[-2000:]
    assert "the grader failed for 1 student(s) before their code ran (other)" in cli.stderr
    assert "grader-error" in cli.stdout
    assert "grade 99_mini: checking the sandbox" in cli.stderr  # said at once, before the bar
    assert "registering the assignment; 1 submission(s) to grade" in cli.stderr
    assert "1/1" in cli.stderr  # the bar moved when the student finished
    if marker == "coursekit.grading.audit.runner":  # the audit alone fails the same way
        audit = subprocess.run(
            [sys.executable, "-m", "coursekit.cli", "--root", str(root), "audit", AID],
            capture_output=True,
            text=True,
            env=os.environ,
        )
        assert audit.returncode == 3 and "before their code ran" in audit.stderr, audit.stderr[-2000:]
    assert _fingerprint(root)["gradebook.db"] == before["gradebook.db"]


def test_a_sandbox_that_cannot_start_python_stops_grade_before_anyone_is_graded(graded, tmp_path):
    root = graded
    before = _fingerprint(root)
    env = {**os.environ, "COURSEKIT_BWRAP": _broken_bwrap(tmp_path, "")}
    cli = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--root", str(root), "grade", AID],
        capture_output=True,
        text=True,
        env=env,
    )
    assert cli.returncode == 2, cli.stderr[-2000:]
    assert "the sandbox starts, but Python inside it failed" in cli.stderr
    assert "not of any student" in cli.stderr
    assert _fingerprint(root) == before
