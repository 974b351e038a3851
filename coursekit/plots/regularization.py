"""Figures of 06_regularization: bias-variance curves, weight histograms, validation error
against λ, and decision boundaries with training curves on moons."""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.palette import BLUE, GREY, ORANGE

COLOURS = {"bias2": BLUE, "variance": ORANGE, "total": "black", "noise": GREY}


def _axes(ax, ncols=1, width=5.0, height=3.4):
    if ax is not None:
        return ax.figure, ax
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, axes[0] if ncols > 1 else axes[0][0]


def bias_variance_curve(
    capacities, bias2, variance, *, noise_var=0.0, xlabel="capacity", title=None, log=True, log_x=False, ax=None
):
    """bias², variance and their sum (+ the noise variance, the expected test error).

    Args:
        capacities: x values, e.g. polynomial degrees or hidden widths.
        bias2, variance: one value per capacity.
        noise_var: σ² of the label noise, which no model can remove.
        log, log_x: logarithmic y and x axes.
    """
    bias2, variance = np.asarray(bias2, float), np.asarray(variance, float)
    if bias2.shape != variance.shape or bias2.shape != (len(capacities),):
        raise ValueError("capacities, bias2 and variance must have the same length")
    fig, ax = _axes(ax)
    ax.plot(capacities, bias2, "o-", color=COLOURS["bias2"], label="bias²")
    ax.plot(capacities, variance, "s-", color=COLOURS["variance"], label="variance")
    total = bias2 + variance + noise_var
    ax.plot(capacities, total, "k^-", lw=2, label="bias² + variance + σ²" if noise_var else "bias² + variance")
    if noise_var:
        ax.axhline(noise_var, color=COLOURS["noise"], ls="--", label="σ² (noise)")
    best = int(np.argmin(total))
    ax.plot([capacities[best]], [total[best]], "r*", ms=14, label="lowest expected error")
    if log:
        ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log", base=2)
        ax.set_xticks(capacities, [str(c) for c in capacities])
    ax.set(xlabel=xlabel, ylabel="squared error", title=title or "bias-variance trade-off")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def ensemble_fits(
    x_test, target, predictions, *, capacities, label="degree", x_train=None, y_train=None, max_curves=20, ylim=(-2, 2)
):
    """A panel per capacity: the true function, many fitted models and their mean.

    Args:
        predictions: dict capacity -> (S, P) predictions at ``x_test``.
        capacities: which keys of ``predictions`` to show.
        x_train, y_train: optional first training set, drawn as points.
    """
    fig, axes = plt.subplots(1, len(capacities), figsize=(3.6 * len(capacities), 3), sharey=True, squeeze=False)
    for ax, capacity in zip(axes[0], capacities):
        preds = predictions[capacity]
        ax.plot(x_test, preds[:max_curves].T, color=ORANGE, lw=0.7, alpha=0.5)
        ax.plot(x_test, preds.mean(axis=0), color=BLUE, lw=2, label="mean model")
        ax.plot(x_test, target, "k--", lw=1.5, label="true F*")
        if x_train is not None:
            ax.plot(x_train, y_train, "k.", ms=5)
        ax.set(title=f"{label} {capacity}", ylim=ylim, xlabel="x")
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def weight_histograms(weights, *, bins=41, limit=None):
    """Side-by-side histograms of weight vectors, with the count of exact zeros in each title.

    Args:
        weights: dict label -> 1-D array of weights.
    """
    limit = limit or max(float(np.abs(w).max()) for w in weights.values())
    edges = np.linspace(-limit, limit, bins)
    fig, axes = plt.subplots(1, len(weights), figsize=(3.6 * len(weights), 3), sharey=True, squeeze=False)
    for ax, (label, w) in zip(axes[0], weights.items()):
        w = np.asarray(w)
        ax.hist(w, bins=edges, color=BLUE, alpha=0.8)
        ax.axvline(0, color="k", lw=0.5)
        ax.set(title=f"{label}\n{int(np.sum(w == 0))} of {w.size} exactly 0", xlabel="weight")
    axes[0][0].set_ylabel("count")
    fig.tight_layout()
    return fig


def validation_curves(lams, errors, *, ylabel="validation MSE", baseline=None, ax=None):
    """Validation error against λ (log scale) for each labelled curve.

    Args:
        errors: dict label -> one error per λ.
        baseline: optional error without regularisation, drawn as a horizontal line.
    """
    fig, ax = _axes(ax)
    for label, err in errors.items():
        err = np.asarray(err, float)
        (line,) = ax.plot(lams, err, "o-", ms=3, label=label)
        best = int(np.nanargmin(err))
        ax.plot(lams[best], err[best], "*", ms=12, color=line.get_color())
    if baseline is not None:
        ax.axhline(baseline, color=GREY, ls="--", label="λ = 0")
    ax.set(xscale="log", xlabel="λ", ylabel=ylabel, title=f"{ylabel} against λ")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def decision_boundary(split, grid, *, ax=None, title=None):
    """Class-1 probability over the plane, the training points (large) and validation (small).

    Args:
        split: a :class:`coursekit.data.Split` of 2-D points.
        grid: ``(xx, yy, prob)`` from
            :func:`coursekit.experiments.regularization.class_probability_grid`.
    """
    xx, yy, prob = grid
    fig, ax = _axes(ax, width=3.6, height=3.4)
    ax.contourf(xx, yy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
    ax.contour(xx, yy, prob, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(*split.x_val.T, c=split.y_val, cmap="bwr", s=5, alpha=0.35)
    ax.scatter(*split.x_train.T, c=split.y_train, cmap="bwr", s=30, edgecolors="k", linewidths=0.8)
    ax.set(xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()), xticks=[], yticks=[])
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def compare_classifiers(split, results):
    """Decision boundaries (top row) and training/validation curves (bottom row).

    Args:
        results: dict label -> (grid, history), where grid is ``(xx, yy, prob)`` and history
            comes from :func:`coursekit.experiments.regularization.train_classifier`.
    """
    n = len(results)
    fig, axes = plt.subplots(2, n, figsize=(3.6 * n, 6.6), squeeze=False)
    top = max(max(h["val_loss"]) for _, h in results.values())
    for col, (label, (grid, hist)) in enumerate(results.items()):
        title = f"{label}\nval error {hist['val_error'][-1]:.1%}, train {hist['train_error'][-1]:.1%}"
        decision_boundary(split, grid, ax=axes[0][col], title=title)
        ax = axes[1][col]
        ax.plot(hist["step"], hist["train_loss"], label="training loss")
        ax.plot(hist["step"], hist["val_loss"], label="validation loss")
        ax.set(xlabel="step", ylim=(0, min(top, 4.0) * 1.05))
        if col == 0:
            ax.set_ylabel("cross-entropy (eval mode)")
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
