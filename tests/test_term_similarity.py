"""coursekit similarity: disguised copies found, honest solutions of a short exercise not
flagged, the released template ignored, matching lines shown side by side (copydetect)."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("copydetect")

from coursekit.term import similarity, synthetic_copies  # noqa: E402

from conftest import ROOT  # noqa: E402
from term_fixtures import course_root  # noqa: E402

A = "00_backprop"
RELEASE = json.loads((ROOT / "notebooks" / A / "backprop.ipynb").read_text())
TEMPLATE = "\n".join(code for _, code in similarity._code_cells(RELEASE))


def codes_of(notebooks):
    lines = similarity.template_lines(RELEASE)
    return {s: similarity.own_code(nb, lines) for s, nb in notebooks.items()}


def test_disguised_copies_are_found_in_a_synthetic_class():
    notebooks, copied = synthetic_copies.make_class(RELEASE, 60, seed=0)
    pairs = similarity.compare_class(codes_of(notebooks), TEMPLATE)
    found = {frozenset((p.a, p.b)) for p in pairs}
    assert copied, "the synthetic class should hold copies"
    recall, precision = len(found & copied) / len(copied), len(found & copied) / max(1, len(found))
    assert recall >= 0.9 and precision >= 0.9, (recall, precision, sorted(map(sorted, found ^ copied)))


def test_one_copy_is_found_whatever_its_disguise_and_an_honest_classmate_is_not():
    import numpy as np

    rng = np.random.default_rng(7)
    honest = [synthetic_copies.solve(rng) for _ in range(2)]
    cells = {
        "ann": synthetic_copies.answers(honest[0]),
        "bob": synthetic_copies.answers(honest[1]),
        "cat": synthetic_copies.disguise(honest[0], rng),
    }
    assert cells["cat"] != cells["ann"]  # other names, layout, comments and order
    pairs = similarity.compare_class(
        codes_of({s: synthetic_copies.notebook(RELEASE, c) for s, c in cells.items()}), TEMPLATE
    )
    assert [(p.a, p.b) for p in pairs] == [("ann", "cat")]
    assert pairs[0].lines and all(a0 <= a1 and b0 <= b1 for (a0, a1), (b0, b1) in pairs[0].lines)


def test_honest_solutions_of_a_short_exercise_are_not_flagged():
    short = {
        "ann": {
            "dense_forward": "def dense_forward(x, w, b):\n    out = x @ w + b\n    return out, (x, w, b)\n",
            "softmax": "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
        },
        "bob": {
            "dense_forward": "def dense_forward(x, w, b):\n    y = x @ w + b\n    return y, (x, w, b)\n",
            "softmax": "def softmax(z):\n    ex = np.exp(z - z.max(axis=1, keepdims=True))\n"
            "    return ex / ex.sum(axis=1, keepdims=True)\n",
        },
    }
    codes = codes_of({s: synthetic_copies.notebook(RELEASE, c) for s, c in short.items()})
    assert similarity.compare_class(codes, TEMPLATE) == []
    # the same two answers are alike: they are listed once the minimum length is lifted
    assert len(similarity.compare_class(codes, TEMPLATE, min_tokens=0)) == 1


def test_the_released_template_is_not_the_students_code():
    lines = similarity.template_lines(RELEASE)
    assert similarity.own_code(RELEASE, lines).strip() == ""
    blanks = {s: RELEASE for s in ("ann", "bob", "cat")}
    assert similarity.compare_class(codes_of(blanks), TEMPLATE, min_tokens=0, threshold=0.01) == []


def test_arguments_are_checked():
    for bad in ({"threshold": 0}, {"max_share": 1.5}, {"min_tokens": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            similarity.compare_class({}, **bad)


def test_the_command_prints_pairs_side_by_side_and_the_report_shows_them(tmp_path):
    import numpy as np

    from coursekit.grading import class_report

    root = course_root(tmp_path)
    (root / "notebooks" / A).mkdir(parents=True)
    (root / "notebooks" / A / "backprop.ipynb").write_text(json.dumps(RELEASE))
    rng = np.random.default_rng(3)
    honest = synthetic_copies.solve(rng)
    for student, cells in (
        ("ann", synthetic_copies.answers(honest)),
        ("bob", synthetic_copies.disguise(honest, rng)),
        ("cat", synthetic_copies.answers(synthetic_copies.solve(rng))),
    ):
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        (folder / "backprop.ipynb").write_text(json.dumps(synthetic_copies.notebook(RELEASE, cells)))
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--root", str(root), "similarity", A], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "ann ~ bob" in result.stdout and "cat" not in result.stdout.split("pairs of")[0]
    assert "1 pairs of 3 students" in result.stdout
    section = similarity.report_section(root, A)
    assert "ann ~ bob" in section and "<pre>" in section
    (root / "grades" / f"{A}.json").write_text(
        json.dumps(
            {
                "assignment": A,
                "students": {
                    s: {
                        "score": 1.0,
                        "max_score": 1.0,
                        "status": "ok",
                        "message": "",
                        "audit_score": 1.0,
                        "final_score": 1.0,
                        "flags": [],
                        "exercises": {},
                        "seconds": 1.0,
                    }
                    for s in ("ann", "bob", "cat")
                },
            }
        )
    )
    path, _ = class_report.write(root, A)
    assert "Similar submissions (1 pairs of 3 students)" in path.read_text()
