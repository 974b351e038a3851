"""The component switchboard of 08_default_configuration: one toggle per component of the
default configuration (He, ELU, BatchNorm, dropout, Adam); switching one off puts the naive
network's choice in its place, and the training curves follow.

Each of the 32 combinations trains once (about half a second for 8 epochs on the digits)
and is remembered; the notebook can pass the runs it already has. :func:`draw_configuration`
draws (a plain function the tests call); :func:`configuration_explorer` wraps it in toggles.
"""

from coursekit.plots import training as training_plots
from coursekit.training import defaults, one_thread
from coursekit.widgets import displaying, named

NAMES = {
    "he_normal": "He init",
    "standard_normal": "N(0, 1) init",
    "elu": "ELU",
    "sigmoid": "sigmoid",
    "adam": "Adam",
    "sgd": "SGD",
}


def describe(component, value):
    """A short label for one component's value, e.g. "BatchNorm", "no dropout", "SGD"."""
    if component == "batchnorm":
        return "BatchNorm" if value else "no BatchNorm"
    if component == "dropout":
        return f"dropout {value:g}" if value else "no dropout"
    return NAMES.get(value, str(value))


def switched(switches, config=defaults.DEFAULT_CONFIG, baseline=defaults.NAIVE_CONFIG):
    """The configuration with each component from ``config`` where its switch is on and
    from ``baseline`` where it is off.

    Args:
        switches: dict component -> bool (components not listed stay on).
    """
    unknown = set(switches) - set(config)
    if unknown:
        raise ValueError(f"unknown components {sorted(unknown)}; choose from {list(config)}")
    return {key: value if switches.get(key, True) else baseline[key] for key, value in config.items()}


def _key(config):
    return tuple(sorted(config.items()))


class Runs:
    """Training histories by configuration, trained on first use with
    :func:`coursekit.training.defaults.train_config`.

    Args:
        data: a :class:`coursekit.data.Split`.
        known: optional (config, history) pairs trained with the same settings.
        **train_args: for ``train_config`` (hidden, epochs, seed, device...).
    """

    def __init__(self, data, *, known=(), **train_args):
        self.data, self.train_args = data, {**train_args, "progress": False}
        self.histories = {_key(config): hist for config, hist in known}

    def __call__(self, config):
        key = _key(config)
        if key not in self.histories:
            with one_thread():  # tiny networks: a thread pool only slows them down
                self.histories[key] = defaults.train_config(config, self.data, **self.train_args)[1]
        return self.histories[key]


def draw_configuration(runs, config, *, keys=("val_loss", "val_acc")):
    """Training curves of ``config`` beside those of the default and the naive network.

    Returns:
        (figure, history of ``config``).
    """
    full, naive = defaults.DEFAULT_CONFIG, defaults.NAIVE_CONFIG
    label = ", ".join(describe(key, value) for key, value in config.items())
    name = {_key(full): "default (all on)", _key(naive): "naive (all off)"}.get(_key(config), "this configuration")
    curves = {"default (all on)": runs(full), "naive (all off)": runs(naive)}
    hist = curves[name] = runs(config)
    fig = training_plots.curves(
        curves,
        keys=keys,
        title=f"{label}: validation accuracy {hist['val_acc'][-1]:.1%} after {len(hist['val_acc'])} epochs",
    )
    return fig, hist


def configuration_explorer(data, *, known=(), **train_args):
    """A toggle per component of the default configuration, above its training curves.

    Args:
        data: a :class:`coursekit.data.Split` (the digits).
        known: (config, history) pairs the notebook already trained with the same
            ``train_args`` (seed 0 unless ``seed`` is given).
        **train_args: for :func:`coursekit.training.defaults.train_config` (hidden, epochs,
            device...).

    Returns:
        ``ipywidgets.VBox``: a row of toggles (``.toggles``, component -> ToggleButton) and
        the ``Output`` that shows the curves; ``.runs`` holds every history trained so far.
    """
    import ipywidgets as widgets

    full, naive = defaults.DEFAULT_CONFIG, defaults.NAIVE_CONFIG
    runs = Runs(data, known=known, **train_args)
    toggles = {}
    for key in full:
        toggle = widgets.ToggleButton(
            value=True,
            description=describe(key, full[key]),
            tooltip=f"{describe(key, full[key])} (on) or {describe(key, naive[key])} (off)",
            layout=widgets.Layout(width="130px"),
        )

        def relabel(change, key=key, toggle=toggle):
            toggle.description = describe(key, full[key] if change["new"] else naive[key])

        toggle.observe(relabel, names="value")
        toggles[key] = toggle
    output = widgets.interactive_output(
        displaying(lambda **switches: draw_configuration(runs, switched(switches))), toggles
    )
    box = widgets.VBox([widgets.HBox(named(*toggles.values())), output])
    box.toggles, box.runs = toggles, runs
    return box
