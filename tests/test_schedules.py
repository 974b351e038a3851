"""Oracle tests of the schedules: each equals the matching ``torch.optim.lr_scheduler``,
stepped once per step on a real optimizer, over several hundred steps with random
hyperparameters; the chained and closed forms; bad arguments are named."""

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tls

from coursekit.schedules import numpy_ref, torch_ref

SEEDS = range(6)


def stepped(make_scheduler, n_steps, *, lr, optimizer="sgd", metrics=None):
    """Rates (and momenta) of a real optimizer whose scheduler steps after every step."""
    p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9) if optimizer == "sgd" else torch.optim.Adam([p], lr=lr)
    scheduler = make_scheduler(opt)
    lrs, momenta = [], []
    for t in range(n_steps):
        group = opt.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["momentum"] if optimizer == "sgd" else group["betas"][0])
        p.grad = torch.ones_like(p)
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[t])
    return np.array(lrs), np.array(momenta)


def _draw(seed):
    rng = np.random.default_rng(seed)
    return rng, float(np.exp(rng.uniform(np.log(1e-3), np.log(1.0)))), int(rng.integers(200, 800))


def _same(ours, theirs):
    assert ours.dtype == np.float64 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def _cases(seed):
    """(name, our rates, torch's rates) for every schedule, with hyperparameters from ``seed``."""
    rng, lr0, n = _draw(seed)
    step_size, gamma = int(rng.integers(1, 120)), float(rng.uniform(0.1, 0.9))
    milestones = sorted(int(m) for m in rng.integers(0, n, size=4))
    exp_gamma = float(rng.uniform(0.98, 0.9999))
    s, c = float(rng.uniform(10, 300)), float(rng.uniform(0.3, 2.0))
    t_max = int(rng.integers(5, n))
    eta_min = float(rng.choice([0.0, lr0 * rng.uniform(0, 0.2)]))
    t_0, t_mult = int(rng.integers(5, 100)), int(rng.integers(1, 3))
    start, end, total = float(rng.uniform(0.05, 1)), float(rng.uniform(0, 1)), int(rng.integers(1, n))
    warmup = int(rng.integers(0, n // 3))
    yield (
        "step",
        numpy_ref.step_decay(lr0, n, step_size=step_size, gamma=gamma),
        stepped(lambda o: tls.StepLR(o, step_size, gamma), n, lr=lr0)[0],
    )
    yield (
        "multi_step",
        numpy_ref.multi_step_decay(lr0, n, milestones=milestones, gamma=gamma),
        stepped(lambda o: tls.MultiStepLR(o, milestones, gamma), n, lr=lr0)[0],
    )
    yield (
        "exponential",
        numpy_ref.exponential_decay(lr0, n, gamma=exp_gamma),
        stepped(lambda o: tls.ExponentialLR(o, exp_gamma), n, lr=lr0)[0],
    )
    yield (
        "power",
        numpy_ref.power_decay(lr0, n, s=s, c=c),
        stepped(lambda o: tls.LambdaLR(o, lambda t: 1 / (1 + t / s) ** c), n, lr=lr0)[0],
    )
    yield (
        "constant",
        numpy_ref.constant(lr0, n),
        stepped(lambda o: tls.ConstantLR(o, 1.0, total_iters=1), n, lr=lr0)[0],
    )
    yield (
        "cosine",
        numpy_ref.cosine_annealing(lr0, n, t_max=t_max, eta_min=eta_min),
        stepped(lambda o: tls.CosineAnnealingLR(o, t_max, eta_min), n, lr=lr0)[0],
    )
    yield (
        "warm_restarts",
        numpy_ref.cosine_warm_restarts(lr0, n, t_0=t_0, t_mult=t_mult, eta_min=eta_min),
        stepped(lambda o: tls.CosineAnnealingWarmRestarts(o, t_0, t_mult, eta_min), n, lr=lr0)[0],
    )
    yield (
        "linear",
        numpy_ref.linear_anneal(lr0, n, start_factor=start, end_factor=end, total_iters=total),
        stepped(lambda o: tls.LinearLR(o, start, end, total), n, lr=lr0)[0],
    )

    def sequential(o):
        warm = tls.LinearLR(o, start_factor=start, total_iters=warmup)
        cosine = tls.CosineAnnealingLR(o, T_max=n - warmup, eta_min=eta_min)
        return tls.SequentialLR(o, [warm, cosine], milestones=[warmup])

    yield (
        "warmup_cosine",
        numpy_ref.warmup_cosine(lr0, n, warmup_steps=warmup, start_factor=start, eta_min=eta_min),
        stepped(sequential, n, lr=lr0)[0],
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_schedules_equal_torch_schedulers_on_a_real_optimizer(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SequentialLR's internal step(0)
        for _, ours, theirs in _cases(seed):
            _same(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_chained_schedules_equal_torch_to_the_last_bit(seed):
    """The docstring's claim: the same recurrences in the same order, not just close."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for name, ours, theirs in _cases(seed):
            if name != "power":  # LambdaLR's factor is the test's own lambda
                np.testing.assert_array_equal(ours, theirs, err_msg=name)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_cycle_rates_and_momentum_equal_torch(seed, anneal, three_phase, optimizer):
    rng, max_lr, n = _draw(seed)
    pct = float(rng.uniform(0.1, 0.45))
    div, final = float(rng.uniform(5, 50)), float(np.exp(rng.uniform(np.log(10), np.log(1e5))))
    base_m, max_m = float(rng.uniform(0.7, 0.88)), float(rng.uniform(0.9, 0.99))
    hyper = dict(pct_start=pct, div_factor=div, final_div_factor=final, anneal_strategy=anneal, three_phase=three_phase)
    lrs, momenta = torch_ref.one_cycle(max_lr, n, **hyper, base_momentum=base_m, max_momentum=max_m)
    their_lrs, their_momenta = stepped(
        lambda o: tls.OneCycleLR(o, max_lr, total_steps=n, **hyper, base_momentum=base_m, max_momentum=max_m),
        n,
        lr=max_lr,
        optimizer=optimizer,
    )
    _same(lrs, their_lrs)
    _same(momenta, their_momenta)


def test_one_cycle_defaults_are_torchs():
    lrs, momenta = numpy_ref.one_cycle(0.1, 300)
    their_lrs, their_momenta = stepped(lambda o: tls.OneCycleLR(o, 0.1, total_steps=300), 300, lr=0.1)
    _same(lrs, their_lrs)
    _same(momenta, their_momenta)
    assert momenta.min() == pytest.approx(0.85) and momenta[0] == pytest.approx(0.95)


def _metrics(rng, n):
    """A noisy validation loss that improves, stalls, and improves again."""
    third = n // 3
    trend = np.concatenate([np.linspace(2.0, 0.5, third), np.full(third, 0.5), np.linspace(0.5, 0.2, n - 2 * third)])
    return trend + 0.02 * rng.standard_normal(n)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_reduce_on_plateau_equals_torch(seed, mode, threshold_mode):
    rng, lr0, n = _draw(seed)
    metrics = _metrics(rng, n) * (1 if mode == "min" else -1)
    hyper = dict(
        mode=mode,
        factor=float(rng.uniform(0.1, 0.9)),
        patience=int(rng.integers(0, 15)),
        threshold=float(rng.choice([1e-4, 1e-2, 0.05])),
        threshold_mode=threshold_mode,
        cooldown=int(rng.integers(0, 10)),
        min_lr=float(lr0 * rng.choice([0.0, 1e-3])),
    )
    before = metrics.copy()
    ours = numpy_ref.reduce_on_plateau(lr0, metrics, **hyper)
    np.testing.assert_array_equal(metrics, before)  # the history is not changed
    theirs, _ = stepped(lambda o: tls.ReduceLROnPlateau(o, **hyper), n, lr=lr0, metrics=metrics.tolist())
    _same(ours, theirs)
    assert len(np.unique(ours)) > 1  # the case does reduce the rate


def test_reduce_on_plateau_ignores_reductions_below_eps_and_treats_nan_as_no_improvement():
    metrics = [1.0, float("nan"), 2.0, 3.0]
    for lr0 in (1e-8, 0.5):  # lr0 * (1 - factor) below eps: torch keeps the rate
        ours = numpy_ref.reduce_on_plateau(lr0, metrics, patience=0)
        theirs, _ = stepped(lambda o: tls.ReduceLROnPlateau(o, patience=0), 4, lr=lr0, metrics=metrics)
        _same(ours, theirs)
    assert numpy_ref.reduce_on_plateau(1e-8, metrics, patience=0).tolist() == [1e-8] * 4


def test_plateau_step_by_step_is_reduce_on_plateau():
    metrics = _metrics(np.random.default_rng(0), 120)
    hyper = dict(factor=0.5, patience=3, cooldown=2)
    state, rates = numpy_ref.plateau_init(0.1), []
    for m in metrics:
        rates.append(state.lr)
        state = numpy_ref.plateau_step(state, m, **hyper)
    np.testing.assert_array_equal(rates, numpy_ref.reduce_on_plateau(0.1, metrics, **hyper))


def test_plateau_step_names_a_bad_metric_and_a_mode_that_differs_from_init():
    state = numpy_ref.plateau_init(0.1)
    for bad in ("abc", None, np.array([1.0, 2.0]), True):
        with pytest.raises(TypeError, match="metric must be one real number"):
            numpy_ref.plateau_step(state, bad)
    with pytest.raises(ValueError, match="mode='max', but state comes from plateau_init"):
        numpy_ref.plateau_step(state, 1.0, mode="max")
    assert numpy_ref.plateau_step(state, np.float32(2.0)).best == 2.0


def test_numpy_and_torch_references_share_the_schedules():
    for name in (
        "constant",
        "step_decay",
        "exponential_decay",
        "power_decay",
        "cosine_annealing",
        "warmup_cosine",
        "one_cycle",
        "reduce_on_plateau",
        "cosine_warm_restarts",
    ):
        assert getattr(numpy_ref, name) is getattr(torch_ref, name)


# ----- chained and closed forms ----------------------------------------------------------


def _closed_forms(lr0, n, gamma, t_max, eta_min):
    t = np.arange(n)
    return {"exponential": lr0 * gamma**t, "cosine": eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * t / t_max)) / 2}


def _torch_closed_form(make, n, lr0):
    """Torch's own closed form: ``step(epoch)`` calls ``_get_closed_form_lr`` (deprecated)."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr0)
    scheduler, rates = make(opt), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for t in range(n):
            scheduler.step(t)
            rates.append(opt.param_groups[0]["lr"])
    return np.array(rates)


@pytest.mark.parametrize("t_max", [7, 100, 3000])
def test_chained_and_closed_forms_agree_to_the_first_minimum_then_drift(t_max):
    """Torch's closed form is the docs' formula. Up to the first minimum our (chained) rates
    equal it to rounding; after it the two drift apart, beyond 1e-12 for a long period,
    while ours still equal torch's stepped scheduler: that is why we match the chained form."""
    lr0, n, gamma, eta_min = 0.3, int(2.5 * t_max) + 3, 0.995, 0.1
    closed = _closed_forms(lr0, n, gamma, t_max, eta_min)
    chained = {
        "exponential": numpy_ref.exponential_decay(lr0, n, gamma=gamma),
        "cosine": numpy_ref.cosine_annealing(lr0, n, t_max=t_max, eta_min=eta_min),
    }
    torch_closed = {
        "exponential": _torch_closed_form(lambda o: tls.ExponentialLR(o, gamma), n, lr0),
        "cosine": _torch_closed_form(lambda o: tls.CosineAnnealingLR(o, t_max, eta_min), n, lr0),
    }
    for name in closed:
        np.testing.assert_allclose(torch_closed[name], closed[name], rtol=1e-14, err_msg=name)
    np.testing.assert_allclose(chained["exponential"], closed["exponential"], rtol=1e-13)
    first = slice(0, t_max + 1)
    np.testing.assert_allclose(chained["cosine"][first], closed["cosine"][first], rtol=1e-13)
    assert chained["cosine"][2 * t_max] == pytest.approx(lr0, rel=1e-9)  # climbs back: period 2 t_max
    drift = np.max(np.abs(chained["cosine"] - closed["cosine"]) / closed["cosine"])
    if t_max == 3000:
        assert drift > 1e-12
        _same(chained["cosine"], stepped(lambda o: tls.CosineAnnealingLR(o, t_max, eta_min), n, lr=lr0)[0])


def test_the_chained_form_follows_an_outside_change_and_the_closed_form_does_not():
    """Why the two forms exist: halve the rate by hand after step 10. ExponentialLR's chained
    step continues from the halved rate; its closed form returns to lr0 * gamma ** t."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    scheduler, rates = tls.ExponentialLR(opt, 0.9), []
    for t in range(20):
        rates.append(opt.param_groups[0]["lr"])
        if t == 10:
            opt.param_groups[0]["lr"] /= 2
        opt.step()
        scheduler.step()
    ours = numpy_ref.exponential_decay(0.1, 20, gamma=0.9)
    np.testing.assert_allclose(rates[:11], ours[:11], rtol=1e-15)
    np.testing.assert_allclose(rates[11:], ours[11:] / 2, rtol=1e-14)


def test_warmup_cosine_shape():
    lrs = numpy_ref.warmup_cosine(1.0, 100, warmup_steps=10, start_factor=0.1, eta_min=0.0)
    np.testing.assert_allclose(lrs[:10], 0.1 + 0.9 * np.arange(10) / 10, rtol=1e-14)
    assert lrs[10] == 1.0 and np.all(np.diff(lrs[10:]) < 0) and lrs[-1] > 0
    np.testing.assert_allclose(
        numpy_ref.warmup_cosine(1.0, 50, warmup_steps=0), numpy_ref.cosine_annealing(1.0, 50, t_max=50), rtol=1e-15
    )


# ----- bad arguments ---------------------------------------------------------------------

BAD = [
    (numpy_ref.exponential_decay, (-0.1, 10), {"gamma": 0.9}, "lr0 must be finite and >= 0"),
    (numpy_ref.exponential_decay, (0.1, 0), {"gamma": 0.9}, "n_steps must be an int >= 1"),
    (numpy_ref.exponential_decay, (0.1, 10), {"gamma": 0.0}, "gamma must be finite and > 0"),
    (numpy_ref.step_decay, (0.1, 10), {"step_size": 0}, "step_size must be an int >= 1"),
    (numpy_ref.multi_step_decay, (0.1, 10), {"milestones": [3, -1]}, "milestones"),
    (numpy_ref.power_decay, (0.1, 10), {"s": 0.0}, "s must be finite and > 0"),
    (numpy_ref.power_decay, (0.1, 10), {"s": 5, "c": -1}, "c must be finite and >= 0"),
    (numpy_ref.cosine_annealing, (0.1, 10), {"t_max": 0}, "t_max must be an int >= 1"),
    (numpy_ref.cosine_annealing, (0.1, 10), {"t_max": 5, "eta_min": -1e-3}, "eta_min must be finite and >= 0"),
    (numpy_ref.cosine_annealing, (float("nan"), 10), {"t_max": 5}, "lr0 must be finite"),
    (numpy_ref.warmup_cosine, (0.1, 10), {"warmup_steps": 10}, "warmup_steps must be < n_steps"),
    (numpy_ref.warmup_cosine, (0.1, 10), {"warmup_steps": -1}, "warmup_steps must be an int >= 0"),
    (numpy_ref.warmup_cosine, (0.1, 10), {"warmup_steps": 2, "start_factor": 0.0}, r"start_factor must lie in \(0"),
    (numpy_ref.linear_anneal, (0.1, 10), {"end_factor": 1.5}, r"end_factor must lie in \[0, 1\]"),
    (numpy_ref.cosine_warm_restarts, (0.1, 10), {"t_0": 5, "t_mult": 0}, "t_mult must be an int >= 1"),
    (numpy_ref.one_cycle, (0.1, 0), {}, "n_steps must be an int >= 1"),
    (numpy_ref.one_cycle, (-0.1, 10), {}, "max_lr must be finite and > 0"),
    (numpy_ref.one_cycle, (0.1, 100), {"pct_start": 1.3}, r"pct_start must lie in \[0, 1\]"),
    (numpy_ref.one_cycle, (0.1, 100), {"pct_start": 0.6, "three_phase": True}, r"pct_start must lie in \[0, 0.5\]"),
    (numpy_ref.one_cycle, (0.1, 10), {"pct_start": 0.1}, "leaves phase 1 of the cycle without a step"),
    (
        numpy_ref.one_cycle,
        (0.1, 100),
        {"anneal_strategy": "cosine"},
        "unknown anneal_strategy 'cosine'; choose from cos, linear",
    ),
    (numpy_ref.reduce_on_plateau, (0.1, [1.0, 2.0]), {"factor": 1.0}, r"factor must lie in \[0, 1\)"),
    (numpy_ref.reduce_on_plateau, (0.1, []), {}, "metrics must be a non-empty 1-D sequence"),
    (numpy_ref.reduce_on_plateau, (0.1, [1.0]), {"mode": "lowest"}, "unknown mode 'lowest'; choose from min, max"),
    (numpy_ref.reduce_on_plateau, (0.1, [1.0]), {"patience": -1}, "patience must be an int >= 0"),
    (numpy_ref.reduce_on_plateau, (-0.1, [1.0]), {}, "lr0 must be finite and >= 0"),
]


@pytest.mark.parametrize("fn, args, kwargs, message", BAD, ids=[f"{b[0].__name__}-{b[3][:22]}" for b in BAD])
def test_bad_arguments_raise_value_error_naming_them(fn, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fn(*args, **kwargs)


def test_wrong_types_raise_type_error_naming_them():
    with pytest.raises(TypeError, match="n_steps must be an int"):
        numpy_ref.constant(0.1, 10.0)
    with pytest.raises(TypeError, match="t_max must be an int"):
        numpy_ref.cosine_annealing(0.1, 10, t_max=True)
    with pytest.raises(TypeError, match="lr0 must be a real number"):
        numpy_ref.constant("0.1", 10)
    with pytest.raises(TypeError, match="state must be the PlateauState"):
        numpy_ref.plateau_step((0.1, math.inf, 0, 0), 1.0)
