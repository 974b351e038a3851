"""Figures of 05_optimizers: trajectories on cost contours and training curves."""

import matplotlib.pyplot as plt
import numpy as np


def contours(surface, paths, *, ax=None, title=None, levels=20):
    """Draw optimizer paths over the log-spaced cost contours of a 2-D surface.

    Args:
        surface: a :class:`coursekit.optimizers.landscapes.Surface`.
        paths: label -> (k, 2) array of points, e.g. from ``landscapes.trajectory``.
        ax: axes to draw on (default: a new figure).
        title: axes title (default: the surface's name).
        levels: number of contour levels.

    Returns:
        The figure.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    xs = np.linspace(*surface.xlim, 200)
    ys = np.linspace(*surface.ylim, 200)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    costs = surface.value(grid)
    low = max(float(costs.min()), 1e-3 * float(costs.max()), 1e-4)
    ax.contour(xs, ys, costs, levels=np.geomspace(low, costs.max(), levels), cmap="Greys", linewidths=0.6)
    for label, path in paths.items():
        path = np.asarray(path)
        marker = "." if len(path) <= 100 else None
        ax.plot(path[:, 0], path[:, 1], marker=marker, markersize=3, lw=1.2, label=label)
    ax.plot(*surface.minimum, marker="*", color="k", markersize=12, linestyle="none")
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="x", ylabel="y", title=title or surface.name)
    if paths:
        ax.legend(fontsize=8, loc="best")
    return ax.figure


def training_curves(results, *, keys=("loss", "val_loss"), baseline=None, title=None):
    """Per-epoch curves of several optimizers, one panel per history key.

    Args:
        results: label -> list of history dicts (one per seed), as ``coursekit.training.fit``
            returns them; seeds are drawn thin, their mean thick.
        keys: history entries to plot, one panel each.
        baseline: optional (value, label) drawn as a dashed horizontal line on every panel.
        title: figure title.

    Returns:
        The figure.
    """
    if not results:
        raise ValueError("results must hold at least one optimizer")
    fig, axes = plt.subplots(1, len(keys), figsize=(4.8 * len(keys), 3.3), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, key in zip(axes[0], keys):
        for colour, (label, histories) in zip(colours * 4, results.items()):
            runs = [np.asarray(h[key], dtype=float) for h in histories]
            length = min(len(r) for r in runs)
            epochs = np.arange(1, length + 1)
            for run in runs:
                ax.plot(epochs, run[:length], color=colour, lw=0.6, alpha=0.4)
            ax.plot(epochs, np.mean([r[:length] for r in runs], axis=0), color=colour, lw=2, label=label)
        if baseline is not None:
            ax.axhline(baseline[0], color="k", ls="--", lw=1, label=baseline[1])
        ax.set(xlabel="epoch", ylabel=key, title=key)
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
