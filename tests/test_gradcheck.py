"""Oracle tests for coursekit.gradcheck: closed-form gradients and autograd."""

import numpy as np
import pytest
import torch

from coursekit.gradcheck import numpy_ref, torch_ref

from conftest import torch_devices


def test_numpy_numerical_gradient_matches_closed_form(rng):
    a = rng.standard_normal((3, 4))
    x = rng.standard_normal((3, 4))
    x_before = x.copy()
    grad = numpy_ref.numerical_gradient(lambda v: np.sum(a * np.sin(v)) + np.sum(v**3), x)
    np.testing.assert_allclose(grad, a * np.cos(x) + 3 * x**2, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(x, x_before)


@pytest.mark.parametrize("device", torch_devices())
def test_torch_numerical_gradient_matches_autograd(rng, device):
    x = torch.tensor(rng.standard_normal((2, 3, 2)), device=device)
    f = lambda v: (torch.tanh(v) * v).sum() + (v**2).prod()  # noqa: E731
    xg = x.clone().requires_grad_(True)
    f(xg).backward()
    grad = torch_ref.numerical_gradient(f, x)
    assert grad.device.type == device and grad.shape == x.shape
    np.testing.assert_allclose(grad.cpu().numpy(), xg.grad.cpu().numpy(), rtol=1e-7, atol=1e-8)


def test_backends_agree(rng):
    x = rng.standard_normal(5)
    g_np = numpy_ref.numerical_gradient(lambda v: float(np.sum(np.exp(v) * v)), x)
    g_t = torch_ref.numerical_gradient(lambda v: (torch.exp(v) * v).sum(), torch.tensor(x))
    np.testing.assert_allclose(g_np, g_t.numpy(), rtol=1e-9)


def test_relative_error_definition():
    a, b = np.array([1.0, 2.0, 0.0]), np.array([1.0, 2.2, 0.0])
    expected = 0.2 / 4.2  # elementwise max of |a-b| / max(1e-8, |a|+|b|)
    assert numpy_ref.relative_error(a, b) == pytest.approx(expected)
    assert torch_ref.relative_error(torch.tensor(a), torch.tensor(b)) == pytest.approx(expected)
    assert numpy_ref.relative_error(a, a) == 0.0


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="a and b must have the same shape"):
        numpy_ref.relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="h must be finite and > 0"):
        numpy_ref.numerical_gradient(np.sum, np.zeros(2), h=0)
    with pytest.raises(TypeError, match="f must be callable"):
        numpy_ref.numerical_gradient(3, np.zeros(2))
    with pytest.raises(TypeError, match="f\\(x\\) must return a scalar"):
        numpy_ref.numerical_gradient(lambda v: v, np.zeros(2))
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        numpy_ref.numerical_gradient(np.sum, np.zeros(2, dtype=int))
