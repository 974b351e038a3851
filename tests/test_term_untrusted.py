"""The term's commands read what students handed in as the grader does (no links, no FIFOs),
and a mistake in the instructor's late-work files stops grading before anyone is graded."""

import hashlib
import json
import os

import pytest

from coursekit import term
from coursekit.term import changes, late

from term_fixtures import course_root

A = "00_backprop"
NAME = "backprop.ipynb"
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "id": "a",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "def f(x):\n    return x + 1\n",
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _class(tmp_path):
    root = course_root(tmp_path)
    (root / "notebooks" / A).mkdir(parents=True)
    (root / "notebooks" / A / NAME).write_text(json.dumps({**NOTEBOOK, "cells": []}))
    outside = tmp_path / "outside.ipynb"
    outside.write_text(json.dumps(NOTEBOOK))
    for student in ("ann", "linker", "fifo"):
        (root / "submitted" / student / A).mkdir(parents=True)
    (root / "submitted" / "ann" / A / NAME).write_text(json.dumps(NOTEBOOK))
    (root / "submitted" / "linker" / A / NAME).symlink_to(outside)
    os.mkfifo(root / "submitted" / "fifo" / A / NAME)
    (root / "submitted" / "ann" / A / "secret-link.txt").symlink_to(outside)
    return root, outside


def test_similarity_reads_no_link_and_never_blocks_on_a_fifo(tmp_path):
    pytest.importorskip("copydetect")
    from coursekit.term import similarity

    root, _ = _class(tmp_path)
    codes, _ = similarity.class_codes(root, A)  # would hang on the FIFO if it opened it blocking
    assert sorted(codes) == ["ann"]


def test_a_dry_run_copies_no_link_and_nothing_but_the_notebook(tmp_path):
    root, outside = _class(tmp_path)
    before = hashlib.sha256(outside.read_bytes()).hexdigest()
    copy = changes.dry_run_copy(root, A, tmp_path / "dry")
    copied = sorted(str(p.relative_to(copy / "submitted")) for p in (copy / "submitted").rglob("*") if p.is_file())
    assert copied == [f"ann/{A}/{NAME}"]
    assert not any(p.is_symlink() for p in (copy / "submitted").rglob("*"))
    assert hashlib.sha256(outside.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    "text, named",
    [
        ("[policy]\nrat = 0.1\n", "takes only"),
        ('[policy]\nrate = "0.1"\n', "policy.rate"),
        ("[policy]\ngrace_minutes = inf\n", "policy.grace_minutes"),
    ],
)
def test_a_mistake_in_late_toml_stops_grading_before_anyone_is_graded(tmp_path, text, named):
    root = course_root(tmp_path)
    (root / "late.toml").write_text(text)
    with pytest.raises(ValueError, match=named):
        term.before_grading(root, A)


def test_a_non_finite_extension_is_refused(tmp_path):
    root = course_root(tmp_path)
    (root / "extensions.csv").write_text("student,assignment,extra_hours\nann,00_backprop,nan\n")
    with pytest.raises(ValueError, match="line 2: extra_hours 'nan' is not a finite number"):
        late.extensions(root, A)
