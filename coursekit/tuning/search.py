"""Grid search, random search and successive halving, in plain Python.

An objective maps a parameter dict to a number to **minimise** (a validation error, say).
Every search returns the trials it ran, as ``(params, value)`` pairs in the order they ran,
and the best of them.
"""

import itertools
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from tqdm.auto import tqdm

from coursekit.tuning import numpy_ref
from coursekit.tuning.checks import check_count, check_objective, check_rng, check_space
from coursekit.tuning.samplers import sample_params


class Trial(NamedTuple):
    """One evaluation: the parameters and the objective's value (lower is better)."""

    params: dict
    value: float


@dataclass
class SearchResult:
    """The trials of a search, in the order they ran.

    Attributes:
        trials: list of :class:`Trial`.
        attrs: optional per-trial extra information, parallel to ``trials`` (for an Optuna
            study: the trial number, and which worker ran it).
        study: the ``optuna.Study`` when Optuna ran the search, else None.
    """

    trials: list
    attrs: list = field(default_factory=list)
    study: Any = None

    @property
    def best(self):
        """The trial with the lowest value (NaN values never win)."""
        if not self.trials:
            raise ValueError("no trials: the search has not evaluated anything")
        values = self.values()
        if np.isnan(values).all():
            raise ValueError("every trial's value is NaN")
        return self.trials[int(np.nanargmin(values))]

    @property
    def best_params(self):
        return self.best.params

    @property
    def best_value(self):
        return self.best.value

    def values(self):
        """The trials' values, shape (n_trials,)."""
        return np.array([t.value for t in self.trials], dtype=np.float64)

    def column(self, name):
        """One parameter across the trials, shape (n_trials,)."""
        return np.array([t.params[name] for t in self.trials])

    def best_so_far(self):
        """The running minimum of the values, shape (n_trials,)."""
        values = np.where(np.isnan(self.values()), np.inf, self.values())
        return np.minimum.accumulate(values)

    def __len__(self):
        return len(self.trials)


def evaluate(objective, params, *args):
    """``float(objective(params, *args))``, with a clear error for a non-numeric result."""
    value = objective(params, *args)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"objective must return a number, got {type(value).__name__}") from None


def _run(objective, all_params, desc, progress):
    trials = []
    bar = tqdm(all_params, desc=desc, disable=not progress)
    for params in bar:
        trials.append(Trial(params, evaluate(objective, params)))
        bar.set_postfix(best=f"{min(t.value for t in trials):.4g}")
    return SearchResult(trials)


def sample_configs(space, n, *, rng):
    """``n`` parameter dicts drawn from ``space`` with ``rng``."""
    check_space(space)
    check_rng(rng)
    return [sample_params(space, rng) for _ in range(check_count("n", n))]


def random_search(objective, space, n_trials, *, rng, progress=True):
    """Evaluate ``objective`` on ``n_trials`` parameter dicts sampled from ``space``.

    This is :func:`coursekit.tuning.numpy_ref.random_search` with a progress bar.

    Args:
        objective: ``objective(params) -> float`` to minimise.
        space: dict name -> sampler (see :mod:`coursekit.tuning.samplers`).
        n_trials: number of evaluations, >= 1.
        rng: numpy.random.Generator; the same seed gives the same trials.

    Returns:
        SearchResult; ``.best`` is the trial with the lowest value.
    """
    check_objective(objective)
    check_space(space)
    check_rng(rng)
    bar = tqdm(total=check_count("n_trials", n_trials), desc="random search", disable=not progress)
    best = [math.inf]

    def tracked(params):
        value = evaluate(objective, params)
        best[0] = min(best[0], value) if value == value else best[0]
        bar.update()
        bar.set_postfix(best=f"{best[0]:.4g}")
        return value

    try:
        _, _, trials = numpy_ref.random_search(tracked, space, n_trials, rng=rng)
    finally:
        bar.close()
    return SearchResult([Trial(params, value) for params, value in trials])


def grid_points(grid_or_space, n=None):
    """The Cartesian product of a grid, as a list of parameter dicts.

    Args:
        grid_or_space: dict name -> list of values, or name -> sampler (whose ``grid(n)``
            gives the values; on a log scale for log samplers). The two may be mixed.
        n: points per sampler axis (needed when a sampler is given).

    The first parameter varies slowest.
    """
    if not isinstance(grid_or_space, dict) or not grid_or_space:
        raise TypeError(f"grid must be a non-empty dict name -> values or sampler, got {grid_or_space!r}")
    axes = {}
    for name, axis in grid_or_space.items():
        if callable(getattr(axis, "grid", None)):
            if n is None:
                raise ValueError(f"grid[{name!r}] is a sampler: give n, the points per axis")
            axis = axis.grid(n)
        elif isinstance(axis, (str, bytes)) or not hasattr(axis, "__iter__"):
            raise TypeError(f"grid[{name!r}] must be a list of values or a sampler, got {axis!r}")
        axes[name] = list(axis)
        if not axes[name]:
            raise ValueError(f"grid[{name!r}] has no values")
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]


def grid_search(objective, grid_or_space, *, n=None, progress=True):
    """Evaluate ``objective`` at every point of a grid (see :func:`grid_points`).

    Returns:
        SearchResult with one trial per grid point.
    """
    check_objective(objective)
    return _run(objective, grid_points(grid_or_space, n), "grid search", progress)


@dataclass
class Rung:
    """One round of successive halving: every surviving config run with ``budget``."""

    budget: float
    trials: list


@dataclass
class HalvingResult:
    """The rungs of successive halving, smallest budget first."""

    rungs: list

    @property
    def trials(self):
        return [t for rung in self.rungs for t in rung.trials]

    @property
    def best(self):
        """The best trial of the last rung, the one run with the largest budget."""
        return SearchResult(self.rungs[-1].trials).best

    @property
    def total_budget(self):
        return sum(rung.budget * len(rung.trials) for rung in self.rungs)


def successive_halving(objective, configs, *, min_budget=1, eta=3, max_budget=None, progress=True):
    """Successive halving (Jamieson & Talwalkar 2016): many configs cheaply, few for long.

    Every config runs with ``min_budget``; the best ``1/eta`` of them (at least one) run
    again with ``eta`` times the budget, and so on until one config is left or the next
    budget would pass ``max_budget``.

    Args:
        objective: ``objective(params, budget) -> float`` to minimise, e.g. the validation
            error after ``budget`` epochs.
        configs: list of parameter dicts (e.g. from :func:`sample_configs`).
        min_budget: budget of the first rung, > 0.
        eta: the factor of survivors and of budget growth, an integer >= 2.
        max_budget: optional largest budget.

    Returns:
        HalvingResult; its ``best`` is the best config of the last rung.
    """
    check_objective(objective)
    if not isinstance(configs, (list, tuple)) or not configs:
        raise ValueError("configs must be a non-empty list of parameter dicts")
    if isinstance(min_budget, bool) or not isinstance(min_budget, numbers.Real) or not min_budget > 0:
        raise ValueError(f"min_budget must be > 0, got {min_budget!r}")
    if check_count("eta", eta) < 2:
        raise ValueError(f"eta must be >= 2, got {eta}")
    if max_budget is not None and not max_budget >= min_budget:
        raise ValueError(f"max_budget must be >= min_budget, got {max_budget} < {min_budget}")
    n_rungs = 1 + math.floor(math.log(len(configs), eta) + 1e-9)
    budget, survivors, rungs = min_budget, list(configs), []
    bar = tqdm(total=n_rungs, desc="successive halving", disable=not progress)
    while True:
        trials = [Trial(params, evaluate(objective, params, budget)) for params in survivors]
        rungs.append(Rung(budget, trials))
        bar.update()
        bar.set_postfix(budget=budget, configs=len(trials))
        keep = max(1, len(trials) // eta)
        if len(trials) == 1 or (max_budget is not None and budget * eta > max_budget):
            break
        values = np.array([t.value for t in trials], dtype=np.float64)
        order = np.argsort(np.where(np.isnan(values), np.inf, values), kind="stable")
        survivors = [trials[i].params for i in order[:keep]]
        budget = budget * eta
    bar.close()
    return HalvingResult(rungs)
