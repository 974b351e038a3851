"""The coursekit command: every subcommand has --help, clear errors, and does its job."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from coursekit import course

from conftest import ROOT

SUBCOMMANDS = ("build", "release", "check", "grade", "audit", "report", "lab", "export", "similarity", "validate")


def run(*args, cwd=ROOT, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "coursekit.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub):
    result = run(sub, "--help")
    assert result.returncode == 0 and "usage: coursekit" in result.stdout


def test_unknown_assignment_and_missing_root(tmp_path):
    for sub in ("release", "grade", "audit"):
        bad = run(sub, "99_nope")
        assert bad.returncode == 2 and "unknown assignment '99_nope'" in bad.stderr, bad.stderr
    nowhere = run("build", cwd=tmp_path)
    assert nowhere.returncode == 2 and "no course root" in nowhere.stderr
    missing = run("check", str(tmp_path / "nope.ipynb"))
    assert missing.returncode == 2 and "no notebook at" in missing.stderr
    (tmp_path / "plain.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    plain = run("check", str(tmp_path / "plain.ipynb"))
    assert plain.returncode == 2 and "no graded test cells" in plain.stderr


def test_grade_and_audit_without_submissions_say_so(tmp_path):
    course.copy_course(ROOT, tmp_path)
    for sub in ("grade", "audit"):
        result = run(sub, "00_backprop", cwd=tmp_path)
        assert result.returncode == 2 and "no submissions of 00_backprop" in result.stderr, result.stderr


@pytest.mark.notebook
@pytest.mark.slow
def test_release_shows_progress_and_names_each_assignment(tmp_path):
    from coursekit.grading import synthetic

    root = synthetic.make_course(ROOT, tmp_path)
    result = run("release", synthetic.ASSIGNMENT, cwd=root)
    assert result.returncode == 0, result.stderr
    assert f"released notebooks/{synthetic.ASSIGNMENT}/" in result.stdout
    assert "releasing" in result.stderr and "1/1" in result.stderr  # the progress bar


def test_help_shows_defaults_and_no_markup():
    text = run("grade", "--help").stdout
    assert "(default: 4096)" in text and "(default: 900)" in text and "``" not in text
    assert "``" not in run("--help").stdout


def test_lab_opens_the_release_folder_and_passes_options_on():
    out = run("lab", "--dry-run").stdout
    assert "jupyter lab" in out and str(ROOT / "notebooks") in out
    for args in (
        ["lab", "--dry-run", "--no-browser", "--port", "8890"],
        ["lab", "--dry-run", "--", "--no-browser", "--port", "8890"],
    ):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        assert "--no-browser --port 8890" in result.stdout and " -- " not in result.stdout
    if os.geteuid() == 0:
        root_run = run("lab", "--dry-run")
        assert "--allow-root" in root_run.stdout and "as root" in root_run.stderr


@pytest.mark.notebook
@pytest.mark.slow
def test_check_passes_a_finished_notebook_and_fails_a_blank_one(tmp_path):
    name = course.notebook_name("00_backprop")
    solution = ROOT / "solutions" / "00_backprop" / name
    blank = tmp_path / name
    blank.write_text((ROOT / "notebooks" / "00_backprop" / name).read_text())
    good = run("check", str(solution))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "✓ layers.dense_forward" in good.stdout and "5 of 5 exercises pass" in good.stdout
    bad = run("check", str(blank))
    assert bad.returncode == 1
    assert "✗ layers.dense_forward" in bad.stdout and "not implemented yet" in bad.stdout
    assert "0 of 5 exercises pass" in bad.stdout


@pytest.mark.notebook
@pytest.mark.slow
def test_check_grades_an_edited_test_cell_as_released(tmp_path):
    from coursekit.grading.synthetic import finished_notebook

    course.copy_course(ROOT, tmp_path)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    work = tmp_path / "work"
    work.mkdir()
    path = work / course.notebook_name("00_backprop")
    nb = finished_notebook(ROOT, "00_backprop")
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "softmax":
            cell["source"] = (
                "def softmax(z):\n    e = np.exp(z - z.max(axis=0, keepdims=True))\n"
                "    return e / e.sum(axis=0, keepdims=True)\n"
            )
        if meta.get("grade_id") == "test_dense_forward":
            cell["source"] = 'print("skipped")'
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "dense_backward"]
    path.write_text(json.dumps(nb))
    result = run("check", str(path), cwd=work)
    assert result.returncode == 1
    assert "✓ layers.dense_forward" in result.stdout  # the grader grades the restored test, which passes
    assert (
        "you edited this test cell; the grader puts it back as released and grades that, and the "
        "restored test passes" in result.stdout
    )
    assert "✗ layers.dense_backward" in result.stdout
    assert "the answer cell 'dense_backward' is missing from your notebook (deleted?)" in result.stdout
    assert "Your answer matches a column-wise softmax" in result.stdout  # never cut off
    assert "running over TCP" not in result.stdout + result.stderr
