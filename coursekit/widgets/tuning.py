"""The search explorer of 07_hyperparameter_tuning: grid against random search on a
two-parameter space, for a budget of trials and a random seed picked with sliders.

Left, where each search looked (a k-by-k grid tries only k values of each parameter);
right, the best value found so far after each trial. Every configuration is evaluated once
and remembered, so moving back to a budget or a seed costs nothing.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots import tuning as tuning_plots
from coursekit.tuning import grid_search, random_search
from coursekit.widgets import interactive_figure

BUDGETS = (4, 9, 16, 25)
"""Trials per search: squares, so that the grid is k by k (25 random trials take about a second)."""


def _key(params):
    return tuple(sorted(params.items()))


class Memo:
    """An objective that evaluates each configuration once.

    Args:
        objective: ``objective(params) -> float`` to minimise (deterministic).
        known: optional (params, value) pairs already evaluated (e.g. a search's trials).
    """

    def __init__(self, objective, known=()):
        self.objective = objective
        self.values = {_key(params): float(value) for params, value in known}

    def __call__(self, params):
        key = _key(params)
        if key not in self.values:
            self.values[key] = float(self.objective(params))
        return self.values[key]


def searches(objective, space, budget, seed):
    """Grid search and random search with the same number of trials.

    Args:
        objective: ``objective(params) -> float``.
        space: dict of exactly two samplers, name -> sampler.
        budget: trials of each search, a perfect square (the grid is k by k).
        seed: seed of the random search's generator.

    Returns:
        dict "grid" / "random" -> :class:`coursekit.tuning.SearchResult`.
    """
    if len(space) != 2:
        raise ValueError(f"space must have exactly two parameters, got {list(space)}")
    side = math.isqrt(budget)
    if side * side != budget or side < 1:
        raise ValueError(f"budget must be a perfect square (a k-by-k grid), got {budget}")
    return {
        "grid": grid_search(objective, space, n=side, progress=False),
        "random": random_search(objective, space, budget, rng=np.random.default_rng(seed), progress=False),
    }


def draw_searches(found, x, y, *, xlog=True, ylog=False, value_label="validation error"):
    """Where each search looked (one panel each, one colour scale) and the best-so-far curves.

    Args:
        found: dict label -> search, as returned by :func:`searches`.
        x, y: the two parameter names (x is the one drawn on a log scale when ``xlog``).

    Returns:
        (figure, best): best is label -> the lowest value that search found.
    """
    values = np.concatenate([result.values() for result in found.values()])
    norm = plt.Normalize(np.nanmin(values), np.nanmax(values))
    columns = len(found) + 1
    fig = plt.figure(figsize=(4.2 * columns, 3.6))
    first = fig.add_subplot(1, columns, 1)
    axes = [first] + [fig.add_subplot(1, columns, i, sharex=first, sharey=first) for i in range(2, columns)]
    axes.append(fig.add_subplot(1, columns, columns))
    for ax, (label, result) in zip(axes, found.items()):
        distinct = len(np.unique(result.column(x)))
        points = tuning_plots.sample_layout(result, x, y, ax=ax, norm=norm, title=f"{label}: {distinct} distinct {x}")
        ax.set(xlabel=x, xscale="log" if xlog else "linear", yscale="log" if ylog else "linear")
    best = {label: float(np.nanmin(result.values())) for label, result in found.items()}
    axes[-1].set_title("best: " + ", ".join(f"{label} {value:.3f}" for label, value in best.items()))
    tuning_plots.best_so_far(found, value_label=value_label, ax=axes[-1])  # lays the figure out
    fig.colorbar(points, ax=axes[:-1], label=value_label, shrink=0.8)
    return fig, best


def search_explorer(objective, space, *, known=(), budget=16, seed=0):
    """Sliders for the number of trials and the random search's seed.

    Args:
        objective: ``objective(params) -> float`` to minimise, deterministic (e.g. a
            :class:`coursekit.tuning.DigitsObjective`).
        space: dict of two samplers; the first is drawn along x on a log scale.
        known: (params, value) pairs the notebook already evaluated, to reuse.
        budget: the number of trials shown first, one of ``BUDGETS``.
        seed: the seed shown first.

    Returns:
        ``ipywidgets.interactive``; ``.memo`` holds every value computed and ``.result`` is
        the best value of each search on display.
    """
    import ipywidgets as widgets

    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget}")
    x, y = list(space)
    memo = Memo(objective, known)
    box = interactive_figure(
        lambda trials, seed: draw_searches(searches(memo, space, trials, seed), x, y),
        trials=widgets.SelectionSlider(
            options=BUDGETS, value=budget, description="trials (budget)", continuous_update=False
        ),
        seed=widgets.IntSlider(value=seed, min=0, max=19, description="random seed", continuous_update=False),
    )
    box.memo = memo
    return box
