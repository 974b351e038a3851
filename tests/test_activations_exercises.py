"""The graded activation exercises: independent correct answers pass, slips are named."""

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.activations import SELU_ALPHA, SELU_SCALE
from coursekit.grading import GradingFailure, check

# Correct answers written independently of the references (other formulas).
CORRECT = {
    "sigmoid": (lambda z: 0.5 * (1 + np.tanh(z / 2)), lambda z: 0.25 / np.cosh(z / 2) ** 2),
    "tanh": (lambda z: np.tanh(z), lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: np.heaviside(z, 0).astype(z.dtype)),
    "leaky_relu": (
        lambda z, alpha=0.01: np.maximum(z, 0) + alpha * np.minimum(z, 0),
        lambda z, alpha=0.01: np.where(z > 0, 1, alpha).astype(z.dtype),
    ),
    "elu": (
        lambda z, alpha=1.0: np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1)),
        lambda z, alpha=1.0: np.where(z > 0, 1, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype),
    ),
    "selu": (
        lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
        lambda z: SELU_SCALE * np.where(z > 0, 1, SELU_ALPHA * np.exp(np.minimum(z, 0))),
    ),
}


def _elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1))


def elu_grad_as_elu_plus_alpha(z, alpha=1.0):
    """The other correct form of the derivative for z < 0: elu(z) + alpha."""
    return np.where(z > 0, 1.0, _elu(z, alpha) + alpha).astype(z.dtype)


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    with np.errstate(over="ignore"):
        check(f"activations.{name}", *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_both_forms_of_the_elu_derivative_pass(hidden):
    check("activations.elu", _elu, elu_grad_as_elu_plus_alpha, hidden=hidden)
    check("activations.elu", _elu, CORRECT["elu"][1], hidden=hidden)


def test_every_case_kind_is_exercised():
    ex = grading.exercise("activations.leaky_relu")
    for hidden in (False, True):
        outputs = ex.run(ex.reference, grading.cases(ex, hidden)[0])
        assert set(outputs) == {"out", "grad", "out_alpha", "grad_alpha", "out_float32", "grad_float32"}
        assert outputs["out_float32"].dtype == np.float32
    hidden_shapes = {c["z"].ndim for c in grading.cases(ex, True)}
    assert len(hidden_shapes) > 1


def _leaky(alpha_default, negative_slope_grad=None):
    def f(z, alpha=alpha_default):
        return np.where(z > 0, z, alpha * z)

    def g(z, alpha=alpha_default):
        return np.where(z > 0, 1.0, alpha if negative_slope_grad is None else negative_slope_grad).astype(z.dtype)

    return f, g


def _sig(z):
    return 1 / (1 + np.exp(-z))


CONVENTIONS = [
    ("sigmoid", (_sig, lambda z: z * (1 - z)), "in terms of the output"),
    ("tanh", (np.tanh, lambda z: 1 - z**2), "in terms of the output"),
    ("tanh", (np.tanh, lambda z: _sig(z) * (1 - _sig(z))), "logistic's derivative"),
    ("relu", (lambda z: np.maximum(z, 0), lambda z: np.maximum(z, 0)), "the function instead"),
    (
        "leaky_relu",
        (
            lambda z, alpha=0.01: np.where(z > 0, z, 0.01 * z),
            lambda z, alpha=0.01: np.where(z > 0, 1.0, 0.01).astype(z.dtype),
        ),
        "fixed at 0.01",
    ),
    ("leaky_relu", _leaky(0.3), "Keras's default slope"),
    ("leaky_relu", _leaky(0.01, negative_slope_grad=0.0), "the ReLU's derivative"),
    (
        "leaky_relu",
        (
            lambda z, alpha=0.01: np.where(z > 0, alpha * z, z),
            lambda z, alpha=0.01: np.where(z > 0, alpha, 1.0).astype(z.dtype),
        ),
        "positive side",
    ),
    (
        "elu",
        (lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0))), CORRECT["elu"][1]),
        "ELU without the -1",
    ),
    (
        "elu",
        (_elu, lambda z, alpha=1.0: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))).astype(z.dtype)),
        "exp\\(z\\) without alpha",
    ),
    ("elu", (lambda z, alpha=1.0: _elu(z), lambda z, alpha=1.0: CORRECT["elu"][1](z)), "alpha fixed at 1"),
    (
        "selu",
        (lambda z: 1.0507 * _elu(z, 1.6733), lambda z: 1.0507 * np.where(z > 0, 1, 1.6733 * np.exp(np.minimum(z, 0)))),
        "rounded constants \\(1.0507",
    ),
    (
        "selu",
        (lambda z: 1.05 * _elu(z, 1.67), lambda z: 1.05 * np.where(z > 0, 1, 1.67 * np.exp(np.minimum(z, 0)))),
        "rounded constants",
    ),
    (
        "selu",
        (lambda z: _elu(z, SELU_ALPHA), lambda z: np.where(z > 0, 1, SELU_ALPHA * np.exp(np.minimum(z, 0)))),
        "without its scale",
    ),
]


@pytest.mark.parametrize("name, answer, convention", CONVENTIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_known_slips_fail_and_are_named(name, answer, convention):
    with np.errstate(all="ignore"):
        with pytest.raises(GradingFailure, match=f"Your answer matches .*{convention}"):
            check(f"activations.{name}", *answer)
        with pytest.raises(GradingFailure, match=f"Your answer matches .*{convention}"):
            check(f"activations.{name}", *answer, hidden=True)


def test_float64_answer_to_a_float32_input_is_told_to_keep_the_dtype():
    relu_grad = lambda z: (z > 0).astype(float)  # noqa: E731  float64 whatever z is
    with pytest.raises(GradingFailure, match="grad_float32 has dtype float64, expected float32"):
        check("activations.relu", CORRECT["relu"][0], relu_grad)


def test_in_place_answer_is_refused():
    def relu(z):
        z[z < 0] = 0
        return z

    with pytest.raises(GradingFailure, match="changed z in place"):
        check("activations.relu", relu, CORRECT["relu"][1])


def test_torch_builtins_and_the_reference_earn_nothing():
    from coursekit.activations import numpy_ref

    with pytest.raises(GradingFailure, match="calls .*sigmoid.*write it yourself"):
        check("activations.sigmoid", lambda z: torch.sigmoid(torch.tensor(z)).numpy(), CORRECT["sigmoid"][1])
    with pytest.raises(GradingFailure, match="calls .*elu.*write it yourself"):
        check(
            "activations.elu",
            lambda z, alpha=1.0: torch.nn.functional.elu(torch.tensor(z), alpha).numpy(),
            CORRECT["elu"][1],
        )
    with pytest.raises(GradingFailure, match="calls coursekit.activations.numpy_ref"):
        check("activations.selu", lambda z: numpy_ref.selu(z), CORRECT["selu"][1])


def test_stub_is_reported_as_not_implemented():
    def stub(z):
        raise NotImplementedError()

    with pytest.raises(GradingFailure, match="not implemented yet"):
        check("activations.tanh", stub, stub)
