"""Widgets of 06_regularization: a λ slider (the L2 penalty through Adam's gradient) and a
dropout-rate slider, each showing the decision boundary on moons and the validation error
against the setting.

Each setting trains one small model (well under a second) the first time it is chosen and
is remembered after that; results the notebook already has can be passed in as ``known``.
"""

import numpy as np
from matplotlib.figure import Figure

from coursekit.experiments import regularization as experiments
from coursekit.plots.describe import caption
from coursekit.plots.regularization import decision_boundary
from coursekit.widgets import named

LAMBDAS = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


class Sweep:
    """Results of training with one hyperparameter set to each value, computed on demand.

    Args:
        split: a 2-D classification :class:`coursekit.data.Split` (moons).
        parameter: the keyword of :func:`experiments.train_and_grid` to vary
            ("weight_decay", "p_drop" or "input_noise").
        known: optional dict value -> (grid, history) already computed.
        train: ``train(split, **{parameter: value}, **train_args) -> (grid, history)``.
    """

    def __init__(self, split, parameter, *, known=None, train=None, **train_args):
        self.split, self.parameter = split, parameter
        self.train = train or experiments.train_and_grid
        self.train_args = train_args
        self.results = dict(known or {})

    def result(self, value):
        if value not in self.results:
            self.results[value] = self.train(self.split, **{self.parameter: value}, **self.train_args)
        return self.results[value]


NAMES = {"λ": "L2 strength λ", "p_drop": "dropout rate p_drop"}  # the sliders' accessible names


def draw_sweep(fig, split, results, current, *, label, log_x=False):
    """Draw the boundary for ``current`` and the errors of every computed value into ``fig``.

    Args:
        results: dict value -> (grid, history).
        current: the value whose boundary is shown (a key of ``results``).
    """
    fig.clear()
    left, right = fig.subplots(1, 2)
    grid, hist = results[current]
    decision_boundary(
        split, grid, ax=left, title=f"{label} = {current:g}: validation error {hist['val_error'][-1]:.1%}"
    )
    values = np.array(sorted(results))
    val = np.array([results[v][1]["val_error"][-1] for v in values])
    train = np.array([results[v][1]["train_error"][-1] for v in values])
    right.plot(values, val, "o-", label="validation error")
    right.plot(values, train, "s--", alpha=0.7, label="training error")
    right.plot([current], [results[current][1]["val_error"][-1]], "r*", ms=15, label="shown on the left")
    if log_x:
        right.set_xscale("symlog", linthresh=min([v for v in values if v > 0], default=1e-4))
    right.set(
        xlabel=label, ylabel="error rate", ylim=(0, max(0.3, float(val.max()) + 0.05)), title="values tried so far"
    )
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _explorer(sweep, values, *, label, log_x, initial):
    import ipywidgets as widgets
    from IPython.display import display

    values = tuple(float(v) for v in values)
    if initial is None:
        initial = next((v for v in values if v in sweep.results), values[0])
    if initial not in values:
        raise ValueError(f"initial must be one of {values}, got {initial}")
    slider = widgets.SelectionSlider(
        options=[(f"{v:g}", v) for v in values],
        value=initial,
        description=NAMES.get(label, label),
        continuous_update=False,
    )
    output = widgets.Output()
    fig = Figure(figsize=(9.5, 3.8))

    def show(_=None):
        sweep.result(slider.value)
        draw_sweep(fig, sweep.split, sweep.results, slider.value, label=label, log_x=log_x)
        with output:
            output.clear_output(wait=True)
            display(fig)
            caption(fig)

    named(slider)
    slider.observe(show, names="value")
    show()
    box = widgets.VBox([slider, output])
    box.slider, box.figure, box.sweep = slider, fig, sweep
    return box


def lambda_explorer(split, *, values=LAMBDAS, known=None, initial=None, **train_args):
    """A λ slider (Adam's weight_decay, the L2 penalty's gradient λ·w) against the decision
    boundary and the validation error. Returns the widget (a VBox with ``.slider``,
    ``.figure`` and ``.sweep``)."""
    sweep = Sweep(split, "weight_decay", known=known, **train_args)
    return _explorer(sweep, values, label="λ", log_x=True, initial=initial)


def dropout_explorer(split, *, values=RATES, known=None, initial=None, **train_args):
    """A dropout-rate slider against the decision boundary and the validation error."""
    sweep = Sweep(split, "p_drop", known=known, **train_args)
    return _explorer(sweep, values, label="p_drop", log_x=False, initial=initial)
