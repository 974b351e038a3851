"""Oracle tests for coursekit.activations: torch.nn.functional for the values, autograd for
the derivatives, for the NumPy and the torch references."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.activations import numpy_ref, torch_ref

from conftest import torch_devices

# name -> (torch built-in, keyword arguments the built-in takes for our alpha)
ORACLES = {
    "sigmoid": (torch.sigmoid, None),
    "tanh": (torch.tanh, None),
    "relu": (F.relu, None),
    "leaky_relu": (F.leaky_relu, "negative_slope"),
    "elu": (F.elu, "alpha"),
    "selu": (F.selu, None),
}
ALPHAS = {"leaky_relu": [None, 0.2, 1.5], "elu": [None, 0.5, 2.0]}
CASES = [(name, alpha) for name in ORACLES for alpha in ALPHAS.get(name, [None])]


def _inputs(rng):
    """Values of every magnitude, both signs, and exact zeros (the kinks)."""
    z = np.concatenate([rng.standard_normal(40) * s for s in (0.01, 1.0, 5.0, 40.0)])
    return np.concatenate([z, [0.0, -0.0, 1e-300, -1e-300, 700.0, -700.0]])


def _oracle(name, alpha, z):
    builtin, keyword = ORACLES[name]
    zt = torch.tensor(z, requires_grad=True)
    kwargs = {} if alpha is None else {keyword: alpha}
    out = builtin(zt, **kwargs)
    out.backward(torch.ones_like(out))  # elementwise function: the gradient of the sum is f'
    return out.detach().numpy(), zt.grad.numpy()


def _ours(ref, name, alpha, z):
    kwargs = {} if alpha is None else {"alpha": alpha}
    return getattr(ref, name)(z, **kwargs), getattr(ref, f"{name}_grad")(z, **kwargs)


@pytest.mark.parametrize("name, alpha", CASES)
def test_numpy_matches_functional_and_autograd(rng, name, alpha):
    z = _inputs(rng)
    out, grad = _ours(numpy_ref, name, alpha, z)
    oracle_out, oracle_grad = _oracle(name, alpha, z)
    np.testing.assert_allclose(out, oracle_out, rtol=1e-13, atol=1e-300)
    # autograd's 1 - tanh**2 and s * (1 - s) cancel for large |z|: compare absolutely there
    np.testing.assert_allclose(grad, oracle_grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name, alpha", CASES)
def test_torch_matches_functional_autograd_and_numpy(rng, name, alpha, device):
    z = _inputs(rng)
    out, grad = _ours(torch_ref, name, alpha, torch.tensor(z, device=device))
    assert out.device.type == device and grad.device.type == device
    assert out.dtype == grad.dtype == torch.float64
    oracle_out, oracle_grad = _oracle(name, alpha, z)
    np.testing.assert_allclose(out.cpu().numpy(), oracle_out, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(grad.cpu().numpy(), oracle_grad, rtol=1e-13, atol=1e-15)
    np_out, np_grad = _ours(numpy_ref, name, alpha, z)
    np.testing.assert_allclose(out.cpu().numpy(), np_out, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(grad.cpu().numpy(), np_grad, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name, alpha", CASES)
def test_derivatives_match_central_differences(rng, name, alpha):
    z = rng.uniform(-4, 4, size=50)
    z = z[np.abs(z) > 1e-3]  # away from the kink, where the difference quotient straddles it
    h = 1e-6
    f = lambda x: _ours(numpy_ref, name, alpha, x)[0]  # noqa: E731
    np.testing.assert_allclose(
        _ours(numpy_ref, name, alpha, z)[1], (f(z + h) - f(z - h)) / (2 * h), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("name, alpha", CASES)
def test_float32_stays_float32_and_inputs_are_unchanged(rng, name, alpha):
    z = rng.standard_normal((3, 4)).astype(np.float32)
    before = z.copy()
    for part in _ours(numpy_ref, name, alpha, z):
        assert part.dtype == np.float32 and part.shape == (3, 4)
    np.testing.assert_array_equal(z, before)
    zt = torch.tensor(z)
    for part in _ours(torch_ref, name, alpha, zt):
        assert part.dtype == torch.float32 and part.shape == (3, 4)
    np.testing.assert_array_equal(zt.numpy(), before)


def test_no_overflow_warnings_for_large_inputs():
    z = np.array([-1000.0, -100.0, 100.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ORACLES:
            _ours(numpy_ref, name, None, z)


def test_sign_and_precision_where_a_naive_formula_cancels():
    z = np.array([-40.0, -20.0, 20.0, 40.0])
    # sech(z)^2 = 4 exp(-2|z|) / (1 + exp(-2|z|))^2 and s(1-s) = exp(-|z|) / (1 + exp(-|z|))^2
    np.testing.assert_allclose(numpy_ref.tanh_grad(z), 1 / np.cosh(z) ** 2, rtol=1e-13)
    np.testing.assert_allclose(numpy_ref.sigmoid_grad(z), 1 / (2 + 2 * np.cosh(z)), rtol=1e-13)
    tiny = np.array([1e-10, -1e-10])
    np.testing.assert_allclose(numpy_ref.tanh(tiny), tiny, rtol=1e-15)


def test_elu_derivative_identity_and_selu_fixed_point():
    z = np.linspace(-5, -0.1, 20)
    np.testing.assert_allclose(numpy_ref.elu_grad(z, 0.7), numpy_ref.elu(z, 0.7) + 0.7, rtol=1e-14)
    # The SELU constants make N(0, 1) a fixed point (Klambauer et al. 2017): for z ~ N(0, 1),
    # E[selu(z)] = 0 and E[selu(z)^2] = 1. Quadrature on each side of the kink.
    from scipy.integrate import quad

    density = lambda t: np.exp(-t * t / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    selu = lambda t: float(numpy_ref.selu(np.array([t]))[0])  # noqa: E731

    def moment(k):
        return sum(
            quad(lambda t: selu(t) ** k * density(t), a, b, epsabs=1e-13)[0] for a, b in ((-np.inf, 0), (0, np.inf))
        )

    assert abs(moment(1)) < 1e-9 and abs(moment(2) - 1) < 1e-9


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_input_gets_clear_errors(backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    conv = np.asarray if backend == "numpy" else torch.tensor
    with pytest.raises(TypeError, match="z must be a"):
        ref.relu([1.0, -1.0])
    with pytest.raises(TypeError, match="z must have a floating dtype"):
        ref.sigmoid(conv([1, 2]))
    with pytest.raises(ValueError, match="alpha must be finite and >= 0"):
        ref.leaky_relu(conv([1.0]), alpha=-0.1)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        ref.elu_grad(conv([1.0]), alpha="1")


def test_package_reexports_numpy_and_names_match():
    import coursekit.activations as pkg

    assert pkg.elu is numpy_ref.elu
    names = [n for n in dir(numpy_ref) if not n.startswith("_") and callable(getattr(numpy_ref, n))]
    for name in names:
        assert hasattr(torch_ref, name), name
