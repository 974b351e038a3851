"""The graded exercises of topic 01 (and 02's layer variances): independent correct answers
pass, slips are named."""

import numpy as np
import pytest

from coursekit import grading
from coursekit.grading import GradingFailure, check


def gradient_norms(x, weights, dout):
    """Written independently (this module's own backward pass): the weight gradients'
    Frobenius norms, in x's dtype."""
    return _backprop(x, weights, dout, lambda a, delta: np.sqrt(((a.T @ delta) ** 2).sum())).astype(x.dtype)


def saturated_fraction(a, tol=0.01):
    return np.count_nonzero(np.abs(a - 0.5) >= 0.5 - tol) / a.size


def layer_variances(x, weights, f):
    out, a = [], x
    for w in weights:
        a = f(np.einsum("nd,dm->nm", a, w))
        out.append(np.mean((a - a.mean()) ** 2))
    return np.array(out, dtype=x.dtype)


CORRECT = {
    "unstable_gradients.gradient_norms": gradient_norms,
    "unstable_gradients.saturated_fraction": saturated_fraction,
    "unstable_gradients.layer_variances": layer_variances,
}


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


def test_gradient_cases_are_far_above_the_tolerance():
    ex = grading.exercise("unstable_gradients.gradient_norms")
    for hidden in (False, True):
        for case in grading.cases(ex, hidden):
            assert ex.run(ex.reference, case)["norms"].min() > 1e-4
            assert len(case["weights"]) >= 3


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _backprop(x, weights, dout, measure, slope=lambda z: _sig(z) * (1 - _sig(z))):
    inputs, zs, a = [], [], x
    for w in weights:
        inputs.append(a)
        zs.append(a @ w)
        a = _sig(zs[-1])
    out, grad = [], dout
    for k in reversed(range(len(weights))):
        delta = grad * slope(zs[k])
        out.insert(0, measure(inputs[k], delta))
        grad = delta @ weights[k].T
    return np.array(out)


@pytest.mark.parametrize(
    "answer, convention",
    [
        (lambda x, w, d: gradient_norms(x, w, d)[::-1], "from the output layer down"),
        (lambda x, w, d: gradient_norms(x, w, d) ** 2, "squared norms"),
        (lambda x, w, d: _backprop(x, w, d, lambda a, delta: np.sqrt((delta**2).sum())), "the deltas"),
        (
            lambda x, w, d: _backprop(
                x, w, d, lambda a, delta: np.linalg.norm(a.T @ delta), slope=lambda z: z * (1 - z)
            ),
            "z \\* \\(1 - z\\)",
        ),
    ],
    ids=["reversed", "squared", "deltas", "slope_of_z"],
)
def test_gradient_norm_slips_are_named(answer, convention):
    with pytest.raises(GradingFailure, match=f"Your answer matches .*{convention}"):
        check("unstable_gradients.gradient_norms", answer)


def test_forgetting_the_activation_derivative_fails_with_an_error_location():
    no_slope = lambda x, w, d: _backprop(x, w, d, lambda a, delta: np.linalg.norm(a.T @ delta), slope=np.ones_like)  # noqa: E731
    with pytest.raises(GradingFailure, match=r"norms: largest error .* at index \(\d+,\)"):
        check("unstable_gradients.gradient_norms", no_slope)


@pytest.mark.parametrize(
    "answer, convention",
    [
        (lambda a, tol=0.01: 100 * saturated_fraction(a, tol), "a percentage"),
        (lambda a, tol=0.01: float(np.mean(a >= 1 - tol)), "only the units near 1"),
        (lambda a, tol=0.01: float(np.mean(a <= tol)), "only the units near 0"),
    ],
    ids=["percent", "upper", "lower"],
)
def test_saturation_slips_are_named(answer, convention):
    with pytest.raises(GradingFailure, match=f"Your answer matches {convention}"):
        check("unstable_gradients.saturated_fraction", answer, hidden=True)


def test_hidden_saturation_cases_use_other_tolerances():
    ex = grading.exercise("unstable_gradients.saturated_fraction")
    assert all("tol" in c for c in grading.cases(ex, True))
    fixed_tol = lambda a, tol=0.01: saturated_fraction(a)  # noqa: E731  ignores tol
    check("unstable_gradients.saturated_fraction", fixed_tol)
    with pytest.raises(GradingFailure, match="fraction: largest error"):
        check("unstable_gradients.saturated_fraction", fixed_tol, hidden=True)


def _variances(measure, *, pre=False, include_input=False):
    def answer(x, weights, f):
        out, a = ([measure(x)] if include_input else []), x
        for w in weights:
            z = a @ w
            a = f(z)
            out.append(measure(z if pre else a))
        return np.array(out)

    return answer


@pytest.mark.parametrize(
    "answer, convention",
    [
        (_variances(lambda a: a.var(axis=0).mean()), "per-unit variances"),
        (_variances(np.std), "standard deviations"),
        (_variances(np.var, pre=True), "pre-activations"),
        (_variances(np.var, include_input=True), "the input's variance as the first entry"),
    ],
    ids=["per_unit", "std", "pre", "input"],
)
def test_layer_variance_slips_are_named(answer, convention):
    with pytest.raises(GradingFailure, match=f"Your answer matches .*{convention}"):
        check("unstable_gradients.layer_variances", answer, hidden=True)


def test_answers_that_modify_inputs_or_call_the_reference_are_refused():
    def in_place(x, weights, dout):
        weights[0] *= 2
        return gradient_norms(x, weights, dout)

    with pytest.raises(GradingFailure, match="changed x or a weight matrix in place"):
        check("unstable_gradients.gradient_norms", in_place)
    from coursekit.unstable_gradients import numpy_ref

    with pytest.raises(GradingFailure, match="calls coursekit.unstable_gradients.numpy_ref"):
        check("unstable_gradients.layer_variances", lambda x, w, f: numpy_ref.layer_variances(x, w, f))
