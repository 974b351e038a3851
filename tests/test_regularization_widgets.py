"""06_regularization: the experiments behind the notebook, its figures and widgets
(headless: matplotlib Agg, no kernel)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.experiments import regularization as experiments  # noqa: E402
from coursekit.plots import regularization as figures  # noqa: E402
from coursekit.regularization import bias_variance, ensembles, torch_ref  # noqa: E402
from coursekit.widgets import regularization as demo  # noqa: E402

from widget_kernel import assert_redraws  # noqa: E402


@pytest.fixture(scope="module")
def moons():
    return experiments.moons_split(n_train=30, n_val=60, seed=0)


def _fake_result(value):
    xx, yy = np.meshgrid(np.linspace(-3, 3, 20), np.linspace(-3, 3, 20))
    prob = 1 / (1 + np.exp(-(xx + value * yy)))
    hist = {
        "step": [1, 2],
        "train_loss": [0.5, 0.4],
        "val_loss": [0.6, 0.5],
        "train_error": [0.1, 0.05],
        "val_error": [0.2, 0.1 + value / 10],
    }
    return (xx, yy, prob), hist


class FakeTrainer:
    def __init__(self):
        self.calls = []

    def __call__(self, split, **kwargs):
        self.calls.append(kwargs)
        value = next(v for k, v in kwargs.items() if k in ("weight_decay", "p_drop"))
        return _fake_result(value)


def _left_title(box):
    return box.figure.axes[0].get_title()


def _right_points(box):
    return box.figure.axes[-1].lines[0].get_xdata()


@pytest.mark.parametrize(
    "explorer, parameter", [(demo.lambda_explorer, "weight_decay"), (demo.dropout_explorer, "p_drop")]
)
def test_slider_trains_once_per_value_and_redraws(moons, explorer, parameter):
    trainer = FakeTrainer()
    values = (0.0, 0.01, 0.5)
    box = explorer(moons, values=values, known={0.0: _fake_result(0.0)}, train=trainer, steps=7)
    assert trainer.calls == []  # the initial value was known: nothing trained at display
    assert "= 0:" in _left_title(box) and list(_right_points(box)) == [0.0]
    box.slider.value = 0.5
    assert trainer.calls == [{parameter: 0.5, "steps": 7}]
    assert "= 0.5:" in _left_title(box)
    assert list(_right_points(box)) == [0.0, 0.5]
    box.slider.value = 0.01
    box.slider.value = 0.5  # cached: no second training
    assert len(trainer.calls) == 2 and sorted(box.sweep.results) == [0.0, 0.01, 0.5]
    assert "validation error 15.0%" in _left_title(box)


@pytest.mark.parametrize(
    "explorer, label, log_x", [("lambda_explorer", "λ", True), ("dropout_explorer", "p_drop", False)]
)
def test_explorers_display_the_boundary_of_the_chosen_value(widget_kernel, explorer, label, log_x):
    create = (
        "from matplotlib.figure import Figure\n"
        "from coursekit.experiments.regularization import moons_split\n"
        f"from coursekit.widgets.regularization import draw_sweep, {explorer}\n"
        "moons = moons_split(n_train=30, n_val=60, seed=0)\n"
        f"reg = {explorer}(moons, values=(0.0, 0.1, 0.5), steps=5, hidden=(8,), record_every=5)\nreg"
    )
    draw = f"draw_sweep(Figure(figsize=(9.5, 3.8)), moons, reg.sweep.results, {{}}, label={label!r}, log_x={log_x})"
    assert_redraws(
        widget_kernel,
        create,
        "reg",
        [
            ("", draw.format(0.0)),
            ("reg.slider.value = 0.5", draw.format(0.5)),
            ("reg.slider.value = 0.1", draw.format(0.1)),
        ],
    )


def test_explorer_rejects_an_initial_value_off_the_slider(moons):
    with pytest.raises(ValueError, match="initial must be one of"):
        demo.dropout_explorer(moons, values=(0.0, 0.5), initial=0.3, train=FakeTrainer())


def test_real_training_behind_the_dropout_slider(moons):
    box = demo.dropout_explorer(moons, values=(0.0, 0.5), steps=5, hidden=(8,), record_every=5)
    assert "p_drop = 0:" in _left_title(box)
    box.slider.value = 0.5
    assert "p_drop = 0.5:" in _left_title(box)
    grid, hist = box.sweep.results[0.5]
    assert grid[2].shape == (120, 120) and 0 <= grid[2].min() <= grid[2].max() <= 1
    assert hist["step"] == [5.0]
    assert not np.array_equal(grid[2], box.sweep.results[0.0][0][2])


def test_draw_sweep_is_a_plain_function(moons):
    fig = matplotlib.figure.Figure()
    results = {v: _fake_result(v) for v in (0.0, 1e-3, 1e-2)}
    demo.draw_sweep(fig, moons, results, 1e-3, label="λ", log_x=True)
    left, right = fig.axes[:2]
    assert "λ = 0.001" in left.get_title()
    assert right.get_xscale() == "symlog"
    np.testing.assert_allclose(right.lines[0].get_ydata(), [0.1, 0.1001, 0.101])


def test_figures_draw(moons):
    capacities = [1, 2, 4]
    fig = figures.bias_variance_curve(capacities, [0.3, 0.1, 0.01], [0.01, 0.02, 0.05], noise_var=0.09, log_x=True)
    assert len(fig.axes[0].lines) >= 4
    x = np.linspace(0, 1, 7)
    preds = {c: np.random.default_rng(c).standard_normal((5, 7)) for c in capacities}
    assert len(figures.ensemble_fits(x, np.sin(x), preds, capacities=[1, 4]).axes) == 2
    fig = figures.weight_histograms({"a": np.array([0.0, 1.0, -1.0]), "b": np.array([0.5, 0.0, 0.0])})
    assert "2 of 3 exactly 0" in fig.axes[1].get_title()
    fig = figures.validation_curves(np.array([1e-3, 1e-2, 1e-1]), {"L2": [3.0, 2.0, 4.0]}, baseline=3.5)
    assert fig.axes[0].get_xscale() == "log"
    results = {"a": _fake_result(0.0), "b": _fake_result(1.0)}
    fig = figures.compare_classifiers(moons, results)
    assert len(fig.axes) == 4 and "val error 20.0%" in fig.axes[1].get_title()
    plt.close("all")
    with pytest.raises(ValueError, match="same length"):
        figures.bias_variance_curve([1, 2], [0.1], [0.2])


# ----- the notebook's experiments -------------------------------------------------------


def test_fit_linear_l2_reaches_the_closed_form_ridge_solution():
    problem = experiments.sparse_regression(n_train=30, n_features=10, n_informative=3, seed=1)
    x, y, lam = problem.x_train, problem.y_train, 0.4
    w = experiments.fit_linear(x, y, lam=lam, penalty="l2", steps=3000)
    closed_form = np.linalg.solve(x.T @ x / len(x) + lam * np.eye(10), x.T @ y / len(x))
    np.testing.assert_allclose(w, closed_form, rtol=1e-8, atol=1e-10)


def test_fit_linear_proximal_l1_is_sklearns_lasso():
    from sklearn.linear_model import Lasso

    problem = experiments.sparse_regression(n_train=50, n_features=20, n_informative=4, seed=2)
    x, y, lam = problem.x_train, problem.y_train, 0.2
    w = experiments.fit_linear(x, y, lam=lam, penalty="l1", method="proximal", steps=5000)
    lasso = Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(x, y)
    np.testing.assert_allclose(w, lasso.coef_, atol=1e-7)
    assert np.array_equal(w == 0, lasso.coef_ == 0) and (w == 0).sum() > 5
    # Subgradient descent on the same objective leaves no weight exactly at zero.
    sub = experiments.fit_linear(x, y, lam=lam, penalty="l1", steps=500)
    assert (sub == 0).sum() == 0
    with pytest.raises(ValueError, match="method='proximal' is for penalty='l1'"):
        experiments.fit_linear(x, y, lam=lam, penalty="l2", method="proximal")


def test_polynomial_ensemble_matches_np_polyfit():
    x_sets, y_sets = ensembles.training_sets(3, 12, noise=0.3, rng=np.random.default_rng(0))
    x_test = np.linspace(0, 1, 9)
    preds = ensembles.polynomial_ensemble([0, 3], x_sets, y_sets, x_test)
    for s in range(3):
        for degree in (0, 3):
            oracle = np.polyval(np.polyfit(x_sets[s], y_sets[s], degree), x_test)
            np.testing.assert_allclose(preds[degree][s], oracle, rtol=1e-9, atol=1e-10)


def test_mlp_ensemble_gradients_match_autograd():
    rng = np.random.default_rng(0)
    params = {
        "w1": rng.standard_normal((3, 1, 5)),
        "b1": rng.standard_normal((3, 1, 5)),
        "w2": rng.standard_normal((3, 5, 1)),
        "b2": rng.standard_normal((3, 1, 1)),
    }
    x, y = rng.standard_normal((3, 7, 1)), rng.standard_normal((3, 7, 1))
    grads = ensembles.mse_gradients(params, x, y)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    pred = torch.bmm(torch.tanh(torch.tensor(x) * t["w1"] + t["b1"]), t["w2"]) + t["b2"]
    ((pred - torch.tensor(y)) ** 2).mean(dim=(1, 2)).sum().backward()
    for key in params:
        np.testing.assert_allclose(grads[key], t[key].grad.numpy(), rtol=1e-12, atol=1e-14)


def test_mlp_ensemble_trains_and_is_seeded():
    rng = np.random.default_rng(0)
    x_sets, y_sets = ensembles.training_sets(4, 20, noise=0.1, rng=rng)
    x_test = np.linspace(0.1, 0.9, 11)
    a = ensembles.mlp_ensemble([1, 8], x_sets, y_sets, x_test, steps=300, progress=False)
    b = ensembles.mlp_ensemble([1, 8], x_sets, y_sets, x_test, steps=300, progress=False)
    assert np.array_equal(a[8], b[8]) and a[8].shape == (4, 11)
    target = ensembles.target_function(x_test)
    assert sum(bias_variance(a[8], target)) < 0.5 * sum(bias_variance(a[1], target))


def test_train_classifier_is_reproducible_and_uses_coursekit_layers():
    split = experiments.moons_split(n_train=20, n_val=40, seed=0)
    threads = torch.get_num_threads()
    runs = [
        experiments.train_classifier(split, p_drop=0.5, input_noise=0.2, steps=6, hidden=(8,), record_every=3)
        for _ in range(2)
    ]
    assert runs[0][1] == runs[1][1] and runs[0][1]["step"] == [3.0, 6.0]
    kinds = [type(m) for m in runs[0][0]]
    assert torch_ref.GaussianNoise in kinds and torch_ref.Dropout in kinds
    assert torch.get_num_threads() == threads  # restored after the one-thread context
