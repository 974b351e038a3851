"""The optimizer race of 05_optimizers: five optimizers, one learning rate, one surface.

:func:`race` computes the paths, :func:`draw_race` draws them, and :func:`optimizer_race`
wraps both in sliders for the learning rate and the momentum (the momentum slider sets
the momentum of heavy-ball and Nesterov; RMSProp and Adam keep torch's defaults).
"""

from coursekit import _validate as v
from coursekit.optimizers import landscapes
from coursekit.plots.optimizers import contours
from coursekit.widgets import interactive_figure

RACERS = {"SGD": "sgd", "momentum": "momentum", "Nesterov": "nesterov", "RMSProp": "rmsprop", "Adam": "adam"}


def race(lr, momentum, surface="bowl", steps=60):
    """Paths of every racer from the surface's start, all with the same learning rate.

    Args:
        lr: learning rate of every racer (> 0).
        momentum: momentum of the heavy-ball and Nesterov racers, in [0, 1).
        surface: a key of ``landscapes.SURFACES`` ("bowl" or "rosenbrock").
        steps: number of updates.

    Returns:
        (surface, paths): the Surface, and racer label -> (k, 2) path (shorter if it diverged).
    """
    v.choice("surface", surface, landscapes.SURFACES)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    chosen = landscapes.SURFACES[surface]()
    paths = {}
    for label, name in RACERS.items():
        hyper = {"lr": lr, "momentum": momentum} if name in ("momentum", "nesterov") else {"lr": lr}
        paths[label] = landscapes.trajectory(*landscapes.optimizer(name), chosen, steps=steps, **hyper)
    return chosen, paths


def draw_race(lr, momentum, surface="bowl", steps=60, ax=None):
    """Draw :func:`race` on the surface's contours.

    Returns:
        (figure, final costs): racer label -> cost at its last point (inf if it diverged).
    """
    chosen, paths = race(lr, momentum, surface, steps)
    finals = {}
    for label, path in paths.items():
        cost = float(chosen.value(path[-1]))
        finals[label] = cost if len(path) == steps + 1 and cost == cost else float("inf")
    labelled = {
        f"{label}: {'diverged' if finals[label] == float('inf') else format(finals[label], '.2g')}": path
        for label, path in paths.items()
    }
    title = f"{chosen.name}: lr={lr:.3g}, momentum={momentum:.2f}, {steps} steps"
    figure = contours(chosen, labelled, ax=ax, title=title)
    return figure, finals


def optimizer_race(steps=60):
    """An interactive race: sliders for lr (log scale) and momentum, a surface menu.

    Returns:
        ``ipywidgets.interactive``; its ``result`` is the dict of final costs.
    """
    import ipywidgets as widgets

    return interactive_figure(
        lambda lr, momentum, surface: draw_race(lr, momentum, surface, steps),
        lr=widgets.FloatLogSlider(value=0.05, base=10, min=-3.5, max=0, step=0.05, description="learning rate"),
        momentum=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="momentum β"),
        surface=widgets.Dropdown(options=list(landscapes.SURFACES), value="bowl", description="cost surface"),
    )
