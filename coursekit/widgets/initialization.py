"""The propagation explorer of 02_initialization: an activation, an initialiser and a gain,
and the forward (activation variance) and backward (gradient variance) signal per layer.

:func:`propagate` measures, :func:`draw_propagation` draws, :func:`propagation_explorer`
wraps both in controls.
"""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.unstable_gradients import per_layer
from coursekit.unstable_gradients import INITIALISERS, run_deep_net
from coursekit.widgets import interactive_figure

ACTIVATION_CHOICES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "linear")


def propagate(activation, init, gain=1.0, *, depth=50, width=100, batch=128, seed=0):
    """Propagate a standard-normal batch through ``depth`` layers, forward and back.

    Returns:
        :class:`coursekit.unstable_gradients.DeepRun` (no labels: the backward pass starts
        from a random ``dL/da_L``).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    return run_deep_net(x, depth=depth, width=width, activation=activation, init=init, gain=gain, rng=rng)


def draw_propagation(activation, init, gain=1.0, *, depth=50, width=100, seed=0):
    """Two panels: Var[a_l] (forward) and Var[dL/dz_l] (backward) per layer, log scale.

    Returns:
        (figure, run).
    """
    run = propagate(activation, init, gain, depth=depth, width=width, seed=seed)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
    per_layer(run.variances, ylabel="Var[a]", log=True, ax=axes[0], title="forward: activation variance")
    per_layer(run.delta_variances, ylabel="Var[dL/dz]", log=True, ax=axes[1], title="backward: gradient variance")
    fig.suptitle(f"{activation}, {init} x {gain:.3g}, {depth} layers of {width}")
    fig.tight_layout()
    return fig, run


def propagation_explorer(depth=50, width=100):
    """Controls for activation, initialiser and gain that redraw :func:`draw_propagation`.

    Returns:
        ``ipywidgets.interactive``; its ``result`` is the :class:`DeepRun` on display.
    """
    import ipywidgets as widgets

    return interactive_figure(
        lambda activation, init, gain: draw_propagation(activation, init, gain, depth=depth, width=width),
        activation=widgets.Dropdown(options=ACTIVATION_CHOICES, value="tanh", description="activation"),
        init=widgets.Dropdown(options=list(INITIALISERS), value="glorot_uniform", description="init"),
        gain=widgets.FloatLogSlider(
            value=1.0, base=2, min=-2, max=2.5, step=0.05, description="gain (× the init's std)"
        ),
    )
