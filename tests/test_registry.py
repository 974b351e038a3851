"""The exercise registry's loader: one explicit list of modules per topic, errors that
surface, a read-only view of the registered exercises and a way to substitute one."""

import dataclasses

import pytest

from coursekit import grading
from coursekit.grading import exercises


def test_every_topic_loads_its_listed_modules_and_nothing_registers_by_import_tails():
    names = set(grading.registered())
    for topic in exercises.EXERCISE_MODULES:
        assert any(name.startswith(topic + ".") for name in names), topic
    assert "training.ablation" in names and "schedules.clip_grad_norm" in names and "tuning.log_uniform" in names


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match=r"layers's exercises are \[.*'layers.softmax'"):
        grading.exercise("layers.no_such_function")
    with pytest.raises(KeyError, match=r"no topic 'nosuch' among \[.*'layers'"):
        grading.exercise("nosuch.function")


def test_an_import_error_in_a_topic_module_surfaces(monkeypatch):
    monkeypatch.setitem(exercises.EXERCISE_MODULES, "nosuchtopic", ("exercises",))
    with pytest.raises(ModuleNotFoundError, match="coursekit.nosuchtopic"):
        grading.exercise("nosuchtopic.function")


def test_the_registered_view_is_read_only_and_substitution_is_undone():
    view = grading.registered()
    with pytest.raises(TypeError):
        view["layers.softmax"] = None
    original = grading.exercise("layers.softmax")
    tighter = dataclasses.replace(original, tolerances={"float64": (0.0, 0.0)})
    with grading.substituted(tighter):
        assert grading.exercise("layers.softmax") is tighter and view["layers.softmax"] is tighter
    assert grading.exercise("layers.softmax") is original
