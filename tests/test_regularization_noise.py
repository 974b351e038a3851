"""Oracle tests for coursekit.regularization's dropout and Gaussian noise, NumPy and torch.

Both statistically (seeded, with 6-sigma bounds); dropout also against ``nn.Dropout`` in
distribution and in its train/eval switch; then their generators and the modules in a model.
Penalties, the bias-variance split and bad arguments are in test_regularization.py.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from coursekit.regularization import numpy_ref, torch_ref

from conftest import torch_devices


def _sigma_fraction(p, n):
    return math.sqrt(p * (1 - p) / n)


# ----- dropout --------------------------------------------------------------------------


def _numpy_dropout(x, p, seed):
    return numpy_ref.dropout_forward(x, p, train=True, rng=np.random.default_rng(seed))


def _torch_dropout(x, p, seed, device="cpu"):
    generator = torch.Generator(device=device).manual_seed(seed)
    out, cache = torch_ref.dropout_forward(torch.tensor(x, device=device), p, generator=generator)
    return out.cpu().numpy(), cache


def _check_dropout_statistics(x, out, p):
    n = x.size
    dropped = out == 0
    assert abs(dropped.mean() - p) <= 6 * _sigma_fraction(p, n) + 1 / n
    # Kept units are x / (1 - p), to rounding; the others are exactly zero.
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - p), rtol=4e-16, atol=0)
    # Inverted dropout keeps the mean: E[out] = x.
    ratio = out / x
    assert abs(ratio.mean() - 1) <= 6 * math.sqrt(p / (1 - p) / n)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_numpy_dropout_statistics(p):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (400, 250))
    out, mask = _numpy_dropout(x, p, seed=1)
    _check_dropout_statistics(x, out, p)
    # Each unit independently: neighbouring mask entries are uncorrelated.
    a, b = (mask[:, :-1] > 0).ravel(), (mask[:, 1:] > 0).ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) <= 6 / math.sqrt(a.size)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_torch_dropout_statistics(p, device):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (400, 250))
    out, cache = _torch_dropout(x, p, seed=1, device=device)
    assert cache.device.type == device
    _check_dropout_statistics(x, out, p)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_dropout_backward_reuses_the_forward_mask(backend):
    rng = np.random.default_rng(3)
    x, dout = rng.uniform(0.5, 2, (50, 40)), rng.standard_normal((50, 40))
    if backend == "numpy":
        out, cache = _numpy_dropout(x, 0.3, seed=4)
        dx = numpy_ref.dropout_backward(dout, cache)
    else:
        out, cache = _torch_dropout(x, 0.3, seed=4)
        dx = torch_ref.dropout_backward(torch.tensor(dout), cache).numpy()
    # d out / d x is out / x elementwise: zero where dropped, 1/(1-p) where kept.
    np.testing.assert_allclose(dx, dout * (out / x), rtol=1e-15, atol=0)
    assert np.array_equal(dx == 0, out == 0)


def test_dropout_matches_nn_dropout_in_distribution_and_autograd():
    n, p = 100_000, 0.3
    x = torch.ones(n, dtype=torch.float64, requires_grad=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        builtin = nn.Dropout(p)(x)
    ours_layer = torch_ref.Dropout(p, generator=torch.Generator().manual_seed(0))
    ours = ours_layer(x)
    ours.sum().backward()
    assert set(torch.unique(ours.detach()).tolist()) == set(torch.unique(builtin.detach()).tolist())
    gap = (ours == 0).double().mean() - (builtin == 0).double().mean()
    assert abs(gap.item()) <= 6 * math.sqrt(2 * p * (1 - p) / n)
    # The module's backward is the hand-written one: the gradient is the mask.
    torch.testing.assert_close(x.grad, ours.detach(), rtol=0, atol=0)


@pytest.mark.parametrize("device", torch_devices())
def test_dropout_module_switches_like_nn_dropout(device):
    x = torch.randn(64, 32, device=device, generator=torch.Generator(device=device).manual_seed(0))
    for layer in (torch_ref.Dropout(0.4), nn.Dropout(0.4)):
        layer.eval()
        assert torch.equal(layer(x), x)
        layer.train()
        out = layer(x)
        assert out.device == x.device and out.dtype == x.dtype
        kept = out != 0
        torch.testing.assert_close(out[kept], x[kept] / 0.6)
        assert 0.25 < (~kept).float().mean().item() < 0.55
    assert repr(torch_ref.Dropout(0.4)) == "Dropout(p=0.4)"


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_dropout_is_the_identity_at_test_time(backend):
    x = np.random.default_rng(5).standard_normal((7, 3))
    if backend == "numpy":
        out, cache = numpy_ref.dropout_forward(x, 0.6, train=False, rng=np.random.default_rng(0))
        dx = numpy_ref.dropout_backward(x, cache)
    else:
        xt = torch.tensor(x)
        out, cache = torch_ref.dropout_forward(xt, 0.6, train=False)
        dx = torch_ref.dropout_backward(xt, cache)
        assert out is not xt
        out, dx = out.numpy(), dx.numpy()
    assert out is not x and np.array_equal(out, x) and np.array_equal(dx, x)


def test_dropout_is_reproducible_from_its_generator():
    x = np.ones((30, 30))
    a, _ = _numpy_dropout(x, 0.5, seed=7)
    b, _ = _numpy_dropout(x, 0.5, seed=7)
    c, _ = _numpy_dropout(x, 0.5, seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    ta, _ = _torch_dropout(x, 0.5, seed=7)
    tb, _ = _torch_dropout(x, 0.5, seed=7)
    assert np.array_equal(ta, tb)


def test_dropout_with_p_zero_changes_nothing():
    x = np.random.default_rng(0).standard_normal((5, 4))
    out, _ = numpy_ref.dropout_forward(x, 0.0, rng=np.random.default_rng(0))
    assert np.array_equal(out, x)
    tout, _ = torch_ref.dropout_forward(torch.tensor(x), 0.0)
    assert np.array_equal(tout.numpy(), x)


# ----- Gaussian noise -------------------------------------------------------------------


def _check_normal(noise, stddev):
    n = noise.size
    assert abs(noise.mean()) <= 6 * stddev / math.sqrt(n)
    assert abs(noise.std() / stddev - 1) <= 6 / math.sqrt(2 * n)
    for k in (1, 2, 3):  # the fraction within k sigma is that of a normal distribution
        within = (np.abs(noise) <= k * stddev).mean()
        expected = math.erf(k / math.sqrt(2))
        assert abs(within - expected) <= 6 * _sigma_fraction(expected, n)


@pytest.mark.parametrize("stddev", [0.1, 1.5])
def test_numpy_gaussian_noise_statistics(stddev):
    x = np.random.default_rng(0).standard_normal((300, 200))
    out = numpy_ref.gaussian_noise(x, stddev, rng=np.random.default_rng(1))
    _check_normal(out - x, stddev)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("stddev", [0.1, 1.5])
def test_torch_gaussian_noise_statistics(stddev, device):
    x = torch.randn(
        300, 200, dtype=torch.float64, device=device, generator=torch.Generator(device=device).manual_seed(0)
    )
    out = torch_ref.gaussian_noise(x, stddev, generator=torch.Generator(device=device).manual_seed(1))
    assert out.device == x.device and out.dtype == x.dtype
    _check_normal((out - x).cpu().numpy(), stddev)


@pytest.mark.parametrize("device", torch_devices())
def test_gaussian_noise_is_the_identity_at_test_time(device):
    x = np.random.default_rng(2).standard_normal((6, 4))
    assert np.array_equal(numpy_ref.gaussian_noise(x, 0.5, train=False), x)
    assert np.array_equal(numpy_ref.gaussian_noise(x, 0.0, rng=np.random.default_rng(0)), x)
    xt = torch.tensor(x, device=device)
    assert torch.equal(torch_ref.gaussian_noise(xt, 0.5, train=False), xt)
    layer = torch_ref.GaussianNoise(0.5)
    assert torch.equal(layer.eval()(xt), xt)
    assert not torch.equal(layer.train()(xt), xt)


def test_gaussian_noise_module_passes_gradients_through():
    x = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    torch_ref.GaussianNoise(0.3, generator=torch.Generator().manual_seed(0))(x).sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


# ----- generators, and the modules in a model ------------------------------------------


def test_numpy_needs_a_generator_and_torch_a_matching_one():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        numpy_ref.dropout_forward(np.ones(3), 0.5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        numpy_ref.gaussian_noise(np.ones(3), 0.5, rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        torch_ref.dropout_forward(torch.ones(3), 0.5, generator=0)
    with pytest.raises(ValueError, match="p_drop must lie in"):
        torch_ref.Dropout(1.0)
    with pytest.raises(ValueError, match="stddev must be finite and >= 0"):
        torch_ref.GaussianNoise(-1.0)
    if torch.cuda.is_available():
        with pytest.raises(ValueError, match="generator is on cpu but x is on cuda"):
            torch_ref.dropout_forward(torch.ones(3, device="cuda"), 0.5, generator=torch.Generator())


def test_modules_plug_into_build_mlp():
    from coursekit.training import build_mlp

    model = build_mlp(
        [2, 8, 2], p_drop=0.2, input_noise=0.1, layers={"dropout": torch_ref.Dropout, "noise": torch_ref.GaussianNoise}
    )
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["GaussianNoise", "Linear", "ReLU", "Dropout", "Linear"]
    assert isinstance(model[3], torch_ref.Dropout)
    x = torch.randn(16, 2)
    model(x).sum().backward()
    assert model[1].weight.grad is not None
    model.eval()
    assert torch.equal(model(x), model(x))
