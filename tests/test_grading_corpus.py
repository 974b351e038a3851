"""`coursekit grade` and `coursekit audit` on a class of cheats, crashes and honest variants.

One temporary course, one class: grading must complete despite crashing, hanging and
malformed submissions; every cheat must end with no undeserved points in the audit or with
a flag; every honest variant must get full marks from both, with no flag.
"""

import json
import subprocess
import sys

import pytest

import grading_corpus as corpus
from coursekit import course, grade_class
from coursekit import audit as audit_mod
from conftest import ROOT

AID = corpus.ASSIGNMENT
NAME = course.notebook_name(AID)
FULL = corpus.MAX_SCORE
VARIANTS = corpus.CHEATS + corpus.CRASHES + corpus.HONEST

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = course.copy_course(ROOT, tmp_path_factory.mktemp("class"))
    with (root / "nbgrader_config.py").open("a") as config:
        config.write("\nc.Execute.timeout = 10\n")
    (root / "solutions" / f"{AID}.py").write_text(corpus.SOURCE)
    course.build(root, AID)
    course.generate(root, AID)
    (root / "notebooks").mkdir(exist_ok=True)
    solution_nb = json.loads((root / "solutions" / AID / NAME).read_text())
    release_nb = json.loads((root / "notebooks" / AID / NAME).read_text())
    for variant in VARIANTS:
        folder = root / "submitted" / variant.__name__ / AID
        folder.mkdir(parents=True)
        (folder / NAME).write_text(corpus.make(variant, solution_nb, release_nb))
    bad = root / "submitted" / "malformed" / AID
    bad.mkdir(parents=True)
    (bad / NAME).write_text("{ this is not json")
    wrong_name = root / "submitted" / "wrong_name" / AID
    wrong_name.mkdir(parents=True)
    (wrong_name / "my_homework.ipynb").write_text(json.dumps(solution_nb))
    outcomes, csv_path = grade_class.grade_class(root, AID, timeout=300, memory_mb=1536, progress=False)
    audit = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--root", str(root), "audit", AID, "--json",
         "--timeout", "60", "--memory-mb", "1536"],
        capture_output=True, text=True, timeout=900,
    )
    assert audit.returncode == 0, audit.stderr
    return root, {o.student: o for o in outcomes}, csv_path, json.loads(audit.stdout)


def test_grading_the_class_completes_and_records_failures(graded):
    root, outcomes, csv_path, _ = graded
    assert set(outcomes) == {v.__name__ for v in VARIANTS} | {"malformed", "wrong_name"}
    assert outcomes["malformed"].status == "malformed"
    assert f"no {NAME}" in outcomes["wrong_name"].message
    assert outcomes["os_exit"].status == "crashed"
    for student in ("infinite_loop", "sys_exit", "memory_hog"):
        assert outcomes[student].status == "ok", outcomes[student]
        assert 0 < outcomes[student].score < outcomes[student].max_score  # softmax lost, rest kept
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "student,score,max_score,status,message" and len(rows) == len(outcomes) + 1
    assert (root / "feedback" / "solution" / AID / NAME.replace(".ipynb", ".html")).exists()


def test_regrading_is_idempotent(graded):
    root, outcomes, _, _ = graded
    again = grade_class.grade_one(root, AID, "solution", timeout=300, memory_mb=1536)
    grade_class.fill_scores(root, AID, [again])
    assert (again.status, again.score) == ("ok", outcomes["solution"].score)
    assert course.scores(root, AID)["rebind_check"] == (outcomes["rebind_check"].score,
                                                        outcomes["rebind_check"].max_score)


@pytest.mark.parametrize("variant", corpus.HONEST, ids=lambda v: v.__name__)
def test_honest_variants_get_full_marks_and_no_flag(graded, variant):
    _, outcomes, _, audit = graded
    result = audit[variant.__name__]
    assert outcomes[variant.__name__].score == outcomes[variant.__name__].max_score
    assert result["nbgrader_score"] == result["audit_score"] == result["max_score"] == FULL
    assert result["flags"] == []


@pytest.mark.parametrize("variant", corpus.CHEATS + corpus.CRASHES, ids=lambda v: v.__name__)
def test_cheats_get_no_undeserved_points_or_a_flag(graded, variant):
    _, outcomes, _, audit = graded
    result = audit[variant.__name__]
    assert set(result) == {"nbgrader_score", "audit_score", "max_score", "flags"}
    undeserved = result["audit_score"] > EARNED[variant.__name__]
    assert not undeserved or result["flags"], result
    # Listed for review whenever nbgrader gave more than the audit found.
    assert result["flags"] or result["audit_score"] >= result["nbgrader_score"], result


# What each submission really earns: 2 points per exercise it solves itself.
EARNED = {
    "patch_np_testing": 0, "always_equal": 4, "blank_later_cells": 0, "ast_transformer": 0,
    "rebind_check": 0, "tampered_test_cells": 0, "calls_reference": 2,
    "pasted_reference": 4, "infinite_loop": 4, "sys_exit": 4, "os_exit": 4, "memory_hog": 4,
}

EXPECTED_FLAGS = {
    "patch_np_testing": "monkeypatch", "always_equal": "custom-comparison",
    "blank_later_cells": "ipython-hooks", "ast_transformer": "ipython-hooks",
    "rebind_check": "monkeypatch", "tampered_test_cells": "deleted-test-cell",
    "calls_reference": "calls-reference",
    "pasted_reference": "reference-copy", "os_exit": "process-control", "sys_exit": "process-control",
}


@pytest.mark.parametrize("student, kind", sorted(EXPECTED_FLAGS.items()) + [
    ("tampered_test_cells", "edited-locked-cell")])
def test_tampering_is_flagged_by_kind(graded, student, kind):
    _, _, _, audit = graded
    assert any(flag.startswith(kind) for flag in audit[student]["flags"]), audit[student]


def test_nbgrader_defences_hold_in_notebook(graded):
    _, outcomes, _, _ = graded
    # Blanked cells, ast transformers and deleted/edited test cells score nothing in nbgrader.
    for student in ("blank_later_cells", "ast_transformer", "tampered_test_cells",
                    "patch_np_testing", "calls_reference"):
        assert outcomes[student].score <= EARNED[student], outcomes[student]
    # Faking every success line fools nbgrader; the audit catches it (see the tests above).
    assert outcomes["rebind_check"].score == FULL


def test_audit_table_lists_students_for_review(graded):
    root, _, _, _ = graded
    results = audit_mod.audit_assignment(root, AID, progress=False, timeout=60)
    text = audit_mod.report({k: results[k] for k in ("solution", "rebind_check")})
    assert "REVIEW" in text and "1 of 2 submissions to review: rebind_check" in text
