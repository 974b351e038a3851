"""Grading's typed vocabulary (:mod:`coursekit.grading.outcomes`), its one module of words
that several parts read (:mod:`coursekit.grading.wording`) and its one module of defaults
(:mod:`coursekit.grading.defaults`)."""

import ast
import json

import nbformat
import numpy as np
import pytest

from coursekit import cli
from coursekit.grading import check, cluster, defaults, markers, selfcheck, submission, watchdog, wording
from coursekit.grading.class_grade import cell_timeout
from coursekit.grading.exercise_tools import forward_first_message
from coursekit.grading.outcomes import (
    AuditResult,
    AutogradeResult,
    ExerciseResult,
    Outcome,
    Status,
    UnitResult,
    Watched,
)
from coursekit.grading.record import apply

from conftest import ROOT

FULL = UnitResult(
    "ada",
    AutogradeResult(Status.OK, "", 1.5, 80.0, {"grades": [{"name": "t1", "auto_score": 2.0}]}, "bm90ZWJvb2s=", ("c1",)),
    AuditResult(
        1.0,
        2.0,
        ["scan: x"],
        ["layers.softmax visible case 1: …"],
        {"layers.softmax": ExerciseResult(True, False, "a convention", "why")},
        {"t1": 1.0},
    ),
    "",
    Watched(Status.OK, 0, 120.0, 3.25, ""),
)


def test_a_unit_result_survives_its_one_serialisation():
    text = FULL.to_json()
    assert UnitResult.from_json(text) == FULL
    assert json.loads(text)["watched"]["status"] == "ok"  # plain JSON: a status is its word


def test_a_result_written_before_autograde_ended_reads_as_it_stands():
    assert UnitResult.from_json('{"student": "ada"}') == UnitResult("ada")


def test_a_worker_that_refuses_says_grader_error_in_the_same_form():
    work = submission.Submission("ada", b"{}", "key")
    result = UnitResult.from_json(cluster._refused(work, "no sandbox on this worker"))
    assert (result.student, result.grader_error, result.nbgrader.status) == (
        "ada",
        "no sandbox on this worker",
        Status.GRADER_ERROR,
    )


@pytest.mark.parametrize("status", list(Status))
def test_every_status_is_written_as_its_word(status):
    record = Outcome("ada", status).to_record()
    assert json.loads(json.dumps(record))["status"] == status.value == f"{status}"
    assert Status(status.value) is status


def test_a_unit_killed_for_memory_is_recorded_as_memory_with_the_audit_missing():
    killed = UnitResult("ada", watched=Watched(Status.MEMORY, -9, 5000.0, 10.0, "used 5000 MB of memory"))
    outcome = apply(ROOT, None, Outcome("ada", Status.OK), killed)
    assert outcome.status == Status.MEMORY and outcome.message == "used 5000 MB of memory"
    assert outcome.flags == ["audit-missing: the audit did not finish (used 5000 MB of memory)"]


def test_a_unit_that_died_silently_is_crashed():
    outcome = apply(ROOT, None, Outcome("ada", Status.OK), UnitResult("ada", watched=Watched(Status.OK, 1)))
    assert (outcome.status, outcome.message) == (Status.CRASHED, "the grading unit died")


def test_a_grader_error_writes_nothing_and_keeps_its_message():
    failed = UnitResult("ada", AutogradeResult(Status.GRADER_ERROR, "no bubblewrap"), watched=Watched(Status.OK, 0))
    outcome = apply(ROOT, None, Outcome("ada", Status.OK), failed)
    assert (outcome.status, outcome.message, outcome.flags) == (Status.GRADER_ERROR, "no bubblewrap", [])


def test_an_audit_alone_takes_the_audits_score_failures_and_exercises():
    audited = UnitResult("ada", audit=FULL.audit, watched=Watched(Status.OK, 0, seconds=2.0))
    outcome = apply(ROOT, None, Outcome("ada", Status.OK), audited, audit_only=True)
    assert (outcome.status, outcome.audit_score, outcome.seconds) == (Status.OK, 1.0, 2.0)
    assert outcome.flags == ["scan: x"] and outcome.failures == list(FULL.audit.failures)
    assert outcome.exercises["layers.softmax"].failure == "why"


# -- one module of words ---------------------------------------------------------------------


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _test_cell(printed):
    cell = nbformat.v4.new_code_cell('check("layers.softmax", softmax)')
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return cell


@pytest.mark.parametrize("mark", [wording.PASSED, "PASS"])
def test_check_and_the_nbgrader_markers_read_one_word(mark, monkeypatch, capsys):
    monkeypatch.setattr(wording, "PASSED", mark)
    check("layers.softmax", _softmax)
    printed = capsys.readouterr().out
    assert printed.startswith(f"{mark} layers.softmax:")
    assert markers.missing_markers(_test_cell(printed)) == []
    assert markers.missing_markers(_test_cell(printed.replace(mark, "?"))) == ["layers.softmax"]


@pytest.mark.parametrize("mark", [wording.FAILED, "FAIL"])
def test_coursekit_check_shows_a_failure_from_its_header(mark, monkeypatch):
    monkeypatch.setattr(wording, "FAILED", mark)
    text = "\n".join(
        [
            wording.failed_header("layers.softmax, visible case 1 of 3"),
            "  probabilities differs from the reference",
            wording.convention_line("softmax over columns", "It normalises each column."),
        ]
    )
    assert selfcheck.feedback_lines("Traceback (most recent call last):\n  noise\n" + text) == text


def test_the_forward_first_message_is_recognised_by_its_words():
    message = forward_first_message(("f", "b"), "f", "layers.dense_forward", "differs")
    assert wording.says_forward_first(message) and not wording.says_forward_first("differs from the reference")


def test_audit_keys_name_their_case_and_output():
    arrays = {
        wording.output_key(0, 1, "out"): 1,
        wording.output_key(0, 10, "out"): 2,
        wording.output_key(1, 1, "dx"): 3,
    }
    assert wording.outputs_under(arrays, wording.case_key(0, 1)) == {"out": 1}


# -- one module of defaults ------------------------------------------------------------------


def test_the_cli_offers_the_defaults():
    parsed = cli.parser().parse_args(["grade", "00_backprop"])
    assert (parsed.timeout, parsed.memory_mb, parsed.audit_timeout, parsed.audit_memory_mb) == (
        defaults.GRADE_TIMEOUT,
        defaults.GRADE_MEMORY_MB,
        defaults.AUDIT_TIMEOUT,
        defaults.AUDIT_MEMORY_MB,
    )
    audit = cli.parser().parse_args(["audit", "00_backprop"])
    assert (audit.timeout, audit.memory_mb) == (defaults.AUDIT_TIMEOUT, defaults.AUDIT_MEMORY_MB)
    assert cli.parser().parse_args(["check", "x.ipynb"]).timeout == defaults.CELL_TIMEOUT


def test_the_course_configuration_and_the_code_use_the_defaults():
    assert cell_timeout(ROOT) == defaults.CELL_TIMEOUT  # read from nbgrader_config.py
    assert (watchdog.Limits().timeout, watchdog.Limits().memory_mb) == (
        defaults.GRADE_TIMEOUT,
        defaults.GRADE_MEMORY_MB,
    )
    limits = submission.Assignment("a", "a.ipynb", "", b"", {}, {}, 0).audit_limits
    assert (limits.timeout, limits.memory_mb) == (defaults.AUDIT_TIMEOUT, defaults.AUDIT_MEMORY_MB)


DEFAULT_VALUES = {
    defaults.GRADE_TIMEOUT,
    defaults.GRADE_MEMORY_MB,
    defaults.AUDIT_TIMEOUT,
    defaults.AUDIT_MEMORY_MB,
    defaults.CELL_TIMEOUT,
}


def literal_defaults(source):
    """(line, value) of every default argument or ``default=`` keyword that is one of the
    grading defaults written as a number."""
    found = []
    for node in ast.walk(ast.parse(source)):
        values = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            values = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        elif isinstance(node, ast.Call):
            values = [k.value for k in node.keywords if k.arg == "default"]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            values = [node.value]
        found += [(v.lineno, v.value) for v in values if isinstance(v, ast.Constant) and v.value in DEFAULT_VALUES]
    return found


def test_no_grading_module_writes_a_default_limit_again():
    sources = [ROOT / "nbgrader_config.py", ROOT / "coursekit" / "cli.py"]
    sources += [p for p in (ROOT / "coursekit" / "grading").rglob("*.py") if p.name != "defaults.py"]
    found = {str(p.relative_to(ROOT)): hits for p in sources if (hits := literal_defaults(p.read_text()))}
    assert found == {}


def test_the_literal_scan_finds_a_default_written_again():
    assert literal_defaults("def grade(timeout=900):\n    pass\nparser.add_argument('--t', default=120)\n") == [
        (1, 900),
        (3, 120),
    ]
