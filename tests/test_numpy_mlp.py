"""Oracle tests for the NumPy MLP (coursekit.training.numpy_mlp, numpy_fast, numpy_fit).

One training step of the NumPy MLP, with its weights copied into torch, gives the loss, the
gradients and the BatchNorm running statistics that torch autograd gives, in float64, for
every activation, with and without BatchNorm, through the public references (fast=False)
and through the in-place fast path. Dropout and input noise are checked against torch with
the same random draws, and by their statistics. The in-place optimizers follow torch.optim.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit import data
from coursekit.training import build_mlp, build_numpy_mlp, evaluate_numpy, fit_numpy
from coursekit.training.numpy_fast import FastPath, cross_entropy
from coursekit.training.numpy_fit import FlatOptimizer, train_step
from coursekit.training.numpy_mlp import ACTIVATIONS

SIZES = [5, 7, 6, 3]
TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "selu": F.selu,
    "identity": lambda z: z,
}


def _model(rng, *, activation="elu", batchnorm=True, dropout=0.0, input_noise=0.0, sizes=SIZES, dtype=np.float64):
    model = build_numpy_mlp(
        sizes,
        activation=activation,
        batchnorm=batchnorm,
        p_drop=dropout,
        input_noise=input_noise,
        init="glorot_normal",
        rng=rng,
        dtype=dtype,
    )
    for name, value in model.params.items():  # make biases, gamma and beta matter
        if not name.startswith("w"):
            value[...] = rng.normal(1.0 if name.startswith("gamma") else 0.0, 0.3, value.shape)
    for name, value in model.buffers.items():
        value[...] = rng.uniform(0.5, 2.0, value.shape) if "var" in name else rng.normal(0, 0.5, value.shape)
    return model


def _batch(rng, n=8, sizes=SIZES):
    return rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], n)


def _to_torch(model):
    """The same network as torch's nn.Sequential (build_mlp), with the model's weights."""
    net = build_mlp(
        model.sizes, activation=model.activation, batchnorm=model.batchnorm, bias_before_batchnorm=True
    ).double()  # the NumPy MLP keeps that bias
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    norms = [m for m in net if isinstance(m, torch.nn.BatchNorm1d)]
    with torch.no_grad():
        for i, linear in enumerate(linears, 1):
            linear.weight.copy_(torch.from_numpy(model.params[f"w{i}"].T))  # nn.Linear stores w.T
            linear.bias.copy_(torch.from_numpy(model.params[f"b{i}"]))
        for i, norm in enumerate(norms, 1):
            norm.weight.copy_(torch.from_numpy(model.params[f"gamma{i}"]))
            norm.bias.copy_(torch.from_numpy(model.params[f"beta{i}"]))
            norm.running_mean.copy_(torch.from_numpy(model.buffers[f"running_mean{i}"]))
            norm.running_var.copy_(torch.from_numpy(model.buffers[f"running_var{i}"]))
            norm.momentum, norm.eps = model.momentum, model.eps
    return net, linears, norms


def _torch_gradients(linears, norms):
    grads = {}
    for i, linear in enumerate(linears, 1):
        grads[f"w{i}"], grads[f"b{i}"] = linear.weight.grad.T.numpy(), linear.bias.grad.numpy()
    for i, norm in enumerate(norms, 1):
        grads[f"gamma{i}"], grads[f"beta{i}"] = norm.weight.grad.numpy(), norm.bias.grad.numpy()
    return grads


def _close(mine, oracle, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(mine, oracle, rtol=rtol, atol=atol)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "references"])
@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_one_training_step_matches_torch_autograd(rng, activation, batchnorm, fast):
    model = _model(rng, activation=activation, batchnorm=batchnorm)
    x, y = _batch(rng)
    net, linears, norms = _to_torch(model)
    loss = train_step(model, x, y, rng=None, fast=fast)

    oracle = F.cross_entropy(net.train()(torch.from_numpy(x)), torch.from_numpy(y))
    oracle.backward()
    _close(loss, oracle.item())
    for name, grad in _torch_gradients(linears, norms).items():
        _close(model.grads[name], grad)
    for i, norm in enumerate(norms, 1):  # running statistics moved as torch's did
        _close(model.buffers[f"running_mean{i}"], norm.running_mean.numpy())
        _close(model.buffers[f"running_var{i}"], norm.running_var.numpy())


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "references"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "selu"])
def test_test_mode_logits_match_torch(rng, activation, fast):
    model = _model(rng, activation=activation, batchnorm=True, dropout=0.5, input_noise=1.0)
    x, _ = _batch(rng, n=5)
    net, _, _ = _to_torch(model)  # without dropout and noise: the identity at test time
    logits = FastPath(model, len(x)).forward(x, train=False) if fast else model.forward(x, train=False)[0]
    _close(logits, net.eval()(torch.from_numpy(x)).detach().numpy())


def _functional_torch(model, x, y, noise, keeps):
    """Loss and gradients by autograd with torch.nn.functional, given the noise and masks."""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    running = {k: torch.tensor(v) for k, v in model.buffers.items()}
    h = torch.from_numpy(x + noise)
    for i in range(1, model.n_layers + 1):
        h = F.linear(h, params[f"w{i}"].T, params[f"b{i}"])
        if i == model.n_layers:
            break
        if model.batchnorm:
            h = F.batch_norm(
                h,
                running[f"running_mean{i}"],
                running[f"running_var{i}"],
                params[f"gamma{i}"],
                params[f"beta{i}"],
                training=True,
                momentum=model.momentum,
                eps=model.eps,
            )
        h = TORCH_ACTIVATIONS[model.activation](h) * torch.from_numpy(keeps[i - 1]) / (1 - model.p_drop)
    loss = F.cross_entropy(h, torch.from_numpy(y))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in params.items()}


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "references"])
def test_dropout_and_input_noise_match_torch_with_the_same_draws(rng, fast):
    model = _model(rng, activation="elu", batchnorm=True, dropout=0.3, input_noise=0.5)
    x, y = _batch(rng, n=10)
    loss = train_step(model, x, y, rng=np.random.default_rng(7), fast=fast)

    draws = np.random.default_rng(7)  # the documented order: the noise, then a mask per layer
    noise = 0.5 * draws.standard_normal(x.shape)
    keeps = [(draws.random((len(x), m)) >= 0.3).astype(np.float64) for m in SIZES[1:-1]]
    oracle_loss, oracle_grads = _functional_torch(model, x, y, noise, keeps)
    _close(loss, oracle_loss)
    for name, grad in oracle_grads.items():
        _close(model.grads[name], grad)


@pytest.mark.parametrize("p_drop", [0.1, 0.5])
def test_dropout_drops_the_right_fraction_and_keeps_the_mean(p_drop):
    rng = np.random.default_rng(3)
    model = build_numpy_mlp([50, 400, 2], activation="identity", p_drop=p_drop, rng=rng)
    x = rng.standard_normal((500, 50))
    path = FastPath(model, len(x))
    path.forward(x, train=True, rng=rng)
    dropped = path.dropped[0]
    standard_error = math.sqrt(p_drop * (1 - p_drop) / dropped.size)
    assert abs((dropped == 0).mean() - p_drop) < 5 * standard_error
    np.testing.assert_allclose(dropped[dropped != 0], path.a[0][dropped != 0] / (1 - p_drop), rtol=1e-12)
    _, caches = model.forward(x, train=True, rng=rng)  # the reference path: its mask
    mask = caches[0][3]
    assert abs((mask == 0).mean() - p_drop) < 5 * standard_error


def test_float32_stays_float32_and_agrees_with_float64(rng):
    x, y = _batch(rng, n=16)
    model64 = _model(np.random.default_rng(1))
    model32 = _model(np.random.default_rng(1), dtype=np.float32)
    loss64 = train_step(model64, x, y, rng=None)
    loss32 = train_step(model32, x.astype(np.float32), y, rng=None)
    assert loss32.dtype == np.float32 and model32.flat_grad.dtype == np.float32
    assert all(b.dtype == np.float32 for b in model32.buffers.values())
    _close(loss32, loss64, rtol=1e-4, atol=1e-5)
    _close(model32.flat_grad, model64.flat_grad, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    "name, torch_name, hyper, torch_hyper",
    [
        ("sgd", "SGD", {}, {}),
        ("momentum", "SGD", {"momentum": 0.8}, {"momentum": 0.8}),
        ("nesterov", "SGD", {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}),
        ("adagrad", "Adagrad", {}, {}),
        ("rmsprop", "RMSprop", {"alpha": 0.9}, {"alpha": 0.9}),
        ("adam", "Adam", {"beta1": 0.8, "beta2": 0.99}, {"betas": (0.8, 0.99)}),
    ],
)
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "references"])
def test_flat_optimizers_follow_torch_optim(rng, name, torch_name, hyper, torch_hyper, fast):
    w = rng.standard_normal(50)
    grads = rng.standard_normal((6, 50))
    opt = FlatOptimizer(name, w, lr=0.05, fast=fast, **hyper)
    param = torch.tensor(w.copy(), requires_grad=True)
    oracle = getattr(torch.optim, torch_name)([param], lr=0.05, **torch_hyper)
    for g in grads:
        opt.step(g)
        param.grad = torch.from_numpy(g)
        oracle.step()
        _close(w, param.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_cross_entropy_kernel_matches_torch(rng):
    logits = 20 * rng.standard_normal((9, 4))
    y = rng.integers(0, 4, 9)
    t = torch.tensor(logits, requires_grad=True)
    oracle = F.cross_entropy(t, torch.from_numpy(y))
    oracle.backward()
    work = logits.copy()
    _close(cross_entropy(work, y, np.arange(9)), oracle.item())
    _close(work, t.grad.numpy())


def test_fit_numpy_learns_digits_and_reports_per_layer_gradient_norms(digits):
    model = build_numpy_mlp(
        [64, 64, 64, 10], activation="elu", batchnorm=True, p_drop=0.1, rng=np.random.default_rng(0)
    )
    hist = fit_numpy(model, digits, lr=3e-3, epochs=4, rng=np.random.default_rng(1), grad_norms=True, progress=False)
    assert hist["val_acc"][-1] > 0.9  # chance is 0.1
    assert hist["loss"][-1] < hist["loss"][0]
    assert np.array(hist["grad_norms"]).shape == (4, 3)
    assert hist["steps"] == [17] * 4  # 1078 examples in batches of 64
    loss, acc = evaluate_numpy(model, digits.x_val, digits.y_val)
    assert acc == hist["val_acc"][-1] and loss == pytest.approx(hist["val_loss"][-1])


def test_fast_and_reference_paths_train_along_the_same_trajectory(digits):
    histories, flats = [], []
    for fast in (True, False):
        model = build_numpy_mlp(
            [64, 32, 32, 10],
            activation="selu",
            batchnorm=True,
            p_drop=0.2,
            input_noise=0.1,
            rng=np.random.default_rng(0),
        )
        hist = fit_numpy(
            model,
            digits,
            optimizer="nesterov",
            lr=0.05,
            epochs=2,
            rng=np.random.default_rng(1),
            progress=False,
            fast=fast,
        )
        histories.append(hist["val_loss"])
        flats.append(model.flat)
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-9)
    np.testing.assert_allclose(flats[0], flats[1], rtol=1e-7, atol=1e-9)


def test_fit_numpy_in_float32_and_early_stopping_restores_the_best(digits):
    model = build_numpy_mlp([64, 32, 10], rng=np.random.default_rng(0))
    hist = fit_numpy(
        model,
        digits,
        optimizer="adam",
        lr=0.05,
        epochs=30,
        patience=1,
        dtype=np.float32,
        rng=np.random.default_rng(0),
        progress=False,
        train_accuracy=False,
    )
    assert model.flat.dtype == np.float32 and hist["train_acc"] == []
    assert len(hist["loss"]) < 30
    loss, _ = evaluate_numpy(model, digits.x_val.astype(np.float32), digits.y_val)
    assert loss == pytest.approx(min(hist["val_loss"]), rel=1e-6)


def test_he_initialisation_has_the_right_spread():
    model = build_numpy_mlp([400, 300, 10], init="he_normal", rng=np.random.default_rng(0))
    w = model.params["w1"]
    assert w.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)  # 120,000 draws: 0.2% error
    assert not model.params["b1"].any()


def test_bad_arguments_are_named():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        build_numpy_mlp([2, 2], activation="swish", rng=rng)
    with pytest.raises(ValueError, match="unknown init"):
        build_numpy_mlp([2, 2], init="orthogonal", rng=rng)
    with pytest.raises(ValueError, match="p_drop must lie in"):
        build_numpy_mlp([2, 3, 2], p_drop=1.0, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        build_numpy_mlp([2, 2], rng=0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        build_numpy_mlp([2, 2], rng=rng, dtype=np.int64)
    model = build_numpy_mlp([64, 10], rng=rng)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        fit_numpy(model, data.digits(), optimizer="lbfgs", rng=rng, progress=False)
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        fit_numpy(model, data.digits(), lr=0, rng=rng, progress=False)
    with pytest.raises(TypeError, match="rng must be"):
        fit_numpy(model, data.digits(), rng=None, progress=False)
