"""The re-grade diff: after an exercise's tolerance changes, exactly the students whose
verdict it flips are listed, with the reason; a new hidden draw and a changed notebook are
told apart."""

import dataclasses
import json

import numpy as np

from coursekit.grading.exercises import cases, exercise, keyed_seed, seed_for, substituted
from coursekit.term import changes, validate

NAME = "layers.dense_forward"


def exact(x, w, b):
    return x @ w + b, (x, w, b)


def float32_inside(x, w, b):  # right to about 1e-7: passes the default tolerance, not 1e-12
    out = x.astype(np.float32) @ w.astype(np.float32) + b.astype(np.float32)
    return out.astype(x.dtype), (x, w, b)


def no_bias(x, w, b):
    return x @ w, (x, w, b)


STUDENTS = {"ann": exact, "bob": float32_inside, "cat": no_bias, "dan": float32_inside}


def grade(hidden_seed=1):
    """Rows as grades/<A>.json keeps them, from the exercise's own verdicts."""
    ex = exercise(NAME)
    visible, hidden = cases(ex, False, seed_for(NAME)), cases(ex, True, keyed_seed("t", hidden_seed))
    rows = {}
    for student, fn in STUDENTS.items():
        verdicts = {}
        for kind, chosen in (("visible", visible), ("hidden", hidden)):
            expected = [ex.run(ex.reference, c) for c in chosen]
            verdicts[kind] = validate._outcome(ex, {"dense_forward": fn}, chosen, expected, 10) is None
        score = float(verdicts["visible"] and verdicts["hidden"])
        rows[student] = {
            "score": score,
            "audit_score": score,
            "final_score": score,
            "status": "ok",
            "sha256": student,
            "exercises": {NAME: verdicts},
        }
    return rows


def test_a_tolerance_change_shows_exactly_the_students_it_affected():
    before_rows = grade()
    before = {"students": before_rows, "grader": changes.grader_fingerprint([NAME]), "audit_seed": 1}
    tighter = dataclasses.replace(exercise(NAME), tolerances={"float64": (1e-12, 1e-12), "float32": (1e-4, 1e-5)})
    with substituted(tighter):
        after_rows, grader = grade(), changes.grader_fingerprint([NAME])
    assert grader["exercises"][NAME] != before["grader"]["exercises"][NAME]
    flipped = {s for s in STUDENTS if before_rows[s]["final_score"] != after_rows[s]["final_score"]}
    assert flipped == {"bob", "dan"}  # the float32 insides; ann is exact, cat was already wrong
    found = changes.diff(before, after_rows, grader)
    assert [c["student"] for c in found] == sorted(flipped)
    assert all(c["before"] == 1.0 and c["after"] == 0.0 for c in found)
    assert all("the exercise changed" in c["why"][0] and "visible pass->fail" in c["why"][0] for c in found)
    assert "bob: 1.0 -> 0.0" in changes.text(found)


def test_a_new_hidden_draw_and_a_changed_notebook_are_told_apart():
    grader = changes.grader_fingerprint([NAME])
    old = {
        "ann": {
            "final_score": 1.0,
            "score": 1.0,
            "audit_score": 1.0,
            "status": "ok",
            "sha256": "a",
            "exercises": {NAME: {"visible": True, "hidden": True}},
        }
    }
    new = {
        "ann": {
            **old["ann"],
            "final_score": 0.0,
            "audit_score": 0.0,
            "exercises": {NAME: {"visible": True, "hidden": False}},
        }
    }
    before = {"students": old, "grader": grader, "audit_seed": 1}
    assert changes.diff(before, new, grader)[0]["why"] == [
        f"{NAME} visible pass->pass, hidden pass->fail: a new hidden draw"
    ]
    new["ann"]["sha256"] = "b"
    assert changes.diff(before, new, grader)[0]["why"][0] == "the notebook changed"
    assert changes.diff(before, old, grader) == []  # nothing changed, nothing listed
    assert changes.diff({**before, "grader": None}, new, grader)[0]["why"][1].endswith("no record of the grader before")


def test_record_keeps_the_changes_and_the_grader(tmp_path):
    from term_fixtures import course_root

    root = course_root(tmp_path)
    (root / "grades").mkdir()
    rows = grade()
    (root / "grades" / "00_backprop.json").write_text(json.dumps({"students": rows}))
    first = changes.record(root, "00_backprop", {"students": {}, "grader": None, "audit_seed": None}, list(rows))
    assert first == [] and json.loads((root / "grades" / "00_backprop.changes.json").read_text())["regrade"] is False
    before = changes.snapshot(root, "00_backprop")
    assert before["grader"]["exercises"] == {NAME: changes.exercise_fingerprint(NAME)}
    rows["cat"] = {
        **rows["cat"],
        "final_score": 1.0,
        "score": 1.0,
        "audit_score": 1.0,
        "sha256": "new",
        "exercises": {NAME: {"visible": True, "hidden": True}},
    }
    (root / "grades" / "00_backprop.json").write_text(json.dumps({"students": rows}))
    found = changes.record(root, "00_backprop", before, ["cat"])
    kept = json.loads((root / "grades" / "00_backprop.changes.json").read_text())
    assert kept["regrade"] and kept["changes"] == found and found[0]["student"] == "cat"
    assert found[0]["why"][0] == "the notebook changed"
