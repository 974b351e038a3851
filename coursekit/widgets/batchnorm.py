"""Widget of 04_batch_normalization: batch size and momentum against the error of the
running statistics."""

import numpy as np

from coursekit.widgets import interactive_figure

BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128)


def draw_running_statistics(batch_size=8, momentum=0.1, *, steps=200, seed=0):
    """Simulate the running averages for a batch size and a momentum, and plot them.

    Returns:
        (figure, errors): the matplotlib Figure, and the RMS relative error of the running
        variance over the last quarter of the steps, ``{"unbiased": float, "biased": float}``
        (the figure's suptitle gives both).
    """
    from coursekit.experiments import batchnorm as experiments
    from coursekit.plots import batchnorm as plots

    trace = experiments.running_statistics_trace(batch_size, momentum, steps=steps, rng=np.random.default_rng(seed))
    errors = experiments.running_statistics_error(trace)
    fig = plots.running_statistics(trace)
    fig.suptitle(
        f"batch size {batch_size}, momentum {momentum:.3g} (decay {1 - momentum:.3g}): RMS relative error "
        f"of the running variance {errors['unbiased']:.3f} (unbiased), {errors['biased']:.3f} (biased)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig, errors


def running_statistics_widget(steps=200):
    """Sliders for the batch size and the momentum; the figure follows them.

    Returns:
        an ``ipywidgets.interactive``; ``.children[:2]`` are the sliders, ``.out`` shows the
        figure and ``.result`` is the errors dict of :func:`draw_running_statistics`.
    """
    import ipywidgets as w

    batch = w.SelectionSlider(options=BATCH_SIZES, value=8, description="batch size (examples)")
    momentum = w.FloatLogSlider(
        value=0.1, base=10, min=-3, max=0, step=0.25, description="momentum (weight of each new batch)"
    )
    return interactive_figure(
        lambda batch_size, momentum: draw_running_statistics(batch_size, momentum, steps=steps),
        batch_size=batch,
        momentum=momentum,
    )
