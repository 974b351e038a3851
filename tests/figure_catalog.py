"""One figure from every plot helper in ``coursekit.plots``, every widget's drawing function and
the class report, on small inputs with as many series as the notebooks draw (six where a
notebook compares a handful). ``FIGURES`` maps a name to a function that returns the figure.

Used by ``test_colour_vision.py`` (colours under simulated colour blindness) and
``test_figure_descriptions.py`` (every figure has a text alternative).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from coursekit import tuning  # noqa: E402
from coursekit.data import Split  # noqa: E402
from coursekit.plots import activations as act  # noqa: E402
from coursekit.plots import batchnorm as bn
from coursekit.plots import beyond, history
from coursekit.plots import initialization as init
from coursekit.plots import optimizers as opt  # noqa: E402
from coursekit.plots import regularization as reg
from coursekit.plots import schedules as sch
from coursekit.plots import training as tr
from coursekit.plots import tuning as tun  # noqa: E402
from coursekit.plots import unstable_gradients as ug

SIX = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu")
RNG = np.random.default_rng(0)
EPOCHS = np.arange(1, 6)


def _curve(k, n=5):
    return list(np.exp(-(k + 1) * np.linspace(0, 1, n) / 3) + 0.05 * k)


def _hist(k):
    acc = list(0.5 + 0.08 * k + 0.05 * np.linspace(0, 1, 5))
    return {
        "loss": _curve(k),
        "val_loss": _curve(k),
        "val_acc": acc,
        "train_acc": acc,
        "grad_norms": [list(np.geomspace(1e-3, 1, 6) * (k + 1))],
    }


def _trials(seed, n=12):
    rng = np.random.default_rng(seed)
    return [
        ({"lr": float(10 ** rng.uniform(-4, 0)), "hidden": int(rng.integers(8, 64))}, float(rng.random()))
        for _ in range(n)
    ]


def _moons():
    x = RNG.normal(size=(60, 2))
    y = (x[:, 0] > 0).astype(np.int64)
    return Split(x[:40], y[:40], x[40:], y[40:], x[40:], y[40:])


def _grid():
    xx, yy = np.meshgrid(np.linspace(-3, 3, 20), np.linspace(-3, 3, 20))
    return xx, yy, 1 / (1 + np.exp(-xx))


def _deep_run():
    from coursekit.unstable_gradients import run_deep_net

    x = RNG.normal(size=(64, 20))
    return run_deep_net(
        x, depth=10, width=20, activation="sigmoid", init="standard_normal", rng=np.random.default_rng(0)
    )


def _optimizer_paths():
    from coursekit.optimizers import landscapes

    bowl = landscapes.quadratic_bowl()
    names = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
    return bowl, {n: landscapes.trajectory(*landscapes.optimizer(n), bowl, steps=20, lr=0.05) for n in names}


def _range_test():
    from types import SimpleNamespace

    lrs = np.geomspace(1e-4, 1, 50)
    losses = 2 - np.log10(lrs) / 4 + np.where(lrs > 0.1, 10 * lrs, 0)
    return SimpleNamespace(
        lrs=lrs, losses=losses + 0.1 * RNG.random(50), smoothed=losses, lr_at_min=0.1, suggestion=0.01
    )


def _class_report():
    from coursekit.grading import class_report

    data = {
        "assignment": "00_backprop",
        "final_scores": {f"s{i}": float(i % 5) for i in range(20)},
        "max_score": 4.0,
        "seconds": {f"s{i}": 5.0 + i for i in range(20)},
        "exercises": {n: {"visible_pass_rate": 0.8, "hidden_pass_rate": 0.7} for n in ("a", "b", "c")},
    }
    return class_report.drawn(data)


def _widget_figures():
    from coursekit.widgets import activations, batchnorm, initialization, optimizers

    return {
        "widgets.activations": lambda: activations.draw_activation("elu", 1.0)[0],
        "widgets.batchnorm": lambda: batchnorm.draw_running_statistics(steps=40)[0],
        "widgets.initialization": lambda: initialization.draw_propagation("tanh", "glorot_uniform", depth=10, width=30)[
            0
        ],
        "widgets.optimizers": lambda: optimizers.draw_race(0.05, 0.9, steps=20)[0],
    }


FIGURES = {
    "history": lambda: history(_hist(0)),
    "activations.functions": lambda: act.functions({n: (np.tanh, np.cos) for n in SIX}),
    "activations.training_curves": lambda: act.training_curves({n: [_hist(k)] for k, n in enumerate(SIX)}),
    "activations.dead_units": lambda: act.dead_units({n: [(k, 64), (2 * k, 64)] for k, n in enumerate(SIX[:4])}),
    "activations.layer_statistics": lambda: act.layer_statistics({n: _deep_run() for n in SIX[:3]}),
    "batchnorm.training_curves": lambda: bn.training_curves(
        {"with BatchNorm": _hist(0), "without BatchNorm": _hist(1)}
    ),
    "batchnorm.learning_rate_sweep": lambda: bn.learning_rate_sweep(
        [0.01, 0.1, 1.0],
        {"with BatchNorm": [0.9, 0.9, 0.8], "without BatchNorm": [0.8, 0.5, float("nan")]},
        threshold=0.5,
    ),
    "batchnorm.init_sensitivity": lambda: bn.init_sensitivity(
        ["a", "b", "c"], {"with BatchNorm": [0.9, 0.9, 0.8], "without BatchNorm": [0.3, 0.4, 0.5]}
    ),
    "batchnorm.train_mode_at_test": lambda: bn.train_mode_at_test([2, 8, 32], {"eval": 0.9, "train": [0.2, 0.7, 0.85]}),
    "beyond.decay_rates": lambda: beyond.decay_rates(
        {n: (np.geomspace(1e-4, 1, 30), np.geomspace(1e-3, 1e-2, 30)) for n in ("Adam + L2", "AdamW")}
    ),
    "beyond.decay_sweep": lambda: beyond.decay_sweep(
        {"adamw": {"strength": [1e-3, 1e-2, 1e-1], "accuracy": RNG.random((3, 3)), "norm": RNG.random((3, 3))}},
        {"adamw": "AdamW"},
    ),
    "beyond.step_lengths": lambda: beyond.step_lengths(
        {n: np.geomspace(1, 0.1, 20) * (k + 1) for k, n in enumerate(("Adam", "NAdam", "AdaMax", "SGD"))}, bound=3.0
    ),
    "beyond.seeds_by_setting": lambda: beyond.seeds_by_setting(
        {"before": [0.9, 0.91], "after": [0.92, 0.9]}, ylabel="accuracy"
    ),
    "beyond.mean_curves": lambda: beyond.mean_curves({n: RNG.random((3, 5)) for n in SIX}, level=0.5),
    "beyond.uncertainty_maps": lambda: beyond.uncertainty_maps(_moons(), *_grid(), _grid()[2]),
    "beyond.boundaries": lambda: beyond.boundaries(
        _moons(), {n: (_grid(), {"val_error": [0.2, 0.1]}) for n in ("L2", "max-norm", "dropout")}
    ),
    "initialization.uniform_vs_normal": lambda: init.uniform_vs_normal(RNG.uniform(-1, 1, 500), RNG.normal(size=500)),
    "initialization.variance_grid": lambda: init.variance_grid(
        {(a, i): 10.0**k for k, (a, i) in enumerate([(a, i) for a in ("tanh", "relu") for i in ("glorot", "he")])}
    ),
    "optimizers.contours": lambda: opt.contours(*_optimizer_paths()),
    "optimizers.training_curves": lambda: opt.training_curves(
        {n: [_hist(k), _hist(k + 1)] for k, n in enumerate(SIX)}, baseline=(0.7, "ln 2")
    ),
    "regularization.bias_variance_curve": lambda: reg.bias_variance_curve(
        [1, 3, 5, 9], [0.5, 0.2, 0.1, 0.05], [0.01, 0.05, 0.1, 0.4], noise_var=0.1
    ),
    "regularization.ensemble_fits": lambda: reg.ensemble_fits(
        np.linspace(0, 1, 30),
        np.sin(np.linspace(0, 6, 30)),
        {d: RNG.normal(size=(5, 30)) for d in (1, 9)},
        capacities=(1, 9),
    ),
    "regularization.weight_histograms": lambda: reg.weight_histograms({n: RNG.normal(size=200) for n in ("L1", "L2")}),
    "regularization.validation_curves": lambda: reg.validation_curves(
        [1e-3, 1e-2, 1e-1], {n: [0.3, 0.2, 0.4 + k / 10] for k, n in enumerate(("L1", "L2", "dropout"))}, baseline=0.35
    ),
    "regularization.compare_classifiers": lambda: reg.compare_classifiers(
        _moons(),
        {
            n: (
                _grid(),
                {
                    "step": [1, 2, 3],
                    "train_loss": [1, 0.5, 0.3],
                    "val_loss": [1, 0.7, 0.6],
                    "val_error": [0.2, 0.1],
                    "train_error": [0.1, 0.05],
                },
            )
            for n in ("none", "dropout")
        },
    ),
    "schedules.schedules": lambda: sch.schedules(
        {n: np.geomspace(1, 0.01, 50) * (k + 1) for k, n in enumerate(SIX)},
        momenta={"1cycle": np.linspace(0.95, 0.85, 50)},
    ),
    "schedules.range_test": lambda: sch.range_test(_range_test()),
    "schedules.clipping": lambda: sch.clipping(
        {
            n: {"step_loss": _curve(k, 30), "step_grad_norm": _curve(k, 30)}
            for k, n in enumerate(("no clipping", "clip_norm=1"))
        },
        clip_norm=1.0,
    ),
    "training.curves": lambda: tr.curves({n: _hist(k) for k, n in enumerate(("naive", "default"))}),
    "training.gradient_norms": lambda: tr.gradient_norms({n: _hist(k) for k, n in enumerate(("naive", "default"))}),
    "training.per_layer": lambda: tr.per_layer(
        {n: [1.0, 2.0, 3.0 + k] for k, n in enumerate(SIX[:5])}, ylabel="std", reference=1.0
    ),
    "training.ablation": lambda: tr.ablation(
        [
            {"label": n, "val_acc": 0.9 - 0.05 * k, "val_acc_std": 0.01}
            for k, n in enumerate(("default", "no He", "no ELU", "naive"))
        ]
    ),
    "tuning.search_samples": lambda: tun.search_samples({"grid": _trials(0), "random": _trials(1)}, x="lr", y="hidden"),
    "tuning.sampling_histograms": lambda: tun.sampling_histograms(
        {"log-uniform": np.geomspace(1e-3, 1, 50), "uniform": np.linspace(1e-3, 1, 50)},
        low=1e-3,
        high=1.0,
        threshold=0.1,
    ),
    "tuning.value_vs_param": lambda: tun.value_vs_param({"grid": _trials(0), "random": _trials(1)}, "lr"),
    "tuning.best_so_far": lambda: tun.best_so_far({"grid": _trials(0), "random": _trials(1), "TPE": _trials(2)}),
    "tuning.param_by_trial": lambda: tun.param_by_trial({"random": _trials(1), "TPE": _trials(2)}, "lr"),
    "tuning.worker_trials": lambda: tun.worker_trials(
        tuning.SearchResult(
            [tuning.Trial(*t) for t in _trials(1)], attrs=[{"number": i, "worker": i % 2} for i in range(12)]
        ),
        "lr",
    ),
    "tuning.halving": lambda: tun.halving(
        tuning.successive_halving(lambda p, b: p["lr"] / b, [p for p, _ in _trials(1)[:9]], progress=False)
    ),
    "unstable_gradients.activation_histograms": lambda: ug.activation_histograms(_deep_run().activations),
    "unstable_gradients.per_layer": lambda: ug.per_layer(
        {n: np.geomspace(1, 1e-3, 10) * (k + 1) for k, n in enumerate(SIX)}, ylabel="norm", log=True
    ),
    "unstable_gradients.deep_run": lambda: ug.deep_run(_deep_run()),
    **{
        f"class_report.{name}": (lambda name=name: _class_report()[name]) for name in ("scores", "exercises", "seconds")
    },
    **_widget_figures(),
}
