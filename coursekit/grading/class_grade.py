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
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from coursekit import course, term
from coursekit.grading import gradebook, report, sandbox, submission, untrusted, watchdog
from coursekit.grading.audit import integrity
from coursekit.grading.errors import GraderError
from coursekit.grading.secret import course_secret, submission_key

MAX_NOTEBOOK_BYTES = 50 * 2**20


@dataclass
class Outcome:
    """One student's grade: the CSV's columns first, then what the report uses."""

    student: str
    status: str  # ok, malformed, crashed, timeout, memory, processes, threads, disk, grader-error
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""
    audit_score: float = 0.0
    final_score: float = 0.0
    flags: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    exercises: dict = field(default_factory=dict)
    gradebook_audit: dict = field(default_factory=dict)  # manual scores the audit wrote
    sha256: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0


def students(root, assignment_id):
    """Student ids with a submission of ``assignment_id`` under submitted/."""
    base = Path(root) / "submitted"
    return sorted(p.parent.name for p in base.glob(f"*/{assignment_id}") if p.is_dir())


def read_submission(root, folder, assignment_id):
    """(notebook bytes, None), or (None, why it cannot be graded): the notebook is read once,
    as untrusted input (see :mod:`coursekit.grading.untrusted`)."""
    import nbformat

    expected = folder / course.notebook_name(assignment_id)
    try:
        untrusted.check_folder(folder, Path(root) / "submitted")
        if not expected.exists() and not expected.is_symlink():
            found = ", ".join(sorted(p.name for p in folder.iterdir())[:20]) or "nothing"
            return None, f"no {expected.name} in the submission (found: {found})"
        data = untrusted.read_regular(expected, MAX_NOTEBOOK_BYTES)
    except untrusted.Refused as err:
        return None, str(err)
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
    except Exception as err:  # any parse or schema error makes it malformed
        return None, f"{expected.name} is not a valid notebook: {str(err).splitlines()[0][:200]}"
    return data, None


def collect(root, assignment_id, who):
    """(submissions to grade, outcomes of the malformed ones); each notebook is read once."""
    secret = course_secret(root)
    todo, done = [], []
    for student in who:
        folder = Path(root) / "submitted" / student / assignment_id
        data, reason = read_submission(root, folder, assignment_id)
        if reason:
            done.append(Outcome(student, "malformed", message=reason))
            continue
        todo.append(
            submission.Submission(
                student, data, submission_key(secret, assignment_id, student), untrusted.timestamp(folder)
            )
        )
    return todo, done


def prepare(root, assignment_id, *, limits, audit_limits, sandboxed, audit_seed=None):
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


def cell_timeout(root, default=120):
    """nbgrader's cell timeout in the course's configuration (the audit uses the same)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(course.ROOT_MARKER, path=str(root)).load_config()
    value = config.Execute.get("timeout", default) if "Execute" in config else default
    return int(value) if value and value > 0 else default


def _stage(progress, text):
    """Say at once what a long step is doing (before the progress bar can move)."""
    if progress:
        print(f"{text}…", file=sys.stderr, flush=True)


def run_local(assignment, todo, jobs, progress=True, audit_only=False):
    """Grade the units ``jobs`` at a time in watched children; yields results as they end."""
    import nbgrader.apps.autogradeapp  # noqa: F401  imported once, inherited by every unit

    from coursekit.grading.audit.sandboxed import coursekit_view

    coursekit_view(submission.audit_plan(assignment).hidden)  # made here, once, before any fork
    pending, running = list(todo), []
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


def _record(root, assignment, outcome, graded, audit, previous):
    """Autograde's scores and then the audit's verdict into the gradebook."""
    from coursekit.grading.verdict import audit_verdict

    aid, student = assignment.assignment_id, outcome.student
    outcome.score = float(sum(g["auto_score"] or 0.0 for g in graded["grades"]))
    gradebook.merge(root, aid, student, graded, ours=previous.get("gradebook_audit"))
    verdict, comments = audit_verdict(submission.audit_plan(assignment), graded, audit)
    notebook = Path(assignment.notebook_name).stem
    outcome.gradebook_audit = gradebook.record_audit(root, aid, student, notebook, verdict, comments)


def apply(root, assignment, outcome, result, audit_only=False, previous=None):
    """Fill ``outcome`` from a unit's result; write its grades and graded notebook.

    Args:
        previous: the student's details as the last grading recorded them (grades/<id>.json).
    """
    import base64

    part, outer = result.get("nbgrader"), result.get("watched", {})
    failed = result.get("grader_error") or (part or {}).get("status") == submission.GRADER_ERROR
    if failed:  # no student code ran: nothing about this student is written
        outcome.status = submission.GRADER_ERROR
        outcome.message = report.clean(result.get("grader_error") or part.get("message", ""))
        return outcome
    if audit_only:
        part = {
            "status": "ok" if outer.get("status") in (None, "ok") else outer["status"],
            "message": outer.get("message", ""),
        }
    elif part is None:  # the unit itself was killed or died before autograde ended
        status = outer.get("status") if outer.get("status") not in (None, "ok") else "crashed"
        part = {"status": status, "message": outer.get("message") or "the grading unit died"}
    outcome.status, outcome.message = part["status"], part.get("message", "")
    outcome.seconds, outcome.peak_mb = outer.get("seconds", 0.0), part.get("peak_mb", 0.0)
    if outcome.status == "ok" and not audit_only:
        _record(root, assignment, outcome, part["graded"], result.get("audit"), previous or {})
        target = Path(root) / "autograded" / outcome.student / assignment.assignment_id
        target.mkdir(parents=True, exist_ok=True)
        (target / assignment.notebook_name).write_bytes(base64.b64decode(part["autograded"]))
        untrusted.copy_allowed(Path(root) / "submitted" / outcome.student / assignment.assignment_id, target)
    if (part or {}).get("output_cut"):
        outcome.flags.append(
            f"output: {len(part['output_cut'])} cell(s) printed past the cap, cut in the "
            f"graded notebook ({part['output_cut'][0]})"
        )
    audit = result.get("audit")
    if audit is None:
        outcome.flags.append(f"audit-missing: the audit did not finish ({outer.get('message') or 'it died'})")
    else:
        outcome.audit_score = audit["audit_score"]
        outcome.flags += audit["flags"]
        outcome.failures, outcome.exercises = audit["failures"], audit.get("exercises", {})
    outcome.message = report.clean(outcome.message)
    outcome.flags = [report.clean(f, 300) for f in outcome.flags]
    outcome.failures = [report.clean(f, 600) for f in outcome.failures]
    for result in outcome.exercises.values():
        result["failure"] = result["failure"] and report.clean(result["failure"], 600)
    return outcome


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
    root,
    assignment_id,
    *,
    jobs=None,
    dask=None,
    timeout=900,
    memory_mb=4096,
    audit_timeout=300,
    audit_memory_mb=3072,
    sandboxed=True,
    audit_seed=None,
    progress=True,
    only=None,
):
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
        outcome = Outcome(result["student"], "ok", sha256=hashes[result["student"]])
        outcomes.append(apply(root, assignment, outcome, result, previous=previous.get(result["student"])))
    outcomes.sort(key=lambda o: o.student)
    failed = [o for o in outcomes if o.status == submission.GRADER_ERROR]
    written = [o for o in outcomes if o.status != submission.GRADER_ERROR]
    report.fill_scores(root, assignment_id, written, sandboxed=sandboxed)
    term.record_penalties(root, assignment_id, written, Path(assignment.notebook_name).stem)
    report.feedback(root, assignment_id, written, everyone=not only and not failed)
    csv_path = report.export(root, assignment_id, written, assignment, sandboxed=sandboxed)
    term.after_grading(root, assignment_id, before, [o.student for o in written])
    if failed:
        raise GraderError(grader_failure_message(failed), outcomes, csv_path)
    return outcomes, csv_path


def grader_failure_message(failed):
    """One sentence for the run: who could not be graded, and the first cause."""
    names = ", ".join(o.student for o in failed[:10]) + (" …" if len(failed) > 10 else "")
    return (
        f"the grader failed for {len(failed)} student(s) before their code ran ({names}): "
        f"{failed[0].message}. No score was written for them (their earlier grades are "
        f"kept); fix the cause and grade them again with --student."
    )


def audit_class(
    root, assignment_id, *, jobs=None, timeout=300, memory_mb=3072, sandboxed=True, audit_seed=None, progress=True
):
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
        outcome = Outcome(result["student"], "ok")
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
