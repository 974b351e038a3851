"""Figures of 08_default_configuration: training curves, per-layer gradient norms and the
ablation table."""

import matplotlib.pyplot as plt
import numpy as np


def curves(histories, *, keys=("loss", "val_acc"), title=None):
    """Per-epoch curves of several training runs, one panel per key.

    Args:
        histories: label -> history dict of :func:`coursekit.training.fit` (or
            :func:`~coursekit.training.fit_numpy`), with per-epoch lists under ``keys``.

    Returns:
        The figure.
    """
    if not histories:
        raise ValueError("histories must be a non-empty dict label -> history")
    names = {
        "loss": "training loss",
        "val_loss": "validation loss",
        "val_acc": "validation accuracy",
        "train_acc": "training accuracy",
    }
    fig, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys), 3.2), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for label, hist in histories.items():
            if key not in hist:
                raise ValueError(f"history {label!r} has no {key!r}")
            ax.plot(np.arange(1, len(hist[key]) + 1), hist[key], marker=".", label=label)
        ax.set(xlabel="epoch", ylabel=names.get(key, key))
        if key.endswith("loss"):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def gradient_norms(histories, *, epoch=0, title="weight-gradient norm per layer"):
    """Each dense layer's mean weight-gradient norm in one epoch, one line per run.

    Args:
        histories: label -> history recorded with ``grad_norms=True``.
        epoch: which epoch (0: the first, where the differences are largest).

    Returns:
        The figure.
    """
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for label, hist in histories.items():
        if "grad_norms" not in hist:
            raise ValueError(f"history {label!r} was recorded without grad_norms=True")
        norms = hist["grad_norms"][epoch]
        ax.plot(np.arange(1, len(norms) + 1), norms, marker="o", label=label)
    ax.set(
        xlabel="layer (1 = next to the input)",
        ylabel="mean ||dL/dW||",
        yscale="log",
        title=f"{title}, epoch {epoch + 1}",
    )
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def per_layer(values, *, ylabel, reference=None, log=True, title=None):
    """One line per run of a per-layer quantity.

    Args:
        values: label -> list of values, first layer first.
        ylabel: what the values are.
        reference: draw a dashed horizontal line at this value.

    Returns:
        The figure.
    """
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for label, vals in values.items():
        ax.plot(np.arange(1, len(vals) + 1), vals, marker="o", label=label)
    if reference is not None:
        ax.axhline(reference, color="k", lw=0.8, ls="--")
    ax.set(xlabel="hidden layer", ylabel=ylabel, yscale="log" if log else "linear", title=title)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ablation(rows, *, title="ablation: one component replaced at a time"):
    """Horizontal bars of the validation accuracy of each row of an ablation table.

    Args:
        rows: list of dicts with "label", "val_acc" and optionally "val_acc_std" (the rows
            of :func:`coursekit.training.defaults.run_ablation`); the first is the reference.

    Returns:
        The figure.
    """
    if not rows:
        raise ValueError("rows must be a non-empty list")
    labels = [row["label"] for row in rows]
    accs = np.array([row["val_acc"] for row in rows])
    errs = np.array([row.get("val_acc_std", 0.0) for row in rows])
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    ax.barh(y, accs, xerr=errs, color=["C0"] + ["C1"] * (len(rows) - 2) + ["C3"] * (len(rows) > 1), alpha=0.8)
    ax.axvline(accs[0], color="k", lw=0.8, ls="--")
    ax.set_yticks(y, labels)
    low = max(0.0, float(np.min(accs - errs)) - 0.05)
    ax.set(xlim=(low, 1.0), xlabel="validation accuracy (mean ± std over seeds)", title=title)
    fig.tight_layout()
    return fig
