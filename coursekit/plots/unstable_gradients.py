"""Figures of 01_unstable_gradients: a deep net seen layer by layer."""

import matplotlib.pyplot as plt
import numpy as np


def pick_layers(depth, count=6):
    """About ``count`` evenly spaced layer indices (0-based) from the first to the last."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    return sorted({int(round(i)) for i in np.linspace(0, depth - 1, min(count, depth))})


def activation_histograms(activations, *, layers=None, bins=60, value_range=None, ax=None, title=None):
    """Overlaid normalised histograms of chosen layers' activations (Glorot & Bengio, fig. 6).

    Args:
        activations: list of L arrays, a_1..a_L.
        layers: 0-based layer indices to draw (default: about six, evenly spaced).
        bins: number of bins.
        value_range: (low, high) of the histograms (default: the values' 1st to 99th
            percentile over the chosen layers, widened to include 0).
        ax: axes to draw on (default: a new figure).

    Returns:
        The figure.
    """
    layers = pick_layers(len(activations)) if layers is None else list(layers)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.4))
    if value_range is None:
        chosen = np.concatenate([np.ravel(activations[i]) for i in layers])
        low, high = np.percentile(chosen, [1, 99])
        value_range = (min(low, 0.0), max(high, 0.0)) if high > low else (low - 1, high + 1)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(layers)))
    for colour, i in zip(colours, layers):
        ax.hist(
            np.ravel(activations[i]),
            bins=bins,
            range=value_range,
            density=True,
            histtype="step",
            color=colour,
            lw=1.4,
            label=f"layer {i + 1}",
        )
    ax.set(xlabel="activation value", ylabel="density", title=title or "activations per layer")
    ax.legend(fontsize=8, ncol=2)
    return ax.figure


def per_layer(series, *, ylabel, log=False, ax=None, title=None, reference=None):
    """Line plot of per-layer values, layer 1 (next to the input) on the left.

    Args:
        series: label -> (L,) values; or a single (L,) array.
        ylabel: what the values are.
        log: log-scaled y axis (for gradient norms and variances).
        reference: optional y value drawn as a dashed line (e.g. 1 for a variance).

    Returns:
        The figure.
    """
    if not isinstance(series, dict):
        series = {None: series}
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", lw=1.2, label=label)
    if reference is not None:
        ax.axhline(reference, color="k", lw=0.8, ls="--")
    if log:
        ax.set_yscale("log")
        _at_least_two_decades(ax, [np.asarray(v, dtype=float) for v in series.values()])
    ax.set(xlabel="layer (1 = next to the input)", ylabel=ylabel, title=title)
    if any(label is not None for label in series):
        ax.legend(fontsize=8)
    return ax.figure


def _at_least_two_decades(ax, arrays):
    """Widen a log axis to span 100x at least, so that a level curve looks level."""
    values = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in arrays])
    if values.size and values.max() / values.min() < 100:
        centre = np.sqrt(values.max() * values.min())
        ax.set_ylim(centre / 10, centre * 10)


def deep_run(run, *, title=None):
    """Three panels for one :class:`coursekit.unstable_gradients.DeepRun`: activation
    histograms, gradient norms per layer, and the fraction of saturated units.

    Returns:
        The figure.
    """
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    activation_histograms(run.activations, ax=axes[0])
    per_layer(run.grad_norms, ylabel="‖dL/dW‖", log=True, ax=axes[1], title="gradient norm per layer")
    if run.saturation is not None:
        per_layer(run.saturation, ylabel="fraction saturated", ax=axes[2], title="saturated units")
        axes[2].set_ylim(-0.02, 1.02)
    else:
        per_layer(run.variances, ylabel="Var[a]", log=True, ax=axes[2], title="activation variance")
    fig.suptitle(title or f"{run.activation}, {run.init} weights, {len(run.activations)} layers")
    fig.tight_layout()
    return fig
