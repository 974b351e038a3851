"""The layer explorer of 01_unstable_gradients: pick a depth, width, activation and
initialiser, and see the per-layer activation histograms, gradient norms and saturation.

:func:`draw_layers` does the work (a plain function the tests call); :func:`layer_explorer`
wraps it in controls.
"""

import numpy as np

from coursekit.plots.unstable_gradients import deep_run
from coursekit.unstable_gradients import INITIALISERS, run_deep_net
from coursekit.widgets import interactive_figure

ACTIVATION_CHOICES = ("sigmoid", "tanh", "relu", "elu", "selu", "linear")


def draw_layers(depth, width, activation, init, *, x=None, seed=0):
    """Run a deep net (:func:`coursekit.unstable_gradients.run_deep_net`) and draw it.

    Args:
        depth, width: the net's hidden layers.
        activation: one of ``ACTIVATION_CHOICES``.
        init: a key of ``coursekit.unstable_gradients.INITIALISERS``.
        x: inputs (default: 256 standard-normal rows of 64 features, seeded).
        seed: seed of the weights.

    Returns:
        (figure, run): the figure and the :class:`DeepRun` it shows.
    """
    if x is None:
        x = np.random.default_rng(1234).standard_normal((256, 64))
    run = run_deep_net(x, depth=depth, width=width, activation=activation, init=init, rng=np.random.default_rng(seed))
    return deep_run(run), run


def layer_explorer(x=None):
    """Controls for depth, width, activation and initialiser that redraw :func:`draw_layers`.

    Returns:
        ``ipywidgets.interactive``; its ``result`` is the :class:`DeepRun` on display.
    """
    import ipywidgets as widgets

    return interactive_figure(
        lambda depth, width, activation, init: draw_layers(depth, width, activation, init, x=x),
        depth=widgets.IntSlider(value=30, min=2, max=60, description="depth (layers)"),
        width=widgets.IntSlider(value=32, min=8, max=256, step=8, description="width (units per layer)"),
        activation=widgets.Dropdown(options=ACTIVATION_CHOICES, value="sigmoid", description="activation"),
        init=widgets.Dropdown(options=list(INITIALISERS), value="standard_normal", description="init"),
    )
