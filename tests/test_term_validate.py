"""coursekit validate: a deliberately weak exercise is reported with its surviving mutants;
the same reference with telling cases is not; argument checks are never mutated."""

import copy
import json
import subprocess
import sys

import numpy as np

from coursekit.term import mutants, validate

import weak_exercise
from term_fixtures import course_root


def test_the_weak_exercise_is_reported_with_its_survivors():
    weak = validate.validate("weakfix.column_sums")
    assert weak.blank_fails and weak.references == {"numpy": None}  # no torch twin in a test module
    assert weak.mistakes_missed == ["row sums"]  # 1 x 1 cases cannot tell rows from columns
    assert weak.score < validate.MUTATION_THRESHOLD and not weak.ok
    whats = {s.split(": ")[1] for s in weak.survivors}
    assert whats == {"sum -> mean", "0 -> 1"}, weak.survivors
    assert "WARN weakfix.column_sums" in validate.summary(weak) and "survivor: column_sums line" in validate.summary(
        weak
    )


def test_every_survivor_is_a_wrong_answer_that_telling_cases_catch():
    """Survivors of the weak cases are not equivalent mutants: on cases of another
    generator, each differs from the reference (an independent check of the listing)."""
    rng = np.random.default_rng(1)
    telling = [weak_exercise.strong_case(rng, False) for _ in range(8)]
    by_what = {m.what: m for m in mutants.mutants(weak_exercise.column_sums)}
    weak = validate.validate("weakfix.column_sums")
    assert len(weak.survivors) == 2  # (an empty list would make the loop below prove nothing)
    for survivor in weak.survivors:
        mutant = by_what[survivor.split(": ")[1]]
        differs = False
        for case in telling:
            kwargs = {"scale": case["scale"]} if "scale" in case else {}
            want = weak_exercise.column_sums(copy.deepcopy(case["x"]), **kwargs)
            try:
                got = mutant.function(copy.deepcopy(case["x"]), **kwargs)
                differs |= np.shape(got) != want.shape or not np.allclose(got, want)
            except Exception:
                differs = True
        assert differs, survivor


def test_telling_cases_kill_every_mutant_and_catch_the_mistake():
    strong = validate.validate("strongfix.column_sums")
    assert strong.ok and strong.score == 1.0 and strong.survivors == [] and strong.mistakes_missed == []
    assert strong.mutants == validate.validate("weakfix.column_sums").mutants


def test_argument_checks_are_left_alone():
    found = mutants.mutants(weak_exercise.column_sums)
    check_line = weak_exercise.column_sums.__code__.co_firstlineno + 2
    assert found and all(m.line != check_line for m in found), [(m.line, m.what) for m in found]
    assert not any("raise" in m.source or "ndim" in m.source for m in found)
    assert not any(m.line == check_line - 2 for m in found)  # nor the signature's default scale=1.0
    from coursekit.regularization import numpy_ref

    capped = mutants.mutants(numpy_ref.max_norm)  # it checks eps through coursekit._validate
    assert capped and not any("positive_number" in m.source for m in capped), [m.source for m in capped]


def test_a_real_exercise_and_the_release_warning(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.cli",
            "--root",
            str(course_root(tmp_path)),
            "validate",
            "layers.dense_forward",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   layers.dense_forward: mutation score 100%" in result.stdout
    assert "numpy passes, torch passes" in result.stdout
    root = course_root(tmp_path / "b")
    (root / "solutions" / "00_backprop").mkdir()
    (root / "solutions" / "00_backprop" / "backprop.ipynb").write_text(
        json.dumps({"cells": [{"source": 'check("weakfix.column_sums", f)\ncheck("layers.softmax", g)'}]})
    )
    validate.record(root, [validate.validate("weakfix.column_sums")])
    warnings = validate.release_warnings(root, "00_backprop")
    assert (
        len(warnings) == 2
        and "weakfix.column_sums: mutation score" in warnings[1]
        and "layers.softmax: not validated yet" in warnings[0]
    ), warnings
