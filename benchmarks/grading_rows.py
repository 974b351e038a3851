"""Benchmark rows of grading: the sandbox's cost per submission, the audit per student, and a
class graded one at a time, two at a time and on a Dask LocalCluster.

Each timing is the wall time of the per-submission unit that ``coursekit grade`` runs (a
child forked from a parent that imported nbgrader once), so the rows compare like with like.
"""

import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _assignment(root, aid, sandboxed):
    from coursekit.grading import class_grade, watchdog

    return class_grade.prepare(
        root,
        aid,
        limits=watchdog.Limits(900, 4096),
        audit_limits=watchdog.Limits(300, 3072),
        sandboxed=sandboxed,
        audit_seed=1,
    )


def sandbox_overhead(quick=False):
    """nbgrader's run of one 00_backprop submission with and without the sandbox, and the
    audit of the same submission, medians of alternating runs."""
    import json

    from coursekit import course
    from coursekit.grading import audit, class_grade, submission
    from coursekit.grading.synthetic import finished_notebook

    aid, repeats = "00_backprop", 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        root = course.copy_course(ROOT, Path(tmp) / "course")
        course.generate(root, aid)
        folder = root / "submitted" / "student" / aid
        folder.mkdir(parents=True)
        (folder / course.notebook_name(aid)).write_text(json.dumps(finished_notebook(ROOT, aid)))
        work = class_grade.collect(root, aid, ["student"])[0][0]
        boxed, bare = _assignment(root, aid, True), _assignment(root, aid, False)
        import nbgrader.apps.autogradeapp  # noqa: F401  (warm, as coursekit grade is)

        times = {"sandboxed": [], "bare": [], "audit": []}
        plan = submission.audit_plan(boxed)
        for _ in range(repeats):
            for name, assignment in (("sandboxed", boxed), ("bare", bare)):
                result = submission.autograde_watched(assignment, work)
                assert result["status"] == "ok", result
                times[name].append(result["seconds"])
            start = time.perf_counter()
            audited = audit.audit_notebook(work.notebook, plan, student="student", seed=1)
            times["audit"].append(time.perf_counter() - start)
            assert audited.audit_score == audited.max_score, audited.failures
    sandboxed, unboxed, audited = (statistics.median(times[k]) for k in ("sandboxed", "bare", "audit"))
    return {
        "grading: sandboxed / unsandboxed nbgrader run": {
            "value": sandboxed / unboxed,
            "target": "<= 1.15",
            "detail": f"{aid}: {sandboxed:.1f} s in the sandbox, {unboxed:.1f} s without (median of {repeats})",
        },
        "grading: audit per student": {
            "value": audited,
            "target": "reported",
            "detail": f"seconds, {aid}, sandboxed, visible and fresh hidden cases; "
            f"{audited / sandboxed:.2f} of the nbgrader run",
        },
        "projection: 1,000 students of 00_backprop on 16 cores": {
            "value": 1000 * (sandboxed + audited) / 16 / 60,
            "target": "reported",
            "detail": f"minutes, from the measured cost per submission ({sandboxed + audited:.1f} s) and ideal scaling",
        },
    }


def _class(root, expected, **options):
    from coursekit.grading import class_grade, synthetic

    start = time.perf_counter()
    outcomes, _ = class_grade.grade_class(root, synthetic.ASSIGNMENT, audit_seed=7, progress=False, **options)
    seconds = time.perf_counter() - start
    wrong = [
        o.student
        for o in outcomes
        if (o.score, o.audit_score) != (expected[o.student].score, expected[o.student].audit_score)
    ]
    assert not wrong, f"grades differ from the expected ones for {wrong}"
    return seconds, max(o.peak_mb for o in outcomes), statistics.median(o.seconds for o in outcomes)


def class_scale(quick=False):
    """A synthetic class of 40 (8 with --quick) graded with --jobs 1, --jobs 2 and on a Dask
    LocalCluster of two single-threaded worker processes; and a projection to 1,000 students."""
    from coursekit.grading import synthetic

    n = 8 if quick else 40
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic.make_course(ROOT, Path(tmp) / "course")
        expected = synthetic.make_class(root, n, seed=1)
        one, peak, unit = _class(root, expected, jobs=1)
        two, peak2, _ = _class(root, expected, jobs=2)
        rows["class of synthetic 99_mini: students per minute, --jobs 1"] = {
            "value": n / one * 60,
            "target": "reported",
            "detail": f"{n} students in {one:.0f} s; median unit {unit:.1f} s; peak per unit {peak:.0f} MB",
        }
        rows["class: --jobs 2 speed-up over --jobs 1"] = {
            "value": one / two,
            "target": ">= 1.7",
            "detail": f"{n / two * 60:.1f} students per minute; peak per unit {peak2:.0f} MB",
        }
        try:
            from distributed import LocalCluster
        except ImportError:
            rows["class: Dask LocalCluster"] = {"value": None, "target": "reported", "detail": "dask not installed"}
            return rows
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            dask, _, _ = _class(root, expected, dask=cluster.scheduler_address)
        rows["class: Dask LocalCluster (2 workers), students per minute"] = {
            "value": n / dask * 60,
            "target": "reported",
            "detail": f"{n} students in {dask:.0f} s",
        }
        rows["projection: 1,000 students of 99_mini on 16 cores"] = {
            "value": 1000 * unit / 16 / 60,
            "target": "reported",
            "detail": f"minutes, from the median unit ({unit:.1f} s) and ideal scaling",
        }
    return rows


GROUPS = {"grading": sandbox_overhead, "class_scale": class_scale}
