"""Oracle tests for AdamW, NAdam and AdaMax (coursekit.optimizers, topic 10).

The oracles are torch.optim.AdamW, NAdam and Adamax: the same gradients fed to both for
hundreds of steps, with random hyperparameters, compared in float64 to 1e-10. The
conventions torch does not implement (the AdamW paper's schedule multiplier, Keras's
AdaMax) are checked against their formulas written out here as plain loops. Then dtypes,
inputs left alone, and errors.
"""

import numpy as np
import pytest
import torch

from coursekit.optimizers import numpy_ref, torch_ref
from coursekit.optimizers.state import AdamaxState, AdamState, NadamState

from conftest import smooth_problem, torch_devices

BUILTIN = {"adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam, "adamax": torch.optim.Adamax}


def _random_hyper(name, seed):
    """(torch kwargs, our kwargs), drawn at random. eps stays large enough that paths settle
    instead of wandering chaotically near the minimum (where rounding differences would grow)."""
    rng = np.random.default_rng(seed)
    lr, eps = float(np.exp(rng.uniform(np.log(1e-3), np.log(0.2)))), float(rng.uniform(0.02, 0.3))
    beta1, beta2 = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.999))
    ours = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps}
    extra = {
        "adamw": {"weight_decay": float(rng.uniform(0, 0.5))},
        "nadam": {"momentum_decay": float(rng.uniform(0, 0.05))},
        "adamax": {},
    }[name]
    return {"lr": lr, "betas": (beta1, beta2), "eps": eps, **extra}, {**ours, **extra}


def _builtin_path(name, kwargs, grad, w0, steps):
    p = torch.tensor(w0, dtype=torch.float64)
    opt = BUILTIN[name]([p], **kwargs)
    path = []
    for _ in range(steps):
        p.grad = torch.tensor(grad(p.numpy()))
        opt.step()
        path.append(p.numpy().copy())
    return np.array(path)


def _our_path(module, name, hyper, grad, w0, steps, device="cpu"):
    init, step = getattr(module, f"{name}_init"), getattr(module, f"{name}_step")
    to_array = (lambda a: torch.tensor(a, device=device)) if module is torch_ref else np.array
    w = to_array(w0)
    state, path = init(w), []
    for _ in range(steps):
        w, state = step(w, to_array(grad(np.asarray(w.cpu() if module is torch_ref else w))), state, **hyper)
        path.append(np.asarray(w.cpu()) if module is torch_ref else w)
    return np.array(path)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["default-float32", "default-float64"])
def default_dtype(request):
    """torch keeps NAdam's momentum product in its default dtype: test both settings."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(request.param)
    yield request.param
    torch.set_default_dtype(previous)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_numpy_trajectory_equals_torch_optim(name, seed, default_dtype):
    kwargs, hyper = _random_hyper(name, seed)
    grad, w0 = smooth_problem(seed=seed)
    expected = _builtin_path(name, kwargs, grad, w0, 300)
    assert np.abs(expected[-1] - w0).max() > 0.05  # the optimizer really moved
    got = _our_path(numpy_ref, name, hyper, grad, w0, 300)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_torch_trajectory_equals_torch_optim(name, device):
    kwargs, hyper = _random_hyper(name, seed=10)
    grad, w0 = smooth_problem(seed=11)
    expected = _builtin_path(name, kwargs, grad, w0, 300)
    np.testing.assert_allclose(
        _our_path(torch_ref, name, hyper, grad, w0, 300, device), expected, rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_defaults_are_torch_optims(module, name):
    grad, w0 = smooth_problem(seed=12)
    expected = _builtin_path(name, {}, grad, w0, 100)
    np.testing.assert_allclose(_our_path(module, name, {}, grad, w0, 100), expected, rtol=1e-10, atol=1e-12)


def test_nadam_over_thousands_of_steps_where_the_momentum_schedule_matters():
    # momentum_decay=0.05: mu_t climbs from beta1/2 to beta1 within these steps.
    grad, w0 = smooth_problem(seed=13)
    hyper = {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 0.1, "momentum_decay": 0.05}
    expected = _builtin_path(
        "nadam", {"lr": 0.01, "betas": (0.9, 0.99), "eps": 0.1, "momentum_decay": 0.05}, grad, w0, 2000
    )
    np.testing.assert_allclose(_our_path(numpy_ref, "nadam", hyper, grad, w0, 2000), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_float32_stays_float32_and_follows_torch(name, device):
    kwargs, hyper = _random_hyper(name, seed=14)
    grad, w0 = smooth_problem(seed=14)
    w32 = w0.astype(np.float32)
    init, step = getattr(numpy_ref, f"{name}_init"), getattr(numpy_ref, f"{name}_step")
    tinit, tstep = getattr(torch_ref, f"{name}_init"), getattr(torch_ref, f"{name}_step")
    w, state = w32.copy(), init(w32)
    t = torch.tensor(w32, device=device)
    tstate = tinit(t)
    p = torch.tensor(w32, device=device)
    opt = BUILTIN[name]([p], **kwargs)
    for _ in range(30):
        g = grad(p.cpu().numpy().astype(np.float64)).astype(np.float32)
        w, state = step(w, g, state, **hyper)
        t, tstate = tstep(t, torch.tensor(g, device=device), tstate, **hyper)
        p.grad = torch.tensor(g, device=device)
        opt.step()
        assert w.dtype == np.float32 and t.dtype == torch.float32 and t.device.type == device
        assert all(a.dtype == np.float32 for a in state if isinstance(a, np.ndarray))
        np.testing.assert_allclose(w, p.cpu().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(t.cpu().numpy(), p.cpu().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_inputs_are_never_changed(module, name):
    conv = np.array if module is numpy_ref else torch.tensor
    rng = np.random.default_rng(15)
    w, dw = conv(rng.standard_normal((3, 2))), conv(rng.standard_normal((3, 2)))
    init, step = getattr(module, f"{name}_init"), getattr(module, f"{name}_step")

    def snapshot(arrays):
        return [a.clone() if module is torch_ref else a.copy() for a in arrays if not isinstance(a, (int, float))]

    w1, state1 = step(w, dw, init(w))
    before = snapshot((w, dw, w1, *state1))
    w2, state2 = step(w1, dw, state1)
    assert not np.allclose(np.asarray(w2), np.asarray(w1))  # the second step did move
    for old, now in zip(before, snapshot((w, dw, w1, *state1))):
        np.testing.assert_array_equal(np.asarray(old), np.asarray(now))


# ----- conventions other than torch's, against their own formulas ---------------------------


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_adamw_schedule_multiplier_is_the_papers_algorithm_2(module):
    # Loshchilov & Hutter: w <- w - eta_t (alpha m_hat / (sqrt(v_hat) + eps) + lambda w).
    grad, w0 = smooth_problem(seed=16)
    alpha, lam, b1, b2, eps, eta = 0.03, 0.02, 0.85, 0.99, 0.05, 0.7
    w, m, v, expected = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), []
    for t in range(1, 101):
        g = grad(w)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        w = w - eta * (alpha * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps) + lam * w)
        expected.append(w)
    hyper = {"lr": alpha, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": lam, "schedule_multiplier": eta}
    np.testing.assert_allclose(
        _our_path(module, "adamw", hyper, grad, w0, 100), np.array(expected), rtol=1e-10, atol=1e-12
    )


def test_papers_decay_is_torchs_decay_divided_by_lr():
    # torch at (lr * eta, weight_decay / lr) takes the paper's step at (lr, weight_decay, eta).
    grad, w0 = smooth_problem(seed=17)
    lr, lam, eta = 0.05, 0.01, 0.5
    paper = _our_path(numpy_ref, "adamw", {"lr": lr, "weight_decay": lam, "schedule_multiplier": eta}, grad, w0, 80)
    torch_form = _builtin_path("adamw", {"lr": lr * eta, "weight_decay": lam / lr}, grad, w0, 80)
    np.testing.assert_allclose(paper, torch_form, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_adamw_without_decay_is_adam_and_with_decay_is_not_adam_with_l2(module):
    grad, w0 = smooth_problem(seed=18)
    hyper = {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 0.05}
    adam = _our_path(module, "adam", hyper, grad, w0, 60)
    np.testing.assert_allclose(
        _our_path(module, "adamw", {**hyper, "weight_decay": 0.0}, grad, w0, 60), adam, rtol=1e-12, atol=1e-14
    )
    l2_through_adam = torch.tensor(w0, dtype=torch.float64)
    opt = torch.optim.Adam([l2_through_adam], lr=0.02, betas=(0.8, 0.99), eps=0.05, weight_decay=0.1)
    for _ in range(60):
        l2_through_adam.grad = torch.tensor(grad(l2_through_adam.numpy()))
        opt.step()
    decoupled = _our_path(module, "adamw", {**hyper, "weight_decay": 0.1}, grad, w0, 60)[-1]
    assert np.abs(decoupled - l2_through_adam.numpy()).max() > 1e-3


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_adamax_keras_convention(module):
    # Keras: u <- max(beta2 u, |g|); w <- w - lr / (1 - beta1^t) * m / (u + eps).
    grad, w0 = smooth_problem(seed=19)
    lr, b1, b2, eps = 0.02, 0.85, 0.99, 0.05
    w, m, u, expected = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), []
    for t in range(1, 101):
        g = grad(w)
        m, u = b1 * m + (1 - b1) * g, np.maximum(b2 * u, np.abs(g))
        w = w - lr / (1 - b1**t) * m / (u + eps)
        expected.append(w)
    hyper = {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "eps_inside_max": False}
    np.testing.assert_allclose(
        _our_path(module, "adamax", hyper, grad, w0, 100), np.array(expected), rtol=1e-10, atol=1e-12
    )


def test_nadam_momentum_schedule_is_dozats():
    from coursekit.optimizers.numpy_adam_variants import nadam_momentum

    assert nadam_momentum(1, 0.9, 0.004) == pytest.approx(0.9 * (1 - 0.5 * 0.96**0.004))
    assert nadam_momentum(10**6, 0.9, 0.004) == pytest.approx(0.9)
    assert nadam_momentum(5, 0.9, 0.0) == pytest.approx(0.45)


# ----- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_hyperparameters_name_the_argument(backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    w = np.ones(3) if backend == "numpy" else torch.ones(3, dtype=torch.float64)
    with pytest.raises(ValueError, match="weight_decay must be finite and >= 0, got -0.1"):
        ref.adamw_step(w, w, ref.adamw_init(w), weight_decay=-0.1)
    with pytest.raises(ValueError, match="schedule_multiplier must be finite and >= 0"):
        ref.adamw_step(w, w, ref.adamw_init(w), schedule_multiplier=-1.0)
    with pytest.raises(ValueError, match="momentum_decay must be finite and >= 0, got -0.004"):
        ref.nadam_step(w, w, ref.nadam_init(w), momentum_decay=-0.004)
    with pytest.raises(ValueError, match="momentum_decay must be finite"):
        ref.nadam_step(w, w, ref.nadam_init(w), momentum_decay=float("inf"))
    with pytest.raises(ValueError, match=r"beta2 must lie in \[0, 1\), got 1.0"):
        ref.adamax_step(w, w, ref.adamax_init(w), beta2=1.0)
    with pytest.raises(ValueError, match="lr must be finite and >= 0"):
        ref.nadam_step(w, w, ref.nadam_init(w), lr=-1e-3)
    with pytest.raises(TypeError, match="eps_inside_max must be True or False"):
        ref.adamax_step(w, w, ref.adamax_init(w), eps_inside_max="yes")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_states_name_what_was_expected(backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    conv = np.asarray if backend == "numpy" else torch.tensor
    w = conv(np.ones((2, 3)))
    with pytest.raises(TypeError, match="state must be the NadamState that nadam_init"):
        ref.nadam_step(w, w, ref.adam_init(w))
    with pytest.raises(TypeError, match="state must be the AdamaxState that adamax_init"):
        ref.adamax_step(w, w, ref.adamw_init(w))
    zeros = conv(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"state.mu_product must be a real number in \[0, 1\]"):
        ref.nadam_step(w, w, NadamState(0, 1.5, zeros, zeros))
    with pytest.raises(ValueError, match=r"state.u must have shape \(2, 3\)"):
        ref.adamax_step(w, w, AdamaxState(0, zeros, conv(np.zeros(3))))
    with pytest.raises(ValueError, match=r"dw must have shape \(2, 3\)"):
        ref.adamw_step(w, conv(np.ones(3)), AdamState(0, zeros, zeros))
