"""``coursekit grade``: autograde a whole class, one submission at a time, never stopping.

For every ``submitted/<student>/<assignment>/`` it runs ``nbgrader autograde`` for that
student alone, in a subprocess with a wall-clock timeout and a memory limit, then
``nbgrader generate_feedback``. A submission that is malformed, crashes its kernel
(``os._exit``), hangs or exhausts memory is recorded with its status and the next one is
graded. Finally the grades are exported to ``grades/<assignment>.csv``. Re-running is
idempotent: each student is re-graded with ``--force`` and nothing else in the gradebook
changes.
"""

import csv
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from coursekit import course


@dataclass
class Outcome:
    student: str
    status: str  # ok, malformed, crashed, timeout
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""


def students(root, assignment_id):
    """Student ids with a submission of ``assignment_id`` under submitted/."""
    base = Path(root) / "submitted"
    return sorted(p.parent.name for p in base.glob(f"*/{assignment_id}") if p.is_dir())


def _limit_memory(megabytes):
    def apply():
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def _nbgrader(root, args, timeout, memory_mb):
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True,
        timeout=timeout, preexec_fn=_limit_memory(memory_mb) if memory_mb else None,
    )


def malformed_reason(folder, assignment_id):
    """Why a submission folder cannot be graded, or None."""
    expected = folder / course.notebook_name(assignment_id)
    if not expected.exists():
        found = ", ".join(p.name for p in folder.iterdir()) or "nothing"
        return f"no {expected.name} in the submission (found: {found})"
    try:
        import nbformat

        nbformat.validate(nbformat.read(expected, as_version=4))
    except Exception as err:  # any parse or schema error makes it malformed
        return f"{expected.name} is not a valid notebook: {str(err).splitlines()[0][:200]}"
    return None


def _last_error(text):
    lines = [l for l in text.splitlines() if "Error" in l or "error" in l]
    return (lines[-1] if lines else text.strip().splitlines()[-1] if text.strip() else "")[:300]


def register_assignment(root, assignment_id):
    """Make sure the gradebook knows the assignment and its cells (generate into a temp dir)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment_id, "--force",
             f"--CourseDirectory.release_directory={tmp}"],
            cwd=root, capture_output=True, text=True,
        )
    if result.returncode != 0:
        raise RuntimeError(f"could not register {assignment_id} in the gradebook:\n{result.stderr[-2000:]}")


def _autograde_in_child(root, assignment_id, student, memory_mb, log_path):
    """Body of the forked grading process: nbgrader's AutogradeApp, as the CLI runs it."""
    status = 1
    try:
        if memory_mb:
            _limit_memory(memory_mb)()
        os.chdir(root)
        log = open(log_path, "w")
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        from nbgrader.apps.autogradeapp import AutogradeApp

        app = AutogradeApp.instance()
        app.initialize([assignment_id, "--student", student, "--force"])
        app.start()
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _autograde(root, assignment_id, student, timeout, memory_mb):
    """Autograde one student in a forked process (isolated, without paying nbgrader's slow
    imports again); returns (exit status or None on timeout, log text)."""
    import multiprocessing
    import tempfile

    import nbgrader.apps.autogradeapp  # noqa: F401  imported once, inherited by every fork

    with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
        child = multiprocessing.get_context("fork").Process(
            target=_autograde_in_child, args=(str(root), assignment_id, student, memory_mb, log.name))
        child.start()
        child.join(timeout)
        if child.is_alive():
            _kill_tree(child.pid)
            child.join()
            return None, log.read()
        return child.exitcode, log.read()


def _kill_tree(pid):
    """Kill a grading process and the kernel it started."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


def grade_one(root, assignment_id, student, *, timeout=900, memory_mb=4096):
    folder = Path(root) / "submitted" / student / assignment_id
    reason = malformed_reason(folder, assignment_id)
    if reason:
        return Outcome(student, "malformed", message=reason)
    status, log = _autograde(Path(root).resolve(), assignment_id, student, timeout, memory_mb)
    if status is None:
        return Outcome(student, "timeout", message=f"autograde took longer than {timeout} s")
    if status != 0:
        return Outcome(student, "crashed", message=_last_error(log))
    return Outcome(student, "ok")


def feedback(root, assignment_id, outcomes, *, timeout=900, memory_mb=4096):
    """HTML feedback for every graded student: one nbgrader call, per student if that fails."""
    graded = [o for o in outcomes if o.status == "ok"]
    if not graded:
        return
    skip = ",".join(o.student for o in outcomes if o.status != "ok")
    result = _nbgrader(root, ["generate_feedback", assignment_id, "--force",
                              f"--CourseDirectory.student_id_exclude={skip}"], timeout, memory_mb)
    if result.returncode == 0:
        return
    for o in graded:
        one = _nbgrader(root, ["generate_feedback", assignment_id, "--student", o.student, "--force"],
                        timeout, memory_mb)
        if one.returncode != 0:
            o.message = f"feedback failed: {_last_error(one.stderr)}"


def fill_scores(root, assignment_id, outcomes):
    """Scores from the gradebook for graded submissions; 0 for the others."""
    from nbgrader.api import Gradebook

    scores = course.scores(root, assignment_id)
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gradebook:
        max_score = gradebook.find_assignment(assignment_id).max_score
    for outcome in outcomes:
        outcome.max_score = max_score
        if outcome.status == "ok":
            outcome.score = scores.get(outcome.student, (0.0, max_score))[0]
    return outcomes


def export_csv(root, assignment_id, outcomes):
    target = Path(root) / "grades" / f"{assignment_id}.csv"
    target.parent.mkdir(exist_ok=True)
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", "status", "message"])
        for o in outcomes:
            writer.writerow([o.student, o.score, o.max_score, o.status, o.message])
    return target


def grade_class(root, assignment_id, *, timeout=900, memory_mb=4096, progress=True):
    """Autograde, generate feedback and export grades for every submission; returns outcomes."""
    root = Path(root)
    course.check_assignment(root, assignment_id)
    who = students(root, assignment_id)
    if not who:
        raise ValueError(f"no submissions of {assignment_id} under {root / 'submitted'}/<student>/")
    register_assignment(root, assignment_id)
    outcomes = [grade_one(root, assignment_id, s, timeout=timeout, memory_mb=memory_mb)
                for s in tqdm(who, desc=f"grading {assignment_id}", disable=not progress)]
    feedback(root, assignment_id, outcomes, timeout=timeout, memory_mb=memory_mb)
    fill_scores(root, assignment_id, outcomes)
    return outcomes, export_csv(root, assignment_id, outcomes)


def report(outcomes):
    width = max(len(o.student) for o in outcomes)
    lines = [f"{'student':<{width}}  score      status     message"]
    for o in outcomes:
        lines.append(f"{o.student:<{width}}  {o.score:>4g}/{o.max_score:<4g}  {o.status:<9}  {o.message}")
    return "\n".join(lines)


def as_json(outcomes):
    return json.dumps({o.student: o.__dict__ for o in outcomes}, indent=1)
