"""``coursekit grade``: one command, one trustworthy grade for a whole class.

For every ``submitted/<student>/<assignment>/`` it reads the notebook once (and hashes it),
then grades each submission as one unit (:mod:`coursekit.grading.submission`): nbgrader's
autograde with the kernel in the sandbox, then the audit. Units run ``jobs`` at a time here,
or on a Dask cluster; either way only this process writes the gradebook, the graded
notebooks, the feedback and ``grades/<assignment>.csv``. A submission that is malformed,
kills its kernel, hangs or exhausts memory is recorded with its status, and the class goes
on. Re-running re-grades each student and changes nothing else in the gradebook.
"""

import hashlib
import json
import os
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm.auto import tqdm

from coursekit import course, term
from coursekit.grading import defaults, gradebook, report, sandbox, submission, watchdog
from coursekit.grading.audit import integrity
from coursekit.grading.errors import GraderError
from coursekit.grading.outcomes import Outcome, Status, UnitResult
from coursekit.grading.record import apply
from coursekit.grading.secret import course_secret
from coursekit.grading.submissions import MAX_NOTEBOOK_BYTES, collect, read_submission, students

__all__ = [  # also importable from here, as before
    "MAX_NOTEBOOK_BYTES",
    "Outcome",
    "apply",
    "audit_class",
    "cell_timeout",
    "collect",
    "course_secret",
    "grade_class",
    "grader_failure_message",
    "prepare",
    "read_submission",
    "run_local",
    "students",
]


def prepare(
    root: str | Path,
    assignment_id: str,
    *,
    limits: watchdog.Limits,
    audit_limits: watchdog.Limits,
    sandboxed: bool,
    audit_seed: int | None = None,
) -> submission.Assignment:
    """Register the assignment and build what every unit needs."""
    root = Path(root)
    name = course.notebook_name(assignment_id)
    gradebook.register(root, assignment_id)
    return submission.Assignment(
        assignment_id=assignment_id,
        notebook_name=name,
        config_text=(root / course.ROOT_MARKER).read_text(),
        gradebook=gradebook.template(root),
        solution_nb=json.loads((root / "solutions" / assignment_id / name).read_text()),
        release_nb=json.loads((root / "notebooks" / assignment_id / name).read_text()),
        audit_seed=secrets.randbits(63) if audit_seed is None else int(audit_seed),
        limits=limits,
        audit_limits=audit_limits,
        sandboxed=sandboxed,
        manifest=integrity.manifest(),
        cell_seconds=cell_timeout(root),
    )


def cell_timeout(root: str | Path, default: int = defaults.CELL_TIMEOUT) -> int:
    """nbgrader's cell timeout in the course's configuration (the audit uses the same)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(course.ROOT_MARKER, path=str(root)).load_config()
    value = config.Execute.get("timeout", default) if "Execute" in config else default
    return int(value) if value and value > 0 else default


def _stage(progress, text):
    """Say at once what a long step is doing (before the progress bar can move)."""
    if progress:
        print(f"{text}…", file=sys.stderr, flush=True)


def run_local(
    assignment: submission.Assignment,
    todo: list[submission.Submission],
    jobs: int,
    progress: bool = True,
    audit_only: bool = False,
) -> Iterator[UnitResult]:
    """Grade the units ``jobs`` at a time in watched children; yields results as they end."""
    import nbgrader.apps.autogradeapp  # noqa: F401  imported once, inherited by every unit

    from coursekit.grading.audit.sandboxed import coursekit_view

    coursekit_view(submission.audit_plan(assignment).hidden)  # made here, once, before any fork
    pending, running = list(todo), list[submission.Running]()
    verb = "auditing" if audit_only else "grading"
    with tqdm(
        total=len(todo), desc=f"{verb} {assignment.assignment_id}", disable=not progress, mininterval=0, miniters=1
    ) as bar:
        while pending or running:
            while pending and len(running) < jobs:
                running.append(submission.start(assignment, pending.pop(0), audit_only))
            for unit in list(running):
                result = unit.poll()
                if result is not None:
                    running.remove(unit)
                    bar.update()
                    yield result
            time.sleep(0.05)


def _begin(root, assignment_id, *, only, jobs, sandboxed):
    """Checks before any grading: the assignment, its students, jobs, the sandbox and
    coursekit's integrity; returns (root, students, jobs)."""
    root = Path(root)
    course.check_assignment(root, assignment_id)
    who = students(root, assignment_id)
    if not who:
        raise ValueError(f"no submissions of {assignment_id} under {root / 'submitted'}/<student>/")
    if only:
        unknown = sorted(set(only) - set(who))
        if unknown:
            raise ValueError(f"no submission of {assignment_id} from {', '.join(unknown)}")
        who = sorted(set(only))
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if sandboxed:
        sandbox.require()
    integrity.verify(root)
    return root, who, jobs


def grade_class(
    root: str | Path,
    assignment_id: str,
    *,
    jobs: int | None = None,
    dask: str | None = None,
    timeout: float = defaults.GRADE_TIMEOUT,
    memory_mb: int = defaults.GRADE_MEMORY_MB,
    audit_timeout: float = defaults.AUDIT_TIMEOUT,
    audit_memory_mb: int = defaults.AUDIT_MEMORY_MB,
    sandboxed: bool = True,
    audit_seed: int | None = None,
    progress: bool = True,
    only: Iterable[str] | None = None,
) -> tuple[list[Outcome], Path]:
    """Grade, audit, give feedback to and export every submission (or the students ``only``
    names); returns (outcomes, csv path). The CSV keeps the other students' last grades."""
    _stage(progress, f"grade {assignment_id}: checking the sandbox and coursekit's files")
    root, who, jobs = _begin(root, assignment_id, only=only, jobs=jobs, sandboxed=sandboxed)
    before = term.before_grading(root, assignment_id)  # late work and the re-grade diff: coursekit.term
    todo, outcomes = collect(root, assignment_id, who)
    _stage(
        progress,
        f"grade {assignment_id}: registering the assignment; {len(todo)} submission(s) to grade, {jobs} at a time",
    )
    assignment = prepare(
        root,
        assignment_id,
        sandboxed=sandboxed,
        audit_seed=audit_seed,
        limits=watchdog.Limits(timeout=timeout, memory_mb=memory_mb),
        audit_limits=watchdog.Limits(timeout=audit_timeout, memory_mb=audit_memory_mb),
    )
    hashes = {s.student: hashlib.sha256(s.notebook).hexdigest() for s in todo}
    if dask:
        from coursekit.grading import cluster

        results = cluster.run_dask(dask, assignment, todo, progress=progress)
    else:
        results = run_local(assignment, todo, jobs, progress=progress)
    previous = report.recorded(root, assignment_id)
    for result in results:
        outcome = Outcome(result.student, Status.OK, sha256=hashes[result.student])
        outcomes.append(apply(root, assignment, outcome, result, previous=previous.get(result.student)))
    outcomes.sort(key=lambda o: o.student)
    failed = [o for o in outcomes if o.status == Status.GRADER_ERROR]
    written = [o for o in outcomes if o.status != Status.GRADER_ERROR]
    report.fill_scores(root, assignment_id, written, sandboxed=sandboxed)
    term.record_penalties(root, assignment_id, written, Path(assignment.notebook_name).stem)
    report.feedback(root, assignment_id, written, everyone=not only and not failed)
    csv_path = report.export(root, assignment_id, written, assignment, sandboxed=sandboxed)
    term.after_grading(root, assignment_id, before, [o.student for o in written])
    if failed:
        raise GraderError(grader_failure_message(failed), outcomes, csv_path)
    return outcomes, csv_path


def grader_failure_message(failed: list[Outcome]) -> str:
    """One sentence for the run: who could not be graded, and the first cause."""
    names = ", ".join(o.student for o in failed[:10]) + (" …" if len(failed) > 10 else "")
    return (
        f"the grader failed for {len(failed)} student(s) before their code ran ({names}): "
        f"{failed[0].message}. No score was written for them (their earlier grades are "
        f"kept); fix the cause and grade them again with --student."
    )


def audit_class(
    root: str | Path,
    assignment_id: str,
    *,
    jobs: int | None = None,
    timeout: float = defaults.AUDIT_TIMEOUT,
    memory_mb: int = defaults.AUDIT_MEMORY_MB,
    sandboxed: bool = True,
    audit_seed: int | None = None,
    progress: bool = True,
) -> dict[str, Outcome]:
    """``coursekit audit``: the audit alone, for every submission; returns {student: Outcome}.

    nbgrader's scores come from the gradebook. A notebook that differs from the one graded
    (its hash in grades/<id>.json) is flagged.
    """
    root, who, jobs = _begin(root, assignment_id, only=None, jobs=jobs, sandboxed=sandboxed)
    todo, outcomes = collect(root, assignment_id, who)
    assignment = prepare(
        root,
        assignment_id,
        sandboxed=sandboxed,
        audit_seed=audit_seed,
        limits=watchdog.Limits(),
        audit_limits=watchdog.Limits(timeout=timeout, memory_mb=memory_mb),
    )
    graded = report.recorded(root, assignment_id)
    for result in run_local(assignment, todo, jobs, progress, audit_only=True):
        outcome = Outcome(result.student, Status.OK)
        outcomes.append(apply(root, assignment, outcome, result, audit_only=True))
    try:
        scores = gradebook.scores(root, assignment_id)
    except Exception:  # no gradebook yet: nothing was graded
        scores = {}
    hashes = {s.student: hashlib.sha256(s.notebook).hexdigest() for s in todo}
    for o in outcomes:
        o.max_score = sum(c.points for c in submission.audit_plan(assignment).test_cells)
        o.score = float((scores.get(o.student) or (0.0,))[0] or 0.0)
        if o.student not in scores:
            o.flags.append("not-autograded: no nbgrader score in the gradebook")
        before = graded.get(o.student, {}).get("sha256")
        if before and hashes.get(o.student) and before != hashes[o.student]:
            o.flags.append("changed-since-grading: the notebook differs from the one graded")
        o.final_score = min(o.score, o.audit_score)
    return {o.student: o for o in sorted(outcomes, key=lambda o: o.student)}
