"""Figures of 10_beyond_the_notes. Each function draws one experiment of
:mod:`coursekit.beyond` and returns the figure."""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.palette import BLUE, GREY, ORANGE
from coursekit.plots.regularization import decision_boundary


def decay_rates(rates, *, title="decay per step against the gradient's size (first layer)"):
    """Each weight's decay per step (fraction of the weight) against its gradient RMS.

    Args:
        rates: label -> (rms, rate), flat arrays from :func:`coursekit.beyond.decay.relative_decay`.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for label, (rms, rate) in rates.items():
        keep = rms > 0
        ax.scatter(rms[keep], rate[keep], s=3, alpha=0.4, label=label)
    ax.set(xscale="log", yscale="log", xlabel="gradient RMS, sqrt(v_hat)", ylabel="decay per step / |w|", title=title)
    ax.legend(fontsize=8, markerscale=4)
    fig.tight_layout()
    return fig


def decay_sweep(results, labels):
    """Validation accuracy (mean and seeds) and weight norm against each kind's decay strength.

    Args:
        results: from :func:`coursekit.beyond.decay.sweep`. labels: kind -> axis label.
    """
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.4), squeeze=False)
    for ax, (kind, r) in zip(axes[0], results.items()):
        strengths, acc = np.asarray(r["strength"]), r["accuracy"]
        ax.plot(strengths, acc, "o", color=BLUE, alpha=0.4)
        ax.plot(strengths, acc.mean(axis=1), "-", color=BLUE, label="validation accuracy")
        ax.set(xscale="log", xlabel=f"{labels[kind]}: weight_decay", ylabel="validation accuracy")
        twin = ax.twinx()
        twin.plot(strengths, r["norm"].mean(axis=1), "s--", color=ORANGE, label="weight norm")
        twin.set_ylabel("norm of all weights", color=ORANGE)
        ax.set_title(labels[kind], fontsize=10)
    fig.tight_layout()
    return fig


def step_lengths(lengths, *, bound=None, window=None, title="step length after a rare large gradient"):
    """Step lengths (in units of lr) of several optimizers on the same gradient stream."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    steps = np.arange(1, len(next(iter(lengths.values()))) + 1)
    for label, values in lengths.items():
        ax.plot(steps, values, lw=1.2, label=label)
    if bound is not None:
        ax.axhline(bound, color="k", ls=":", lw=1, label=f"Adam's bound {bound:.2f} lr")
    ax.axhline(1, color=GREY, ls="--", lw=1, label="lr")
    if window is not None:
        ax.set_xlim(*window)
    ax.set(yscale="log", xlabel="step", ylabel="|step| / lr", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def seeds_by_setting(values, *, ylabel, title=None, ax=None):
    """One column of points per setting (one point per seed) and its mean as a bar."""
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 + 1.5 * len(values), 3.4))
    for i, v in enumerate(values.values()):
        v = np.asarray(v, dtype=float)
        ax.bar(i, v.mean(), color=BLUE, alpha=0.3)
        ax.plot(np.full(v.shape, i), v, "o", color=BLUE)
    ax.set_xticks(range(len(values)), list(values), rotation=15, fontsize=8)
    ax.set(ylabel=ylabel, title=title)
    ax.figure.tight_layout()
    return ax.figure


def mean_curves(curves, *, ylabel="validation accuracy", title=None, level=None):
    """Mean over seeds (line) and the seeds' range (band) of per-epoch curves.

    Args:
        curves: label -> (seeds, epochs) array.
        level: an optional horizontal reference line.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, values in curves.items():
        values = np.asarray(values)
        epochs = np.arange(1, values.shape[1] + 1)
        ax.plot(epochs, values.mean(axis=0), lw=1.6, label=label)
        ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), alpha=0.15)
    if level is not None:
        ax.axhline(level, color="k", ls=":", lw=1)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def uncertainty_maps(split, xx, yy, mean, spread, *, title=None, figure=None):
    """MC dropout on the plane: the mean P(class 1) and its spread over the masks.

    Args:
        figure: a matplotlib Figure to draw into (the widget's); a new pyplot figure if None.
    """
    if figure is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    else:
        fig, axes = figure, figure.subplots(1, 2)
    decision_boundary(split, (xx, yy, mean), ax=axes[0], title="mean P(class 1) over the masks")
    image = axes[1].contourf(xx, yy, spread, levels=12, cmap="viridis")
    axes[1].scatter(*split.x_train.T, c="w", s=8, edgecolors="k", linewidths=0.4)
    axes[1].set(xticks=[], yticks=[], title="spread (std) over the masks")
    fig.colorbar(image, ax=axes[1])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def boundaries(split, grids, *, ncols=None):
    """Decision boundaries of several settings side by side, titled with their validation error.

    Args:
        grids: label -> (grid, history), the history with "val_error".
    """
    ncols = ncols or len(grids)
    fig, axes = plt.subplots(1, ncols, figsize=(3.2 * ncols, 3.2), squeeze=False)
    for ax, (label, (grid, hist)) in zip(axes[0], grids.items()):
        decision_boundary(split, grid, ax=ax, title=f"{label}\nvalidation error {hist['val_error'][-1]:.1%}")
    fig.tight_layout()
    return fig
