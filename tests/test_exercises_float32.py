"""float32 in every topic's exercises: the contract says a reference keeps its input's
floating dtype, so every exercise whose answer takes floating arrays has float32 cases
(every other case; activations run every case in float32 too), correct float32 answers pass
them reliably, and an answer that returns float64 for float32 input is told to keep it.

Exercises without float32 cases, and why: the initialisers and the gain take sizes and
names (init.*); saturated_fraction, bias_variance and the tuning exercises return numbers,
not arrays; default_network and ablation build modules and dicts (training.*).

The answers are the independent correct answers of each topic's test file.
"""

import re

import numpy as np
import pytest

from coursekit import grading
from coursekit.grading import GradingFailure, check
from coursekit.grading.exercise_tools import Float32Cases

import test_activations_exercises as activations
import test_batchnorm_exercises as batchnorm
import test_gradcheck_exercises as gradcheck
import test_layers_exercises as layers
import test_optimizers_exercises as optimizers
import test_regularization_exercises as regularization
import test_unstable_gradients_exercises as unstable
from float32_answers import float32_cases, float64_inside, upcast

ANSWERS = {
    **layers.CORRECT,
    "gradcheck.numerical_gradient": (gradcheck.numerical_gradient,),
    "unstable_gradients.gradient_norms": (unstable.gradient_norms,),
    "unstable_gradients.layer_variances": (unstable.layer_variances,),
    **{f"activations.{name}": answers for name, answers in activations.CORRECT.items()},
    **{f"batchnorm.{name}": answers for name, answers in batchnorm.CORRECT.items()},
    **optimizers.CORRECT,
    **{
        name: regularization.CORRECT[name]
        for name in (
            "regularization.l1_penalty",
            "regularization.l2_penalty",
            "regularization.dropout_forward",
            "regularization.dropout_backward",
            "regularization.gaussian_noise",
        )
    },
}
ALTERNATING = [name for name in ANSWERS if isinstance(grading.exercise(name).make_case, Float32Cases)]
CASES = 100  # visible-like and as many hidden-like float32 cases per answer


def test_every_exercise_but_the_activations_alternates_dtypes():
    assert sorted(set(ANSWERS) - set(ALTERNATING)) == [f"activations.{n}" for n in sorted(activations.CORRECT)]


def _floating_arrays(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _floating_arrays(v)]
    return []


@pytest.mark.parametrize("name", ALTERNATING)
def test_every_other_case_is_float32(name):
    ex = grading.exercise(name)
    for hidden in (False, True):
        for i, case in enumerate(grading.cases(ex, hidden)):
            arrays = [a for v in case.values() for a in _floating_arrays(v)]
            assert arrays and {a.dtype for a in arrays} == {np.dtype([np.float64, np.float32][i % 2])}, (i, case)


@pytest.mark.parametrize("name", sorted(ANSWERS))
@pytest.mark.parametrize("inside", ["float32", "float64"])
def test_correct_float32_answers_pass_many_cases(name, inside):
    """The float32 tolerances accept answers that compute in float32 and answers that compute
    in float64 and cast back (the farthest from the float32 reference a right answer gets)."""
    answers = ANSWERS[name] if inside == "float32" else tuple(float64_inside(f) for f in ANSWERS[name])
    many = float32_cases(name, CASES)
    with np.errstate(over="ignore"):
        check(many, *answers)
        check(many, *answers, hidden=True)


@pytest.mark.parametrize("name", sorted(ANSWERS))
@pytest.mark.parametrize("hidden", [False, True])
def test_float64_results_for_float32_inputs_are_told_to_keep_the_dtype(name, hidden):
    *earlier, last = ANSWERS[name]
    with pytest.raises(GradingFailure) as info, np.errstate(over="ignore"):
        check(name, *earlier, upcast(last), hidden=hidden)
    first = 2 if name in ALTERNATING else 1  # the activations' case 1 has a float32 output
    assert re.search(rf"case {first} of \d+ \(.*\):\n  .*dtype float64.*expected float32", str(info.value)), info.value
