"""The training loops with a learning-rate schedule and gradient clipping (topic 09).

Oracles: the same model trained by torch with a ``torch.optim.lr_scheduler`` stepped after
every step and ``torch.nn.utils.clip_grad_norm_`` before it. The default (no schedule, no
clipping) is unchanged; tqdm shows the current rate; bad arguments are named.
"""

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tls

from coursekit import data
from coursekit.schedules import reduce_on_plateau
from coursekit.schedules.runs import SCHEDULES, make_schedule, resolve
from coursekit.training import build_mlp, build_numpy_mlp, fit, fit_numpy
from coursekit.training.scheduling import steps_per_epoch

from test_numpy_mlp import _to_torch


def _torch_optimizer_with(scheduler_factory, clip_norm=None, base=torch.optim.SGD):
    """An optimizer class whose step clips (torch's clip_grad_norm_) and then steps a torch
    scheduler: the oracle of fit's schedule and clip_norm."""

    class Scheduled(base):
        def __init__(self, params, **hyper):
            super().__init__(params, **hyper)
            self.scheduler = scheduler_factory(self)

        def step(self, closure=None):
            if clip_norm is not None:
                params = [p for group in self.param_groups for p in group["params"]]
                torch.nn.utils.clip_grad_norm_(params, clip_norm)
            super().step(closure)
            self.scheduler.step()

    return Scheduled


def _fit_both(digits, schedule, scheduler_factory, *, optimizer, base, clip_norm=None, epochs=3, **hyper):
    runs = []
    for kind in ("ours", "oracle"):
        model = build_mlp([64, 32, 10], activation="tanh", seed=3)
        common = dict(
            lr=0.05,
            epochs=epochs,
            batch_size=64,
            device="cpu",
            dtype=torch.float64,
            progress=False,
            seed=4,
            step_stats=True,
        )
        if kind == "ours":
            hist = fit(model, digits, optimizer=optimizer, schedule=schedule, clip_norm=clip_norm, **common, **hyper)
        else:
            factory = _torch_optimizer_with(scheduler_factory, clip_norm, base)
            hist = fit(model, digits, optimizer_factory=factory, **common, **hyper)
        runs.append((hist, model))
    return runs


def test_fit_with_a_cosine_schedule_follows_torchs_scheduler(digits):
    n = 3 * steps_per_epoch(len(digits.x_train), 64, skips_single=False)
    (ours, a), (oracle, b) = _fit_both(
        digits,
        "cosine",
        lambda o: tls.CosineAnnealingLR(o, n),
        optimizer="momentum",
        base=torch.optim.SGD,
        momentum=0.9,
    )
    np.testing.assert_allclose(ours["val_loss"], oracle["val_loss"], rtol=1e-12)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ours["step_lr"], make_schedule("cosine")(0.05, n)[0])
    assert ours["lr"][0] > ours["lr"][1] > ours["lr"][2]


def test_fit_with_one_cycle_cycles_adams_beta1_and_clips_like_torch(digits):
    n = 3 * steps_per_epoch(len(digits.x_train), 64, skips_single=False)
    (ours, a), (oracle, b) = _fit_both(
        digits,
        "one_cycle",
        lambda o: tls.OneCycleLR(o, 0.05, total_steps=n),
        optimizer="adam",
        base=torch.optim.Adam,
        clip_norm=0.5,
    )
    np.testing.assert_allclose(ours["val_loss"], oracle["val_loss"], rtol=1e-10)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours["step_grad_norm"], oracle["step_grad_norm"], rtol=1e-10)
    assert max(ours["step_grad_norm"]) > 0.5  # clipping did act


def test_clipping_by_value_and_the_default_is_unchanged(digits):
    def run(**kwargs):
        model = build_mlp([64, 16, 10], seed=1)
        return fit(
            model,
            digits,
            optimizer="sgd",
            lr=0.1,
            epochs=2,
            device="cpu",
            dtype=torch.float64,
            progress=False,
            **kwargs,
        )

    plain, constant = run(), run(schedule="constant", clip_norm=1e6)
    assert plain["val_loss"] == constant["val_loss"] and plain["lr"] == [0.1, 0.1]
    by_value = run(clip_value=1e-3)
    assert by_value["val_loss"] != plain["val_loss"]
    model = build_mlp([64, 16, 10], seed=1).double()
    x, y = torch.tensor(digits.x_train[:64]), torch.tensor(digits.y_train[:64])
    torch.nn.functional.cross_entropy(model(x), y).backward()
    assert max(p.grad.abs().max().item() for p in model.parameters()) > 1e-3  # the bound did cut


def test_performance_scheduling_lowers_the_rate_on_the_validation_loss(digits):
    settings = {"factor": 0.5, "patience": 0, "threshold": 0.5}
    model = build_mlp([64, 32, 10], seed=0)
    hist = fit(
        model,
        digits,
        optimizer="sgd",
        lr=0.2,
        epochs=5,
        device="cpu",
        dtype=torch.float64,
        progress=False,
        plateau=settings,
    )
    np.testing.assert_array_equal(hist["lr"], reduce_on_plateau(0.2, hist["val_loss"], **settings))
    assert hist["lr"][-1] < 0.2
    spe = steps_per_epoch(len(digits.x_train), 64, skips_single=False)
    replay = fit(
        build_mlp([64, 32, 10], seed=0),
        digits,
        optimizer="sgd",
        lr=0.2,
        epochs=5,
        device="cpu",
        dtype=torch.float64,
        progress=False,
        schedule=np.repeat(hist["lr"], spe),
    )
    assert replay["val_loss"] == hist["val_loss"]  # the rates were used, not only recorded


def test_steps_per_epoch_skips_a_last_batch_of_one_with_batchnorm(digits):
    assert len(digits.x_train) % 98 == 1
    assert steps_per_epoch(1079, 98, skips_single=True) == 11 and steps_per_epoch(1079, 98, skips_single=False) == 12
    model = build_mlp([64, 16, 10], batchnorm=True)
    hist = fit(
        model, digits, lr=1e-3, epochs=2, batch_size=98, device="cpu", progress=False, schedule="step", step_stats=True
    )
    assert len(hist["step_lr"]) == len(hist["step_loss"]) == 22
    assert hist["step_lr"] == make_schedule("step")(1e-3, 22)[0].tolist()


def test_tqdm_shows_the_current_rate(digits, capsys):
    fit(build_mlp([64, 8, 10]), digits, lr=0.01, epochs=2, device="cpu", schedule="exponential")
    shown = capsys.readouterr().err
    last = make_schedule("exponential")(0.01, 2 * 17)[0][-1]
    assert f"lr={last:.3g}" in shown and "lr=0.01" not in shown.rsplit("\r", 1)[-1]


def test_fit_numpy_with_one_cycle_and_clipping_follows_torch(rng):
    """Full-batch steps, so the shuffling cannot matter: the NumPy loop against torch's Adam
    with OneCycleLR and clip_grad_norm_."""
    x, y = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
    split = data.Split(x, y, x[:10], y[:10], x[:10], y[:10])
    model = build_numpy_mlp([5, 7, 3], activation="tanh", init="glorot_normal", rng=rng)
    net, linears, _ = _to_torch(model)
    for fast in (True, False):
        trained = build_numpy_mlp([5, 7, 3], activation="tanh", init="glorot_normal", rng=np.random.default_rng(0))
        trained.flat[...] = model.flat
        hist = fit_numpy(
            trained,
            split,
            optimizer="adam",
            lr=0.05,
            epochs=12,
            batch_size=40,
            rng=np.random.default_rng(0),
            schedule="one_cycle",
            clip_norm=0.2,
            step_stats=True,
            progress=False,
            fast=fast,
        )
        if fast:
            fast_flat = trained.flat.copy()
    np.testing.assert_allclose(fast_flat, trained.flat, rtol=1e-10, atol=1e-12)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    scheduler = tls.OneCycleLR(opt, 0.05, total_steps=12)
    norms = []
    for _ in range(12):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(y)).backward()
        norms.append(torch.nn.utils.clip_grad_norm_(net.parameters(), 0.2).item())
        opt.step()
        scheduler.step()
    for i, linear in enumerate(linears, 1):
        np.testing.assert_allclose(trained.params[f"w{i}"], linear.weight.detach().T.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hist["step_grad_norm"], norms, rtol=1e-8)
    assert max(norms) > 0.2 and hist["step_lr"] == make_schedule("one_cycle")(0.05, 12)[0].tolist()


def test_fit_numpy_plateau_and_step_records(digits):
    model = build_numpy_mlp([64, 16, 10], rng=np.random.default_rng(0))
    settings = {"factor": 0.3, "patience": 0, "threshold": 0.5}
    hist = fit_numpy(
        model,
        digits,
        optimizer="momentum",
        lr=0.05,
        epochs=4,
        rng=np.random.default_rng(1),
        plateau=settings,
        step_stats=True,
        progress=False,
    )
    np.testing.assert_array_equal(hist["lr"], reduce_on_plateau(0.05, hist["val_loss"], **settings))
    assert len(hist["step_lr"]) == len(hist["step_grad_norm"]) == sum(hist["steps"])
    assert hist["step_lr"][-1] == hist["lr"][-1]


def test_make_schedule_and_resolve():
    assert set(SCHEDULES) >= {"constant", "step", "exponential", "cosine", "warmup_cosine", "one_cycle"}
    for name in SCHEDULES:
        lrs, momenta = make_schedule(name)(0.1, 50)
        assert lrs.shape == (50,) and (momenta is None) == (name != "one_cycle")
    lrs, _ = make_schedule("exponential", final=0.01)(0.1, 50)
    assert lrs[-1] == pytest.approx(1e-3)
    lrs, _ = make_schedule("warmup_cosine", warmup=0.2)(1.0, 50)
    assert lrs[10] == 1.0 and lrs[9] < 1.0
    assert resolve(None, 0.3, 4) == ([0.3] * 4, None)
    assert resolve([0.1, 0.2, 0.3], 9.0, 2) == ([0.1, 0.2], None)
    with pytest.raises(ValueError, match="unknown schedule 'cyclic'"):
        make_schedule("cyclic")
    with pytest.raises(ValueError, match="unknown setting"):
        make_schedule("cosine", t_max=10)
    with pytest.raises(ValueError, match="a finite rate >= 0 for each of the run's 5 steps"):
        resolve([0.1, 0.2], 0.1, 5)


def test_bad_loop_arguments_are_named(digits):
    model = build_mlp([64, 10])
    with pytest.raises(ValueError, match="clip_norm must be None or a finite number > 0"):
        fit(model, digits, clip_norm=-1.0, progress=False)
    with pytest.raises(ValueError, match="give clip_norm or clip_value, not both"):
        fit(model, digits, clip_norm=1.0, clip_value=1.0, progress=False)
    with pytest.raises(ValueError, match="give schedule or plateau, not both"):
        fit(model, digits, schedule="cosine", plateau={}, progress=False)
    with pytest.raises(ValueError, match="factor must lie in"):
        fit(model, digits, plateau={"factor": 2.0}, progress=False)
    with pytest.raises(ValueError, match="Adagrad has neither momentum nor betas"):
        fit(model, digits, optimizer="adagrad", schedule="one_cycle", progress=False)
    with pytest.raises(ValueError, match="'sgd' has none"):
        fit_numpy(
            build_numpy_mlp([64, 10], rng=np.random.default_rng(0)),
            digits,
            optimizer="sgd",
            schedule="one_cycle",
            rng=np.random.default_rng(0),
            progress=False,
        )
