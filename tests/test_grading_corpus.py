"""`coursekit grade` on one class of cheats, crashes, attacks on the grader and honest variants.

The class is graded once (sandboxed, two at a time) and audited again on its own. Grading
must complete; every cheat and attack must end with no undeserved final points and, where
nbgrader was fooled, a review; every honest variant gets full marks from both with no flag.
Attacks are checked on disk by hash and on the machine by process, not by what they report.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import sysconfig

import psutil
import pytest

from coursekit import course
from coursekit.grading import class_grade, gradebook, report, sandbox

import attack_corpus as attacks
import grading_corpus as corpus
from conftest import ROOT

AID = corpus.ASSIGNMENT
NAME = course.notebook_name(AID)
FULL = corpus.MAX_SCORE
VARIANTS = corpus.CHEATS + corpus.CRASHES + corpus.HONEST
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _tree(folder):
    return {str(p): _sha(p) for p in sorted(folder.rglob("*.py"))}


def _marked(marker):
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if marker in " ".join(proc.info["cmdline"] or []):
            found.append(proc.info["pid"])
    return found


def _write_class(root, ctx):
    solution_nb = json.loads((root / "solutions" / AID / NAME).read_text())
    release_nb = json.loads((root / "notebooks" / AID / NAME).read_text())
    for variant in VARIANTS:
        folder = root / "submitted" / variant.__name__ / AID
        folder.mkdir(parents=True)
        (folder / NAME).write_text(corpus.make(variant, solution_nb, release_nb))
    for attack in attacks.ATTACKS + attacks.HONEST:
        folder = root / "submitted" / attack.__name__ / AID
        folder.mkdir(parents=True)
        (folder / NAME).write_text(
            corpus.make(lambda nb, rel, attack=attack: attack(nb, rel, ctx), solution_nb, release_nb)
        )
    bad = root / "submitted" / "malformed" / AID
    bad.mkdir(parents=True)
    (bad / NAME).write_text("{ this is not json")
    wrong_name = root / "submitted" / "wrong_name" / AID
    wrong_name.mkdir(parents=True)
    (wrong_name / "my_homework.ipynb").write_text(json.dumps(solution_nb))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = course.copy_course(ROOT, tmp_path_factory.mktemp("class"))
    home = tmp_path_factory.mktemp("home")
    with (root / "nbgrader_config.py").open("a") as config:
        config.write("\nc.Execute.timeout = 30\n")
    (root / "solutions" / f"{AID}.py").write_text(corpus.SOURCE)
    course.build(root, AID)
    course.generate(root, AID)
    gradebook.register(root, AID)
    victim = root / "submitted" / "solution" / AID / NAME
    ctx = {
        "root": root,
        "home": home,
        "marker": f"coursekit-attack-{os.getpid()}",
        "site": sysconfig.get_paths()["purelib"],
        "package": sandbox.coursekit_dir(),
        "table": attacks.lookup(),
        "targets": [
            victim,
            root / "submitted" / "write_everywhere" / AID / NAME,
            root / "gradebook.db",
            root / course.ROOT_MARKER,
            root / "solutions" / AID / NAME,
        ],
    }
    _write_class(root, ctx)
    watched = [
        victim,
        root / "submitted" / "write_everywhere" / AID / NAME,
        root / course.ROOT_MARKER,
        root / "solutions" / AID / NAME,
    ]
    before = {**{str(p): _sha(p) for p in watched}, **_tree(ctx["package"])}
    saved_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # the grading user's home, where the attacks aim
    try:
        outcomes, csv_path = class_grade.grade_class(
            root, AID, jobs=2, timeout=300, memory_mb=1536, audit_memory_mb=1536, progress=False
        )
    finally:
        os.environ["HOME"] = saved_home
    survivors = _marked(ctx["marker"])
    after = {**{str(p): _sha(p) for p in watched}, **_tree(ctx["package"])}
    changed = root / "submitted" / "sys_exit" / AID / NAME  # a notebook changed after grading
    notebook = json.loads(changed.read_text())
    notebook["cells"].append({"cell_type": "markdown", "id": "added-later", "metadata": {}, "source": "edited"})
    changed.write_text(json.dumps(notebook))
    audit = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.cli",
            "--root",
            str(root),
            "audit",
            AID,
            "--json",
            "--timeout",
            "60",
            "--memory-mb",
            "1536",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert audit.returncode == 0, audit.stderr[-3000:]
    state = {"before": before, "after": after, "survivors": survivors, "ctx": ctx}
    return root, {o.student: o for o in outcomes}, csv_path, json.loads(audit.stdout), state


def test_grading_the_class_completes_and_records_failures(graded):
    root, outcomes, csv_path, _, _ = graded
    expected = {v.__name__ for v in VARIANTS + attacks.ATTACKS + attacks.HONEST}
    assert set(outcomes) == expected | {"malformed", "wrong_name"}
    assert outcomes["malformed"].status == "malformed"
    assert f"no {NAME}" in outcomes["wrong_name"].message
    assert outcomes["os_exit"].status == "crashed" and "kernel died" in outcomes["os_exit"].message
    for student in ("infinite_loop", "sys_exit"):
        assert outcomes[student].status == "ok", outcomes[student]
        assert 0 < outcomes[student].score < outcomes[student].max_score  # softmax lost, rest kept
    for student in ("memory_hog", "memory_in_children"):
        outcome = outcomes[student]
        assert outcome.status == "memory" and "MB of memory" in outcome.message, outcome
        assert outcome.final_score == 0
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "student,score,max_score,status,message,audit_score,final_score,flags,seconds_late,late_penalty"
    assert len(rows) == len(outcomes) + 1
    assert (root / "feedback" / "solution" / AID / NAME.replace(".ipynb", ".html")).exists()


@pytest.mark.parametrize("variant", corpus.HONEST + attacks.HONEST, ids=lambda v: v.__name__)
def test_honest_variants_get_full_marks_and_no_flag(graded, variant):
    _, outcomes, _, audit, _ = graded
    outcome = outcomes[variant.__name__]
    assert (outcome.status, outcome.score, outcome.audit_score, outcome.final_score) == ("ok", FULL, FULL, FULL)
    assert outcome.flags == [] and audit[variant.__name__]["flags"] == []
    assert audit[variant.__name__]["audit_score"] == FULL


EARNED = {
    "patch_np_testing": 0,
    "always_equal": 4,
    "blank_later_cells": 0,
    "ast_transformer": 0,
    "rebind_check": 0,
    "tampered_test_cells": 0,
    "calls_reference": 2,
    "pasted_reference": 4,
    "infinite_loop": 4,
    "sys_exit": 4,
    "os_exit": 4,
    "memory_hog": 4,
    **attacks.EARNED,
}


@pytest.mark.parametrize("student", sorted(EARNED))
def test_no_undeserved_final_points_and_review_where_nbgrader_was_fooled(graded, student):
    _, outcomes, _, audit, _ = graded
    outcome = outcomes[student]
    assert outcome.final_score <= EARNED[student] or outcome.flags, outcome  # pasted code is flagged
    assert set(audit[student]) == {"nbgrader_score", "audit_score", "max_score", "flags"}
    if outcome.score > EARNED[student]:
        assert report.needs_review(outcome), outcome


EXPECTED_FLAGS = {
    "patch_np_testing": "monkeypatch",
    "always_equal": "custom-comparison",
    "blank_later_cells": "ipython-hooks",
    "ast_transformer": "ipython-hooks",
    "rebind_check": "monkeypatch",
    "tampered_test_cells": "deleted-test-cell",
    "calls_reference": "calls-reference",
    "pasted_reference": "reference-copy",
    "os_exit": "process-control",
    "sys_exit": "process-control",
    "deep_expression": "scan-failed",
    "huge_cell": "too-large",
    "reference_renamed": "dynamic-code",
    "reference_in_thread": "calls-reference",
    "guard_switched_off": "guard-tampering",
    "spy_on_cases": "grader-internals",
    "thread_started_early": "threads",
    "forged_audit_result": "introspection",
}


@pytest.mark.parametrize(
    "student, kind", sorted(EXPECTED_FLAGS.items()) + [("tampered_test_cells", "edited-locked-cell")]
)
def test_tampering_is_flagged_by_kind(graded, student, kind):
    _, outcomes, _, audit, _ = graded
    assert any(flag.startswith(kind) for flag in outcomes[student].flags), outcomes[student]
    assert any(flag.startswith(kind) for flag in audit[student]["flags"]), audit[student]


def test_no_file_outside_the_submission_was_read(graded):
    _, outcomes, _, _, _ = graded
    # read_forbidden answers softmax correctly exactly when any forbidden read succeeded
    assert outcomes["read_forbidden"].score == 0 and outcomes["read_forbidden"].audit_score == 0


def test_no_file_outside_the_submission_was_written(graded):
    root, outcomes, _, _, state = graded
    assert state["after"] == state["before"]
    ctx = state["ctx"]
    assert not (ctx["home"] / ".ipython" / "profile_default" / "startup" / "00-owned.py").exists()
    assert not (ctx["package"] / "owned.py").exists()
    assert not os.path.exists(os.path.join(ctx["site"], "owned.pth"))
    planted = ctx["package"] / "grading" / "__pycache__" / "compare.cpython-311.pyc"
    assert not planted.exists() or planted.read_bytes() != b"x"
    with sqlite3.connect(root / "gradebook.db") as db:  # still a gradebook, with every grade
        assert db.execute("select count(*) from submitted_assignment").fetchone()[0] >= len(
            [o for o in outcomes.values() if o.status == "ok"]
        )
    assert outcomes["solution"].score == FULL  # the victim's grade stands


def test_no_process_outlives_grading(graded):
    _, outcomes, _, _, state = graded
    assert outcomes["detached_processes"].status == "ok"
    assert state["survivors"] == []


def test_predictable_cases_and_guard_escapes_score_like_the_blank(graded):
    _, outcomes, _, _, _ = graded
    for student in (
        "lookup_table",
        "reference_renamed",
        "reference_in_thread",
        "reference_from_registry",
        "torch_operator",
        "helper_implementation",
        "guard_switched_off",
        "builtin_equivalents",
    ):
        assert outcomes[student].audit_score == 0 == outcomes[student].final_score, outcomes[student]
    for student in (
        "lookup_table",
        "reference_in_thread",
        "reference_from_registry",
        "torch_operator",
        "guard_switched_off",
        "builtin_equivalents",
    ):
        assert outcomes[student].score == 0, outcomes[student]  # the in-notebook layer holds too
    assert report.needs_review(outcomes["helper_implementation"])
    assert outcomes["reference_renamed"].score == 2  # fools nbgrader's kernel, not the audit
    assert report.needs_review(outcomes["reference_renamed"])


def test_the_audit_flags_a_notebook_changed_since_grading(graded):
    _, outcomes, _, audit, _ = graded
    assert any(f.startswith("changed-since-grading") for f in audit["sys_exit"]["flags"])
    assert not any(f.startswith("changed-since-grading") for f in audit["solution"]["flags"])
    assert all(len(o.sha256) == 64 for o in outcomes.values() if o.status != "malformed")


def test_the_course_secret_stays_with_the_instructor(graded):
    root, _, _, _, _ = graded
    secret = root / ".coursekit" / "secret"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    assert not any((root / "notebooks").rglob("secret"))
    details = json.loads((root / "grades" / f"{AID}.json").read_text())
    assert isinstance(details["audit_seed"], int)


def test_regrading_one_student_is_idempotent(graded):
    root, outcomes, _, _, _ = graded
    before = gradebook.scores(root, AID)
    again, _ = class_grade.grade_class(
        root, AID, only=["solution"], jobs=1, timeout=300, memory_mb=1536, progress=False
    )
    assert [(o.student, o.status, o.score) for o in again] == [("solution", "ok", FULL)]
    assert gradebook.scores(root, AID) == before
    rows = (root / "grades" / f"{AID}.csv").read_text().splitlines()
    assert len(rows) == len(outcomes) + 1  # the other students' rows are kept


def test_audit_table_lists_students_for_review(graded):
    _, outcomes, _, _, _ = graded
    text = report.table([outcomes["solution"], outcomes["rebind_check"]])
    assert "REVIEW" in text and "1 of 2 submissions to review: rebind_check" in text
    assert text.count("fails: layers.dense_forward") == 1
