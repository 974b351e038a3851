"""Oracle tests for coursekit.batchnorm: F.batch_norm, autograd, central differences and
nn.BatchNorm1d, for the NumPy reference, the torch reference and the BatchNorm1d module."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.batchnorm import numpy_ref, torch_ref
from coursekit.gradcheck import numerical_gradient

from conftest import torch_devices


def _case(rng, n=None, d=None, dtype=np.float64):
    n = int(rng.integers(2, 12)) if n is None else n
    d = int(rng.integers(1, 8)) if d is None else d
    x = rng.uniform(-3, 3, d) + rng.uniform(0.2, 4, d) * rng.standard_normal((n, d))
    arrays = {
        "x": x,
        "gamma": rng.standard_normal(d),
        "beta": rng.standard_normal(d),
        "running_mean": rng.standard_normal(d),
        "running_var": rng.uniform(0.3, 3, d),
    }
    return {k: a.astype(dtype) for k, a in arrays.items()}


def _oracle(case, dout, *, train, momentum, eps):
    """F.batch_norm with autograd: out, new running stats, dx, dgamma, dbeta (NumPy)."""
    x, g, b = (torch.tensor(case[k], requires_grad=True) for k in ("x", "gamma", "beta"))
    rm, rv = torch.tensor(case["running_mean"]), torch.tensor(case["running_var"])
    out = F.batch_norm(x, rm, rv, g, b, training=train, momentum=momentum, eps=eps)
    out.backward(torch.tensor(dout))
    return [t.detach().numpy() for t in (out, rm, rv, x.grad, g.grad, b.grad)]


def _to_torch(case, device):
    return {k: torch.tensor(a, device=device) for k, a in case.items()}


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_numpy_matches_F_batch_norm_and_autograd(train, seed):
    rng = np.random.default_rng(seed)
    case = _case(rng)
    momentum, eps = float(rng.uniform(0, 1)), float(10 ** rng.uniform(-6, -1))
    dout = rng.standard_normal(case["x"].shape)
    out, cache, rm, rv = numpy_ref.batchnorm_forward(**case, train=train, momentum=momentum, eps=eps)
    grads = numpy_ref.batchnorm_backward(dout, cache)
    for mine, oracle in zip((out, rm, rv, *grads), _oracle(case, dout, train=train, momentum=momentum, eps=eps)):
        np.testing.assert_allclose(mine, oracle, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_torch_matches_F_batch_norm_and_autograd(device, train, seed):
    rng = np.random.default_rng(100 + seed)
    case = _case(rng)
    momentum, eps = float(rng.uniform(0, 1)), float(10 ** rng.uniform(-6, -1))
    dout = rng.standard_normal(case["x"].shape)
    out, cache, rm, rv = torch_ref.batchnorm_forward(**_to_torch(case, device), train=train, momentum=momentum, eps=eps)
    grads = torch_ref.batchnorm_backward(torch.tensor(dout, device=device), cache)
    for mine in (out, rm, rv, *grads):
        assert mine.device.type == device and mine.dtype == torch.float64 and not mine.requires_grad
    oracle = _oracle(case, dout, train=train, momentum=momentum, eps=eps)
    for mine, expected in zip((out, rm, rv, *grads), oracle):
        np.testing.assert_allclose(mine.cpu().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_defaults_are_torch_defaults(rng):
    case = _case(rng, n=5, d=3)
    dout = np.zeros_like(case["x"])
    oracle = _oracle(case, dout, train=True, momentum=0.1, eps=1e-5)
    out, _, rm, rv = numpy_ref.batchnorm_forward(**case)
    for mine, expected in zip((out, rm, rv), oracle):
        np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-14)


def test_closed_form_backward_matches_central_differences(rng):
    case = _case(rng, n=6, d=3)
    dout = rng.standard_normal((6, 3))

    def loss(**changed):
        args = {**case, **changed}
        return float(np.sum(numpy_ref.batchnorm_forward(**args, momentum=0.2, eps=1e-3)[0] * dout))

    _, cache, _, _ = numpy_ref.batchnorm_forward(**case, momentum=0.2, eps=1e-3)
    dx, dgamma, dbeta = numpy_ref.batchnorm_backward(dout, cache)
    for name, grad in (("x", dx), ("gamma", dgamma), ("beta", dbeta)):
        numeric = numerical_gradient(lambda a, name=name: loss(**{name: a}), case[name])
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_statistical_properties_in_training(rng):
    """Closed form: with gamma=1, beta=0 each feature of out has mean 0 and variance ~1."""
    case = _case(rng, n=50, d=4)
    case["gamma"], case["beta"] = np.ones(4), np.zeros(4)
    out, *_ = numpy_ref.batchnorm_forward(**case)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    var = case["x"].var(axis=0)
    np.testing.assert_allclose(out.var(axis=0), var / (var + 1e-5), rtol=1e-12)


@pytest.mark.parametrize("train", [True, False])
def test_backends_agree(rng, train):
    case = _case(rng, n=9, d=5)
    dout = rng.standard_normal((9, 5))
    out, cache, rm, rv = numpy_ref.batchnorm_forward(**case, train=train, momentum=0.3)
    grads = numpy_ref.batchnorm_backward(dout, cache)
    tout, tcache, trm, trv = torch_ref.batchnorm_forward(**_to_torch(case, "cpu"), train=train, momentum=0.3)
    tgrads = torch_ref.batchnorm_backward(torch.tensor(dout), tcache)
    for a, b in zip((out, rm, rv, *grads), (tout, trm, trv, *tgrads)):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("device", torch_devices())
def test_float32_stays_float32_and_matches_torch(rng, device):
    case = _case(rng, n=16, d=6, dtype=np.float32)
    dout = rng.standard_normal((16, 6)).astype(np.float32)
    out, cache, rm, rv = numpy_ref.batchnorm_forward(**case)
    grads = numpy_ref.batchnorm_backward(dout, cache)
    assert all(a.dtype == np.float32 for a in (out, rm, rv, *grads))
    tout, tcache, trm, trv = torch_ref.batchnorm_forward(**_to_torch(case, device))
    tgrads = torch_ref.batchnorm_backward(torch.tensor(dout, device=device), tcache)
    assert all(t.dtype == torch.float32 for t in (tout, trm, trv, *tgrads))
    oracle = _oracle(case, dout, train=True, momentum=0.1, eps=1e-5)
    for a, b, expected in zip((out, rm, rv, *grads), (tout, trm, trv, *tgrads), oracle):
        np.testing.assert_allclose(a, expected, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(b.cpu().numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("train", [True, False])
def test_references_do_not_change_inputs(rng, train):
    case = _case(rng, n=5, d=3)
    before = {k: a.copy() for k, a in case.items()}
    dout = rng.standard_normal((5, 3))
    dout_before = dout.copy()
    _, cache, rm, rv = numpy_ref.batchnorm_forward(**case, train=train)
    numpy_ref.batchnorm_backward(dout, cache)
    rm += 1  # the returned statistics are new arrays, not views of the inputs
    rv += 1
    tcase = _to_torch(case, "cpu")
    tdout = torch.tensor(dout)
    _, tcache, trm, trv = torch_ref.batchnorm_forward(**tcase, train=train)
    torch_ref.batchnorm_backward(tdout, tcache)
    trm += 1
    trv += 1
    for k, a in before.items():
        np.testing.assert_array_equal(case[k], a)
        np.testing.assert_array_equal(tcase[k].numpy(), a)
    np.testing.assert_array_equal(dout, dout_before)
    np.testing.assert_array_equal(tdout.numpy(), dout_before)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_batch_of_one_in_training_is_a_clear_error(rng, backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    case = _case(rng, n=1, d=3)
    case = case if backend == "numpy" else _to_torch(case, "cpu")
    with pytest.raises(ValueError, match="batch of 1 .*variance of a single example is undefined"):
        ref.batchnorm_forward(**case)
    out, *_ = ref.batchnorm_forward(**case, train=False)  # at test time a single example is fine
    assert tuple(out.shape) == (1, 3)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_input_gets_clear_errors(rng, backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    conv = (lambda a: a) if backend == "numpy" else torch.tensor
    case = {k: conv(a) for k, a in _case(rng, n=4, d=3).items()}
    for name in ("gamma", "beta", "running_mean", "running_var"):
        with pytest.raises(ValueError, match=rf"{name} must have shape \(3,\), one entry per feature"):
            ref.batchnorm_forward(**{**case, name: conv(np.ones(4))})
    with pytest.raises(ValueError, match="x must be 2-D"):
        ref.batchnorm_forward(**{**case, "x": conv(np.ones((2, 3, 1)))})
    with pytest.raises(TypeError, match="share one floating dtype"):
        ref.batchnorm_forward(**{**case, "gamma": conv(np.ones(3, dtype=np.float32))})
    with pytest.raises(TypeError, match="gamma must have a floating dtype"):
        ref.batchnorm_forward(**{**case, "gamma": conv(np.ones(3, dtype=np.int64))})
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\]"):
        ref.batchnorm_forward(**case, momentum=0.99 + 1)
    with pytest.raises(ValueError, match="eps must be finite and > 0"):
        ref.batchnorm_forward(**case, eps=0.0)
    with pytest.raises(TypeError, match="train must be True or False"):
        ref.batchnorm_forward(**case, train="yes")
    _, cache, _, _ = ref.batchnorm_forward(**case)
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 3\)"):
        ref.batchnorm_backward(conv(np.ones((3, 4))), cache)
    with pytest.raises(TypeError, match="cache must be the BatchNormCache"):
        ref.batchnorm_backward(conv(np.ones((4, 3))), (1, 2, 3))


# ----- the BatchNorm1d module -----------------------------------------------------------


def _twin_modules(d, device, dtype, *, affine=True, momentum=0.1, eps=1e-5):
    mine = torch_ref.BatchNorm1d(d, eps=eps, momentum=momentum, affine=affine, device=device, dtype=dtype)
    theirs = nn.BatchNorm1d(d, eps=eps, momentum=momentum, affine=affine, device=device, dtype=dtype)
    if affine:
        with torch.no_grad():
            for p in (theirs.weight, theirs.bias):
                p.normal_(generator=torch.Generator(device=device).manual_seed(0))
    mine.load_state_dict(theirs.state_dict())
    return mine, theirs


def _assert_close(a, b, tol):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-11), (torch.float32, 2e-5)])
@pytest.mark.parametrize("affine", [True, False])
def test_module_equals_nn_batchnorm1d_over_training_then_eval(device, dtype, tol, affine):
    gen = torch.Generator(device="cpu").manual_seed(3)
    mine, theirs = _twin_modules(5, device, dtype, affine=affine, momentum=0.25)
    head = torch.randn(5, 3, generator=gen, dtype=dtype).to(device)
    optimisers = [torch.optim.SGD(m.parameters(), lr=0.5) for m in (mine, theirs)] if affine else []
    for n in [8, 3, 16, 2, 7]:
        x = (3 * torch.randn(n, 5, generator=gen, dtype=dtype) + 2).to(device)
        outs = []
        for module in (mine, theirs):
            xi = x.clone().requires_grad_(True)
            out = module(xi)
            (torch.tanh(out @ head) ** 2).sum().backward()
            outs.append((out, xi.grad))
        _assert_close(outs[0][0], outs[1][0], tol)
        _assert_close(outs[0][1], outs[1][1], tol)
        for name, buf in theirs.named_buffers():
            _assert_close(dict(mine.named_buffers())[name], buf, tol)
        for opt in optimisers:
            opt.step()
            opt.zero_grad()
    if affine:
        _assert_close(mine.weight, theirs.weight, tol)
        _assert_close(mine.bias, theirs.bias, tol)
    assert int(mine.num_batches_tracked) == 5
    mine.eval(), theirs.eval()
    x = torch.randn(1, 5, generator=gen, dtype=dtype).to(device).requires_grad_(True)
    _assert_close(mine(x), theirs(x), tol)
    (gm,) = torch.autograd.grad(mine(x).sum(), x)
    (gt,) = torch.autograd.grad(theirs(x).sum(), x)
    _assert_close(gm, gt, tol)


def test_module_takes_three_dimensional_input_like_torch():
    gen = torch.Generator().manual_seed(0)
    mine, theirs = _twin_modules(4, "cpu", torch.float64)
    x = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)
    dout = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)
    grads = []
    for module in (mine, theirs):
        xi = x.clone().requires_grad_(True)
        out = module(xi)
        out.backward(dout)
        grads.append((out, xi.grad, module.weight.grad, module.running_var))
    for a, b in zip(*grads):
        _assert_close(a, b, 1e-12)


def test_module_state_dict_and_repr_match_torch():
    mine, theirs = torch_ref.BatchNorm1d(3, momentum=0.2), nn.BatchNorm1d(3, momentum=0.2)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert repr(mine).endswith("(3, eps=1e-05, momentum=0.2, affine=True)")
    mine.train()(torch.randn(4, 3))
    mine.reset_running_stats()
    for a, b in zip(mine.buffers(), theirs.buffers()):
        assert torch.equal(a, b)


def test_module_backward_is_hand_written():
    module = torch_ref.BatchNorm1d(3)
    out = module(torch.randn(4, 3, requires_grad=True))
    assert "BatchNormFunction" in type(out.grad_fn).__name__
    x = torch.randn(4, 3, requires_grad=True)
    dout = torch.randn(4, 3, requires_grad=True)
    (grad,) = torch.autograd.grad(module(x), x, grad_outputs=dout, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):  # no double backward
        grad.sum().backward()


def test_module_errors():
    module = torch_ref.BatchNorm1d(3)
    with pytest.raises(ValueError, match="batch of 1"):
        module(torch.randn(1, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\) or \(N, 3, L\), got \(4, 2\)"):
        module(torch.randn(4, 2))
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        module(torch.randn(4, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="momentum must lie in"):
        torch_ref.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        torch_ref.BatchNorm1d(0)
    module.eval()(torch.randn(1, 3))  # a batch of one is fine at test time


def test_module_trains_an_mlp_like_nn_batchnorm1d():
    from coursekit import data
    from coursekit.training import build_mlp, fit

    digits = data.digits(seed=0)
    histories = []
    for layers in (None, {"batchnorm": torch_ref.BatchNorm1d}):
        model = build_mlp([64, 32, 32, 10], batchnorm=True, layers=layers)
        histories.append(
            fit(model, digits, optimizer="sgd", lr=0.1, epochs=2, dtype=torch.float64, device="cpu", progress=False)
        )
    for key in ("loss", "val_loss", "train_acc", "val_acc"):
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-9)


@pytest.mark.parametrize("device", [p for p in torch_devices() if p != "cpu"])
def test_module_does_not_synchronise_with_the_host_on_cuda(device):
    module = torch_ref.BatchNorm1d(16, device=device)
    x = torch.randn(32, 16, device=device, requires_grad=True)
    module(x).sum().backward()  # warm up outside the check
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            module(x).square().sum().backward()
        module.eval()
        module(x).sum().backward()
    finally:
        torch.cuda.set_sync_debug_mode("default")
