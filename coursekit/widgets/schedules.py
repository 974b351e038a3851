"""Widget of 09_learning_rate_schedules: pick a schedule, its peak rate and its main setting;
see the rate (and 1cycle's momentum) of every step, and a short training run on it.

:func:`train_on_schedule` trains one run, :func:`draw_run` draws it, and
:func:`schedule_explorer` wraps both in controls. The picture and a one-line summary go
into an ``ipywidgets.Output`` as display messages (``output.outputs``), so what the student
sees can be checked without a kernel. Each setting is trained once and remembered.
"""

import io

import numpy as np
from matplotlib.figure import Figure

from coursekit import _validate as v
from coursekit.plots.describe import PREFIX, describe
from coursekit.schedules.runs import SCHEDULES, make_schedule
from coursekit.widgets import named

SETTINGS = {
    "constant": None,
    "step": ("drops", "decays", 1, 5, 1, 2),
    "exponential": ("final", "last / lr0", 0.01, 1.0, 0.01, 0.05),
    "power": ("s", "halved at", 0.01, 1.0, 0.01, 0.1),
    "cosine": ("eta_min", "eta_min / lr0", 0.0, 0.5, 0.01, 0.0),
    "warmup_cosine": ("warmup", "warm-up", 0.0, 0.5, 0.01, 0.1),
    "warm_restarts": ("restarts", "restarts", 0, 5, 1, 2),
    "one_cycle": ("pct_start", "pct_start", 0.1, 0.9, 0.05, 0.3),
}
"""schedule -> (setting of :func:`~coursekit.schedules.runs.make_schedule`, slider label, min,
max, step, default), or None for a schedule without one. Lengths are fractions of the run."""

INTEGER_SETTINGS = ("drops", "restarts")


def _settings(name, value):
    spec = SETTINGS[name]
    if spec is None:
        return {}
    return {spec[0]: int(round(value)) if spec[0] in INTEGER_SETTINGS else float(value)}


def train_on_schedule(
    data, name, lr, value=None, *, epochs=4, sizes=(64, 32, 10), optimizer="momentum", batch_size=64, seed=0
):
    """Train a small MLP on ``data`` with the schedule ``name`` (main setting ``value``).

    Returns:
        (schedule, history): the run schedule and :func:`coursekit.training.fit`'s history
        (with the per-step records).
    """
    from coursekit.training import build_mlp, fit

    v.choice("schedule", name, SCHEDULES)
    schedule = make_schedule(name, **({} if value is None else _settings(name, value)))
    model = build_mlp(list(sizes), seed=seed)
    hist = fit(
        model,
        data,
        optimizer=optimizer,
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        schedule=schedule,
        step_stats=True,
        train_accuracy=False,
        progress=False,
        device="cpu",
    )
    return schedule, hist


def summary(schedule, lr, hist):
    """One line: the schedule, its settings, the peak rate and the final validation accuracy."""
    settings = ", ".join(
        f"{k}={v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{k}={v}"
        for k, v in schedule.settings.items()
    )
    return (
        f"{schedule.name}({settings}) at lr {lr:.3g}: final validation accuracy {hist['val_acc'][-1]:.3f}, "
        f"final training loss {hist['loss'][-1]:.3f}"
    )


def draw_run(fig, schedule, lr, hist):
    """Draw the rate of every step (and the momentum, dashed) and the run's curves into ``fig``."""
    fig.clear()
    left, right = fig.subplots(1, 2)
    lrs, momenta = schedule(lr, len(hist["step_lr"]))
    left.plot(np.arange(len(lrs)), lrs, lw=1.8)
    left.set(xlabel="step", ylabel="learning rate", title=f"{schedule.name}: rate per step")
    if momenta is not None:
        twin = left.twinx()
        twin.plot(np.arange(len(momenta)), momenta, "k--", lw=1)
        twin.set_ylabel("momentum (dashed)")
    epochs = np.arange(1, len(hist["val_acc"]) + 1)
    right.plot(epochs, hist["val_acc"], "o-", label="validation accuracy")
    right.plot(epochs, hist["loss"], "s--", label="training loss")
    right.set(
        xlabel="epoch",
        ylim=(0, max(1.05, min(3.0, max(hist["loss"]) * 1.1))),
        title=f"final validation accuracy {hist['val_acc'][-1]:.3f}",
    )
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def schedule_explorer(data, *, epochs=4, initial="warmup_cosine", lr=0.1, train=None, **train_args):
    """Controls for the schedule, its peak rate (log scale) and its main setting; the figure
    and a summary line follow them.

    Args:
        data: a :class:`coursekit.data.Split` (the digits).
        epochs: the length of each short run.
        initial: the schedule shown first. lr: the initial peak rate.
        train: ``train(data, name, lr, value, epochs=..., **train_args) -> (schedule, history)``
            (default :func:`train_on_schedule`).

    Returns:
        an ``ipywidgets.VBox``; ``.controls`` (dict: "schedule", "lr", "setting"), ``.output``
        (its ``outputs`` are the displayed PNG and summary), ``.figure`` and ``.results``.
    """
    import ipywidgets as widgets
    from IPython.display import Image

    v.choice("schedule", initial, SCHEDULES)
    train = train or train_on_schedule
    menu = widgets.Dropdown(options=list(SCHEDULES), value=initial, description="schedule")
    rate = widgets.FloatLogSlider(
        value=lr, base=10, min=-3, max=0, step=0.05, description="peak learning rate", continuous_update=False
    )
    setting = widgets.FloatSlider(continuous_update=False)
    output, fig, results = widgets.Output(), Figure(figsize=(10, 3.4)), {}

    def fit_setting(name):
        spec = SETTINGS[name]
        setting.disabled = spec is None
        if spec is None:
            setting.description = "(none)"
            return
        _, label, low, high, step, default = spec
        with setting.hold_trait_notifications():
            setting.min, setting.max = min(low, setting.min), max(high, setting.max)
            setting.step, setting.value, setting.min, setting.max = step, default, low, high
        setting.description = label

    def show(_=None):
        name = menu.value
        value = None if SETTINGS[name] is None else setting.value
        key = (name, rate.value, value)
        if key not in results:
            results[key] = train(data, name, rate.value, value, epochs=epochs, **train_args)
        schedule, hist = results[key]
        draw_run(fig, schedule, rate.value, hist)
        output.outputs = ()
        output.append_display_data(Image(data=_png(fig), format="png"))
        output.append_stdout(summary(schedule, rate.value, hist) + "\n" + PREFIX + describe(fig) + "\n")

    quiet = []  # non-empty while the setting slider is being refitted to a new schedule

    def on_schedule(_):
        quiet.append(True)
        try:
            fit_setting(menu.value)
        finally:
            quiet.clear()
        show()

    fit_setting(initial)
    menu.observe(on_schedule, names="value")
    rate.observe(show, names="value")
    setting.observe(lambda change: None if quiet or setting.disabled else show(), names="value")
    show()
    named(menu, rate, setting)
    box = widgets.VBox([widgets.HBox([menu, rate, setting]), output])
    box.controls = {"schedule": menu, "lr": rate, "setting": setting}
    box.output, box.figure, box.results = output, fig, results
    return box
