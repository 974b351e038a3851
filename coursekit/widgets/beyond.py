"""Widgets of 10_beyond_the_notes: a slider for the number of MC dropout masks, and one for
the max-norm radius.

Both render into an ``ipywidgets.Output`` by setting its outputs (a text line and the
figure as a PNG), so what they show can be read back from ``box.output.outputs`` without a
kernel, and is exactly what the notebook displays.
"""

import io

import numpy as np
from matplotlib.figure import Figure

from coursekit.plots.describe import PREFIX, describe
from coursekit.widgets import named

RADII = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
SAMPLES = (1, 2, 5, 10, 20, 50, 100)


def _show(output, text, fig):
    """Replace ``output``'s content with a text line and the figure as a PNG."""
    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    output.outputs = ()
    output.append_stdout(text + "\n")
    output.append_display_data(Image(data=buffer.getvalue(), format="png"))
    output.append_stdout(PREFIX + describe(fig) + "\n")


def _box(slider, output, **attributes):
    import ipywidgets as widgets

    named(slider)
    box = widgets.VBox([slider, output])
    box.slider, box.output = slider, output
    for name, value in attributes.items():
        setattr(box, name, value)
    return box


def mc_summary(probabilities, samples, distance_edges, distance):
    """(mean P(class 1), spread, text) over the first ``samples`` masks.

    Args:
        probabilities: (T, P) class-1 probabilities of P grid points under T masks.
        distance_edges: (near, far): the text compares points nearer than ``near`` to the
            training data with points farther than ``far``.
        distance: (P,) each point's distance to the nearest training point.
    """
    chosen = probabilities[:samples]
    mean, spread = chosen.mean(axis=0), chosen.std(axis=0)
    near, far = distance_edges
    text = (
        f"{samples} mask(s): mean spread {spread[distance < near].mean():.3f} within {near:g} of the training "
        f"points, {spread[distance > far].mean():.3f} farther than {far:g}"
    )
    return mean, spread, text


def mc_dropout_explorer(model, split, *, samples=SAMPLES, resolution=50, seed=0, edges=(0.25, 1.5)):
    """A slider for the number of dropout masks averaged; the mean prediction and its spread
    on the plane follow it.

    The masks are drawn once (``max(samples)`` of them, from ``seed``); each setting uses the
    first T, so moving the slider only averages more or fewer of the same masks.

    Returns:
        a VBox with ``.slider``, ``.output`` and ``.probabilities`` (T, resolution²).
    """
    import ipywidgets as widgets

    from coursekit.beyond import uncertainty
    from coursekit.experiments.regularization import plane_limits
    from coursekit.plots.beyond import uncertainty_maps

    xx, yy, points = uncertainty.grid(*plane_limits(split), resolution)
    probabilities = uncertainty.mc_probabilities(model, points, max(samples), seed=seed)[:, :, 1]
    distance = np.sqrt(((points[:, None, :] - split.x_train[None]) ** 2).sum(-1)).min(axis=1)
    slider = widgets.SelectionSlider(
        options=list(samples),
        value=samples[len(samples) // 2],
        description="dropout masks T (samples)",
        continuous_update=False,
    )
    output = widgets.Output()

    def show(_=None):
        mean, spread, text = mc_summary(probabilities, slider.value, edges, distance)
        fig = uncertainty_maps(
            split,
            xx,
            yy,
            mean.reshape(xx.shape),
            spread.reshape(xx.shape),
            title=f"MC dropout, T = {slider.value}",
            figure=Figure(figsize=(9.5, 3.8)),
        )
        _show(output, text, fig)

    slider.observe(show, names="value")
    show()
    return _box(slider, output, probabilities=probabilities, distance=distance)


def max_norm_explorer(split, *, radii=RADII, known=None, train=None, initial=None, **train_args):
    """A slider for the max-norm radius: the decision boundary on moons and the validation
    error of every radius tried so far (each trained once, on first use).

    Args:
        split: a moons :class:`coursekit.data.Split`.
        known: optional dict radius -> (grid, history) already computed.
        train: ``train(split, max_norm=r, **train_args) -> (grid, history)``; by default
            :func:`coursekit.beyond.maxnorm.train_and_grid`.

    Returns:
        a VBox with ``.slider``, ``.output`` and ``.sweep``.
    """
    import ipywidgets as widgets

    from coursekit.widgets.regularization import Sweep, draw_sweep

    if train is None:
        from coursekit.beyond.maxnorm import train_and_grid as train
    sweep = Sweep(split, "max_norm", known=known, train=train, **train_args)
    radii = tuple(float(r) for r in radii)
    initial = radii[len(radii) // 2] if initial is None else float(initial)
    if initial not in radii:
        raise ValueError(f"initial must be one of {radii}, got {initial}")
    slider = widgets.SelectionSlider(
        options=[(f"{r:g}", r) for r in radii], value=initial, description="max-norm radius r", continuous_update=False
    )
    output = widgets.Output()

    def show(_=None):
        grid, hist = sweep.result(slider.value)
        fig = draw_sweep(
            Figure(figsize=(9.5, 3.8)), split, sweep.results, slider.value, label="max-norm radius", log_x=True
        )
        text = (
            f"radius {slider.value:g}: validation error {hist['val_error'][-1]:.1%}, "
            f"largest incoming-weight norm {hist['largest_unit_norm'][-1]:.3g}"
        )
        _show(output, text, fig)

    slider.observe(show, names="value")
    show()
    return _box(slider, output, sweep=sweep)
