"""The activation explorer of 03_activations: one activation, its derivative, and its alpha.

:func:`draw_activation` draws (a plain function the tests call); :func:`activation_explorer`
wraps it in controls.
"""

import functools

from coursekit import _validate as v
from coursekit.activations import FUNCTIONS
from coursekit.plots.activations import functions
from coursekit.widgets import interactive_figure

TAKES_ALPHA = ("leaky_relu", "elu")


def chosen(name, alpha=None):
    """(f, f') for an activation name, with ``alpha`` bound for leaky ReLU and ELU."""
    v.choice("activation", name, FUNCTIONS)
    f, f_grad = FUNCTIONS[name]
    if name in TAKES_ALPHA and alpha is not None:
        return functools.partial(f, alpha=alpha), functools.partial(f_grad, alpha=alpha)
    return f, f_grad


def draw_activation(name, alpha=None, *, compare_relu=True):
    """Plot one activation and its derivative (with ReLU for comparison).

    Returns:
        (figure, label): the figure and the curve's label.
    """
    label = name if name not in TAKES_ALPHA or alpha is None else f"{name} (alpha={alpha:g})"
    fns = {label: chosen(name, alpha)}
    if compare_relu and name != "relu":
        fns["relu"] = chosen("relu")
    return functions(fns, title=label), label


def activation_explorer():
    """An activation menu and an alpha slider, active only for the activations that take
    alpha (leaky ReLU and ELU); for the others it is greyed out.

    Returns:
        ``ipywidgets.interactive``; its ``result`` is the label of the curve on display.
    """
    import ipywidgets as widgets

    name = widgets.Dropdown(options=list(FUNCTIONS), value="elu", description="activation")
    alpha = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05, description="α (slope or scale for z < 0)")

    def follow(change):
        alpha.disabled = change["new"] not in TAKES_ALPHA

    name.observe(follow, names="value")
    follow({"new": name.value})
    return interactive_figure(draw_activation, name=name, alpha=alpha)
