"""The BatchNorm exercises: independent correct answers pass, wrong ones fail, and every
known alternative convention is named in the feedback.

The correct answers here are written independently of the references (other formulas, a
staged backward pass, np.var with ddof), since calling the reference is refused by design.
"""

import re

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.grading import GradingFailure, check

from float32_answers import upcast

EXERCISES = ("batchnorm_train_forward", "batchnorm_backward_graph", "batchnorm_backward", "batchnorm_forward")


# ----- independent answers -----------------------------------------------------------------


def train_forward(x, gamma, beta, eps=1e-5, *, ddof=0, eps_on_std=False, axis=0, no_eps=False):
    mu = np.average(x, axis=axis, weights=None)
    mu = mu[None, :] if axis == 0 else mu[:, None]
    sigma = np.std(x, axis=axis, ddof=ddof, keepdims=True)
    denominator = sigma + eps if eps_on_std else sigma if no_eps else np.sqrt(sigma**2 + eps)
    xhat = (x - mu) / denominator
    return np.einsum("d,nd->nd", gamma, xhat) + beta, {"x": x, "mu": mu, "var": sigma**2, "eps": eps, "gamma": gamma}


def backward_staged(dout, cache):
    """cs231n-style: back through out = gamma*xhat + beta, xhat = xc * ivar, ivar, var, xc, mu."""
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    n = x.shape[0]
    xc = x - mu
    sqrtvar = np.sqrt(var + eps)
    ivar = 1 / sqrtvar
    xhat = xc * ivar
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xc, axis=0)
    dxc1 = dxhat * ivar
    dsqrtvar = -divar / sqrtvar**2
    dvar = 0.5 * dsqrtvar / sqrtvar
    dsq = np.ones_like(x) * dvar / n
    dxc2 = 2 * xc * dsq
    dmu = -np.sum(dxc1 + dxc2, axis=0)
    dx = dxc1 + dxc2 + np.ones_like(x) * dmu / n
    return dx, dgamma, dbeta


def backward_closed(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    n = len(x)
    xhat = (x - mu) / np.sqrt(var + eps)
    dbeta, dgamma = dout.sum(0), (dout * xhat).sum(0)
    dx = gamma / (n * np.sqrt(var + eps)) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def full_forward(
    x,
    gamma,
    beta,
    running_mean,
    running_var,
    *,
    train=True,
    momentum=0.1,
    eps=1e-5,
    keras=False,
    running_ddof=1,
    norm_ddof=0,
    ignore_train=False,
    no_eps=False,
    batch_stats=False,
):
    if train or ignore_train:
        mu, var = x.mean(0), x.var(0, ddof=norm_ddof)
        keep = momentum if keras else 1 - momentum
        running_mean = keep * running_mean + (1 - keep) * mu
        running_var = keep * running_var + (1 - keep) * np.var(x, axis=0, ddof=running_ddof)
    elif batch_stats:  # the batch's own statistics at test time; running ones returned unchanged
        mu, var = x.mean(0), x.var(0)
    else:
        mu, var = running_mean, running_var
    return gamma * (x - mu) / np.sqrt(var + (0 if no_eps else eps)) + beta, None, running_mean, running_var


CORRECT = {
    "batchnorm_train_forward": (train_forward,),
    "batchnorm_backward_graph": (train_forward, backward_staged),
    "batchnorm_backward": (train_forward, backward_closed),
    "batchnorm_forward": (full_forward,),
}


@pytest.mark.parametrize("name", EXERCISES)
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(f"batchnorm.{name}", *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


def test_solution_backwards_are_interchangeable():
    """The staged and the closed-form backward of the answers above accept the same cache."""
    check("batchnorm.batchnorm_backward_graph", train_forward, backward_closed)
    check("batchnorm.batchnorm_backward", train_forward, backward_staged)


@pytest.mark.parametrize("name", EXERCISES)
def test_cases_are_seeded_random_and_hidden_ones_vary_shapes(name):
    ex = grading.exercise(f"batchnorm.{name}")
    visible, hidden = grading.cases(ex, False), grading.cases(ex, True)
    assert len(hidden) > len(visible)
    assert not any(v["x"].shape == h["x"].shape and np.allclose(v["x"], h["x"]) for v in visible for h in hidden)
    assert len({h["x"].shape for h in hidden}) > 2
    assert all(np.array_equal(a["x"], b["x"]) for a, b in zip(visible, grading.cases(ex, False)))


def test_full_forward_cases_cover_both_modes():
    ex = grading.exercise("batchnorm.batchnorm_forward")
    for hidden in (False, True):
        assert {c["train"] for c in grading.cases(ex, hidden)} == {True, False}


# ----- wrong answers, and the conventions they are told -------------------------------------


def _expect(name, answers, pattern, hidden=True):
    with pytest.raises(GradingFailure, match=pattern), np.errstate(all="ignore"):
        check(f"batchnorm.{name}", *answers, hidden=hidden)


@pytest.mark.parametrize(
    "answer, convention",
    [
        (lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, ddof=1), "the unbiased variance in the normalisation"),
        (lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, eps_on_std=True), "eps added to the standard deviation"),
        (lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, no_eps=True), "eps left out"),
        (lambda x, g, b, eps=1e-3: train_forward(x, g, b, eps), r"Keras's eps \(1e-3\)"),
        (lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, axis=1), r"statistics over the features \(axis=1\)"),
    ],
)
def test_train_forward_conventions_are_named(answer, convention):
    _expect("batchnorm_train_forward", (answer,), f"matches {convention}")
    _expect("batchnorm_train_forward", (answer,), f"matches {convention}", hidden=False)


def _constant_statistics(dout, cache):
    return dout * cache["gamma"] / np.sqrt(cache["var"] + cache["eps"]), *backward_closed(dout, cache)[1:]


def _without_variance_path(dout, cache):
    dx, dgamma, dbeta = _constant_statistics(dout, cache)
    return dx - dx.mean(0), dgamma, dbeta


def _without_mean_path(dout, cache):
    dx, dgamma, dbeta = _constant_statistics(dout, cache)
    xhat = (cache["x"] - cache["mu"]) / np.sqrt(cache["var"] + cache["eps"])
    return dx - xhat * (dx * xhat).mean(0), dgamma, dbeta


def _averaged(dout, cache):
    dx, dgamma, dbeta = backward_closed(dout, cache)
    return dx, dgamma / len(dout), dbeta / len(dout)


@pytest.mark.parametrize("name", ["batchnorm_backward_graph", "batchnorm_backward"])
@pytest.mark.parametrize(
    "answer, convention",
    [
        (_constant_statistics, "mu and sigma\\^2 treated as constants"),
        (_without_variance_path, "sigma\\^2 treated as a constant"),
        (_without_mean_path, "mu treated as a constant"),
        (_averaged, "dgamma and dbeta averaged over the batch"),
    ],
)
def test_backward_conventions_are_named(name, answer, convention):
    _expect(name, (train_forward, answer), f"matches {convention}")


@pytest.mark.parametrize(
    "answer, convention",
    [
        (lambda *a, **k: full_forward(*a, **k, running_ddof=0), "the biased running variance"),
        (lambda *a, **k: full_forward(*a, **k, keras=True), "Keras's momentum convention"),
        (
            lambda *a, train=True, momentum=0.99, eps=1e-5: full_forward(
                *a, train=train, momentum=momentum, eps=eps, keras=True
            ),
            r"Keras's defaults \(momentum=0.99 weighting the old statistic\)",
        ),
        (
            lambda *a, train=True, momentum=0.99, eps=1e-5: full_forward(*a, train=train, momentum=momentum, eps=eps),
            "Keras's momentum=0.99 as the default",
        ),
        (lambda *a, **k: full_forward(*a, **k, norm_ddof=1), "the unbiased variance in the normalisation"),
        (
            lambda *a, train=True, momentum=0.1, eps=1e-3: full_forward(*a, train=train, momentum=momentum, eps=eps),
            r"Keras's eps \(1e-3\)",
        ),
        (
            lambda *a, **k: full_forward(*a, **k, ignore_train=True),
            r"batch statistics and an update at test time \(train=False ignored\)",
        ),
        (
            lambda *a, **k: full_forward(*a, **k, batch_stats=True),
            r"the batch statistics at test time\. With train=False",
        ),
        (lambda *a, **k: full_forward(*a, **k, no_eps=True), "eps left out"),
    ],
)
def test_full_forward_conventions_are_named(answer, convention):
    _expect("batchnorm_forward", (answer,), f"matches {convention}")
    _expect("batchnorm_forward", (answer,), f"matches {convention}", hidden=False)


def test_feedback_explains_the_momentum_convention():
    def keras(*a, **k):
        return full_forward(*a, **k, keras=True)

    _expect(
        "batchnorm_forward",
        (keras,),
        r"(?s)running_mean.*largest error.*momentum weights the NEW batch "
        r"statistic.*decay.*is 1 - momentum",
    )


def test_unrecognised_wrong_answers_fail_without_a_convention():
    def no_update(x, g, b, rm, rv, *, train=True, momentum=0.1, eps=1e-5):
        return full_forward(x, g, b, rm, rv, train=False, eps=eps)[0] * 0 + 1, None, rm, rv

    with pytest.raises(GradingFailure) as info:
        check("batchnorm.batchnorm_forward", no_update)
    assert "largest error" in str(info.value) and "matches" not in str(info.value)


def test_changing_the_inputs_in_place_is_reported():
    def in_place(x, g, b, rm, rv, *, train=True, momentum=0.1, eps=1e-5):
        out, cache, new_mean, new_var = full_forward(x, g, b, rm, rv, train=train, momentum=momentum, eps=eps)
        rm[...] = new_mean
        return out, cache, rm, new_var

    _expect("batchnorm_forward", (in_place,), "changed running_mean in place")

    def centre_in_place(x, g, b, eps=1e-5):
        x -= x.mean(0)
        return train_forward(x, g, b, eps)

    _expect("batchnorm_train_forward", (centre_in_place,), "changed x in place")


def test_stubs_wrong_returns_and_exceptions():
    def stub(x, g, b, eps=1e-5):
        raise NotImplementedError()

    _expect("batchnorm_train_forward", (stub,), "not implemented yet")
    _expect("batchnorm_train_forward", (lambda x, g, b, eps=1e-5: x,), r"should return \(out, cache\)")
    _expect(
        "batchnorm_forward",
        (lambda *a, **k: full_forward(*a, **k)[:3],),
        r"should return \(out, cache, new_running_mean, new_running_var\), got a tuple of 3",
    )
    _expect("batchnorm_backward", (train_forward, lambda dout, cache: 1 / 0), "raised ZeroDivisionError")


def test_torch_builtins_and_autograd_are_refused():
    import torch.nn.functional as F

    def via_torch(x, g, b, eps=1e-5):
        out = F.batch_norm(torch.tensor(x), None, None, torch.tensor(g), torch.tensor(b), training=True, eps=eps)
        return out.numpy(), None

    _expect("batchnorm_train_forward", (via_torch,), "calls .*batch_norm.*write it yourself")

    def autograd_forward(x, g, b, eps=1e-5):
        out, cache = train_forward(x, g, b, eps)
        return out, {**cache, "x": x}

    def via_autograd(dout, cache):
        x, g = (torch.tensor(cache[k], requires_grad=True) for k in ("x", "gamma"))
        xhat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + cache["eps"])
        (g * xhat).backward(torch.tensor(dout))
        return x.grad.numpy(), g.grad.numpy(), dout.sum(0)

    _expect("batchnorm_backward", (autograd_forward, via_autograd), "calls torch.autograd.backward")


def test_calling_the_reference_earns_nothing():
    from coursekit.batchnorm import batchnorm_forward

    _expect(
        "batchnorm_forward",
        (lambda *a, **k: batchnorm_forward(*a, **k),),
        "calls coursekit.batchnorm.numpy_ref.batchnorm_forward",
    )


# ----- the backward exercises check the forward pass first ---------------------------------


@pytest.mark.parametrize("name", ["batchnorm_backward_graph", "batchnorm_backward"])
@pytest.mark.parametrize(
    "forward, problem",
    [
        (lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, no_eps=True), r"at index \(\d+, \d+\) expected"),
        (lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, ddof=1), r"at index \(\d+, \d+\) expected"),
        (upcast(train_forward), r"has dtype float64, expected float32"),
        (lambda x, g, b, eps=1e-5: (train_forward(x, g, b, eps)[0][:1], train_forward(x, g, b, eps)[1]), "has shape"),
    ],
)
def test_a_wrong_forward_pass_is_named_before_the_backward_pass(name, forward, problem):
    backward = CORRECT[name][1]
    with pytest.raises(GradingFailure) as info:
        check(f"batchnorm.{name}", forward, backward, hidden=True)
    message = str(info.value)
    assert "cannot be graded yet: fix the forward pass first" in message
    assert re.search(f"batchnorm_train_forward returned out that .*{problem}", message), message
    assert 'check("batchnorm.batchnorm_train_forward", batchnorm_train_forward)' in message
    assert "largest error" not in message and "matches" not in message


def test_forgetting_eps_is_named_on_the_first_case():
    no_eps = lambda x, g, b, eps=1e-5: train_forward(x, g, b, eps, no_eps=True)  # noqa: E731
    for hidden in (False, True):
        _expect(
            "batchnorm_train_forward",
            (no_eps,),
            r"case 1 of (?s:.*)matches eps left out\. Normalise with "
            r"sqrt\(var \+ eps\)",
            hidden,
        )


def test_batch_statistics_at_test_time_are_named():
    answer = lambda *a, **k: full_forward(*a, **k, batch_stats=True)  # noqa: E731
    for hidden in (False, True):
        with pytest.raises(GradingFailure) as info:
            check("batchnorm.batchnorm_forward", answer, hidden=hidden)
        message = str(info.value)
        assert "train=False" in message.splitlines()[0]
        errors = message.split("matches")[0].splitlines()[1:]
        assert errors and not any("running_" in line for line in errors)  # the running averages are right
        assert "matches the batch statistics at test time" in message
