"""Graded exercises of 07_hyperparameter_tuning: random search and a log-uniform sampler, the
latter in :mod:`coursekit.tuning.exercises_log_uniform` (the registry loads both; their cases
are in ``cases`` and ``cases_log_uniform``).

Neither answer has a single right output (the sampling order, or the way of drawing the
exponent, may differ), so the checks measure properties instead:

- random search: how many evaluations, of how many distinct configurations, whether the
  returned best is the lowest value seen and matches its parameters, whether the trials
  list matches the evaluations, and whether the ``rng`` seed reproduces the search;
- log-uniform: the range, and the mean, spread and KS distance from uniform of
  ``u = log(x/low) / log(high/low)`` on 20,000 samples, against the reference's on the
  same case (the tolerance, 0.02, is seven standard errors); and the seed's effect.
"""

import math

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.tuning import numpy_ref
from coursekit.tuning.cases import CASES

# ----- random search -------------------------------------------------------------------


def _search_keeping(pick):
    """A random search that returns the trial ``pick(trials)`` instead of the best."""

    def random_search(objective, space, n_trials, *, rng):
        trials = []
        for _ in range(n_trials):
            params = {name: sampler.sample(rng) for name, sampler in space.items()}
            trials.append((params, objective(params)))
        chosen = pick(trials)
        return chosen[0], chosen[1], trials

    return random_search


def _sampled_once(objective, space, n_trials, *, rng):
    params = {name: sampler.sample(rng) for name, sampler in space.items()}
    trials = [(params, objective(params)) for _ in range(n_trials)]
    return params, trials[0][1], trials


def _evaluated_twice(objective, space, n_trials, *, rng):
    best_params, best_value, trials = None, math.inf, []
    for _ in range(n_trials):
        params = {name: sampler.sample(rng) for name, sampler in space.items()}
        trials.append((params, objective(params)))
        if objective(params) < best_value:
            best_params, best_value = params, trials[-1][1]
    return best_params, best_value, trials


def _ignoring_rng(objective, space, n_trials, *, rng):
    return numpy_ref.random_search(objective, space, n_trials, rng=np.random.default_rng())


_best = lambda trials: min(trials, key=lambda t: t[1])  # noqa: E731

register(
    Exercise(
        name="tuning.random_search",
        roles=("random_search",),
        make_case=CASES["tuning.random_search"].make_case,
        run=CASES["tuning.random_search"].run,
        reference={"random_search": numpy_ref.random_search},
        conventions=(
            Convention(
                "the worst trial (max instead of min)",
                "The objective is an error to minimise: return the trial with the lowest value.",
                {"random_search": _search_keeping(lambda trials: max(trials, key=lambda t: t[1]))},
            ),
            Convention(
                "the last trial instead of the best",
                "Keep the best trial seen so far and return it, not the most recent one.",
                {"random_search": _search_keeping(lambda trials: trials[-1])},
            ),
            Convention(
                "parameters sampled once, before the loop",
                "Draw new parameters in every trial; otherwise one configuration is evaluated n_trials times.",
                {"random_search": _sampled_once},
            ),
            Convention(
                "the objective called twice per trial",
                "Each evaluation is a whole training run: call the objective once per trial and keep its value.",
                {"random_search": _evaluated_twice},
            ),
            Convention(
                "a search that ignores its rng argument",
                "Sample with the generator you are given, space[name].sample(rng), so that "
                "a seed reproduces the search.",
                {"random_search": _ignoring_rng},
            ),
        ),
        # The samplers stay allowed: an answer draws with space[name].sample(rng).
        reference_modules=(
            "coursekit.tuning.numpy_ref",
            "coursekit.tuning.search",
            "coursekit.tuning.optuna_engine",
            "coursekit.tuning.workers",
            "optuna.study.study",
            "sklearn.model_selection._search",
        ),
        tolerances={"int64": (0, 0), "float64": (0, 0)},
        answers_use=("coursekit.tuning.samplers", "coursekit.tuning.checks"),  # the space's samplers (checks: theirs)
    )
)
