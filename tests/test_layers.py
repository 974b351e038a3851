"""Oracle tests for coursekit.layers: torch built-ins and autograd, for both references."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.layers import numpy_ref, torch_ref

from conftest import torch_devices


def _batch(rng, n=6, d=5, m=4):
    return rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)


def _autograd_dense(x, w, b, dout):
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.linear(xt, wt.T, bt)  # nn.Linear stores the transpose of our w
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def test_numpy_dense_matches_autograd(rng):
    x, w, b = _batch(rng)
    dout = rng.standard_normal((6, 4))
    out, cache = numpy_ref.dense_forward(x, w, b)
    dx, dw, db = numpy_ref.dense_backward(dout, cache)
    for mine, oracle in zip((out, dx, dw, db), _autograd_dense(x, w, b, dout)):
        np.testing.assert_allclose(mine, oracle, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", torch_devices())
def test_torch_dense_matches_autograd_and_numpy(rng, device):
    x, w, b = _batch(rng)
    dout = rng.standard_normal((6, 4))
    t = [torch.tensor(a, device=device) for a in (x, w, b, dout)]
    out, cache = torch_ref.dense_forward(*t[:3])
    grads = torch_ref.dense_backward(t[3], cache)
    assert out.device.type == device and out.dtype == torch.float64
    for mine, oracle in zip((out, *grads), _autograd_dense(x, w, b, dout)):
        np.testing.assert_allclose(mine.cpu().numpy(), oracle, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
def test_softmax_matches_torch_and_is_stable(rng, scale):
    z = scale * rng.standard_normal((7, 5))
    oracle = torch.softmax(torch.tensor(z), dim=1).numpy()
    np.testing.assert_allclose(numpy_ref.softmax(z), oracle, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(torch_ref.softmax(torch.tensor(z)).numpy(), oracle, rtol=1e-12, atol=1e-300)
    assert np.isfinite(numpy_ref.softmax(z)).all()


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_cross_entropy_matches_F_cross_entropy_and_autograd(rng, device, scale):
    logits = scale * rng.standard_normal((9, 6))
    y = rng.integers(0, 6, size=9)
    lt = torch.tensor(logits, requires_grad=True)
    oracle = F.cross_entropy(lt, torch.tensor(y))
    oracle.backward()
    loss, dlogits = numpy_ref.softmax_cross_entropy(logits, y)
    assert isinstance(loss, np.float64)
    np.testing.assert_allclose(loss, oracle.item(), rtol=1e-12)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-10, atol=1e-15)
    tloss, tdlogits = torch_ref.softmax_cross_entropy(
        torch.tensor(logits, device=device), torch.tensor(y, device=device)
    )
    np.testing.assert_allclose(tloss.item(), oracle.item(), rtol=1e-12)
    np.testing.assert_allclose(tdlogits.cpu().numpy(), lt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_float32_stays_float32(rng):
    x, w, b = (a.astype(np.float32) for a in _batch(rng))
    out, _ = numpy_ref.dense_forward(x, w, b)
    assert out.dtype == np.float32
    loss, dlogits = numpy_ref.softmax_cross_entropy(out, np.array([0, 1, 2, 3, 0, 1]))
    assert loss.dtype == np.float32 and dlogits.dtype == np.float32
    tout, _ = torch_ref.dense_forward(*(torch.tensor(a) for a in (x, w, b)))
    assert tout.dtype == torch.float32


def test_references_do_not_change_inputs(rng):
    x, w, b = _batch(rng)
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    copies = [a.copy() for a in (x, w, b, logits, y)]
    _, cache = numpy_ref.dense_forward(x, w, b)
    numpy_ref.dense_backward(np.ones((6, 4)), cache)
    numpy_ref.softmax_cross_entropy(logits, y)
    numpy_ref.softmax(logits)
    for before, after in zip(copies, (x, w, b, logits, y)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_input_gets_clear_errors(rng, backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    conv = (lambda a: a) if backend == "numpy" else torch.tensor
    x, w, b = (conv(a) for a in _batch(rng))
    with pytest.raises(ValueError, match=r"w must have shape \(D, M\) with D = x.shape\[1\] = 5"):
        ref.dense_forward(x, w.T, b)
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        ref.dense_forward(x, w, conv(np.zeros(3)))
    with pytest.raises(ValueError, match="x must be 2-D"):
        ref.dense_forward(conv(np.zeros(5)), w, b)
    with pytest.raises(TypeError, match="share one floating dtype"):
        ref.dense_forward(conv(np.zeros((2, 5), dtype=np.float32)), w, b)
    logits = conv(rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 4\)"):
        ref.softmax_cross_entropy(logits, conv(np.array([0, 1, 4])))
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        ref.softmax_cross_entropy(logits, conv(np.array([0, 1])))
    with pytest.raises(TypeError, match="integer class labels"):
        ref.softmax_cross_entropy(logits, conv(np.array([0.0, 1.0, 2.0])))


def test_numpy_reference_rejects_lists():
    with pytest.raises(TypeError, match="x must be a numpy.ndarray, got list"):
        numpy_ref.dense_forward([[1.0]], np.ones((1, 1)), np.ones(1))
