"""The grading helpers: correct answers pass, wrong ones fail with feedback that says why.

The "correct" answers here are written independently of the references (other formulas),
since calling the reference itself is refused by design.
"""

import dataclasses

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.grading import GradingFailure, check


def dense_forward(x, w, b):
    return np.einsum("nd,dm->nm", x, w) + b[None, :], {"x": x, "w": w}


def dense_backward(dout, cache):
    return dout @ cache["w"].T, np.einsum("nd,nm->dm", cache["x"], dout), dout.sum(0)


def softmax(z):
    log_norm = z.max(1, keepdims=True) + np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
    return np.exp(z - log_norm)


def softmax_cross_entropy(logits, y):
    log_p = logits - logits.max(1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(1, keepdims=True))
    onehot = np.eye(logits.shape[1])[y]
    return -(log_p * onehot).sum() / len(y), (np.exp(log_p) - onehot) / len(y)


def softmax_cross_entropy_autograd(logits, y):
    lt = torch.tensor(logits, requires_grad=True)
    loss = -torch.log_softmax(lt, 1)[torch.arange(len(y)), torch.tensor(y)].mean()
    loss.backward()
    return loss.item(), lt.grad.numpy()


def numerical_gradient(f, x, h=1e-5):
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


CORRECT = {
    "layers.dense_forward": (dense_forward,),
    "layers.dense_backward": (dense_forward, dense_backward),
    "layers.softmax": (softmax,),
    "gradcheck.numerical_gradient": (numerical_gradient,),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


def test_cross_entropy_via_autograd_is_refused_and_the_builtin_named():
    # log_softmax is the built-in the exercise re-implements: refused, and told why.
    with pytest.raises(GradingFailure, match="calls .*log_softmax.*write it yourself"):
        check("layers.softmax_cross_entropy", softmax_cross_entropy_autograd)


def test_float32_answer_gets_a_dtype_message():
    f32 = lambda x, w, b: ((x @ w + b).astype(np.float32), None)  # noqa: E731
    with pytest.raises(GradingFailure, match="out has dtype float32, expected float64"):
        check("layers.dense_forward", f32)


def test_wrong_values_report_case_error_and_index():
    wrong = lambda x, w, b: (x @ w, None)  # noqa: E731  forgot the bias
    with pytest.raises(GradingFailure) as info:
        check("layers.dense_forward", wrong)
    text = str(info.value)
    assert "visible case 1 of 3" in text and "x: (" in text
    assert "out: largest error" in text and "at index (" in text


def test_wrong_shape_and_wrong_type():
    with pytest.raises(GradingFailure, match=r"out has shape \(\d+,\), expected \(\d+, \d+\)"):
        check("layers.dense_forward", lambda x, w, b: ((x @ w + b).sum(1), None))
    with pytest.raises(GradingFailure, match="out should be a numpy.ndarray, got list"):
        check("layers.dense_forward", lambda x, w, b: ((x @ w + b).tolist(), None))
    with pytest.raises(GradingFailure, match=r"should return \(out, cache\), got ndarray"):
        check("layers.dense_forward", lambda x, w, b: x @ w + b)


def test_always_equal_object_is_not_accepted():
    class Equal(np.ndarray):
        def __eq__(self, other):
            return True

    fake = lambda x, w, b: (np.zeros((x.shape[0], w.shape[1])).view(Equal), None)  # noqa: E731
    with pytest.raises(GradingFailure, match="largest error"):
        check("layers.dense_forward", fake)


def test_not_implemented_and_exceptions_are_reported():
    def stub(x, w, b):
        raise NotImplementedError()

    with pytest.raises(GradingFailure, match="not implemented yet"):
        check("layers.dense_forward", stub)
    with pytest.raises(GradingFailure, match="raised ZeroDivisionError"):
        check("layers.dense_forward", lambda x, w, b: 1 / 0)


def test_calling_the_reference_earns_nothing():
    from coursekit.layers.numpy_ref import softmax as ref_softmax

    with pytest.raises(GradingFailure, match="calls coursekit.layers.numpy_ref.softmax"):
        check("layers.softmax", lambda z: ref_softmax(z))
    with pytest.raises(GradingFailure, match="calls .*softmax.*write it yourself"):
        check("layers.softmax", lambda z: torch.softmax(torch.tensor(z), 1).numpy())


@pytest.mark.parametrize(
    "name, answer, convention",
    [
        ("layers.softmax", lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True), "without subtracting"),
        ("layers.softmax", lambda z: np.exp(z - z.max(0)) / np.exp(z - z.max(0)).sum(0), "column-wise"),
        (
            "layers.softmax_cross_entropy",
            lambda logits, y: tuple(v * len(y) for v in softmax_cross_entropy(logits, y)),
            "summed over the batch",
        ),
        (
            "gradcheck.numerical_gradient",
            lambda f, x, h=1e-5: np.array([(f(x + h * e.reshape(x.shape)) - f(x)) / h for e in np.eye(x.size)]).reshape(
                x.shape
            ),
            "forward differences",
        ),
    ],
)
def test_known_alternative_conventions_are_named(name, answer, convention):
    ex = grading.exercise(name)
    # The autograd answer calls log_softmax; lift the ban here to test the naming alone.
    ex = dataclasses.replace(ex, forbidden=lambda: ())
    with grading.substituted(ex):
        with pytest.raises(GradingFailure, match=f"matches .*{convention}"), np.errstate(all="ignore"):
            check(name, answer, hidden=True)


def test_hidden_and_visible_cases_differ():
    ex = grading.exercise("layers.dense_forward")
    visible, hidden = grading.cases(ex, False), grading.cases(ex, True)
    assert len(hidden) > len(visible)
    assert not any(np.array_equal(v["x"], h["x"]) for v in visible for h in hidden)
    # Seeded: the same cases every run.
    assert all(np.array_equal(a["x"], b["x"]) for a, b in zip(visible, grading.cases(ex, False)))


def test_unknown_exercise_and_wrong_arity():
    with pytest.raises(KeyError, match="unknown exercise 'layers.nope'"):
        check("layers.nope", dense_forward)
    with pytest.raises(TypeError, match="takes 2 function"):
        check("layers.dense_backward", dense_backward)


def test_failure_renders_without_traceback():
    failure = GradingFailure("✗ line one\n  line two")
    assert failure._render_traceback_() == ["✗ line one", "  line two"]
