"""Hyperparameter tuning: samplers, grid and random search, successive halving, and Optuna
as the engine that scales out to many worker processes sharing one study.

A search space is a dict ``name -> sampler``::

    space = {"lr": LogUniform(1e-4, 1e-1), "hidden": IntUniform(16, 128)}
    result = random_search(objective, space, 20, rng=np.random.default_rng(0))
    result.best_params, result.best_value

Objectives return a number to minimise. Optuna is imported only by the Optuna functions.
"""

from coursekit.tuning.checks import check_space
from coursekit.tuning.numpy_ref import log_uniform
from coursekit.tuning.objectives import DigitsObjective
from coursekit.tuning.optuna_engine import (
    SAMPLERS,
    create_study,
    make_sampler,
    optuna_search,
    study_result,
)
from coursekit.tuning.samplers import Choice, IntUniform, LogUniform, Uniform, sample_params
from coursekit.tuning.search import (
    HalvingResult,
    Rung,
    SearchResult,
    Trial,
    grid_points,
    grid_search,
    random_search,
    sample_configs,
    successive_halving,
)
from coursekit.tuning.workers import run_workers, work

__all__ = [
    "Choice",
    "DigitsObjective",
    "HalvingResult",
    "IntUniform",
    "LogUniform",
    "Rung",
    "SAMPLERS",
    "SearchResult",
    "Trial",
    "Uniform",
    "check_space",
    "create_study",
    "grid_points",
    "grid_search",
    "log_uniform",
    "make_sampler",
    "optuna_search",
    "random_search",
    "run_workers",
    "sample_configs",
    "sample_params",
    "study_result",
    "successive_halving",
    "work",
]
