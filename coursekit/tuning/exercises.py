"""Graded exercises of 07_hyperparameter_tuning: random search and a log-uniform sampler, the
latter in :mod:`coursekit.tuning.exercises_log_uniform` (imported at the end of this module).

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

from coursekit.grading import Convention, Exercise, StudentError, register, unpack
from coursekit.tuning import numpy_ref, samplers

# ----- random search -------------------------------------------------------------------

_PARAMETERS = {
    "momentum": lambda rng: samplers.Uniform(0.5, 0.99),
    "hidden": lambda rng: samplers.IntUniform(16, int(rng.integers(64, 513))),
    "activation": lambda rng: samplers.Choice(("relu", "tanh", "elu", "selu")),
    "dropout": lambda rng: samplers.Uniform(0.0, float(rng.uniform(0.2, 0.6))),
    "batch_size": lambda rng: samplers.IntUniform(8, 512, log=True),
}


def _space_case(rng, hidden):
    low = float(10.0 ** rng.integers(-6, -2))
    space = {"lr": samplers.LogUniform(low, low * 10.0 ** int(rng.integers(2, 5)))}
    extra = int(rng.integers(0, 4)) if hidden else int(rng.integers(1, 3))
    for name in rng.choice(sorted(_PARAMETERS), size=extra, replace=False):
        space[str(name)] = _PARAMETERS[str(name)](rng)
    targets = {name: sampler.sample(rng) for name, sampler in space.items()}
    weights = {name: float(rng.uniform(0.5, 2.0)) for name in space}
    n_trials = int(rng.integers(1, 31)) if hidden else int(rng.integers(5, 21))
    listing = ", ".join(f"{k}: {v!r}" for k, v in space.items())
    return {
        "space": space,
        "targets": targets,
        "weights": weights,
        "n_trials": n_trials,
        "seed": int(rng.integers(2**31)),
        "listing": listing,
    }


def _distance(sampler, value, target):
    if isinstance(sampler, samplers.Choice):
        return float(value != target)
    if isinstance(sampler, samplers.LogUniform) or getattr(sampler, "log", False):
        return (math.log(value / target) / math.log(sampler.high / sampler.low)) ** 2
    return ((value - target) / (sampler.high - sampler.low)) ** 2


def _recording_objective(case, calls):
    space = case["space"]

    def objective(params):
        if not isinstance(params, dict) or set(params) != set(space):
            raise StudentError(
                f"called the objective with {params!r}; it takes one dict with the keys "
                f"{sorted(space)}, one value sampled from each space[name]"
            )
        for name, value in params.items():
            if not space[name].contains(value):
                raise StudentError(
                    f"called the objective with {name}={value!r}, which space[{name!r}] = "
                    f"{space[name]!r} cannot produce; sample it with space[{name!r}].sample(rng)"
                )
        weights, targets = case["weights"], case["targets"]
        value = sum(weights[k] * _distance(space[k], v, targets[k]) for k, v in params.items())
        calls.append((dict(params), value))
        return value

    return objective


def _search_once(fns, case, seed):
    calls = []
    result = fns["random_search"](
        _recording_objective(case, calls), case["space"], case["n_trials"], rng=np.random.default_rng(seed)
    )
    return calls, unpack(result, 3, "(best_params, best_value, trials)")


def _key(params):
    return tuple(sorted((name, repr(value)) for name, value in params.items()))


def _same_calls(a, b):
    return [(_key(p), v) for p, v in a] == [(_key(p), v) for p, v in b]


def _rank_of_best(calls, best_params, best_value):
    try:
        best_value = float(best_value)
    except (TypeError, ValueError):
        raise StudentError(f"best_value should be a number, got {type(best_value).__name__}") from None
    matches = [params for params, value in calls if value == best_value]
    if not matches:
        raise StudentError(f"best_value {best_value!r} is not a value that the objective returned")
    if not any(params == best_params for params in matches):
        raise StudentError(f"best_params {best_params!r} are not the parameters that gave best_value")
    return sum(value < best_value for _, value in calls)


def _trial_mismatches(trials, calls):
    if not isinstance(trials, (list, tuple)):
        raise StudentError(f"trials should be a list of (params, value) pairs, got {type(trials).__name__}")
    mismatches = abs(len(trials) - len(calls))
    for trial, (params, value) in zip(trials, calls):
        if not isinstance(trial, (tuple, list)) or len(trial) != 2:
            raise StudentError(f"each entry of trials should be a (params, value) pair, got {trial!r}")
        mismatches += not (trial[0] == params and trial[1] == value)
    return mismatches


def _run_random_search(fns, case):
    calls, (best_params, best_value, trials) = _search_once(fns, case, case["seed"])
    again, _ = _search_once(fns, case, case["seed"])
    other, _ = _search_once(fns, case, case["seed"] + 1)
    return {
        "objective evaluations": len(calls),
        "distinct parameter sets evaluated": len({_key(params) for params, _ in calls}),
        "rank of best_value among the values seen (0 = the lowest)": _rank_of_best(calls, best_params, best_value),
        "entries of trials that differ from the evaluations, in order": _trial_mismatches(trials, calls),
        "same trials for the same seed (1 = yes)": int(_same_calls(calls, again)),
        "other trials for another seed (1 = yes)": int(not _same_calls(calls, other)),
    }


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
        make_case=_space_case,
        run=_run_random_search,
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
    )
)

from coursekit.tuning import exercises_log_uniform  # noqa: E402, F401 (registers tuning.log_uniform)
