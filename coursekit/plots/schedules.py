"""Figures of 09_learning_rate_schedules: schedule curves, the range test, and training with
and without gradient clipping, step by step."""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.palette import GREEN, VERMILLION


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def schedules(curves, *, momenta=None, log=False, ax=None, title="learning rate per step"):
    """One line per schedule: the rate of each step.

    Args:
        curves: label -> (n_steps,) array of rates.
        momenta: optional label -> (n_steps,) momenta, drawn dashed on a second y axis.
        log: a log-scaled rate axis.
        ax: axes to draw on (default: a new figure).

    Returns:
        The figure.
    """
    if not curves:
        raise ValueError("curves must hold at least one schedule")
    ax = _axes(ax, (7, 3.4))
    for label, rates in curves.items():
        ax.plot(np.arange(len(rates)), rates, lw=1.6, label=label)
    ax.set(xlabel="step", ylabel="learning rate", title=title)
    if log:
        ax.set_yscale("log")
    if momenta:
        twin = ax.twinx()
        for label, values in momenta.items():
            twin.plot(np.arange(len(values)), values, ls="--", lw=1.2, color="k", label=f"{label}: momentum")
        twin.set_ylabel("momentum (dashed)")
        twin.legend(fontsize=8, loc="center right")
    ax.legend(fontsize=8, loc="upper right")
    ax.figure.tight_layout()
    return ax.figure


def range_test(result, *, ax=None, title="learning-rate range test"):
    """The range test's losses against the rate (log scale), raw and smoothed, with the rate
    of the lowest smoothed loss and the suggested maximum rate marked.

    Args:
        result: a :class:`coursekit.experiments.schedules.RangeTest`.
    """
    ax = _axes(ax, (6, 3.4))
    ax.plot(result.lrs, result.losses, lw=0.8, alpha=0.4, label="loss of each step")
    ax.plot(result.lrs, result.smoothed, lw=2, label="smoothed")
    ax.axvline(result.lr_at_min, color=VERMILLION, ls="--", lw=1, label=f"lowest smoothed loss: {result.lr_at_min:.2g}")
    ax.axvline(result.suggestion, color=GREEN, ls=":", lw=1.5, label=f"one tenth of it: {result.suggestion:.2g}")
    ax.set_xscale("log")
    top = float(np.nanmax(result.smoothed[: max(3, len(result.smoothed) // 10)]))
    ax.set(xlabel="learning rate (grows every step)", ylabel="training loss", title=title, ylim=(0, 1.3 * top))
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def clipping(runs, *, clip_norm=None, title=None):
    """Per-step training loss and gradient norm (before clipping), one line per run.

    Args:
        runs: label -> history with "step_loss" and "step_grad_norm" (``fit(step_stats=True)``).
        clip_norm: draw the clipping threshold on the gradient-norm panel.

    Returns:
        The figure (two panels, log-scaled y).
    """
    if not runs:
        raise ValueError("runs must hold at least one history")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    for label, hist in runs.items():
        steps = np.arange(1, len(hist["step_loss"]) + 1)
        left.plot(steps, hist["step_loss"], lw=0.9, label=label)
        right.plot(steps, hist["step_grad_norm"], lw=0.9, label=label)
    if clip_norm is not None:
        right.axhline(clip_norm, color="k", ls="--", lw=1, label=f"threshold max_norm = {clip_norm:g}")
    left.set(yscale="log", xlabel="step", ylabel="training loss (batch)", title="loss per step")
    right.set(yscale="log", xlabel="step", ylabel="‖gradient‖ before clipping", title="global gradient norm per step")
    for ax in (left, right):
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
