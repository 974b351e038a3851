"""The BatchNorm notebook's helpers, headless: the widget, the figures and the experiments."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from coursekit.experiments import batchnorm as experiments
from coursekit.plots import batchnorm as plots
from coursekit.widgets import batchnorm as widgets

from widget_kernel import assert_redraws


def _lines(fig):
    return [line.get_ydata().copy() for ax in fig.axes for line in ax.get_lines()]


def test_widget_displays_its_figure_and_redraws_it_when_a_slider_moves(widget_kernel):
    draw = "draw_running_statistics({}, {}, steps=40)[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit.widgets.batchnorm import draw_running_statistics, "
        "running_statistics_widget\nbn = running_statistics_widget(steps=40)\nbn",
        "bn",
        [
            ("", draw.format(8, 0.1)),
            ("bn.children[0].value = 64", draw.format(64, 0.1)),
            ("bn.children[1].value = 0.01", draw.format(64, 0.01)),
        ],
    )


def test_widget_result_and_figure_follow_the_sliders():
    widget = widgets.running_statistics_widget(steps=40)
    batch, momentum = widget.children[:2]
    first = dict(widget.result)
    batch.value = 64
    assert widget.result["unbiased"] < first["unbiased"]  # larger batches: a steadier estimate
    fig, errors = widgets.draw_running_statistics(64, 0.01, steps=40)
    assert "batch size 64, momentum 0.01 (decay 0.99)" in fig._suptitle.get_text()
    assert f"{errors['unbiased']:.3f} (unbiased)" in fig._suptitle.get_text()
    other, _ = widgets.draw_running_statistics(8, 0.01, steps=40)
    assert any(not np.array_equal(a, b) for a, b in zip(_lines(fig), _lines(other)))


def test_running_statistics_converge_and_the_biased_update_is_low_by_n_minus_1_over_n():
    for n in (2, 4):
        trace = experiments.running_statistics_trace(n, 0.05, steps=400, features=200, rng=np.random.default_rng(n))
        late = slice(200, None)
        np.testing.assert_allclose(trace["mean"][late].mean(), trace["true_mean"], rtol=0.03)
        np.testing.assert_allclose(trace["var"][late].mean(), trace["true_var"], rtol=0.05)
        np.testing.assert_allclose(trace["var_biased"][late].mean(), trace["true_var"] * (n - 1) / n, rtol=0.05)


def test_running_statistics_error_shrinks_with_the_batch_size():
    errors = [
        experiments.running_statistics_error(
            experiments.running_statistics_trace(n, 0.1, steps=200, rng=np.random.default_rng(0))
        )["unbiased"]
        for n in (4, 64)
    ]
    assert errors[1] < errors[0] / 2


def test_running_statistics_trace_follows_the_update_rule_from_the_start():
    rng = np.random.default_rng(5)
    trace = experiments.running_statistics_trace(3, 0.2, steps=1, features=2, rng=rng)
    x = 2.0 + 3.0 * np.random.default_rng(5).standard_normal((3, 2))
    np.testing.assert_allclose(trace["mean"][0], 0.2 * x.mean(0))
    np.testing.assert_allclose(trace["var"][0], 0.8 + 0.2 * x.var(0, ddof=1))
    np.testing.assert_allclose(trace["var_biased"][0], 0.8 + 0.2 * x.var(0))


def _small_bn_model(seed=0):
    from coursekit.batchnorm.torch_ref import BatchNorm1d

    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
        model[1].running_mean.copy_(torch.randn(6, generator=gen))
    return model


def test_train_mode_accuracy_against_direct_evaluation():
    model = _small_bn_model()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = experiments.train_mode_accuracy(model, x, y, [40, 2])
    with torch.no_grad():
        eval_pred = model.eval()(torch.tensor(x)).argmax(1).numpy()
        full_batch_pred = model.train()(torch.tensor(x)).argmax(1).numpy()
    assert result["eval"] == pytest.approx((eval_pred == y).mean())
    assert result["train"][0] == pytest.approx((full_batch_pred == y).mean())
    model.load_state_dict(before)
    for k, v in model.state_dict().items():  # the probe ran on a copy
        assert torch.equal(v, before[k])
    with pytest.raises(ValueError, match="batch_sizes must all be >= 2"):
        experiments.train_mode_accuracy(model, x, y, [1, 8])


def test_train_mode_accuracy_leaves_the_model_untouched():
    model = _small_bn_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    x, y = np.ones((10, 4), dtype=np.float32), np.zeros(10, dtype=np.int64)
    experiments.train_mode_accuracy(model, x, y, [2, 5])
    assert model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_sweeps_and_largest_trainable_lr():
    from coursekit import data

    digits = data.digits(seed=0)
    small = {"depth": 2, "width": 8, "activation": "relu", "init": "he_normal", "progress": False}
    sweep = experiments.learning_rate_sweep(digits, [0.1, 1e6], epochs=1, **small)
    assert set(sweep) == {"without BatchNorm", "with BatchNorm"}
    assert all(len(v) == 2 for v in sweep.values())
    assert not sweep["without BatchNorm"][1] > 0.2  # lr 1e6 does not train (nan: diverged)
    assert sweep["without BatchNorm"][0] > 0.2
    assert experiments.largest_trainable_lr([0.1, 1.0, 10.0], [0.9, 0.6, float("nan")]) == 1.0
    assert experiments.largest_trainable_lr([0.1], [0.2]) is None
    assert np.isnan(experiments._final_accuracy({"loss": [1.0, float("inf")], "val_acc": [0.5, 0.1]}))
    small.pop("init")
    by_init = experiments.init_sweep(digits, ["he_normal", "default"], epochs=1, **small)
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in by_init.values())
    assert torch.get_num_threads() >= 1


def test_one_thread_restores_the_thread_count():
    threads = torch.get_num_threads()
    seen = experiments.one_thread()(torch.get_num_threads)()
    assert seen == 1 and torch.get_num_threads() == threads


def test_figures():
    hist = {"loss": [2.0, 1.0], "val_acc": [0.5, 0.8]}
    fig = plots.training_curves({"with BatchNorm": hist, "without BatchNorm": hist})
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 2
    fig = plots.learning_rate_sweep([0.1, 1.0], {"with BatchNorm": [0.9, float("nan")]}, threshold=0.5)
    assert len(fig.axes[0].get_lines()) == 3  # the curve, the diverged marker, the threshold
    fig = plots.init_sensitivity(["a", "b", "c"], {"x": [0.1, 0.2, float("nan")], "y": [0.3, 0.4, 0.5]})
    assert len(fig.axes[0].patches) == 6
    fig = plots.train_mode_at_test([2, 8], {"eval": 0.9, "train": [0.2, 0.8]})
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), [0.2, 0.8])
    trace = experiments.running_statistics_trace(4, 0.1, steps=5, features=3, rng=np.random.default_rng(0))
    fig = plots.running_statistics(trace)
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), trace["var"].mean(axis=1))
