"""The student side of 08_default_configuration's ``training.ablation`` (see
:mod:`coursekit.training.exercises_ablation`): configurations and baselines, and a matrix of
what each of the answer's entries does to each component."""

import copy

import numpy as np

from coursekit.grading.case_side import Cases, StudentError

# The components of the notes' default configuration, in its order (the keys of
# coursekit.training.defaults.DEFAULT_CONFIG, which the exercises module checks this against).
DEFAULT_COMPONENTS = ("init", "activation", "batchnorm", "dropout", "optimizer")


_VALUES = {
    "init": ("he_normal", "glorot_uniform", "standard_normal", "lecun_normal"),
    "activation": ("elu", "relu", "sigmoid", "tanh", "selu"),
    "batchnorm": (True, False),
    "dropout": (0.2, 0.0, 0.1, 0.5),
    "optimizer": ("adam", "sgd", "momentum", "rmsprop"),
    "input_noise": (0.1, 0.0),
    "weight_decay": (1e-4, 0.0),
    "lr_schedule": ("cosine", None),
}


def _config_case(rng, hidden):
    names = list(DEFAULT_COMPONENTS)
    if hidden:
        names = [str(k) for k in rng.choice(list(_VALUES), size=int(rng.integers(2, 9)), replace=False)]
    config = {k: _VALUES[k][0] if not hidden else _VALUES[k][int(rng.integers(len(_VALUES[k])))] for k in names}
    same = names[int(rng.integers(len(names)))]  # a component already at its baseline value
    baseline = {}
    for k in names:
        if k == same:
            baseline[k] = config[k]
        elif rng.random() < (0.75 if hidden else 0.85):
            others = [v for v in _VALUES[k] if v != config[k]]
            baseline[k] = others[int(rng.integers(len(others)))]
    extra = [k for k in _VALUES if k not in config]
    if hidden and extra:  # a baseline component the configuration does not have
        k = extra[int(rng.integers(len(extra)))]
        baseline[k] = _VALUES[k][1]
    return {"config": config, "baseline": baseline, "case": f"config={config}, baseline={baseline}"}


def _status(value, key, config, baseline):
    if value is _MISSING:
        return -1
    if key in baseline and value == baseline[key] and baseline[key] != config[key]:
        return 1
    return 0 if value == config[key] else 2


_MISSING = object()


def _run_ablation(fns, case):
    config, baseline = case["config"], case["baseline"]
    config_before, baseline_before = copy.deepcopy(config), copy.deepcopy(baseline)
    result = fns["ablations"](config, baseline)
    if not isinstance(result, dict):
        raise StudentError(f"should return a dict component -> configuration, got {type(result).__name__}")
    keys = list(config_before)
    for key, entry in result.items():
        if key not in keys:
            raise StudentError(f"has an entry {key!r}, which is not a component of config (keys: {keys})")
        if not isinstance(entry, dict):
            raise StudentError(f"maps {key!r} to a {type(entry).__name__}, not a configuration dict")
    rows = [
        [_status(result[k].get(j, _MISSING), j, config_before, baseline) if k in result else 0 for j in keys]
        for k in keys
    ]
    entries = list(result.values())
    separate = len({id(e) for e in entries}) == len(entries) and all(e is not config for e in entries)
    return {
        "components with an entry, in config's order (1 = yes)": np.array([int(k in result) for k in keys]),
        "what each entry does to each component (row: the entry of each component of config; column: "
        "each component; 1 = set to the baseline, 0 = kept, -1 = missing, 2 = another value)": np.array(rows),
        "keys that are not components of config, per entry": np.array(
            [len(set(result[k]) - set(keys)) if k in result else 0 for k in keys]
        ),
        "config left unchanged (1 = yes)": int(config == config_before),
        "baseline left unchanged (1 = yes)": int(baseline == baseline_before),
        "entries are separate dicts (1 = yes)": int(separate),
    }


CASES = {"training.ablation": Cases(_config_case, _run_ablation)}
