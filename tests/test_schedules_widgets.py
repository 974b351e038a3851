"""The helpers behind the 09 notebook, headless: the schedule explorer (what its Output
displays), the figures, the range test and the training runs."""

import matplotlib

matplotlib.use("Agg")

import base64  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit.experiments import schedules as experiments  # noqa: E402
from coursekit.plots import schedules as figures  # noqa: E402
from coursekit.schedules.runs import make_schedule  # noqa: E402
from coursekit.training import build_mlp  # noqa: E402
from coursekit.widgets import schedules as explorer  # noqa: E402


class FakeTrainer:
    """Records its calls and returns a history that depends on the schedule, without training."""

    def __init__(self):
        self.calls = []

    def __call__(self, split, name, lr, value, *, epochs, **kwargs):
        self.calls.append((name, lr, value))
        schedule = make_schedule(name, **explorer._settings(name, value) if value is not None else {})
        lrs, _ = schedule(lr, 10 * epochs)
        hist = {
            "step_lr": lrs.tolist(),
            "val_acc": [0.5 + 0.1 * e + 0.01 * len(name) for e in range(epochs)],
            "loss": [1.0 / (e + 1) for e in range(epochs)],
        }
        return schedule, hist


def _displayed(box):
    """(the PNG bytes, the text) that the explorer's Output holds, checking there is one of each."""
    outputs = box.output.outputs
    images = [o for o in outputs if o["output_type"] == "display_data" and "image/png" in o["data"]]
    texts = [o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stdout"]
    assert len(images) == 1 and len(texts) == 1, outputs
    return base64.b64decode(images[0]["data"]["image/png"]), texts[0]


def test_explorer_displays_the_curve_and_the_summary_and_follows_the_controls(digits):
    trainer = FakeTrainer()
    box = explorer.schedule_explorer(digits, epochs=3, initial="cosine", lr=0.1, train=trainer)
    png, text = _displayed(box)
    assert png.startswith(b"\x89PNG") and "cosine(eta_min=0) at lr 0.1: final validation accuracy 0.760" in text
    np.testing.assert_allclose(box.figure.axes[0].lines[0].get_ydata(), make_schedule("cosine")(0.1, 30)[0])
    box.controls["schedule"].value = "one_cycle"
    png2, text = _displayed(box)
    assert png2 != png and text.startswith("one_cycle(pct_start=0.3, div_factor=25") and "lr 0.1:" in text
    assert box.controls["setting"].description == "pct_start" and box.controls["setting"].value == 0.3
    assert len(box.figure.axes) == 3  # the rate, the run, and the momentum's twin axis
    box.controls["setting"].value = 0.5
    assert "pct_start=0.5" in _displayed(box)[1]
    box.controls["schedule"].value = "constant"
    assert box.controls["setting"].disabled and _displayed(box)[1].startswith("constant() at lr 0.1")
    box.controls["schedule"].value = "step"
    box.controls["lr"].value = 0.5
    assert "step(drops=2, gamma=0.1) at lr 0.5" in _displayed(box)[1]
    assert trainer.calls == [
        ("cosine", 0.1, 0.0),
        ("one_cycle", 0.1, 0.3),
        ("one_cycle", 0.1, 0.5),
        ("constant", 0.1, None),
        ("step", 0.1, 2.0),
        ("step", 0.5, 2.0),
    ]
    box.controls["lr"].value = 0.1  # trained before: remembered, not trained again
    assert len(trainer.calls) == 6 and "at lr 0.1" in _displayed(box)[1]


def test_explorer_trains_for_real(digits):
    box = explorer.schedule_explorer(digits, epochs=2, initial="exponential", lr=0.1)
    _, text = _displayed(box)
    ((schedule, hist),) = box.results.values()
    assert f"final validation accuracy {hist['val_acc'][-1]:.3f}" in text and hist["val_acc"][-1] > 0.5
    assert hist["step_lr"] == schedule(0.1, len(hist["step_lr"]))[0].tolist()
    with pytest.raises(ValueError, match="unknown schedule 'cyclic'"):
        explorer.schedule_explorer(digits, initial="cyclic")


def test_figures_draw_what_they_are_given():
    rates = {"a": np.linspace(1, 0, 20), "b": np.full(20, 0.5)}
    fig = figures.schedules(rates, momenta={"a": np.linspace(0.85, 0.95, 20)}, log=False)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), rates["a"])
    assert len(fig.axes) == 2
    result = experiments.read_range_test(np.geomspace(1e-3, 1, 30), np.r_[np.linspace(2, 0.5, 20), np.full(10, 50.0)])
    ax = figures.range_test(result).axes[0]
    assert ax.get_xscale() == "log" and any("lowest smoothed loss" in line.get_label() for line in ax.lines)
    runs = {
        "plain": {"step_loss": [2.0, np.nan], "step_grad_norm": [3.0, 1e9]},
        "clipped": {"step_loss": [2.0, 1.0], "step_grad_norm": [3.0, 2.0]},
    }
    fig = figures.clipping(runs, clip_norm=1.0)
    assert [line.get_label() for line in fig.axes[1].lines] == ["plain", "clipped", "threshold max_norm = 1"]
    with pytest.raises(ValueError, match="at least one"):
        figures.schedules({})


def test_read_range_test_cuts_at_divergence_and_finds_the_minimum():
    lrs = np.geomspace(1e-4, 10, 50)
    losses = np.r_[
        np.full(20, 2.3), np.linspace(2.3, 0.3, 20), np.array([0.3, 0.4, 0.8, 3.0, 20.0, np.inf]), np.full(4, np.nan)
    ]
    result = experiments.read_range_test(lrs, losses, beta=0.0)  # no smoothing: the raw minimum
    assert result.lr_at_min == lrs[39] and result.suggestion == pytest.approx(lrs[39] / 10)
    assert len(result.lrs) == 43  # cut where the loss first exceeds 4 x the best (0.3 x 4 < 3.0)
    smoothed = experiments.smooth([1.0, 1.0, 1.0], beta=0.9)
    np.testing.assert_allclose(smoothed, 1.0)  # the bias correction: a constant stays constant
    with pytest.raises(ValueError, match="diverged within two steps"):
        experiments.read_range_test([0.1, 1.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="beta must lie in"):
        experiments.smooth([1.0], beta=1.0)


def test_range_test_trains_with_an_exponentially_growing_rate(digits):
    result = experiments.range_test(digits, build_mlp([64, 16, 10]), start=1e-3, end=3.0, steps=40)
    assert result.lrs[0] == pytest.approx(1e-3) and np.all(np.diff(np.log(result.lrs)) > 0)
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)  # one factor gamma per step
    assert result.smoothed.min() < result.smoothed[0] and 1e-3 <= result.lr_at_min <= 3.0
    with pytest.raises(ValueError, match="0 < start < end"):
        experiments.range_test(digits, build_mlp([64, 10]), start=1.0, end=0.1)


def test_train_runs_and_final_spread(digits):
    configs = {"constant": {"lr": 0.1}, "cosine": {"lr": 0.1, "schedule": "cosine"}}
    results = experiments.train_runs(
        digits,
        configs,
        build=lambda s: build_mlp([64, 8, 10], seed=s),
        seeds=(0, 1),
        epochs=1,
        optimizer="sgd",
        device="cpu",
        progress=False,
        train_accuracy=False,
    )
    assert list(results) == ["constant", "cosine"] and all(len(v) == 2 for v in results.values())
    assert results["cosine"][0]["lr"][-1] < 0.1 == results["constant"][0]["lr"][-1]
    mean, std, low, high = experiments.final_spread(results)["cosine"]
    accs = [h["val_acc"][-1] for h in results["cosine"]]
    assert mean == pytest.approx(np.mean(accs)) and std == pytest.approx(np.std(accs))
    assert (low, high) == (min(accs), max(accs))
    with pytest.raises(ValueError, match="at least one configuration"):
        experiments.train_runs(digits, {}, build=build_mlp)
