"""Matplotlib figures shared by the notebooks; topic-specific figures live in submodules
(``coursekit.plots.<topic>``).

Importing it makes :mod:`coursekit.plots.palette` matplotlib's default (colours that survive
colour blindness, paired with line styles); :func:`describe` and :func:`caption` give every
figure a text alternative (:mod:`coursekit.plots.describe`).
"""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots import palette

# Re-exported: coursekit.plots.caption and coursekit.plots.describe.
from coursekit.plots.describe import caption as caption
from coursekit.plots.describe import describe as describe

palette.use()


def history(hist, *, title=None, ax=None):
    """Plot a training history: loss per step (and accuracies per epoch when present).

    Args:
        hist: dict with "loss" (per step) and optionally "train_acc"/"val_acc" (per epoch).
    """
    if "loss" not in hist:
        raise ValueError("hist must have a 'loss' entry")
    accuracies = [k for k in ("train_acc", "val_acc") if hist.get(k)]
    if ax is None:
        ncols = 2 if accuracies else 1
        fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 3.2), squeeze=False)
        ax_loss, ax_acc = axes[0][0], (axes[0][1] if accuracies else None)
    else:
        fig, ax_loss, ax_acc = ax.figure, ax, None
    ax_loss.plot(np.asarray(hist["loss"]), lw=1)
    ax_loss.set(xlabel="step", ylabel="loss", title=title or "training loss")
    if ax_acc is not None:
        for key in accuracies:
            ax_acc.plot(np.arange(1, len(hist[key]) + 1), hist[key], marker="o", label=key)
        ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="accuracy")
        ax_acc.legend()
    fig.tight_layout()
    return fig
