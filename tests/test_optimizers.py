"""Oracle tests for coursekit.optimizers' functional references: torch.optim's trajectories.

The oracles are torch.optim's built-in optimizers (same hyperparameters, same gradients,
many steps, float64 to 1e-10), and, for the conventions that torch does not implement, the
formulas as their authors write them (Keras, the lecture notes, Sutskever et al.), coded
here as plain loops; then inputs, dtypes, errors. The classes: test_optimizers_torch_optim.py.
"""

import numpy as np
import pytest
import torch

from coursekit.optimizers import numpy_ref, torch_ref
from coursekit.optimizers.state import AdamState, MomentumState

from conftest import smooth_problem, torch_devices

# course name -> (torch.optim class, its kwargs, our kwargs), for a non-default setting.
# RMSProp and Adam get a large eps: with a tiny one their steps stay about lr long near the
# minimum, the path never settles and is chaotic, so that 1e-16 rounding differences grow.
# With eps = 0.1 the steps shrink near the minimum and paths agree for any number of steps.
BUILTIN = {
    "sgd": (torch.optim.SGD, {"lr": 0.05}, {"lr": 0.05}),
    "momentum": (torch.optim.SGD, {"lr": 0.02, "momentum": 0.8}, {"lr": 0.02, "momentum": 0.8}),
    "nesterov": (torch.optim.SGD, {"lr": 0.02, "momentum": 0.8, "nesterov": True}, {"lr": 0.02, "momentum": 0.8}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.3, "eps": 1e-3}, {"lr": 0.3, "eps": 1e-3}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "eps": 0.1}, {"lr": 0.01, "alpha": 0.9, "eps": 0.1}),
    "adam": (
        torch.optim.Adam,
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 0.1},
        {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 0.1},
    ),
}
# torch.optim's defaults, for the "same defaults" test (SGD variants need their momentum).
DEFAULTS = {
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "adagrad": {},
    "rmsprop": {},
    "adam": {},
}


def _builtin_path(cls, kwargs, grad, w0, steps):
    p = torch.tensor(w0, dtype=torch.float64)
    opt = cls([p], **kwargs)
    path = []
    for _ in range(steps):
        p.grad = torch.tensor(grad(p.numpy()))
        opt.step()
        path.append(p.numpy().copy())
    return np.array(path)


def _our_path(module, name, hyper, grad, w0, steps, *, device="cpu"):
    init, step = getattr(module, f"{name}_init"), getattr(module, f"{name}_step")
    if module is torch_ref:
        w = torch.tensor(w0, device=device)
        to_grad = lambda w: torch.tensor(grad(w.cpu().numpy()), device=device)  # noqa: E731
    else:
        w, to_grad = w0.copy(), grad
    state, path = init(w), []
    for _ in range(steps):
        w, state = step(w, to_grad(w), state, **hyper)
        path.append(w.cpu().numpy() if module is torch_ref else w)
    return np.array(path)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_numpy_trajectory_equals_torch_optim(name):
    cls, kwargs, hyper = BUILTIN[name]
    grad, w0 = smooth_problem()
    expected = _builtin_path(cls, kwargs, grad, w0, 200)
    assert np.abs(expected[-1] - w0).max() > 0.1  # the optimizer really moved
    np.testing.assert_allclose(_our_path(numpy_ref, name, hyper, grad, w0, 200), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_torch_trajectory_equals_torch_optim(name, device):
    cls, kwargs, hyper = BUILTIN[name]
    grad, w0 = smooth_problem(seed=1)
    expected = _builtin_path(cls, kwargs, grad, w0, 200)
    got = _our_path(torch_ref, name, hyper, grad, w0, 200, device=device)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_defaults_are_torch_optims(name):
    cls, _, _ = BUILTIN[name]
    grad, w0 = smooth_problem(seed=2)
    expected = _builtin_path(cls, DEFAULTS[name], grad, w0, 50)
    init, step = getattr(numpy_ref, f"{name}_init"), getattr(numpy_ref, f"{name}_step")
    w, state, path = w0.copy(), init(w0), []
    for _ in range(50):
        w, state = step(w, grad(w), state)  # no hyperparameters: the defaults
        path.append(w)
    np.testing.assert_allclose(np.array(path), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_float32_stays_float32_and_follows_torch(name):
    cls, kwargs, hyper = BUILTIN[name]
    grad, w0 = smooth_problem(seed=3)
    w32 = w0.astype(np.float32)
    init, step = getattr(numpy_ref, f"{name}_init"), getattr(numpy_ref, f"{name}_step")
    tinit, tstep = getattr(torch_ref, f"{name}_init"), getattr(torch_ref, f"{name}_step")
    w, state = w32.copy(), init(w32)
    t, tstate = torch.tensor(w32), tinit(torch.tensor(w32))
    p = torch.tensor(w32)
    opt = cls([p], **kwargs)
    for _ in range(20):
        g = grad(p.numpy().astype(np.float64)).astype(np.float32)
        w, state = step(w, g, state, **hyper)
        t, tstate = tstep(t, torch.tensor(g), tstate, **hyper)
        p.grad = torch.tensor(g)
        opt.step()
        assert w.dtype == np.float32 and t.dtype == torch.float32
        assert all(a.dtype == np.float32 for a in state if isinstance(a, np.ndarray))
        np.testing.assert_allclose(w, p.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(t.numpy(), p.numpy(), rtol=1e-4, atol=1e-5)


# ----- conventions other than torch's, against their own formulas ---------------------------


def test_notes_momentum_form_gives_torchs_path():
    # m <- beta m + lr g; w <- w - m  (the notes), against torch.optim.SGD(momentum=beta).
    grad, w0 = smooth_problem(seed=4)
    lr, beta = 0.03, 0.85
    expected = _builtin_path(torch.optim.SGD, {"lr": lr, "momentum": beta}, grad, w0, 100)
    w, m, path = w0.copy(), np.zeros_like(w0), []
    for _ in range(100):
        m = beta * m + lr * grad(w)
        w = w - m
        path.append(w)
    np.testing.assert_allclose(np.array(path), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_ema_momentum_is_torchs_with_lr_times_one_minus_momentum(module):
    # v <- mu v + (1 - mu) g is (1 - mu) times torch's buffer, so the path is torch's at
    # lr * (1 - mu).
    grad, w0 = smooth_problem(seed=5)
    lr, mu = 0.2, 0.75
    expected = _builtin_path(torch.optim.SGD, {"lr": lr * (1 - mu), "momentum": mu}, grad, w0, 100)
    got = _our_path(module, "momentum", {"lr": lr, "momentum": mu, "ema": True}, grad, w0, 100)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_nesterov_is_sutskevers_look_ahead_form(module):
    # v <- mu v - lr grad(theta + mu v); theta <- theta + v. torch's weights are theta + mu v.
    grad, w0 = smooth_problem(seed=6)
    lr, mu = 0.02, 0.9
    theta, v, look_ahead = w0.copy(), np.zeros_like(w0), []
    for _ in range(100):
        v = mu * v - lr * grad(theta + mu * v)
        theta = theta + v
        look_ahead.append(theta + mu * v)
    got = _our_path(module, "nesterov", {"lr": lr, "momentum": mu}, grad, w0, 100)
    np.testing.assert_allclose(got, np.array(look_ahead), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_eps_inside_the_root(module, name):
    # The notes' RMSProp and Keras 3: w <- w - lr g / sqrt(s + eps).
    grad, w0 = smooth_problem(seed=7)
    lr, alpha, eps = 0.05, 0.9, 0.05
    w, s, expected = w0.copy(), np.zeros_like(w0), []
    for _ in range(50):
        g = grad(w)
        s = s + g * g if name == "adagrad" else alpha * s + (1 - alpha) * g * g
        w = w - lr * g / np.sqrt(s + eps)
        expected.append(w)
    hyper = {"lr": lr, "eps": eps, "eps_inside": True, **({"alpha": alpha} if name == "rmsprop" else {})}
    np.testing.assert_allclose(_our_path(module, name, hyper, grad, w0, 50), np.array(expected), rtol=1e-10, atol=1e-12)


def test_eps_inside_and_outside_differ_only_for_small_gradients():
    """The 05 notebook's measurement: RMSProp's first step from a zero average, eps = 1e-8.
    Outside the root it is torch.optim.RMSprop's step; inside, the closed form
    g / sqrt((1 - alpha) g**2 + eps). They agree for ordinary gradients and part below
    |g| ~ sqrt(eps / (1 - alpha)) = 1e-3."""
    g, alpha, eps = np.logspace(0, -8, 81), 0.99, 1e-8
    first = {
        inside: -numpy_ref.rmsprop_step(
            np.zeros_like(g), g, numpy_ref.rmsprop_init(g), lr=1.0, alpha=alpha, eps=eps, eps_inside=inside
        )[0]
        for inside in (False, True)
    }
    w = torch.zeros(len(g), dtype=torch.float64, requires_grad=True)
    w.grad = torch.tensor(g)
    torch.optim.RMSprop([w], lr=1.0, alpha=alpha, eps=eps).step()
    np.testing.assert_allclose(first[False], -w.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(first[True], g / np.sqrt((1 - alpha) * g**2 + eps), rtol=1e-12)
    ratio = first[False] / first[True]
    assert np.all(np.abs(ratio[g >= 1e-1] - 1) < 1e-3)
    assert np.all(ratio[g <= 1e-4] > 9.9) and ratio[np.argmin(np.abs(g - 1e-6))] > 900


def test_adam_step_stays_below_kingma_and_bas_bound():
    """Kingma & Ba, section 2.1: |step| <= lr (1 - beta1) / sqrt(1 - beta2), reached by a
    gradient after a long run of zero ones; a steady gradient moves the weight by lr."""
    bound = (1 - 0.9) / np.sqrt(1 - 0.999)
    spikes = [
        abs(numpy_ref.adam_step(np.zeros(1), np.ones(1), AdamState(quiet, np.zeros(1), np.zeros(1)), lr=1.0)[0][0])
        for quiet in (0, 10, 100, 1000, 10_000, 100_000)
    ]
    assert all(spike <= bound * (1 + 1e-9) for spike in spikes)
    assert spikes[-1] == pytest.approx(bound, rel=1e-6) and spikes[0] == pytest.approx(1.0, rel=1e-6)
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=1.0)
    for _ in range(50):
        before = w.detach().clone()
        w.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
    assert (before - w.detach()).item() == pytest.approx(1.0, rel=1e-6)


def _adam_loop(grad, w0, steps, lr, b1, b2, eps, variant):
    """Adam as Keras documents it (eps_hat), without bias correction, or with the notes' typo."""
    w, m, v, path = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), []
    for t in range(1, steps + 1):
        g = grad(w)
        m = b1 * m + (1 - b1) * g
        v = (b1 if variant == "typo" else b2) * v + (1 - b2) * g * g
        if variant == "eps_hat":  # tf.keras Adam: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)
            w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        elif variant == "no_bias_correction":
            w = w - lr * m / (np.sqrt(v) + eps)
        else:  # the notes' Algorithm 1 with S updated by beta1
            w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        path.append(w)
    return np.array(path)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
@pytest.mark.parametrize(
    "variant, flag",
    [
        ("eps_hat", {"eps_hat": True}),
        ("no_bias_correction", {"bias_correction": False}),
        ("typo", {"second_moment_beta1": True}),
    ],
)
def test_adam_variants_follow_their_formulas(module, variant, flag):
    grad, w0 = smooth_problem(seed=8)
    lr, b1, b2, eps = 0.02, 0.85, 0.99, 0.05
    expected = _adam_loop(grad, w0, 60, lr, b1, b2, eps, variant)
    got = _our_path(module, "adam", {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, **flag}, grad, w0, 60)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    torch_path = _builtin_path(torch.optim.Adam, {"lr": lr, "betas": (b1, b2), "eps": eps}, grad, w0, 60)
    assert np.abs(got - torch_path).max() > 1e-6  # each variant really differs from torch's


FLAGGED = {  # class and kwargs -> the functional reference with the same convention
    "sgd ema": (
        torch_ref.SGD,
        {"lr": 0.1, "momentum": 0.8, "ema": True},
        "momentum",
        {"lr": 0.1, "momentum": 0.8, "ema": True},
    ),
    "adagrad eps inside": (
        torch_ref.Adagrad,
        {"lr": 0.1, "eps": 0.01, "eps_inside": True},
        "adagrad",
        {"lr": 0.1, "eps": 0.01, "eps_inside": True},
    ),
    "rmsprop eps inside": (
        torch_ref.RMSprop,
        {"lr": 0.01, "eps": 0.01, "eps_inside": True},
        "rmsprop",
        {"lr": 0.01, "eps": 0.01, "eps_inside": True},
    ),
    "adam eps hat": (
        torch_ref.Adam,
        {"lr": 0.01, "eps": 0.01, "eps_hat": True},
        "adam",
        {"lr": 0.01, "eps": 0.01, "eps_hat": True},
    ),
    "adam no bias correction": (
        torch_ref.Adam,
        {"lr": 0.01, "bias_correction": False},
        "adam",
        {"lr": 0.01, "bias_correction": False},
    ),
    "adam typo": (
        torch_ref.Adam,
        {"lr": 0.01, "second_moment_beta1": True},
        "adam",
        {"lr": 0.01, "second_moment_beta1": True},
    ),
}


@pytest.mark.parametrize("label", sorted(FLAGGED))
def test_optimizer_class_flags_match_the_functional_conventions(label):
    cls, kwargs, name, hyper = FLAGGED[label]
    grad, w0 = smooth_problem(seed=10)
    expected = _our_path(numpy_ref, name, hyper, grad, w0, 40)
    np.testing.assert_allclose(_builtin_path(cls, kwargs, grad, w0, 40), expected, rtol=1e-10, atol=1e-12)


# ----- inputs, dtypes, errors ----------------------------------------------------------------

NAMES = sorted(BUILTIN)


@pytest.mark.parametrize("name", NAMES)
def test_steps_never_change_their_inputs(name):
    rng = np.random.default_rng(9)
    w, dw = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    for module, conv in ((numpy_ref, np.array), (torch_ref, torch.tensor)):
        init, step = getattr(module, f"{name}_init"), getattr(module, f"{name}_step")
        wt, dwt = conv(w), conv(dw)
        _, state = step(wt, dwt, init(wt))  # a state with non-zero entries

        def snapshot(arrays=(wt, dwt, *state)):
            return [x.numpy().copy() if isinstance(x, torch.Tensor) else np.copy(x) for x in arrays]

        before = snapshot()
        step(wt, dwt, state)
        for b, a in zip(before, snapshot()):
            np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_hyperparameters_get_clear_errors(backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    conv = np.asarray if backend == "numpy" else torch.tensor
    w = conv(np.ones(3))
    with pytest.raises(ValueError, match="lr must be finite and >= 0, got -0.1"):
        ref.sgd_step(w, w, ref.sgd_init(w), lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\), got 1.0"):
        ref.momentum_step(w, w, ref.momentum_init(w), momentum=1.0)
    with pytest.raises(ValueError, match=r"beta1 must lie in \[0, 1\), got -0.1"):
        ref.adam_step(w, w, ref.adam_init(w), beta1=-0.1)
    with pytest.raises(ValueError, match=r"beta2 must lie in \[0, 1\), got 1.0"):
        ref.adam_step(w, w, ref.adam_init(w), beta2=1.0)
    with pytest.raises(ValueError, match="eps must be finite and >= 0, got -1e-08"):
        ref.rmsprop_step(w, w, ref.rmsprop_init(w), eps=-1e-8)
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\)"):
        ref.rmsprop_step(w, w, ref.rmsprop_init(w), alpha=1.5)
    with pytest.raises(ValueError, match="lr must be finite"):
        ref.adagrad_step(w, w, ref.adagrad_init(w), lr=float("nan"))
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        ref.sgd_step(w, w, ref.sgd_init(w), lr="0.1")
    with pytest.raises(ValueError, match="eps_hat folds the bias correction"):
        ref.adam_step(w, w, ref.adam_init(w), eps_hat=True, bias_correction=False)
    with pytest.raises(TypeError, match="eps_inside must be True or False"):
        ref.adagrad_step(w, w, ref.adagrad_init(w), eps_inside=1)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_arrays_and_states_get_clear_errors(backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    conv = np.asarray if backend == "numpy" else torch.tensor
    w = conv(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dw must have shape \(2, 3\)"):
        ref.sgd_step(w, conv(np.ones(3)), ref.sgd_init(w), lr=0.1)
    with pytest.raises(TypeError, match="share one floating dtype"):
        ref.sgd_step(w, conv(np.ones((2, 3), dtype=np.float32)), ref.sgd_init(w), lr=0.1)
    with pytest.raises(TypeError, match="state must be the AdamState that adam_init"):
        ref.adam_step(w, w, ref.rmsprop_init(w))
    with pytest.raises(ValueError, match=r"state.velocity must have shape \(2, 3\)"):
        ref.momentum_step(w, w, MomentumState(conv(np.zeros(3))))
    with pytest.raises(TypeError, match="state.count must be an int"):
        ref.adam_step(w, w, AdamState(1.5, conv(np.zeros((2, 3))), conv(np.zeros((2, 3)))))
    with pytest.raises(TypeError, match="must have a floating dtype"):
        ref.adam_init(conv(np.ones(3, dtype=np.int64)))


def test_numpy_reference_rejects_tensors_and_lists():
    with pytest.raises(TypeError, match="w must be a numpy.ndarray, got list"):
        numpy_ref.sgd_init([1.0, 2.0])
    with pytest.raises(TypeError, match="w must be a torch.Tensor"):
        torch_ref.adam_init(np.ones(2))


def test_numpy_scalar_hyperparameters_do_not_upcast_float32():
    w = np.ones(3, dtype=np.float32)
    w_new, state = numpy_ref.adam_step(w, w, numpy_ref.adam_init(w), lr=np.float64(0.1), beta1=np.float64(0.9))
    assert w_new.dtype == np.float32 and state.mu.dtype == np.float32
