"""Oracle tests for the from-scratch torch.optim.Optimizer subclasses in coursekit.optimizers.

Each class (torch_ref.SGD, Adagrad, RMSprop, Adam) against its torch.optim namesake: a model
trained with it (float64 and float32, cpu and cuda) ends with the same weights, parameter
groups and parameters without a gradient are handled alike, and a state_dict round trip
continues the same path; then closures, bad hyperparameters, GPU synchronisation and the
gradients left alone. The flags for other conventions are checked in test_optimizers.py.
"""

import numpy as np
import pytest
import torch

from coursekit.optimizers import torch_ref

from conftest import smooth_problem, torch_devices

# ----- the from-scratch torch.optim.Optimizer subclasses -----------------------------------

CLASSES = {  # label -> (ours, torch.optim's, kwargs)
    "sgd": (torch_ref.SGD, torch.optim.SGD, {"lr": 0.05}),
    "momentum": (torch_ref.SGD, torch.optim.SGD, {"lr": 0.02, "momentum": 0.9}),
    "nesterov": (torch_ref.SGD, torch.optim.SGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
    "adagrad": (torch_ref.Adagrad, torch.optim.Adagrad, {"lr": 0.05}),
    "rmsprop": (torch_ref.RMSprop, torch.optim.RMSprop, {"lr": 0.002, "alpha": 0.95}),
    "adam": (torch_ref.Adam, torch.optim.Adam, {"lr": 0.003, "betas": (0.85, 0.99)}),
}


@pytest.fixture
def one_thread():
    """Tiny models train much faster on one CPU thread, above all on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _trained(digits, factory, lr, hyper, device, dtype):
    from coursekit.training import build_mlp, fit

    model = build_mlp([64, 16, 10], seed=3)
    hist = fit(
        model,
        digits,
        optimizer_factory=factory,
        lr=lr,
        epochs=2,
        batch_size=64,
        device=device,
        dtype=dtype,
        progress=False,
        **hyper,
    )
    return model, hist


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("label", sorted(CLASSES))
def test_optimizer_classes_train_a_model_like_the_builtins(digits, one_thread, label, dtype, device):
    ours, builtin, kwargs = CLASSES[label]
    hyper = {k: v for k, v in kwargs.items() if k != "lr"}
    mine, hist = _trained(digits, ours, kwargs["lr"], hyper, device, dtype)
    theirs, oracle_hist = _trained(digits, builtin, kwargs["lr"], hyper, device, dtype)
    assert hist["loss"][-1] < hist["loss"][0]
    tol = 1e-10 if dtype == torch.float64 else 1e-5
    for a, b in zip(mine.parameters(), theirs.parameters()):
        assert a.dtype == dtype and a.device.type == device
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)
    np.testing.assert_allclose(hist["val_loss"], oracle_hist["val_loss"], rtol=tol)


def _two_groups(cls, kwargs):
    gen = torch.Generator().manual_seed(0)
    params = [torch.randn(4, 3, dtype=torch.float64, generator=gen) for _ in range(3)]
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": kwargs["lr"] / 2}], **kwargs)
    return params, opt


@pytest.mark.parametrize("label", sorted(CLASSES))
def test_param_groups_and_parameters_without_gradient(label):
    ours, builtin, kwargs = CLASSES[label]
    (mine, opt), (theirs, oracle) = _two_groups(ours, kwargs), _two_groups(builtin, kwargs)
    gen = torch.Generator().manual_seed(1)
    for step in range(12):
        grads = [torch.randn(4, 3, dtype=torch.float64, generator=gen) for _ in range(3)]
        for params in (mine, theirs):
            for i, (p, g) in enumerate(zip(params, grads)):
                p.grad = None if (i == 1 and step % 3 == 0) else g.clone()  # p[1] skips steps
        opt.step()
        oracle.step()
    for a, b in zip(mine, theirs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_adam_keeps_its_step_count_as_a_python_int_and_torchs_state_keys():
    p = torch.zeros(3, requires_grad=True)
    opt = torch_ref.Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = torch.ones(3)
        opt.step()
    state = opt.state[p]
    assert state["step"] == 3 and type(state["step"]) is int
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"}


@pytest.mark.parametrize("label", sorted(CLASSES))
def test_state_dict_round_trip_continues_the_same_path(label):
    ours, _, kwargs = CLASSES[label]
    grad, w0 = smooth_problem(seed=11)

    def run(steps, opt, p):
        for _ in range(steps):
            p.grad = torch.tensor(grad(p.detach().numpy()))
            opt.step()

    p = torch.tensor(w0)
    straight = ours([p], **kwargs)
    run(10, straight, p)
    q = torch.tensor(w0)
    first = ours([q], **kwargs)
    run(5, first, q)
    second = ours([q], **kwargs)
    second.load_state_dict(first.state_dict())
    run(5, second, q)
    torch.testing.assert_close(q, p, rtol=0, atol=0)


def test_step_returns_the_closures_loss():
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = torch_ref.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == pytest.approx(5.0)
    torch.testing.assert_close(p.detach(), torch.tensor([0.8, -1.6]))


def test_optimizer_classes_reject_bad_hyperparameters():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="lr must be finite and >= 0"):
        torch_ref.SGD(p, lr=-1.0)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        torch_ref.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"beta2 must lie in \[0, 1\)"):
        torch_ref.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="betas must be a pair"):
        torch_ref.Adam(p, betas=0.9)
    with pytest.raises(ValueError, match="eps must be finite and >= 0"):
        torch_ref.Adagrad(p, eps=-1e-10)
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\)"):
        torch_ref.RMSprop(p, alpha=-0.5)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("label", sorted(CLASSES))
def test_optimizer_steps_never_synchronise_with_the_gpu(label):
    ours, _, kwargs = CLASSES[label]
    params = [torch.randn(64, 32, device="cuda"), torch.randn(32, device="cuda")]
    opt = ours(params, **kwargs)
    for p in params:
        p.grad = torch.randn_like(p)
    opt.step()  # the first step creates the state
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            opt.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(p.is_cuda for p in params)


@pytest.mark.parametrize("label", sorted(CLASSES))
def test_optimizer_classes_leave_the_gradients_alone(label):
    ours, _, kwargs = CLASSES[label]
    p = torch.ones(5, dtype=torch.float64)
    opt = ours([p], **kwargs)
    p.grad = torch.linspace(-1, 1, 5, dtype=torch.float64)
    before = p.grad.clone()
    for _ in range(3):
        opt.step()
    torch.testing.assert_close(p.grad, before, rtol=0, atol=0)
    assert not torch.equal(p, torch.ones(5, dtype=torch.float64))
