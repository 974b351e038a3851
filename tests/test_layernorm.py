"""Oracle tests for coursekit.layernorm (topic 10).

Forward against ``F.layer_norm``/``nn.LayerNorm``; backward against autograd through the
built-in and against central differences; the from-scratch ``LayerNorm`` module against
``nn.LayerNorm`` (outputs, gradients, state_dict, train/eval); then dtypes, devices, inputs
left alone and errors.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.gradcheck import numerical_gradient
from coursekit.layernorm import numpy_ref, torch_ref

from conftest import torch_devices

SHAPES = [(6, 5), (3, 4, 7), (9,), (1, 3)]


def _case(shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    d = shape[-1]
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 4) + rng.uniform(-3, 3)).astype(dtype)
    gamma, beta = rng.standard_normal(d).astype(dtype), rng.standard_normal(d).astype(dtype)
    return x, gamma, beta, rng.standard_normal(shape).astype(dtype)


def _builtin(x, gamma, beta, dout, eps=1e-5, device="cpu"):
    xt, gt, bt = (torch.tensor(a, device=device, requires_grad=True) for a in (x, gamma, beta))
    out = F.layer_norm(xt, (x.shape[-1],), gt, bt, eps=eps)
    out.backward(torch.tensor(dout, device=device))
    return [t.detach().cpu().numpy() for t in (out, xt.grad, gt.grad, bt.grad)]


@pytest.mark.parametrize("eps", [1e-5, 1e-3, 0.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_numpy_forward_and_backward_equal_autograd(shape, eps):
    x, gamma, beta, dout = _case(shape)
    out, dx, dgamma, dbeta = _builtin(x, gamma, beta, dout, eps)
    got, cache = numpy_ref.layernorm_forward(x, gamma, beta, eps=eps)
    np.testing.assert_allclose(got, out, rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(numpy_ref.layernorm_backward(dout, cache), (dx, dgamma, dbeta)):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("shape", SHAPES)
def test_torch_forward_and_backward_equal_autograd(shape, device):
    x, gamma, beta, dout = _case(shape, seed=1)
    expected = _builtin(x, gamma, beta, dout, device=device)
    xt, gt, bt, dt = (torch.tensor(a, device=device) for a in (x, gamma, beta, dout))
    out, cache = torch_ref.layernorm_forward(xt, gt, bt)
    got = [out, *torch_ref.layernorm_backward(dt, cache)]
    for ours, theirs in zip(got, expected):
        assert ours.device.type == device and ours.dtype == torch.float64
        np.testing.assert_allclose(ours.cpu().numpy(), theirs, rtol=1e-10, atol=1e-12)


def test_backward_matches_central_differences():
    x, gamma, beta, dout = _case((4, 6), seed=2)
    loss = lambda xx, gg, bb: float(np.sum(numpy_ref.layernorm_forward(xx, gg, bb)[0] * dout))  # noqa: E731
    dx, dgamma, dbeta = numpy_ref.layernorm_backward(dout, numpy_ref.layernorm_forward(x, gamma, beta)[1])
    np.testing.assert_allclose(dx, numerical_gradient(lambda xx: loss(xx, gamma, beta), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dgamma, numerical_gradient(lambda gg: loss(x, gg, beta), gamma), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, numerical_gradient(lambda bb: loss(x, gamma, bb), beta), rtol=1e-6, atol=1e-8)


def test_each_example_is_normalised_on_its_own():
    x, _, _, _ = _case((5, 8), seed=3)
    out, _ = numpy_ref.layernorm_forward(x, np.ones(8), np.zeros(8), eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), 1, rtol=1e-9)  # biased variance, like torch
    alone, _ = numpy_ref.layernorm_forward(x[2:3], np.ones(8), np.zeros(8), eps=1e-12)
    np.testing.assert_array_equal(alone[0], out[2])  # no batch statistics


@pytest.mark.parametrize("device", torch_devices())
def test_module_equals_nn_layernorm_in_train_and_eval(device):
    torch.manual_seed(0)
    ours = torch_ref.LayerNorm(7).to(device=device, dtype=torch.float64)
    theirs = torch.nn.LayerNorm(7).to(device=device, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    ours.load_state_dict(theirs.state_dict())
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    x = torch.randn(5, 3, 7, device=device, dtype=torch.float64) * 3 + 1
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        a, b = ours(xa), theirs(xb)
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        dout = torch.randn_like(a)
        a.backward(dout)
        b.backward(dout)
        torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-10, atol=1e-12)


def test_module_without_affine_and_autograd_gradcheck():
    ours, theirs = (
        torch_ref.LayerNorm(4, elementwise_affine=False).double(),
        torch.nn.LayerNorm(4, elementwise_affine=False).double(),
    )
    x = torch.randn(3, 4, dtype=torch.float64)
    torch.testing.assert_close(ours(x), theirs(x))
    gamma = torch.randn(4, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda xx, g, b: torch_ref.LayerNormFunction.apply(xx, g, b, 1e-5), (x.requires_grad_(), gamma, beta)
    )


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_float32_stays_float32_and_inputs_are_unchanged(module):
    x, gamma, beta, dout = _case((6, 5), seed=4, dtype=np.float32)
    expected = _builtin(x, gamma, beta, dout)
    conv = np.array if module is numpy_ref else torch.tensor
    args = [conv(a) for a in (x, gamma, beta, dout)]
    before = [np.array(a, copy=True) for a in (x, gamma, beta, dout)]
    out, cache = module.layernorm_forward(*args[:3])
    got = [out, *module.layernorm_backward(args[3], cache)]
    for ours, theirs in zip(got, expected):
        assert str(ours.dtype).endswith("float32")
        np.testing.assert_allclose(np.asarray(ours), theirs, rtol=1e-4, atol=1e-5)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(np.asarray(a), b)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_bad_arguments_get_clear_errors(module):
    conv = np.asarray if module is numpy_ref else torch.tensor
    x, gamma, beta = conv(np.ones((2, 3))), conv(np.ones(3)), conv(np.zeros(3))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\), one entry per feature"):
        module.layernorm_forward(x, conv(np.ones(2)), beta)
    with pytest.raises(ValueError, match="beta must be 1-D"):
        module.layernorm_forward(x, gamma, conv(np.zeros((1, 3))))
    with pytest.raises(ValueError, match="eps must be finite and > 0, got 0"):
        module.layernorm_forward(x, gamma, beta, eps=0)
    single = [conv(np.ones((2, 3), dtype=np.float32)) for _ in range(2)]
    out, _ = module.layernorm_forward(single[0], single[1][0], single[1][0], eps=np.float64(1e-5))
    assert str(out.dtype).endswith("float32")  # a NumPy float64 eps keeps float32 float32
    with pytest.raises(TypeError, match="share one floating dtype"):
        module.layernorm_forward(x, conv(np.ones(3, dtype=np.float32)), beta)
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        module.layernorm_forward(conv(np.ones((2, 3), dtype=np.int64)), gamma, beta)
    _, cache = module.layernorm_forward(x, gamma, beta)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 3\)"):
        module.layernorm_backward(conv(np.ones((3, 2))), cache)
    with pytest.raises(TypeError, match="cache must be the LayerNormCache"):
        module.layernorm_backward(conv(np.ones((2, 3))), (x, gamma))


def test_module_rejects_bad_shapes():
    with pytest.raises(ValueError, match="normalized_shape must be a positive int"):
        torch_ref.LayerNorm((3, 4))
    with pytest.raises(ValueError, match="eps must be finite and > 0"):
        torch_ref.LayerNorm(3, eps=-1.0)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\), got \(2, 4\)"):
        torch_ref.LayerNorm(3)(torch.ones(2, 4))
