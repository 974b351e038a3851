"""Grading at class scale: a synthetic class with known scores, graded one at a time, two at a
time and on a Dask LocalCluster of two worker processes; the results agree with each other and
with what each student earned; the class report says what happened."""

import importlib.util
import json
import subprocess
import sys

import pytest

from coursekit.grading import class_grade, class_report, sandbox, synthetic

from axe_check import coursekit_violations, serious_violations
from conftest import ROOT

AID = synthetic.ASSIGNMENT
SEED = 20261130
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here"),
]


def _grade(root, **options):
    outcomes, _ = class_grade.grade_class(root, AID, timeout=300, audit_seed=SEED, progress=False, **options)
    return {o.student: (o.status, o.score, o.audit_score, o.final_score, o.flags) for o in outcomes}, outcomes


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = synthetic.make_course(ROOT, tmp_path_factory.mktemp("class"))
    expected = synthetic.make_class(root, 8, seed=3, crash_rate=0.15)
    one, outcomes = _grade(root, jobs=1)
    two, _ = _grade(root, jobs=2)
    return root, expected, one, two, {o.student: o for o in outcomes}


def test_the_synthetic_class_has_every_kind_of_student(graded):
    _, expected, _, _, _ = graded
    statuses = {e.status for e in expected.values()}
    assert statuses == {"ok", "crashed"}
    assert any(e.conventions for e in expected.values())
    assert len({e.score for e in expected.values()}) >= 2


def test_every_student_gets_what_they_earned(graded):
    _, expected, one, _, outcomes = graded
    for student, e in expected.items():
        status, score, audit_score, final, _ = one[student]
        assert (status, score, audit_score, final) == (e.status, e.score, e.audit_score, e.final_score), student
        named = {name: r.convention for name, r in outcomes[student].exercises.items() if r.convention}
        assert named == e.conventions, student


def test_two_at_a_time_gives_the_same_grades(graded):
    _, _, one, two, _ = graded
    assert two == one


def test_a_dask_local_cluster_gives_the_same_grades(graded):
    distributed = pytest.importorskip("distributed")
    root, _, one, _, _ = graded
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask, _ = _grade(root, dask=cluster.scheduler_address)
    assert on_dask == one


def test_jobs_and_student_names_are_checked(graded):
    root, _, _, _, _ = graded
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        class_grade.grade_class(root, AID, jobs=-1, progress=False)
    with pytest.raises(ValueError, match="no submission of 99_mini from nobody"):
        class_grade.grade_class(root, AID, only=["nobody"], progress=False)


def test_the_class_report_shows_scores_exercises_reviews_and_times(graded, tmp_path):
    root, expected, _, _, _ = graded
    path, data = class_report.write(root, AID, output=tmp_path / "report.html")
    page = path.read_text()
    assert page.count("data:image/png;base64,") == 3 and "http" not in page.replace("http-equiv", "")
    assert data["students"] == len(expected)
    ce = data["exercises"]["layers.softmax_cross_entropy"]
    right = sum(e.answers["softmax_cross_entropy"] in ("right",) for e in expected.values())
    assert ce["hidden_pass_rate"] == pytest.approx(right / len(expected))
    named = sum(bool(e.conventions.get("layers.softmax_cross_entropy")) for e in expected.values())
    assert sum(k for _, k in ce["conventions"]) == named
    crashed = {s for s, e in expected.items() if e.status == "crashed"}
    assert crashed <= set(data["review"]) and "crashed" in page
    cli = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--root", str(root), "report", AID, "--json"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and json.loads(cli.stdout)["students"] == len(expected)


def test_report_errors_name_the_problem(tmp_path):
    from coursekit import course

    root = course.copy_course(ROOT, tmp_path)
    for args, message in (
        (["report", "00_backprop"], "has not been graded yet"),
        (["report", "99_nope"], "unknown assignment"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "coursekit.cli", "--root", str(root), *args], capture_output=True, text=True
        )
        assert result.returncode == 2 and message in result.stderr, result.stderr


def test_without_a_sandbox_grade_refuses_and_no_sandbox_is_recorded(graded, monkeypatch):
    import os

    root, expected, _, _, _ = graded
    monkeypatch.setenv("COURSEKIT_BWRAP", "/nonexistent/bwrap")
    sandbox.unavailable_reason.cache_clear()
    try:
        refused = subprocess.run(
            [sys.executable, "-m", "coursekit.cli", "--root", str(root), "grade", AID],
            capture_output=True,
            text=True,
            env=os.environ,
        )
        assert refused.returncode == 2
        assert "no bubblewrap (bwrap) executable was found" in refused.stderr and "--no-sandbox" in refused.stderr
        student = next(s for s, e in sorted(expected.items()) if e.status == "ok")
        outcomes, csv_path = class_grade.grade_class(
            root, AID, only=[student], sandboxed=False, timeout=300, audit_seed=SEED, progress=False
        )
    finally:
        sandbox.unavailable_reason.cache_clear()
    (outcome,) = outcomes
    got, want = (outcome.score, outcome.audit_score), (expected[student].score, expected[student].audit_score)
    assert got == want, (outcome.flags, outcome.failures, outcome.exercises)  # (seen once under load: 0 audit)
    assert any(flag.startswith("no-sandbox") for flag in outcome.flags)
    row = next(r for r in csv_path.read_text().splitlines() if r.startswith(student + ","))
    assert "no-sandbox" in row


@pytest.mark.browser
def test_the_class_report_renders_in_chromium_with_its_figures(graded, tmp_path):
    """Opened from disk in headless Chromium with the network off, every figure is drawn; axe-core
    finds no serious or critical violation in it nor in a student's feedback page.
    COURSEKIT_REPORT_SCREENSHOT=path keeps the page (the README's picture)."""
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    import os

    root, expected, _, _, _ = graded
    path, _ = class_report.write(root, AID, output=tmp_path / "report.html")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900}, offline=True)
        page.goto(path.as_uri())
        drawn = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.id, i.complete && i.naturalWidth])")
        assert sorted(i for i, _ in drawn) == ["exercises", "scores", "seconds"]
        assert all(width > 100 for _, width in drawn), drawn
        assert page.locator("table").count() >= 1 and f"{len(expected)} students" in page.inner_text("body")
        page.screenshot(
            path=str(os.environ.get("COURSEKIT_REPORT_SCREENSHOT") or tmp_path / "report.png"), full_page=True
        )
        if importlib.util.find_spec("axe_playwright_python"):  # the dev extra brings it
            feedback = sorted((root / "feedback").glob(f"*/{AID}/*.html"))
            assert feedback, "no feedback page was written"
            for page_path in (path, feedback[0]):
                page.goto(page_path.as_uri())
                assert not coursekit_violations(serious_violations(page, own=None)), page_path
        browser.close()
