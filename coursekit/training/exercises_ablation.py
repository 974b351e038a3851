"""Graded exercise ``training.ablation`` of 08_default_configuration.

The answer maps each removable component of a configuration to an ablated configuration.
It is graded by: which components have an entry; a matrix of what each entry does to each
component (set to the baseline, kept, deleted, or set to something else); keys that are not
components; and whether the inputs were left alone and the entries are separate dicts.
Visible cases ablate the notes' default configuration against random baselines; hidden ones
use random configurations of 2 to 8 components.
"""

from coursekit.grading import Convention, Exercise, register
from coursekit.training import defaults
from coursekit.training.cases_ablation import CASES, DEFAULT_COMPONENTS

if tuple(defaults.DEFAULT_CONFIG) != DEFAULT_COMPONENTS:
    raise ImportError("coursekit.training.cases_ablation lists other components than the default configuration has")


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
        make_case=CASES["training.ablation"].make_case,
        run=CASES["training.ablation"].run,
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
