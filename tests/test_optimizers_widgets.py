"""The helpers behind the 05_optimizers notebook: cost surfaces, trajectories, figures,
training comparisons and the optimizer-race widget (driven headlessly)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.optimizers import landscapes  # noqa: E402
from coursekit.plots import optimizers as oplots  # noqa: E402
from coursekit.widgets import optimizers as race_widget  # noqa: E402

from widget_kernel import assert_redraws  # noqa: E402

# ----- surfaces and trajectories ---------------------------------------------------------


def _autograd_value_and_grad(surface, point):
    if surface.name == "Rosenbrock":

        def f(w):
            return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
    else:

        def f(w):
            return 0.5 * (0.2 * w[0] ** 2 + 10 * w[1] ** 2)

    w = torch.tensor(point, requires_grad=True)
    value = f(w)
    value.backward()
    return value.item(), w.grad.numpy()


@pytest.mark.parametrize("make", [landscapes.quadratic_bowl, landscapes.rosenbrock])
def test_surface_values_and_gradients_match_autograd(make, rng):
    surface = make()
    for point in rng.uniform(-2, 2, size=(5, 2)):
        value, grad = _autograd_value_and_grad(surface, point)
        assert surface.value(point) == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(surface.grad(point), grad, rtol=1e-12, atol=1e-12)
    grid = rng.uniform(-2, 2, size=(3, 4, 2))
    assert surface.value(grid).shape == (3, 4)
    np.testing.assert_allclose(surface.grad(np.array(surface.minimum)), 0, atol=1e-12)


def test_trajectory_runs_the_given_pair_and_stops_when_it_diverges():
    bowl = landscapes.quadratic_bowl()
    path = landscapes.trajectory(*landscapes.optimizer("sgd"), bowl, steps=10, lr=0.05)
    assert path.shape == (11, 2)
    np.testing.assert_array_equal(path[0], bowl.start)
    # gradient descent on a quadratic: each coordinate shrinks by (1 - lr * curvature)
    np.testing.assert_allclose(path[-1], np.array(bowl.start) * (1 - 0.05 * np.array([0.2, 10.0])) ** 10)
    diverging = landscapes.trajectory(*landscapes.optimizer("sgd"), bowl, steps=500, lr=0.5)
    assert len(diverging) < 501 and not np.all(np.abs(diverging[-1]) < 1e6)


def test_path_summary_on_a_hand_made_path():
    bowl = landscapes.quadratic_bowl()
    path = np.array([[-2.0, 1.0], [-1.0, -1.0], [-0.5, 0.5], [0.0, 0.0]])
    summary = landscapes.path_summary(bowl, path)
    assert summary["x travel"] == pytest.approx(2.0) and summary["y travel"] == pytest.approx(4.0)
    assert summary["y zigzags"] == 2 and summary["final cost"] == 0.0
    assert summary["steps to cost < 0.001"] == 3


def test_landscape_errors():
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        landscapes.optimizer("adamw")
    with pytest.raises(ValueError, match="steep must be > 0"):
        landscapes.quadratic_bowl(steep=0)
    with pytest.raises(ValueError, match="steps must be an int >= 0"):
        landscapes.trajectory(*landscapes.optimizer("sgd"), landscapes.rosenbrock(), steps=-1)
    with pytest.raises(ValueError, match=r"start must be a point \(x, y\)"):
        landscapes.trajectory(*landscapes.optimizer("sgd"), landscapes.rosenbrock(), start=(1, 2, 3))


# ----- figures -----------------------------------------------------------------------------


def test_contours_draws_one_line_per_path():
    bowl = landscapes.quadratic_bowl()
    paths = {
        name: landscapes.trajectory(*landscapes.optimizer(name), bowl, steps=20, lr=0.05) for name in ("sgd", "adam")
    }
    fig = oplots.contours(bowl, paths, title="two paths")
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "sgd" in labels and "adam" in labels and ax.get_title() == "two paths"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xydata(), paths["sgd"])


def test_training_curves_one_panel_per_key_and_a_baseline():
    runs = {
        "a": [{"loss": [3, 2, 1], "val_loss": [3, 2, 2]}, {"loss": [4, 2, 1], "val_loss": [3, 3, 2]}],
        "b": [{"loss": [2, 1, 0.5], "val_loss": [2, 2, 2]}],
    }
    fig = oplots.training_curves(runs, baseline=(0.7, "ln 2"))
    assert len(fig.axes) == 2
    mean_line = [line for line in fig.axes[0].get_lines() if line.get_label() == "a"][0]
    np.testing.assert_allclose(mean_line.get_ydata(), [3.5, 2, 1])
    assert any(line.get_label() == "ln 2" for line in fig.axes[1].get_lines())
    with pytest.raises(ValueError, match="at least one optimizer"):
        oplots.training_curves({})


# ----- training comparisons ---------------------------------------------------------------------


def test_train_with_trains_one_model_per_optimizer_and_seed():
    from coursekit import data
    from coursekit.experiments.optimizers import summarise, train_with
    from coursekit.optimizers import torch_ref
    from coursekit.training import build_mlp, fit

    digits = data.digits(seed=0)
    configs = {"Adam": (torch_ref.Adam, {"lr": 1e-3}), "SGD": (torch_ref.SGD, {"lr": 0.1, "momentum": 0.5})}
    results = train_with(digits, configs, sizes=[64, 8, 10], epochs=1, seeds=(0, 1), device="cpu")
    assert list(results) == ["Adam", "SGD"] and all(len(h) == 2 for h in results.values())
    assert results["Adam"][0]["loss"] != results["Adam"][1]["loss"]
    direct = fit(
        build_mlp([64, 8, 10], seed=1),
        digits,
        optimizer_factory=torch_ref.SGD,
        lr=0.1,
        momentum=0.5,
        epochs=1,
        seed=1,
        device="cpu",
        progress=False,
    )
    assert results["SGD"][1]["loss"] == direct["loss"]
    mean, std = summarise(results, "val_loss")["SGD"]
    values = [min(h["val_loss"]) for h in results["SGD"]]
    assert mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values))
    with pytest.raises(ValueError, match="at least one optimizer"):
        train_with(digits, {}, sizes=[64, 10], epochs=1)


# ----- the race widget ------------------------------------------------------------------------


def test_race_gives_every_racer_the_same_learning_rate():
    surface, paths = race_widget.race(0.05, 0.9, "bowl", steps=30)
    assert set(paths) == set(race_widget.RACERS)
    expected = landscapes.trajectory(*landscapes.optimizer("adam"), surface, steps=30, lr=0.05)
    np.testing.assert_array_equal(paths["Adam"], expected)
    with pytest.raises(ValueError, match="unknown surface 'saddle'"):
        race_widget.race(0.05, 0.9, "saddle")
    with pytest.raises(ValueError, match="lr must be > 0"):
        race_widget.race(0.0, 0.9)


def test_draw_race_marks_diverged_racers():
    fig, finals = race_widget.draw_race(0.5, 0.9, "bowl", steps=60)
    assert finals["SGD"] == float("inf") and np.isfinite(finals["Adam"])
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "SGD: diverged" in labels


def test_race_widget_displays_the_race_of_its_controls(widget_kernel):
    draw = "draw_race({}, {}, {!r}, 30)[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit.widgets.optimizers import draw_race, optimizer_race\nrace = optimizer_race(steps=30)\nrace",
        "race",
        [
            ("", draw.format(0.05, 0.9, "bowl")),
            ("race.children[0].value = 0.01", draw.format(0.01, 0.9, "bowl")),
            ("race.children[2].value = 'rosenbrock'", draw.format(0.01, 0.9, "rosenbrock")),
        ],
    )


def test_race_widget_redraws_when_the_sliders_move():
    widget = race_widget.optimizer_race(steps=30)
    controls = {child.description: child for child in widget.children if hasattr(child, "description")}
    first = dict(widget.result)
    controls["learning rate"].value = 0.01
    slower = dict(widget.result)
    assert slower != first and slower["SGD"] > first["SGD"]  # a smaller rate gets less far
    controls["momentum β"].value = 0.0
    assert widget.result["momentum"] == pytest.approx(widget.result["SGD"])  # no momentum: plain SGD
    controls["cost surface"].value = "rosenbrock"
    assert widget.result != slower
    assert plt.get_fignums() == []  # every redraw closes its figure
