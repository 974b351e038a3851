"""The 00_backprop layer exercises: independent correct answers pass, and the backward
exercise checks the forward pass first. (tests/test_grading.py tests the grading itself on
these exercises; tests/test_exercises_float32.py their float32 cases.)

The correct answers here are written independently of the references (other formulas).
"""

import re

import numpy as np
import pytest

from coursekit.grading import GradingFailure, check

from float32_answers import upcast


def dense_forward(x, w, b):
    return np.dot(x, w) + b[np.newaxis], {"inputs": x, "weights": w}


def dense_backward(dout, cache):
    x, w = cache["inputs"], cache["weights"]
    return np.einsum("nm,dm->nd", dout, w), np.einsum("nd,nm->dm", x, dout), np.einsum("nm->m", dout)


def softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)))


def softmax_cross_entropy(logits, y):
    n, c = logits.shape
    onehot = np.eye(c, dtype=logits.dtype)[y]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.sum(onehot * log_p) / n, (np.exp(log_p) - onehot) / n


CORRECT = {
    "layers.dense_forward": (dense_forward,),
    "layers.dense_backward": (dense_forward, dense_backward),
    "layers.softmax": (softmax,),
    "layers.softmax_cross_entropy": (softmax_cross_entropy,),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


# ----- dense_backward checks the student's dense_forward first -----------------------------


def _without_bias(x, w, b):
    return dense_forward(x, w, np.zeros_like(b))


def _flat_output(x, w, b):
    out, cache = dense_forward(x, w, b)
    return out.ravel(), cache


@pytest.mark.parametrize(
    "forward, problem",
    [
        (_without_bias, r"returned out that differs from the right one: at index \(\d+, \d+\) expected"),
        (_flat_output, r"returned out that has shape \(\d+,\), expected \(\d+, \d+\)"),
        (upcast(dense_forward), r"returned out that has dtype float64, expected float32"),
        (
            lambda x, w, b: (list(dense_forward(x, w, b)[0]), dense_forward(x, w, b)[1]),
            "returned out that is a list, not a numpy.ndarray",
        ),
    ],
    ids=["no_bias", "flat", "upcast", "list"],
)
@pytest.mark.parametrize("hidden", [False, True])
def test_a_wrong_forward_pass_is_named_before_the_backward_pass(forward, problem, hidden):
    with pytest.raises(GradingFailure) as info:
        check("layers.dense_backward", forward, dense_backward, hidden=hidden)
    message = str(info.value)
    assert re.search(
        "dense_forward / dense_backward cannot be graded yet: fix the forward pass first. "
        f"On this case dense_forward {problem}",
        message,
    ), message
    assert 'check("layers.dense_forward", dense_forward) says what is wrong with it' in message
    assert "largest error" not in message


def test_a_wrong_backward_pass_after_a_right_forward_is_graded_as_before():
    def db_averaged(dout, cache):
        dx, dw, db = dense_backward(dout, cache)
        return dx, dw, db / len(dout)

    with pytest.raises(GradingFailure, match=r"db: largest error(?s:.*)matches db averaged over the batch"):
        check("layers.dense_backward", dense_forward, db_averaged)
