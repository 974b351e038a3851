"""Oracle tests for GELU, SiLU and Mish (coursekit.activations, topic 10).

Values against torch's ``F.gelu(approximate=...)``, ``F.silu`` and ``F.mish``; derivatives
against autograd through those built-ins, and against central differences; then dtypes,
devices, inputs left alone and errors.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.activations import numpy_ref, torch_ref
from coursekit.gradcheck import numerical_gradient

from conftest import torch_devices

# name, our keyword arguments, the torch built-in
CASES = [
    ("gelu", {}, lambda z: F.gelu(z)),
    ("gelu", {"approximate": "none"}, lambda z: F.gelu(z, approximate="none")),
    ("gelu", {"approximate": "tanh"}, lambda z: F.gelu(z, approximate="tanh")),
    ("silu", {}, F.silu),
    ("mish", {}, F.mish),
]
IDS = ["gelu-default", "gelu-none", "gelu-tanh", "silu", "mish"]


def _points():
    """Dense near 0 (where the functions bend), wide tails, and exact 0."""
    rng = np.random.default_rng(0)
    return np.concatenate(
        [np.linspace(-8, 8, 1601), rng.standard_normal(500) * 3, [-40.0, -20.0, 0.0, 20.0, 40.0, 1e-3, -1e-3]]
    ).reshape(-1, 4)


def _builtin(fn, z, device="cpu"):
    zt = torch.tensor(z, device=device, requires_grad=True)
    out = fn(zt)
    (grad,) = torch.autograd.grad(out.sum(), zt)
    return out.detach().cpu().numpy(), grad.cpu().numpy()


@pytest.mark.parametrize("name, kwargs, builtin", CASES, ids=IDS)
def test_numpy_values_and_derivatives_equal_torch(name, kwargs, builtin):
    z = _points()
    value, grad = _builtin(builtin, z)
    np.testing.assert_allclose(getattr(numpy_ref, name)(z, **kwargs), value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(getattr(numpy_ref, f"{name}_grad")(z, **kwargs), grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name, kwargs, builtin", CASES, ids=IDS)
def test_torch_values_and_derivatives_equal_torch(name, kwargs, builtin, device):
    z = _points()
    value, grad = _builtin(builtin, z, device)
    zt = torch.tensor(z, device=device)
    out, derivative = getattr(torch_ref, name)(zt, **kwargs), getattr(torch_ref, f"{name}_grad")(zt, **kwargs)
    assert out.device.type == device and derivative.device.type == device
    np.testing.assert_allclose(out.cpu().numpy(), value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(derivative.cpu().numpy(), grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, kwargs, builtin", CASES, ids=IDS)
def test_derivative_matches_central_differences(name, kwargs, builtin):
    z = np.random.default_rng(1).uniform(-4, 4, 40)
    f = getattr(numpy_ref, name)
    numeric = np.array([numerical_gradient(lambda x, i=i: float(f(x, **kwargs)[i]), z)[i] for i in range(z.size)])
    np.testing.assert_allclose(getattr(numpy_ref, f"{name}_grad")(z, **kwargs), numeric, rtol=1e-6, atol=1e-8)


def test_gelu_closed_forms():
    # GELU(z) = z Phi(z): Phi(0) = 1/2, Phi(1) = 0.8413447460685429 (a table value).
    z = np.array([0.0, 1.0, -1.0])
    np.testing.assert_allclose(numpy_ref.gelu(z), [0.0, 0.8413447460685429, -(1 - 0.8413447460685429)], rtol=1e-14)
    np.testing.assert_allclose(numpy_ref.gelu_grad(np.zeros(1)), [0.5])
    np.testing.assert_allclose(numpy_ref.silu_grad(np.zeros(1)), [0.5])
    np.testing.assert_allclose(numpy_ref.mish_grad(np.zeros(1)), [np.tanh(np.log(2))])
    # the tanh approximation is close to, but not, the exact GELU
    wide = np.linspace(-5, 5, 1001)
    gap = np.abs(numpy_ref.gelu(wide, "tanh") - numpy_ref.gelu(wide)).max()
    assert 1e-5 < gap < 1e-3


@pytest.mark.parametrize("name, kwargs, builtin", CASES, ids=IDS)
def test_float32_stays_float32_and_inputs_are_unchanged(name, kwargs, builtin):
    z = _points().astype(np.float32)
    before = z.copy()
    value, grad = _builtin(builtin, z)
    for fn, expected in ((getattr(numpy_ref, name), value), (getattr(numpy_ref, f"{name}_grad"), grad)):
        out = fn(z, **kwargs)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=2e-5, atol=2e-6)
    zt = torch.tensor(z)
    for fn in (getattr(torch_ref, name), getattr(torch_ref, f"{name}_grad")):
        assert fn(zt, **kwargs).dtype == torch.float32
    np.testing.assert_array_equal(z, before)
    np.testing.assert_array_equal(zt.numpy(), before)


def test_modern_functions_are_listed_apart_from_the_notes_six():
    assert set(numpy_ref.MODERN_FUNCTIONS) == set(torch_ref.MODERN_FUNCTIONS) == {"gelu", "silu", "mish"}
    assert not set(numpy_ref.MODERN_FUNCTIONS) & set(numpy_ref.FUNCTIONS)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_bad_arguments_get_clear_errors(module):
    z = np.ones(3) if module is numpy_ref else torch.ones(3)
    for fn in (module.gelu, module.gelu_grad):
        with pytest.raises(ValueError, match="unknown approximate 'erf'; choose from none, tanh"):
            fn(z, approximate="erf")
        with pytest.raises(ValueError, match="unknown approximate True"):
            fn(z, approximate=True)  # Keras's boolean is not torch's name
    for fn in (module.silu, module.mish, module.mish_grad, module.silu_grad):
        with pytest.raises(TypeError, match="z must be"):
            fn([1.0, 2.0])
    integers = np.arange(3) if module is numpy_ref else torch.arange(3)
    with pytest.raises(TypeError, match="z must have a floating dtype"):
        module.gelu(integers)
