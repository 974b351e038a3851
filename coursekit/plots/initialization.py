"""Figures of 02_initialization: weight distributions and signal propagation through depth."""

import math

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.unstable_gradients import per_layer

__all__ = ["per_layer", "uniform_vs_normal", "variance_grid"]


def uniform_vs_normal(w_uniform, w_normal, *, bins=80, ax=None):
    """Histograms of a uniform and a normal weight matrix with the same variance.

    Marks the normal's standard deviation sigma and the uniform's bound r = sqrt(3) sigma.

    Returns:
        The figure.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    sigma = float(np.std(w_normal))
    span = 4.5 * sigma
    for w, label in ((w_uniform, "uniform"), (w_normal, "normal")):
        ax.hist(
            np.ravel(w),
            bins=bins,
            range=(-span, span),
            density=True,
            histtype="step",
            lw=1.5,
            label=f"{label}: std {np.std(w):.4f}",
        )
    for x, text in ((sigma, "σ"), (math.sqrt(3) * sigma, "r = √3 σ")):
        ax.axvline(x, color="k", lw=0.8, ls="--")
        ax.text(x, ax.get_ylim()[1] * 0.95, f" {text}", va="top", fontsize=9)
    ax.set(xlabel="weight", ylabel="density", title="same variance, different shapes")
    ax.legend(fontsize=8, loc="upper left")
    return ax.figure


def variance_grid(table, *, title="log10 Var[a] at the last layer", ax=None, clip=20.0):
    """Heatmap of a (row label, column label) -> value table, as log10, with the values written in.

    Args:
        table: dict mapping (row, column) to a positive number.
        clip: the colour scale saturates at +-clip (the written values do not).

    Returns:
        The figure.
    """
    rows = list(dict.fromkeys(r for r, _ in table))
    cols = list(dict.fromkeys(c for _, c in table))
    grid = np.array([[math.log10(max(table.get((r, c), np.nan), 1e-300)) for c in cols] for r in rows])
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * len(cols) + 2, 0.55 * len(rows) + 1.5))
    limit = min(clip, max(1.0, float(np.nanmax(np.abs(grid)))))
    image = ax.imshow(np.clip(grid, -limit, limit), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    ax.figure.tight_layout()
    return ax.figure
