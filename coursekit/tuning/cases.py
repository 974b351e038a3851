"""The student side of 07_hyperparameter_tuning's random search (see
:mod:`coursekit.tuning.exercises`): random search spaces of coursekit's samplers (which the
answer draws from, ``Exercise.answers_use``), and what the answer's search is measured by."""

import math

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.tuning import samplers

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


CASES = {"tuning.random_search": Cases(_space_case, _run_random_search)}
