"""Hidden cases come from a seed the student cannot know, so grades must not depend on luck:
every known mistake loses its points on every set of hidden cases, not only on most, and
every right answer passes every set.

Each exercise's conventions are the typical mistakes the feedback names. A mistake that
happens to agree with the reference on one drawn set would score full marks by luck (a
softmax without the row maximum on a set with no large logits did, in a synthetic class);
the case generators make sure that every set holds the inputs that tell each mistake apart.
The right answers are the independent ones of each topic's test file. The visible cases
catch every known mistake too, so that a student whose ``check`` passes keeps the points.
"""

import copy
import importlib
import pkgutil
import warnings

import numpy as np
import pytest

import coursekit
from coursekit import grading
from coursekit.grading.compare import compare_outputs
from coursekit.grading.exercises import registered

import test_activations_exercises
import test_batchnorm_exercises
import test_beyond_exercises
import test_gradcheck_exercises
import test_layers_exercises
import test_optimizers_exercises
import test_regularization_exercises
import test_schedules_exercises
import test_unstable_gradients_exercises

SEEDS = range(25)

for _module in pkgutil.walk_packages(coursekit.__path__, "coursekit."):
    if _module.name.rsplit(".", 1)[-1].startswith("exercises"):
        importlib.import_module(_module.name)

RIGHT = {
    **test_layers_exercises.CORRECT,
    **test_optimizers_exercises.CORRECT,
    **test_regularization_exercises.CORRECT,
    **test_beyond_exercises.CORRECT,
    **test_schedules_exercises.CORRECT,
    **test_unstable_gradients_exercises.CORRECT,
    **{f"activations.{n}": a for n, a in test_activations_exercises.CORRECT.items()},
    **{f"batchnorm.{n}": a for n, a in test_batchnorm_exercises.CORRECT.items()},
    "gradcheck.numerical_gradient": (test_gradcheck_exercises.numerical_gradient,),
}
MISTAKES = [(name, convention.name) for name, ex in sorted(registered().items()) for convention in ex.conventions]


def _caught(ex, functions, case_set):
    """Whether the functions give a different output from the reference's (or fail) on at
    least one case of the set."""
    for case in case_set:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = ex.run(functions, copy.deepcopy(case))
        except Exception:
            return True
        if compare_outputs(got, ex.run(ex.reference, copy.deepcopy(case)), ex.tolerances):
            return True
    return False


def test_the_topics_register_their_mistakes():
    assert len(MISTAKES) >= 60
    assert {name.split(".")[0] for name, _ in MISTAKES} >= {
        "layers",
        "gradcheck",
        "activations",
        "init",
        "batchnorm",
        "optimizers",
        "regularization",
        "schedules",
        "beyond",
        "training",
    }


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}: {m}" for n, m in MISTAKES])
def test_a_known_mistake_fails_the_visible_cases(name, mistake):
    """What ``check`` says predicts the grade: a student whose visible checks pass has no
    known mistake left (hidden cases defeat tables; they are not traps)."""
    ex = grading.exercise(name)
    convention = next(c for c in ex.conventions if c.name == mistake)
    assert _caught(ex, {**ex.reference, **convention.functions}, grading.cases(ex, False)), (
        f"{mistake!r} passes {name}'s visible cases: only the hidden cases would catch it"
    )


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}: {m}" for n, m in MISTAKES])
def test_a_known_mistake_fails_every_set_of_hidden_cases(name, mistake):
    ex = grading.exercise(name)
    convention = next(c for c in ex.conventions if c.name == mistake)
    functions = {**ex.reference, **convention.functions}
    lucky = [seed for seed in SEEDS if not _caught(ex, functions, grading.cases(ex, True, seed=seed))]
    assert not lucky, f"{mistake!r} passes {name}'s hidden cases drawn from seeds {lucky}"


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_a_right_answer_passes_every_set_of_hidden_cases(name):
    ex = grading.exercise(name)
    answers = RIGHT[name] if isinstance(RIGHT[name], tuple) else (RIGHT[name],)
    unlucky = [seed for seed in SEEDS if _caught(ex, dict(zip(ex.roles, answers)), grading.cases(ex, True, seed=seed))]
    assert not unlucky, f"a right answer fails {name}'s hidden cases drawn from seeds {unlucky}"


def test_the_right_answers_cover_the_topics():
    assert {name.split(".")[0] for name in RIGHT} >= {
        "layers",
        "gradcheck",
        "activations",
        "batchnorm",
        "optimizers",
        "regularization",
        "schedules",
        "beyond",
        "unstable_gradients",
    }
