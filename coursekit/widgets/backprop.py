"""The training explorer of 00_backprop: the two-layer net on digits, trained with the
student's own layers, for a learning rate and a hidden width picked with sliders.

Each setting trains once (a fraction of a second) and is remembered, so the right panel
collects every setting tried so far. :func:`draw_training` draws (a plain function the
tests call); :func:`training_explorer` wraps it in sliders.
"""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.training import one_thread, train_two_layer
from coursekit.widgets import interactive_figure

LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
HIDDEN_SIZES = (4, 8, 16, 32, 64, 128)
LOSS_CAP = 4.0
"""Losses above this (diverging runs) are drawn at the top of the loss panel."""


def diverged(hist):
    """True when training blew up: a loss that is not finite, or a last epoch whose mean loss
    is above the first step's (about ln 10 = 2.3, a uniform guess)."""
    loss = np.asarray(hist["loss"], dtype=np.float64)
    last_epoch = loss[-max(1, len(loss) // len(hist["val_acc"])) :]
    return not np.all(np.isfinite(loss)) or last_epoch.mean() > loss[0]


class Runs:
    """Training histories by (lr, hidden), trained on first use.

    Args:
        data: a :class:`coursekit.data.Split`.
        known: optional dict (lr, hidden) -> history already trained with these settings.
        **train_args: for :func:`coursekit.training.train_two_layer` (``epochs``,
            ``functions``, ``seed``...).
    """

    def __init__(self, data, *, known=None, **train_args):
        self.data, self.train_args = data, {"epochs": 8, **train_args, "progress": False}
        self.histories = dict(known or {})

    def __call__(self, lr, hidden):
        if (lr, hidden) not in self.histories:
            # one thread: tiny matrices, and a thread pool on a busy machine is many times slower;
            # a diverging run overflows, which is what it shows
            with one_thread(), np.errstate(all="ignore"):
                _, hist = train_two_layer(self.data, lr=lr, hidden=hidden, train_accuracy=False, **self.train_args)
            self.histories[(lr, hidden)] = hist
        return self.histories[(lr, hidden)]


def _capped(loss):
    return np.nan_to_num(np.minimum(np.asarray(loss, dtype=np.float64), LOSS_CAP), nan=LOSS_CAP)


def draw_training(histories, lr, hidden):
    """The loss of one setting, and the final validation accuracy of every setting tried.

    Args:
        histories: dict (lr, hidden) -> history of ``train_two_layer`` ("loss" per step,
            "val_acc" per epoch); must contain (lr, hidden).

    Returns:
        (figure, history of (lr, hidden)).
    """
    hist = histories[(lr, hidden)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.4))
    for (other_lr, other_hidden), other in histories.items():
        if (other_lr, other_hidden) != (lr, hidden) and other_hidden == hidden:
            left.plot(_capped(other["loss"]), color="0.75", lw=0.8)
    left.plot(_capped(hist["loss"]), color="C0", lw=1)
    state = "diverged" if diverged(hist) else f"validation accuracy {hist['val_acc'][-1]:.1%}"
    left.set(
        xlabel="step",
        ylabel="training loss",
        ylim=(0, LOSS_CAP * 1.3),
        title=f"lr {lr:g}, {hidden} hidden units: {state}",
    )
    left.text(
        0.98,
        0.97,
        f"grey: the other rates tried with {hidden} units\nlosses above {LOSS_CAP:g} drawn at {LOSS_CAP:g}",
        transform=left.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        color="0.4",
    )
    for i, width in enumerate(sorted({h for _, h in histories})):
        rates = sorted(r for r, h in histories if h == width)
        accs = [histories[(r, width)]["val_acc"][-1] for r in rates]
        right.plot(rates, accs, "o-", color=f"C{i}", label=f"{width} hidden")
    right.plot([lr], [hist["val_acc"][-1]], "r*", ms=15, zorder=3, label="on the left")
    right.axhline(0.1, color="k", ls=":", lw=1, label="chance")
    right.set(
        xscale="log",
        xlabel="learning rate",
        ylabel="final validation accuracy",
        ylim=(0, 1),
        xlim=(LEARNING_RATES[0] / 1.5, LEARNING_RATES[-1] * 1.5),
        title="every setting tried so far",
    )
    right.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig, hist


def training_explorer(data, *, functions=None, known=None, lr=0.1, hidden=64, **train_args):
    """Sliders for the learning rate and the hidden width of the two-layer net.

    Args:
        data: a :class:`coursekit.data.Split` (the digits).
        functions: the layer functions to train with (e.g. the student's), as for
            :func:`coursekit.training.train_two_layer`.
        known: optional dict (lr, hidden) -> history already trained with the same settings.
        lr, hidden: the setting shown first (one of ``LEARNING_RATES``, ``HIDDEN_SIZES``).
        **train_args: for ``train_two_layer`` (``epochs`` 8 by default, ``seed``...).

    Returns:
        ``ipywidgets.interactive``; ``.runs`` holds every history trained so far and
        ``.result`` is the history on display.
    """
    import ipywidgets as widgets

    if lr not in LEARNING_RATES or hidden not in HIDDEN_SIZES:
        raise ValueError(
            f"lr must be one of {LEARNING_RATES} and hidden one of {HIDDEN_SIZES}, got lr={lr}, hidden={hidden}"
        )
    runs = Runs(data, known=known, functions=functions, **train_args)

    def draw(lr, hidden):
        runs(lr, hidden)
        return draw_training(runs.histories, lr, hidden)

    box = interactive_figure(
        draw,
        lr=widgets.SelectionSlider(
            options=[(f"{r:g}", r) for r in LEARNING_RATES],
            value=lr,
            description="learning rate",
            continuous_update=False,
            style={"description_width": "initial"},
        ),
        hidden=widgets.SelectionSlider(
            options=HIDDEN_SIZES,
            value=hidden,
            description="hidden units",
            continuous_update=False,
            style={"description_width": "initial"},
        ),
    )
    box.runs = runs
    return box
