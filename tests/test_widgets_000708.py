"""Widgets of topics 00, 07 and 08: in a kernel, each shows its figure in its own output and a
new one when a control moves; in process, each trains or evaluates a setting once, reuses what
the notebook already has, and draws what it computed."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit.layers import numpy_ref  # noqa: E402
from coursekit.training import defaults  # noqa: E402
from coursekit.tuning import IntUniform, LogUniform  # noqa: E402
from coursekit.widgets import backprop, default_configuration, tuning  # noqa: E402

from widget_kernel import assert_redraws  # noqa: E402

# ----- 00: learning rate and width ------------------------------------------------------------


def test_training_explorer_displays_the_run_of_its_sliders(widget_kernel):
    draw = "draw_training(te.runs.histories, {}, {})[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit import data\n"
        "from coursekit.widgets.backprop import draw_training, training_explorer\n"
        "te = training_explorer(data.digits(seed=0), epochs=2)\nte",
        "te",
        [
            ("", draw.format(0.1, 64)),
            ("te.children[0].value = 3.0", draw.format(3.0, 64)),
            ("te.children[1].value = 8", draw.format(3.0, 8)),
        ],
    )


def test_training_explorer_trains_each_setting_once_with_the_given_functions(digits):
    calls = []

    def dense_forward(x, w, b):
        calls.append(x.shape)
        return numpy_ref.dense_forward(x, w, b)

    known = {(0.1, 64): {"loss": [2.3, 0.5], "val_acc": [0.9]}}
    box = backprop.training_explorer(digits, functions={"dense_forward": dense_forward}, known=known, epochs=1)
    assert calls == [] and box.result is known[(0.1, 64)]  # shown from what the notebook had
    lr, hidden = box.children[:2]
    lr.value = 0.01
    assert calls and set(box.runs.histories) == {(0.1, 64), (0.01, 64)}
    trained = len(calls)
    hidden.value = 16
    lr.value = 0.1
    hidden.value = 64  # back to a known setting: nothing trains
    lr.value = 0.01
    assert set(box.runs.histories) == {(0.1, 64), (0.01, 64), (0.01, 16), (0.1, 16)}
    assert len(calls) == 3 * trained
    assert box.result is box.runs.histories[(0.01, 64)]
    with pytest.raises(ValueError, match="lr must be one of"):
        backprop.training_explorer(digits, lr=0.2)


def test_diverged_and_the_figure_of_the_runs():
    steps = 10
    good = {"loss": list(np.linspace(2.3, 0.2, steps)), "val_acc": [0.5, 0.9]}
    blown = {"loss": [2.3] + [1e6] * (steps - 1), "val_acc": [0.1, 0.1]}
    overflow = {"loss": [2.3, float("nan")], "val_acc": [0.1]}
    assert not backprop.diverged(good) and backprop.diverged(blown) and backprop.diverged(overflow)
    runs = {(0.1, 8): good, (3.0, 8): blown, (0.1, 64): good}
    fig, hist = backprop.draw_training(runs, 3.0, 8)
    left, right = fig.axes
    assert hist is blown and "diverged" in left.get_title()
    np.testing.assert_array_equal(left.lines[-1].get_ydata(), [2.3] + [backprop.LOSS_CAP] * (steps - 1))
    assert len(left.lines) == 2  # the other rate tried with 8 units, in grey, then this one
    by_width = {line.get_label(): line.get_ydata() for line in right.lines}
    np.testing.assert_array_equal(by_width["8 hidden"], [0.9, 0.1])
    np.testing.assert_array_equal(by_width["64 hidden"], [0.9])


# ----- 07: grid against random search ----------------------------------------------------------

SPACE = {"lr": LogUniform(1e-4, 1.0), "hidden": IntUniform(16, 64)}


def _objective(params):
    return (np.log10(params["lr"]) + 1) ** 2 + params["hidden"] / 100


def test_search_explorer_displays_the_searches_of_its_sliders(widget_kernel):
    widget_kernel.run(
        "import numpy as np\nfrom coursekit.tuning import IntUniform, LogUniform\n"
        "space = {'lr': LogUniform(1e-4, 1.0), 'hidden': IntUniform(16, 64)}\n"
        "objective = lambda p: (np.log10(p['lr']) + 1) ** 2 + p['hidden'] / 100"
    )
    draw = "draw_searches(searches(se.memo, space, {}, {}), 'lr', 'hidden')[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit.widgets.tuning import draw_searches, search_explorer, searches\n"
        "se = search_explorer(objective, space)\nse",
        "se",
        [
            ("", draw.format(16, 0)),
            ("se.children[0].value = 25", draw.format(25, 0)),
            ("se.children[1].value = 3", draw.format(25, 3)),
        ],
    )


def test_searches_spend_the_same_budget_and_evaluate_each_configuration_once():
    calls = []

    def objective(params):
        calls.append(params)
        return _objective(params)

    memo = tuning.Memo(objective)
    found = tuning.searches(memo, SPACE, 9, seed=4)
    assert len(found["grid"]) == len(found["random"]) == 9
    assert len(np.unique(found["grid"].column("lr"))) == 3 and len(np.unique(found["random"].column("lr"))) == 9
    assert len(calls) == 18
    again = tuning.searches(memo, SPACE, 9, seed=4)
    assert len(calls) == 18 and again["random"].trials == found["random"].trials
    assert tuning.searches(memo, SPACE, 9, seed=5)["random"].trials != found["random"].trials
    for params, value in found["grid"].trials:
        assert value == pytest.approx(_objective(params))
    with pytest.raises(ValueError, match="perfect square"):
        tuning.searches(memo, SPACE, 10, seed=0)
    with pytest.raises(ValueError, match="exactly two parameters"):
        tuning.searches(memo, {**SPACE, "x": LogUniform(1, 2)}, 9, seed=0)


def test_search_explorer_reuses_known_trials_and_draws_what_it_found():
    calls = []
    grid = tuning.searches(tuning.Memo(_objective), SPACE, 16, seed=0)["grid"]
    box = tuning.search_explorer(lambda p: calls.append(p) or _objective(p), SPACE, known=grid.trials)
    assert len(calls) == 16  # the random search only: the grid was known
    found = tuning.searches(box.memo, SPACE, 16, seed=0)
    assert box.result == {label: pytest.approx(float(np.min(r.values()))) for label, r in found.items()}
    fig, best = tuning.draw_searches(found, "lr", "hidden")
    curves = fig.axes[2].lines
    np.testing.assert_allclose(curves[0].get_ydata(), found["grid"].best_so_far())
    np.testing.assert_allclose(curves[1].get_ydata(), found["random"].best_so_far())
    assert fig.axes[0].get_title() == "grid: 4 distinct lr"


# ----- 08: switching components off ------------------------------------------------------------


def test_configuration_explorer_displays_the_curves_of_its_toggles(widget_kernel):
    draw = "draw_configuration(ce.runs, switched({}))[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit import data\nfrom coursekit.widgets.default_configuration "
        "import configuration_explorer, draw_configuration, switched\n"
        "ce = configuration_explorer(data.digits(seed=0), hidden=(16,), epochs=2, device='cpu')\nce",
        "ce",
        [
            ("", draw.format({})),
            ("ce.toggles['batchnorm'].value = False", draw.format({"batchnorm": False})),
            ("ce.toggles['optimizer'].value = False", draw.format({"batchnorm": False, "optimizer": False})),
        ],
    )


def test_switched_configurations_and_their_labels():
    assert default_configuration.switched({}) == defaults.DEFAULT_CONFIG
    assert default_configuration.switched({k: False for k in defaults.DEFAULT_CONFIG}) == defaults.NAIVE_CONFIG
    assert default_configuration.switched({"dropout": False}) == {**defaults.DEFAULT_CONFIG, "dropout": 0.0}
    with pytest.raises(ValueError, match="unknown components"):
        default_configuration.switched({"schedule": False})
    labels = [default_configuration.describe(k, v) for k, v in defaults.NAIVE_CONFIG.items()]
    assert labels == ["N(0, 1) init", "sigmoid", "no BatchNorm", "no dropout", "SGD"]


def test_configuration_explorer_trains_each_combination_once(monkeypatch, digits):
    trained = []

    def fake_train(config, data, **kwargs):
        trained.append(dict(config))
        acc = 0.5 + 0.1 * sum(config[k] == v for k, v in defaults.DEFAULT_CONFIG.items())
        return None, {"val_loss": [1.0, 0.5], "val_acc": [acc - 0.1, acc]}

    monkeypatch.setattr(default_configuration.defaults, "train_config", fake_train)
    known = [(defaults.DEFAULT_CONFIG, {"val_loss": [0.3], "val_acc": [0.97]})]
    box = default_configuration.configuration_explorer(digits, known=known, epochs=2)
    assert trained == [defaults.NAIVE_CONFIG]  # the default was known
    box.toggles["activation"].value = False
    assert box.toggles["activation"].description == "sigmoid"
    assert trained[-1] == {**defaults.DEFAULT_CONFIG, "activation": "sigmoid"}
    box.toggles["activation"].value = True
    assert len(trained) == 2 and box.toggles["activation"].description == "ELU"
    fig, hist = default_configuration.draw_configuration(
        box.runs, default_configuration.switched({"activation": False})
    )
    labels = [line.get_label() for line in fig.axes[1].lines]
    assert labels == ["default (all on)", "naive (all off)", "this configuration"]
    np.testing.assert_allclose(fig.axes[1].lines[2].get_ydata(), [0.8, 0.9])
    assert "sigmoid" in fig._suptitle.get_text() and "90.0%" in fig._suptitle.get_text()
