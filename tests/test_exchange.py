"""The real nbgrader exchange, end to end, with two students who are separate Unix users.

release_assignment -> each student's fetch_assignment -> edit -> submit -> collect ->
coursekit grade -> release_feedback -> each student's fetch_feedback, through a temporary
exchange folder. The students are real accounts (created for the test, removed after), so
nbgrader's own checks of who owns what, and the exchange's permissions, are the real ones.
Each student command runs with the student's uid, in a mount namespace where the
instructor's home is replaced by an empty folder holding only the Python installation.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coursekit.grading import sandbox, synthetic

from conftest import ROOT

AID = synthetic.ASSIGNMENT
CAN_RUN = os.name == "posix" and os.geteuid() == 0 and shutil.which("useradd") and shutil.which("setpriv")
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CAN_RUN, reason="needs root, useradd and setpriv to create the two student accounts (CI runs as root)"
    ),
    pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here"),
]


@pytest.fixture(scope="module")
def students():
    names = [f"ck{who}{os.getpid() % 100000}" for who in ("alice", "bob")]
    for name in names:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield [(name, int(_id("-u", name)), int(_id("-g", name))) for name in names]
    finally:
        for name in names:
            subprocess.run(["userdel", name], check=False)


def _id(flag, name):
    return subprocess.run(["id", flag, name], capture_output=True, text=True, check=True).stdout


def _hidden_home_binds():
    """bwrap arguments that hide /root but keep the Python installation inside it."""
    home = Path("/root")
    keep = [d for d in sandbox.python_dirs() if home in d.parents]
    if not keep:
        return []
    return ["--tmpfs", str(home)] + [a for d in keep for a in ("--ro-bind", str(d), str(d))]


def as_student(student, home, *argv):
    name, uid, gid = student
    cmd = [
        sandbox.bwrap_binary(),
        "--bind",
        "/",
        "/",
        *_hidden_home_binds(),
        "--dev-bind",
        "/dev",
        "/dev",
        "--proc",
        "/proc",
        "--",
        "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--init-groups",
        "--",
        sys.executable,
        *argv,
    ]
    env = {"HOME": str(home), "USER": name, "PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    return subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True, timeout=300)


def nbgrader(cwd, *args, student=None, home=None, exchange=None):
    argv = ["-m", "nbgrader", *args, f"--Exchange.root={exchange}"]
    if student:
        result = as_student(student, home, *argv, "--course", "coursekit")
    else:
        result = subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"nbgrader {' '.join(args)}:\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


EDIT = """
import json, sys
path, answers = sys.argv[1], json.loads(sys.argv[2])
nb = json.load(open(path))
for cell in nb["cells"]:
    gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
    if gid in answers:
        cell["source"] = answers[gid]
json.dump(nb, open(path, "w"))
"""


@pytest.fixture(scope="module")
def exchanged(students):
    # Not under pytest's own tmp folder, which only its owner may enter.
    top = Path(tempfile.mkdtemp(prefix="coursekit-exchange-test-", dir="/tmp"))
    os.chmod(top, 0o755)
    try:
        yield _exchange(students, top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _exchange(students, top):
    exchange = top / "exchange"
    exchange.mkdir(mode=0o777)
    os.chmod(exchange, 0o777)
    root = synthetic.make_course(ROOT, top / "course")
    os.chmod(root, 0o700)  # the instructor's course: no student may enter
    nbgrader(root, "release_assignment", AID, exchange=exchange)
    answers = [
        {g: v["right"][0] for g, v in synthetic.VARIANTS.items()},
        {
            "dense_forward": synthetic.VARIANTS["dense_forward"]["right"][0],
            "softmax": synthetic.VARIANTS["softmax"]["columns"][0],
        },
    ]
    homes = []
    for student, answer in zip(students, answers):
        home = top / f"home-{student[0]}"
        home.mkdir(mode=0o700)
        os.chown(home, student[1], student[2])
        homes.append(home)
        nbgrader(home, "fetch_assignment", AID, student=student, home=home, exchange=exchange)
        notebook = home / AID / synthetic.NOTEBOOK
        edited = as_student(student, home, "-c", EDIT, str(notebook), json.dumps(answer))
        assert edited.returncode == 0, edited.stderr
        nbgrader(home, "submit", AID, student=student, home=home, exchange=exchange)
    nbgrader(root, "collect", AID, exchange=exchange)
    grade = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--root", str(root), "grade", AID, "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert grade.returncode == 0, grade.stderr[-3000:]
    nbgrader(root, "release_feedback", AID, exchange=exchange)
    for student, home in zip(students, homes):
        nbgrader(home, "fetch_feedback", AID, student=student, home=home, exchange=exchange)
    return root, exchange, list(zip(students, homes))


def test_collected_submissions_belong_to_each_student(exchanged):
    root, exchange, pairs = exchanged
    for (name, uid, _), _home in pairs:
        assert (root / "submitted" / name / AID / synthetic.NOTEBOOK).exists()
        assert (root / "submitted" / name / AID / "timestamp.txt").exists()
        inbound = [p for p in (exchange / "coursekit" / "inbound").iterdir() if p.name.startswith(name + "+")]
        assert inbound and all(p.stat().st_uid == uid for p in inbound)


def test_grades_follow_what_each_student_wrote(exchanged):
    root, _, pairs = exchanged
    rows = {r.split(",")[0]: r.split(",") for r in (root / "grades" / f"{AID}.csv").read_text().splitlines()[1:]}
    (alice, *_), _ = pairs[0]
    (bob, *_), _ = pairs[1]
    assert rows[alice][3] == "ok" and float(rows[alice][6]) == synthetic.MAX_SCORE
    assert rows[bob][3] == "ok" and float(rows[bob][6]) == 2  # dense_forward only


def test_each_student_fetches_their_own_feedback(exchanged):
    _, _, pairs = exchanged
    for (_, *_), home in pairs:
        pages = list((home / AID / "feedback").rglob("*.html"))
        assert len(pages) == 1, pages
        assert "Score" in pages[0].read_text()


def test_a_student_cannot_read_a_classmates_submission_or_the_course(exchanged):
    root, exchange, pairs = exchanged
    (alice, home_a), (bob, home_b) = pairs
    inbound = exchange / "coursekit" / "inbound"
    snoop = as_student(
        bob,
        home_b,
        "-c",
        f"""
import os
for path in [{str(inbound)!r}, {str(root / "gradebook.db")!r}, {str(root / "submitted")!r}, {str(home_a)!r},
             {str(home_a / AID / synthetic.NOTEBOOK)!r}]:
    try:
        open(path, 'rb').read(1) if os.path.isfile(path) or not os.path.exists(path) else os.listdir(path)
        print('READ', path)
    except OSError:
        print('denied', path)
""",
    )
    assert snoop.returncode == 0, snoop.stderr
    assert "READ" not in snoop.stdout, snoop.stdout
