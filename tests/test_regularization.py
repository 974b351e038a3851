"""Oracle tests for coursekit.regularization's penalties and bias-variance split, NumPy and torch.

Penalties against autograd and ``torch.optim.SGD(weight_decay=...)``; the bias-variance split
against the mean squared error it decomposes; dtypes, inputs left alone and named errors for
all the functions. Dropout and Gaussian noise are in test_regularization_noise.py.
"""

import numpy as np
import pytest
import torch

from coursekit.regularization import numpy_ref, torch_ref

from conftest import torch_devices


def _weights(rng, shape=(6, 5)):
    w = rng.standard_normal(shape)
    w[0, :2] = 0.0  # the subgradient at 0 is taken as 0, as autograd does for abs
    return w


# ----- penalties ------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.0, 0.3, 2.5])
def test_penalties_match_autograd_numpy(rng, lam):
    w = _weights(rng)
    for ours, oracle in (
        (numpy_ref.l1_penalty, lambda t: lam * t.abs().sum()),
        (numpy_ref.l2_penalty, lambda t: lam / 2 * (t**2).sum()),
    ):
        wt = torch.tensor(w, requires_grad=True)
        expected = oracle(wt)
        expected.backward()
        penalty, grad = ours(w, lam)
        assert isinstance(penalty, np.float64) and grad.shape == w.shape
        np.testing.assert_allclose(penalty, expected.item(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(grad, wt.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("device", torch_devices())
def test_penalties_match_autograd_torch_and_numpy(rng, device):
    w = _weights(rng, (4, 3, 2))
    lam = 0.7
    for name, oracle in (
        ("l1_penalty", lambda t: lam * t.abs().sum()),
        ("l2_penalty", lambda t: lam / 2 * (t**2).sum()),
    ):
        wt = torch.tensor(w, device=device, requires_grad=True)
        expected = oracle(wt)
        expected.backward()
        penalty, grad = getattr(torch_ref, name)(wt.detach(), lam)
        assert grad.device.type == device and grad.dtype == torch.float64
        np.testing.assert_allclose(penalty.item(), expected.item(), rtol=1e-13)
        np.testing.assert_allclose(grad.cpu().numpy(), wt.grad.cpu().numpy(), rtol=1e-13, atol=1e-15)
        np_penalty, np_grad = getattr(numpy_ref, name)(w, lam)
        np.testing.assert_allclose(penalty.item(), np_penalty, rtol=1e-13)
        np.testing.assert_allclose(grad.cpu().numpy(), np_grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("device", torch_devices())
def test_l2_penalty_is_torch_weight_decay(rng, device):
    """SGD(weight_decay=λ) on the loss takes the same steps as plain SGD on loss + l2_penalty."""
    x, y = (
        torch.tensor(rng.standard_normal((20, 4)), device=device),
        torch.tensor(rng.standard_normal(20), device=device),
    )
    w0 = torch.tensor(rng.standard_normal(4), device=device)
    lam, lr = 0.3, 0.05

    def loss(w):
        return ((x @ w - y) ** 2).mean()

    decayed = w0.clone().requires_grad_()
    sgd = torch.optim.SGD([decayed], lr=lr, momentum=0.9, weight_decay=lam)
    ours = w0.clone()
    velocity = torch.zeros_like(ours)
    for _ in range(5):
        sgd.zero_grad()
        loss(decayed).backward()
        sgd.step()
        wt = ours.clone().requires_grad_()
        loss(wt).backward()
        _, grad = torch_ref.l2_penalty(ours, lam)
        velocity = 0.9 * velocity + wt.grad + grad
        ours = ours - lr * velocity
    torch.testing.assert_close(ours, decayed.detach(), rtol=1e-12, atol=1e-14)


def test_soft_threshold_is_the_l1_proximal_operator(rng):
    w, t = 2 * rng.standard_normal(200), 0.8
    prox = numpy_ref.soft_threshold(w, t)
    np.testing.assert_allclose(prox, w - np.clip(w, -t, t), rtol=0, atol=1e-15)
    assert np.sum(prox == 0) == np.sum(np.abs(w) <= t) > 0
    # It minimises 1/2 (z - w)^2 + t |z| elementwise: no nearby z does better.
    objective = lambda z: 0.5 * (z - w) ** 2 + t * np.abs(z)  # noqa: E731
    for step in (1e-3, -1e-3, 0.1, -0.1):
        assert np.all(objective(prox) <= objective(prox + step) + 1e-15)
    torch_prox = torch_ref.soft_threshold(torch.tensor(w), t).numpy()
    np.testing.assert_allclose(torch_prox, prox, rtol=0, atol=1e-15)


# ----- bias and variance ----------------------------------------------------------------


@pytest.mark.parametrize("device", torch_devices())
def test_bias_variance_decomposes_the_mean_squared_error(rng, device):
    predictions, target = rng.standard_normal((30, 12)) + 0.5, rng.standard_normal(12)
    bias2, variance = numpy_ref.bias_variance(predictions, target)
    mse = np.mean((predictions - target) ** 2)
    np.testing.assert_allclose(bias2 + variance, mse, rtol=1e-13)
    np.testing.assert_allclose(variance, np.var(predictions, axis=0).mean(), rtol=1e-13)
    tb, tv = torch_ref.bias_variance(torch.tensor(predictions, device=device), torch.tensor(target, device=device))
    np.testing.assert_allclose([tb.item(), tv.item()], [bias2, variance], rtol=1e-13)


# ----- dtypes, inputs left alone, bad input ---------------------------------------------


def test_float32_stays_float32_and_inputs_are_unchanged():
    x = np.random.default_rng(0).standard_normal((20, 10)).astype(np.float32)
    before = x.copy()
    rng = np.random.default_rng(0)
    checks = [
        numpy_ref.l1_penalty(x, 0.1)[0],
        numpy_ref.l1_penalty(x, 0.1)[1],
        numpy_ref.l2_penalty(x, 0.1)[0],
        numpy_ref.l2_penalty(x, 0.1)[1],
        numpy_ref.soft_threshold(x, 0.1),
        *numpy_ref.dropout_forward(x, 0.3, rng=rng),
        numpy_ref.dropout_backward(x, numpy_ref.dropout_forward(x, 0.3, rng=rng)[1]),
        numpy_ref.gaussian_noise(x, 0.3, rng=rng),
    ]
    assert all(c.dtype == np.float32 for c in checks)
    assert np.array_equal(x, before)
    xt = torch.tensor(before)
    tchecks = [
        *torch_ref.l1_penalty(xt, 0.1),
        *torch_ref.l2_penalty(xt, 0.1),
        *torch_ref.dropout_forward(xt, 0.3),
        torch_ref.gaussian_noise(xt, 0.3),
        torch_ref.soft_threshold(xt, 0.1),
    ]
    assert all(c.dtype == torch.float32 for c in tchecks)
    assert np.array_equal(xt.numpy(), before)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref])
def test_bad_arguments_are_named(module):
    x = np.ones((3, 2)) if module is numpy_ref else torch.ones(3, 2)
    kwargs = {"rng": np.random.default_rng(0)} if module is numpy_ref else {}
    for p in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="p_drop must lie in"):
            module.dropout_forward(x, p, **kwargs)
    with pytest.raises(TypeError, match="p_drop must be a real number"):
        module.dropout_forward(x, "0.5", **kwargs)
    with pytest.raises(ValueError, match="lam must be finite and >= 0"):
        module.l1_penalty(x, -1.0)
    with pytest.raises(ValueError, match="lam must be finite and >= 0"):
        module.l2_penalty(x, -0.5)
    with pytest.raises(ValueError, match="stddev must be finite and >= 0"):
        module.gaussian_noise(x, -0.2, **kwargs)
    with pytest.raises(TypeError, match="train must be True or False"):
        module.gaussian_noise(x, 0.2, train="yes", **kwargs)
    with pytest.raises(TypeError, match="w must be a"):
        module.l2_penalty([1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="dout must have shape"):
        module.dropout_backward(x[:2], module.dropout_forward(x, 0.5, **kwargs)[1])
