"""Figures of 03_activations: the functions and their derivatives, training curves, and
per-layer statistics of deep nets."""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.optimizers import training_curves as seeded_curves
from coursekit.plots.unstable_gradients import per_layer


def functions(fns, *, z=None, axes=None, title=None):
    """Plot activation functions (left) and their derivatives (right).

    Args:
        fns: label -> (f, f_grad), each mapping an array to an array.
        z: points to evaluate at (default: 401 points on [-4, 4]).
        axes: two axes to draw on (default: a new figure).

    Returns:
        The figure.
    """
    z = np.linspace(-4, 4, 401) if z is None else np.asarray(z, dtype=float)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    for label, (f, f_grad) in fns.items():
        axes[0].plot(z, f(z), lw=1.6, label=label)
        axes[1].plot(z, f_grad(z), lw=1.6, label=label)
    for ax, what in zip(axes, ("f(z)", "f'(z)")):
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set(xlabel="z", ylabel=what)
        ax.legend(fontsize=8)
    axes[0].set_title(title or "activation functions")
    axes[1].set_title("derivatives")
    axes[0].figure.tight_layout()
    return axes[0].figure


def training_curves(histories, *, keys=("loss", "val_acc"), title=None):
    """Per-epoch curves of runs of ``coursekit.training.fit``, one panel per key.

    Args:
        histories: label -> history dict with per-epoch lists under ``keys``, or label ->
            list of such dicts (one per seed: the seeds are drawn thin, their mean thick).

    Returns:
        The figure.
    """
    runs = {label: list(h) if isinstance(h, (list, tuple)) else [h] for label, h in histories.items()}
    return seeded_curves(runs, keys=keys, title=title)


def layer_statistics(runs, *, title=None):
    """Mean and variance of each layer's activations for several deep runs.

    Args:
        runs: label -> :class:`coursekit.unstable_gradients.DeepRun`.

    Returns:
        The figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
    per_layer(
        {k: r.means for k, r in runs.items()}, ylabel="mean of a", ax=axes[0], reference=0.0, title="mean per layer"
    )
    per_layer(
        {k: r.variances for k, r in runs.items()},
        ylabel="Var[a]",
        log=True,
        ax=axes[1],
        reference=1.0,
        title="variance per layer",
    )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def dead_units(counts, *, title="units that never fire"):
    """Bars of the fraction of units that never fire per hidden layer, one group per model.

    Args:
        counts: label -> list of (never firing, width) per hidden layer, as returned by
            :func:`coursekit.experiments.activations.dead_units`.

    Returns:
        The figure.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    width = 0.8 / max(1, len(counts))
    n_layers = max(len(layers) for layers in counts.values())
    highest = 0.0
    for k, (label, layers) in enumerate(counts.items()):
        fractions = [dead / total for dead, total in layers]
        highest = max([highest, *fractions])
        ax.bar(
            np.arange(1, len(fractions) + 1) + (k - (len(counts) - 1) / 2) * width, fractions, width=width, label=label
        )
    ax.set_xticks(range(1, n_layers + 1))
    ax.set(xlabel="hidden layer", ylabel="fraction never firing", ylim=(0, max(0.5, 1.1 * highest)), title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
