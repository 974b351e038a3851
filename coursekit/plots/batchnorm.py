"""Figures of 04_batch_normalization: training curves, sweeps, training mode at test time,
and running statistics."""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.palette import BLUE, GREEN, GREY, VERMILLION

COLOURS = {"without BatchNorm": GREY, "with BatchNorm": BLUE}


def _colour(label):
    return COLOURS.get(label)


def training_curves(histories, *, title="deep MLP on digits"):
    """Training loss and validation accuracy per epoch, one line per history.

    Args:
        histories: dict label -> history from :func:`coursekit.training.fit`.
    """
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.2))
    for label, hist in histories.items():
        epochs = np.arange(1, len(hist["loss"]) + 1)
        ax_loss.plot(epochs, hist["loss"], marker="o", label=label, color=_colour(label))
        ax_acc.plot(epochs, hist["val_acc"], marker="o", label=label, color=_colour(label))
    ax_loss.set(xlabel="epoch", ylabel="training loss", title=title)
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1), title="validation accuracy")
    ax_acc.legend()
    fig.tight_layout()
    return fig


def learning_rate_sweep(lrs, results, *, threshold=None):
    """Final validation accuracy against the learning rate (log scale); nan means diverged.

    Args:
        lrs: learning rates.
        results: dict label -> accuracies, one per lr.
        threshold: optional accuracy drawn as a dotted line ("still trains").
    """
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for label, accs in results.items():
        accs = np.asarray(accs, dtype=float)
        (line,) = ax.semilogx(lrs, accs, marker="o", label=label, color=_colour(label))
        diverged = ~np.isfinite(accs)
        if diverged.any():
            ax.plot(np.asarray(lrs)[diverged], np.zeros(diverged.sum()), "x", ms=10, color=line.get_color())
    if threshold is not None:
        ax.axhline(threshold, ls=":", color="k", lw=1)
    ax.set(
        xlabel="learning rate (SGD)",
        ylabel="validation accuracy",
        ylim=(-0.03, 1),
        title="largest learning rate that still trains (x: diverged)",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def init_sensitivity(inits, results):
    """Grouped bars: final validation accuracy per initialiser, without and with BatchNorm."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    width = 0.8 / max(1, len(results))
    positions = np.arange(len(inits))
    for i, (label, accs) in enumerate(results.items()):
        accs = np.nan_to_num(np.asarray(accs, dtype=float), nan=0.0)
        ax.bar(positions + (i - (len(results) - 1) / 2) * width, accs, width, label=label, color=_colour(label))
    ax.set_xticks(positions, inits)
    ax.set(ylabel="validation accuracy", ylim=(0, 1), title="sensitivity to the initialisation (0: diverged)")
    ax.legend()
    fig.tight_layout()
    return fig


def train_mode_at_test(batch_sizes, result):
    """Test accuracy in training mode against the test batch size, with eval mode for reference."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.semilogx(batch_sizes, result["train"], marker="o", base=2, label="model.train(): batch statistics")
    ax.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    ax.minorticks_off()
    ax.axhline(result["eval"], color=GREEN, ls="--", label="model.eval(): running statistics")
    ax.set(xlabel="test batch size", ylabel="test accuracy", ylim=(0, 1), title="forgetting model.eval() at test time")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def running_statistics(trace, *, axes=None, title=None):
    """Running mean and running variance over the steps, against the population values.

    Args:
        trace: from :func:`coursekit.experiments.batchnorm.running_statistics_trace`.
        axes: optional pair of axes to draw on (they are cleared).
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    else:
        fig = axes[0].figure
        for ax in axes:
            ax.clear()
    steps = np.arange(1, len(trace["mean"]) + 1)
    ax_mean, ax_var = axes
    features = ax_mean.plot(steps, trace["mean"][:, :8], lw=0.8, alpha=0.7, color=BLUE, ls="-")
    features[0].set_label("each feature")
    ax_mean.axhline(trace["true_mean"], color="k", ls="--", label="population mean")
    ax_mean.set(xlabel="training step", ylabel="running mean", title="running mean (8 features)")
    ax_mean.legend(loc="lower right")
    for key, label, colour, style in (
        ("var", "unbiased update (torch)", BLUE, "-"),
        ("var_biased", "biased update", VERMILLION, "--"),
    ):
        values = trace[key]
        ax_var.plot(steps, values.mean(axis=1), color=colour, ls=style, label=label)
        low, high = np.percentile(values, [10, 90], axis=1)
        ax_var.fill_between(steps, low, high, color=colour, alpha=0.15)
    ax_var.axhline(trace["true_var"], color="k", ls="--", label="population variance")
    ax_var.set(xlabel="training step", ylabel="running variance", title=title or "running variance (mean, 10-90% band)")
    ax_var.legend(loc="lower right")
    fig.tight_layout()
    return fig
