"""Graded exercise ``training.ablation`` of 08_default_configuration.

The answer maps each removable component of a configuration to an ablated configuration.
It is graded by: which components have an entry; a matrix of what each entry does to each
component (set to the baseline, kept, deleted, or set to something else); keys that are not
components; and whether the inputs were left alone and the entries are separate dicts.
Visible cases ablate the notes' default configuration against random baselines; hidden ones
use random configurations of 2 to 8 components.
"""

import copy

import numpy as np

from coursekit.grading import Convention, Exercise, StudentError, register
from coursekit.training import defaults

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
    names = list(defaults.DEFAULT_CONFIG)
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


def _cumulative(config, baseline):
    out, current = {}, dict(config)
    for key in config:
        if key in baseline and baseline[key] != config[key]:
            current = {**current, key: baseline[key]}
            out[key] = current
    return out


def _add_one_in(config, baseline):
    removable = [k for k in config if k in baseline and baseline[k] != config[k]]
    start = {**config, **{k: baseline[k] for k in removable}}
    return {k: {**start, k: config[k]} for k in removable}


def _in_place(config, baseline):
    out = {}
    for key in list(config):
        if key in baseline and baseline[key] != config[key]:
            config[key] = baseline[key]
            out[key] = config
    return out


def _one_copy(config, baseline):
    shared, out = dict(config), {}
    for key in config:
        if key in baseline and baseline[key] != config[key]:
            shared[key] = baseline[key]
            out[key] = shared
    return out


def _deleted(config, baseline):
    return {
        k: {j: v for j, v in config.items() if j != k} for k in config if k in baseline and baseline[k] != config[k]
    }


def _every_component(config, baseline):
    return {k: {**config, k: baseline[k]} for k in config if k in baseline}


def _get_none(config, baseline):
    return {k: {**config, k: baseline.get(k)} for k in config if baseline.get(k) != config[k]}


register(
    Exercise(
        name="training.ablation",
        roles=("ablations",),
        make_case=_config_case,
        run=_run_ablation,
        reference={"ablations": defaults.ablations},
        conventions=(
            Convention(
                "a cumulative ablation (removals pile up)",
                "Each entry removes one component and keeps all the others at their value in "
                "config; yours also remove the components before it, so the table would mix "
                "their effects. Start every entry from config.",
                {"ablations": _cumulative},
            ),
            Convention(
                "an add-one-in study from the baseline",
                "That is the opposite study: it adds one component to the baseline. An "
                "ablation starts from the full config and removes one component.",
                {"ablations": _add_one_in},
            ),
            Convention(
                "config changed in place",
                "Every entry is config itself, changed in place (and config is left with "
                "everything removed). Make a new dict per entry: {**config, key: baseline[key]}.",
                {"ablations": _in_place},
            ),
            Convention(
                "one copy shared by all entries",
                "All the entries are one dict, so the last change shows in all of them. Make "
                "a new dict per entry: {**config, key: baseline[key]}.",
                {"ablations": _one_copy},
            ),
            Convention(
                "components deleted instead of set to their baseline value",
                "Removing a component means setting it to its value in baseline (e.g. "
                "batchnorm=False). Deleting the key leaves the builder's default, which may "
                "switch it back on.",
                {"ablations": _deleted},
            ),
            Convention(
                "entries for components already at the baseline",
                "A component whose value equals the baseline's cannot be removed; its entry "
                "would repeat the full configuration. Skip it.",
                {"ablations": _every_component},
            ),
            Convention(
                "components missing from baseline set to None",
                "A component that baseline does not list has nothing to be replaced by: leave it out of the ablation.",
                {"ablations": _get_none},
            ),
        ),
        reference_modules=("coursekit.training.defaults", "coursekit.training.torch_mlp"),
        tolerances={"int64": (0, 0), "float64": (0, 0)},
        hidden_cases=8,
    )
)
