"""The 06_regularization exercises: independent correct answers pass, wrong ones fail and
known conventions are named.

The correct answers here are written differently from the references (other random draws,
other formulas), which is the point: dropout and noise are graded by statistics, so any
correct use of the rng must pass.
"""

import math
import re

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.grading import GradingFailure, check

from float32_answers import upcast

# ----- independently written answers ----------------------------------------------------


def l1_penalty(w, lam):
    return lam * np.linalg.norm(w.ravel(), 1), np.where(w > 0, lam, np.where(w < 0, -lam, 0)).astype(w.dtype)


def l2_penalty(w, lam):
    flat = w.ravel()
    return lam * 0.5 * flat @ flat, (lam * w).astype(w.dtype)


def bias_variance(predictions, target):
    s, p = predictions.shape
    mean = np.einsum("sp->p", predictions) / s
    bias2 = sum((mean[j] - target[j]) ** 2 for j in range(p)) / p
    variance = sum(((predictions[:, j] - mean[j]) ** 2).sum() / s for j in range(p)) / p
    return bias2, variance


def dropout_forward_binomial(x, p_drop, *, train=True, rng=None):
    if not train:
        return np.array(x, copy=True), {"mask": None}
    keep = rng.binomial(1, 1 - p_drop, size=x.shape).astype(x.dtype)
    out = np.where(keep > 0, x / x.dtype.type(1 - p_drop), x.dtype.type(0))
    return out, {"mask": keep / x.dtype.type(1 - p_drop)}


def dropout_backward_dict(dout, cache):
    return dout.copy() if cache["mask"] is None else dout * cache["mask"]


def dropout_forward_uniform(x, p_drop, train=True, rng=None):
    if not train:
        return x + 0, None
    mask = (rng.uniform(0, 1, x.shape) < 1 - p_drop).astype(x.dtype) * x.dtype.type(1 / (1 - p_drop))
    return mask * x, mask


def dropout_backward(dout, cache):
    return dout if cache is None else cache * dout


def gaussian_noise(x, stddev, *, train=True, rng=None):
    if not train:
        return x.copy()
    return (x + rng.normal(0.0, stddev, size=x.shape)).astype(x.dtype)


CORRECT = {
    "regularization.l1_penalty": (l1_penalty,),
    "regularization.l2_penalty": (l2_penalty,),
    "regularization.bias_variance": (bias_variance,),
    "regularization.dropout_forward": (dropout_forward_binomial,),
    "regularization.dropout_backward": (dropout_forward_binomial, dropout_backward_dict),
    "regularization.gaussian_noise": (gaussian_noise,),
}


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_another_correct_dropout_passes(hidden):
    check("regularization.dropout_forward", dropout_forward_uniform, hidden=hidden)
    check("regularization.dropout_backward", dropout_forward_uniform, dropout_backward, hidden=hidden)


def test_hidden_cases_cover_shapes_dtypes_and_edge_values():
    def hidden_cases(name):
        return grading.cases(grading.exercise(name), True)

    dropout = hidden_cases("regularization.dropout_forward")
    assert {c["x"].ndim for c in dropout} == {2, 3}
    assert any(c["x"].dtype == np.float32 for c in dropout)
    assert any(c["p_drop"] == 0 for c in dropout) and any(c["p_drop"] >= 0.6 for c in dropout)
    backward = hidden_cases("regularization.dropout_backward")
    assert any(c["x"].ndim == 3 for c in backward) and any(c["x"].dtype == np.float32 for c in backward)
    noise = hidden_cases("regularization.gaussian_noise")
    assert {c["x"].ndim for c in noise} == {1, 2, 3} and any(c["stddev"] == 0 for c in noise)
    assert any(c["x"].dtype == np.float32 for c in noise)
    for name in ("regularization.l1_penalty", "regularization.l2_penalty"):
        cases = hidden_cases(name)
        assert any(c["lam"] == 0 for c in cases) and any(c["w"].dtype == np.float32 for c in cases)
        assert all((c["w"] == 0).any() for c in cases)
    visible = grading.cases(grading.exercise("regularization.dropout_forward"), False)
    assert all(c["p_drop"] != 0.5 for c in visible)  # keep-probability dropout shows up


# ----- known conventions are named ------------------------------------------------------


def keep_probability_forward(x, p, train=True, rng=None):  # cs231n's layers.py, with p = keep
    if not train:
        return x, None
    mask = (rng.random(x.shape) < p) / p
    return (x * mask).astype(x.dtype), mask.astype(x.dtype)


def non_inverted_forward(x, p_drop, train=True, rng=None):
    if not train:
        return x * x.dtype.type(1 - p_drop), np.full_like(x, 1 - p_drop)
    mask = (rng.random(x.shape) > p_drop).astype(x.dtype)
    return x * mask, mask


def unscaled_forward(x, p_drop, train=True, rng=None):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) > p_drop).astype(x.dtype)
    return x * mask, mask


CONVENTIONS = [
    ("regularization.dropout_forward", (keep_probability_forward,), "keep-probability dropout"),
    ("regularization.dropout_forward", (non_inverted_forward,), "non-inverted dropout"),
    ("regularization.dropout_forward", (unscaled_forward,), "dropout without rescaling"),
    (
        "regularization.gaussian_noise",
        (lambda x, s, train=True, rng=None: x + np.sqrt(s) * rng.standard_normal(x.shape) if train else x.copy(),),
        "stddev used as a variance",
    ),
    (
        "regularization.gaussian_noise",
        (lambda x, s, train=True, rng=None: x + rng.normal(0, s**2, x.shape) if train else x.copy(),),
        "noise scaled by the variance",
    ),
    (
        "regularization.l1_penalty",
        (lambda w, lam: (lam * np.abs(w).sum(), lam * np.where(w < 0, -1.0, 1.0)),),
        "subgradient of \\+λ at w = 0",
    ),
    ("regularization.l2_penalty", (lambda w, lam: (lam * (w**2).sum(), 2 * lam * w),), "Keras's l2"),
    ("regularization.l2_penalty", (lambda w, lam: (lam * (w**2).sum(), lam * w),), "without the factor 1/2"),
    (
        "regularization.bias_variance",
        (lambda p, t: (((p.mean(0) - t) ** 2).mean(), p.var(0, ddof=1).mean()),),
        "ddof=1",
    ),
    (
        "regularization.bias_variance",
        (lambda p, t: (((p.mean(0) - t) ** 2).mean(), p.var(1).mean()),),
        "across test points",
    ),
    ("regularization.bias_variance", (lambda p, t: ((p.mean(0) - t).mean() ** 2, p.var(0).mean()),), "before squaring"),
]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize(
    "name, answer, convention", CONVENTIONS, ids=[f"{n.split('.')[1]}-{c[:20]}" for n, _, c in CONVENTIONS]
)
def test_known_conventions_are_named(name, answer, convention, hidden):
    with pytest.raises(GradingFailure, match=f"matches .*{convention}"), np.errstate(all="ignore"):
        check(name, *answer, hidden=hidden)


# ----- wrong answers fail with a message that says why -----------------------------------


def _fails(match, name, *answer, hidden=False):
    with pytest.raises(GradingFailure, match=match), np.errstate(all="ignore"):
        check(name, *answer, hidden=hidden)


def test_dropout_mistakes_are_explained():
    name = "regularization.dropout_forward"

    def one_mask_per_row(x, p, train=True, rng=None):
        if not train:
            return x.copy(), None
        mask = (rng.random(x.shape[-1]) >= p) / (1 - p)
        return x * mask, mask

    _fails("the mask is the same along each column", name, one_mask_per_row)

    def global_rng(x, p, train=True, rng=None):
        if not train:
            return x.copy(), None
        mask = (np.random.random(x.shape) >= p) / (1 - p)
        return x * mask, mask

    _fails("identically seeded rng gave different outputs", name, global_rng)

    def noisy_scale(x, p, train=True, rng=None):
        if not train:
            return x.copy(), None
        mask = (rng.random(x.shape) >= p) * rng.uniform(0.5, 1.5, x.shape)
        return x * mask, mask

    _fails("not all scaled by one factor", name, noisy_scale)

    def in_place(x, p, train=True, rng=None):
        if train:
            x *= (rng.random(x.shape) >= p) / (1 - p)
        return x, None

    _fails("changed x in place", name, in_place)

    def upcast(x, p, train=True, rng=None):
        if not train:
            return x.copy(), None
        mask = (rng.random(x.shape) >= p) / (1 - p)  # float64, so x * mask is float64
        return x * mask, mask

    _fails("dtype float64, expected float32", name, upcast, hidden=True)

    def drops_too_often(x, p, train=True, rng=None):
        if not train:
            return x.copy(), None
        mask = (rng.random(x.shape) >= min(0.95, p + 0.1)) / (1 - p)
        return x * mask, mask

    _fails("dropped_fraction: largest error", name, drops_too_often)

    def dropout_at_test_time(x, p, train=True, rng=None):
        mask = (rng.random(x.shape) >= p) / (1 - p)
        return x * mask, mask

    _fails("out_with_train_False", name, dropout_at_test_time)


def test_backward_must_reuse_the_forward_mask():
    def fresh_mask(dout, cache):
        return dout * (np.random.default_rng(0).random(dout.shape) >= 0.3) / 0.7

    _fails(
        "dx is not dout times the forward pass's mask",
        "regularization.dropout_backward",
        dropout_forward_uniform,
        fresh_mask,
    )
    _fails("dx is not dout times", "regularization.dropout_backward", dropout_forward_uniform, lambda dout, cache: dout)


@pytest.mark.parametrize(
    "forward, problem",
    [
        (keep_probability_forward, r"drops a fraction 0\.\d+ of the units when p_drop = 0\.\d+"),
        (non_inverted_forward, r"scales the kept units by 1, not by 1/\(1 - p_drop\)"),
        (unscaled_forward, r"scales the kept units by 1, not by 1/\(1 - p_drop\)"),
        (
            lambda x, p, train=True, rng=None: dropout_forward_uniform(x, p, train=True, rng=rng),
            r"returns, with train=False, out that differs from the input x",
        ),
        (
            lambda x, p, train=True, rng=None: dropout_forward_uniform(x, p, train, np.random.default_rng()),
            r"fails a check: two calls with identically seeded rng gave different outputs",
        ),
        (upcast(dropout_forward_uniform), r"fails a check: returned out of dtype float64, expected float32"),
    ],
    ids=["keep", "not_inverted", "unscaled", "train_ignored", "global_rng", "upcast"],
)
def test_a_wrong_forward_pass_is_named_before_the_backward_pass(forward, problem):
    with pytest.raises(GradingFailure) as info, np.errstate(all="ignore"):
        check("regularization.dropout_backward", forward, dropout_backward)  # visible: public cases
    message = str(info.value)
    assert re.search(
        f"cannot be graded yet: fix the forward pass first. On this case dropout_forward {problem}", message
    ), message
    assert 'check("regularization.dropout_forward", dropout_forward) says what is wrong' in message


def test_noise_mistakes_are_explained():
    name = "regularization.gaussian_noise"
    uniform = lambda x, s, train=True, rng=None: (  # noqa: E731  right std, wrong distribution
        x + s * math.sqrt(12) * (rng.random(x.shape) - 0.5) if train else x.copy()
    )
    _fails("fraction_within_2_std: largest error", name, uniform)
    biased = lambda x, s, train=True, rng=None: (  # noqa: E731
        x + s * (1 + rng.standard_normal(x.shape)) if train else x.copy()
    )
    _fails("noise_mean: largest error", name, biased)
    always = lambda x, s, train=True, rng=None: x + s * rng.standard_normal(x.shape)  # noqa: E731
    _fails("with train=False the output must equal x", name, always)
    _fails(
        "identically seeded rng gave different outputs",
        name,
        lambda x, s, train=True, rng=None: x + s * np.random.standard_normal(x.shape),
    )


def test_penalty_and_bias_variance_mistakes_fail():
    _fails("grad: largest error", "regularization.l1_penalty", lambda w, lam: (lam * np.abs(w).sum(), np.sign(w)))
    _fails("penalty: largest error", "regularization.l2_penalty", lambda w, lam: (lam * (w**2).mean() / 2, lam * w))
    _fails(r"should return \(bias2, variance\)", "regularization.bias_variance", lambda p, t: 0.0)


def test_builtins_and_references_are_refused():
    def torch_dropout(x, p, train=True, rng=None):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(2**31)))
            out = torch.nn.functional.dropout(torch.tensor(x), p, training=train)
        return out.numpy(), None

    _fails("calls .*dropout.*write it yourself", "regularization.dropout_forward", torch_dropout)
    from coursekit.regularization import numpy_ref

    _fails(
        "calls coursekit.regularization.numpy_ref.gaussian_noise",
        "regularization.gaussian_noise",
        lambda x, s, train=True, rng=None: numpy_ref.gaussian_noise(x, s, train=train, rng=rng),
    )
    _fails(
        "calls coursekit.regularization.numpy_ref.l1_penalty",
        "regularization.l1_penalty",
        lambda w, lam: numpy_ref.l1_penalty(w, lam),
    )

    def with_autograd(w, lam):
        t = torch.tensor(w, requires_grad=True)
        penalty = lam / 2 * (t**2).sum()
        penalty.backward()
        return penalty.item(), t.grad.numpy()

    _fails("calls .*autograd.*write it yourself", "regularization.l2_penalty", with_autograd)


def test_not_implemented_is_reported():
    def stub(*args, **kwargs):
        raise NotImplementedError()

    for name in CORRECT:
        roles = grading.exercise(name).roles
        _fails("not implemented yet", name, *([stub] * len(roles)))
