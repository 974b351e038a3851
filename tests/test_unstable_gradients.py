"""Oracle tests for coursekit.unstable_gradients: torch autograd for the deep net's backward
pass, and the behaviour topic 01 teaches (vanishing and exploding gradients, saturation)."""

import numpy as np
import pytest
import torch

from coursekit import data
from coursekit.unstable_gradients import numpy_ref as ref
from coursekit.unstable_gradients import run_deep_net

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda z: z,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "elu": torch.nn.functional.elu,
    "selu": torch.nn.functional.selu,
}


def _net(rng, widths=(5, 7, 4, 6), n=8):
    weights = [rng.standard_normal((a, b)) / np.sqrt(a) * 1.5 for a, b in zip(widths[:-1], widths[1:])]
    return rng.standard_normal((n, widths[0])), weights, rng.standard_normal((n, widths[-1]))


def _autograd(x, weights, dout, activation):
    f = TORCH_ACTIVATIONS[activation]
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    xt = torch.tensor(x, requires_grad=True)
    a, outs = xt, []
    for w in ws:
        a = f(a @ w)
        outs.append(a)
    a.backward(torch.tensor(dout))
    return [o.detach().numpy() for o in outs], xt.grad.numpy(), [w.grad.numpy() for w in ws]


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_forward_and_backward_match_autograd(rng, activation):
    x, weights, dout = _net(rng)
    activations, cache = ref.deep_forward(x, weights, activation)
    dx, dweights = ref.deep_backward(dout, cache)
    outs, oracle_dx, oracle_dw = _autograd(x, weights, dout, activation)
    for mine, oracle in zip(activations + [dx] + dweights, outs + [oracle_dx] + oracle_dw):
        np.testing.assert_allclose(mine, oracle, rtol=1e-11, atol=1e-14)
    norms = ref.gradient_norms(x, weights, dout, activation)
    np.testing.assert_allclose(norms, [np.linalg.norm(g) for g in oracle_dw], rtol=1e-11)


def test_layer_variances_and_callables(rng):
    x, weights, _ = _net(rng)
    outs, _, _ = _autograd(x, weights, np.zeros((8, 6)), "tanh")
    np.testing.assert_allclose(ref.layer_variances(x, weights, np.tanh), [o.var() for o in outs], rtol=1e-12)
    np.testing.assert_allclose(ref.layer_variances(x, weights, "tanh"), [o.var() for o in outs], rtol=1e-12)


def test_saturated_fraction_counts_both_asymptotes():
    a = np.array([0.0, 0.005, 0.5, 0.995, 1.0, 0.2, 0.02, 0.98])
    assert ref.saturated_fraction(a) == 4 / 8
    assert ref.saturated_fraction(a, tol=0.05) == 6 / 8
    assert ref.saturated_fraction(np.array([-0.999, 0.0, 0.995]), bounds=(-1, 1)) == 2 / 3


def test_init_weights_shapes_and_initialisers(rng):
    weights = ref.init_weights([64, 100, 100, 50], init="he_normal", rng=rng)
    assert [w.shape for w in weights] == [(64, 100), (100, 100), (100, 50)]
    assert weights[1].var() == pytest.approx(2 / 100, rel=0.05)
    doubled = ref.init_weights([64, 100], init="glorot_uniform", gain=2.0, rng=np.random.default_rng(0))
    single = ref.init_weights([64, 100], init="glorot_uniform", rng=np.random.default_rng(0))
    np.testing.assert_allclose(doubled[0], 2 * single[0])
    custom = ref.init_weights([3, 4], init=lambda fi, fo, *, rng: np.ones((fi, fo)), rng=rng)
    np.testing.assert_array_equal(custom[0], np.ones((3, 4)))


@pytest.fixture(scope="module")
def batch():
    digits = data.digits(seed=0)
    return digits.x_train[:256], digits.y_train[:256]


def test_narrow_sigmoid_net_with_standard_normal_weights_vanishes_and_saturates(batch):
    run = run_deep_net(*batch, depth=30, width=32, activation="sigmoid", rng=np.random.default_rng(0))
    assert run.grad_norms[0] < 1e-3 * run.grad_norms[-1]  # vanishing towards the input
    assert np.mean(run.saturation) > 0.1
    glorot = run_deep_net(
        *batch, depth=30, width=32, activation="tanh", init="glorot_uniform", rng=np.random.default_rng(0)
    )
    assert 0.1 < glorot.grad_norms[0] / glorot.grad_norms[-1] < 10  # tanh + Glorot: stable
    assert np.max(glorot.saturation) < 0.05


def test_tanh_with_standard_normal_weights_explodes(batch):
    run = run_deep_net(*batch, depth=30, width=32, activation="tanh", rng=np.random.default_rng(0))
    assert run.grad_norms[0] > 1e3 * run.grad_norms[-1]
    assert np.mean(run.saturation) > 0.3


def test_selu_with_lecun_normal_self_normalises(rng):
    x = rng.standard_normal((256, 100))
    run = run_deep_net(x, depth=40, width=100, activation="selu", init="lecun_normal", rng=rng)
    # Finite width adds noise of about 0.05 per layer around the fixed point (0, 1).
    assert np.all(np.abs(run.means) < 0.1) and np.all(np.abs(run.variances - 1) < 0.25)
    relu = run_deep_net(x, depth=40, width=100, activation="relu", init="lecun_normal", rng=rng)
    assert relu.variances[-1] < 1e-6  # without the factor 2 the ReLU net's signal dies


def test_bad_input_gets_clear_errors(rng):
    x, weights, dout = _net(rng)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        ref.deep_forward(x, weights, "swish")
    with pytest.raises(ValueError, match=r"weights\[1\] must have 7 rows"):
        ref.deep_forward(x, [weights[0], weights[2]], "tanh")
    with pytest.raises(TypeError, match="weights must be a non-empty list"):
        ref.deep_forward(x, [], "tanh")
    _, cache = ref.deep_forward(x, weights, "tanh")
    with pytest.raises(ValueError, match=r"dout must have shape \(8, 6\)"):
        ref.deep_backward(dout[:, :3], cache)
    with pytest.raises(ValueError, match="unknown init 'orthogonal'"):
        ref.init_weights([3, 4], init="orthogonal", rng=rng)
    with pytest.raises(ValueError, match="bounds must be"):
        ref.saturated_fraction(np.ones(3), bounds=(1, 0))
    with pytest.raises(ValueError, match="tol must be finite and > 0"):
        ref.saturated_fraction(np.ones(3), tol=0)
