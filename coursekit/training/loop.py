"""The training loop both backends share: :func:`coursekit.training.fit` (torch) and
:func:`coursekit.training.fit_numpy` (NumPy) differ only in how they run one epoch.

:func:`check_run` checks the arguments they have in common, :func:`new_history` lays out
the one history type (a dict of per-epoch lists, the same keys for both backends),
:class:`EarlyStopping` keeps the best weights, and :func:`run` drives the epochs: the
learning-rate plumbing (:class:`~coursekit.training.scheduling.RunRates`), the records,
the progress bar and early stopping. A backend hands :func:`run` a trainer with three
methods: ``train_epoch(rates, momenta) -> Epoch``, ``snapshot()`` and ``restore(state)``.
"""

import math
import time
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from coursekit._validate import positive_number

EPOCH_KEYS = ("loss", "val_loss", "train_acc", "val_acc", "lr", "epoch_seconds", "steps")
STEP_KEYS = ("step_lr", "step_loss", "step_grad_norm")


def check_run(*, epochs, batch_size, lr):
    """Check the run's length, batch size and learning rate."""
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    positive_number("lr", lr)


def new_history(device, *, grad_norms=False, step_stats=False):
    """An empty history: a list per epoch record, and ``"device"`` (a string).

    Keys: "loss" (mean training loss per epoch), "val_loss", "train_acc" (empty without
    ``train_accuracy``), "val_acc", "lr" (the rate of each epoch's last step),
    "epoch_seconds", "steps" (optimizer steps per epoch); "grad_norms" (epochs x layers)
    with ``grad_norms``; "step_lr", "step_loss", "step_grad_norm" (one per step, the norm
    before clipping) with ``step_stats``.
    """
    history = {key: [] for key in EPOCH_KEYS}
    history["device"] = str(device)
    if grad_norms:
        history["grad_norms"] = []
    if step_stats:
        history.update({key: [] for key in STEP_KEYS})
    return history


@dataclass
class Epoch:
    """What a backend measured in one epoch, as Python floats.

    ``train_acc`` and ``grad_norms`` are None when not asked for; ``lr`` is the rate the
    optimizer ended with, read back under a constant rate (None: the schedule's).
    """

    loss: float
    val_loss: float
    val_acc: float
    train_acc: float | None = None
    grad_norms: list | None = None
    step_loss: list = field(default_factory=list)
    step_grad_norm: list = field(default_factory=list)
    lr: float | None = None


class EarlyStopping:
    """Stop after ``patience`` epochs without a better validation loss (None: never), and
    keep a snapshot of the best weights."""

    def __init__(self, patience):
        self.patience, self.best, self.best_loss, self.since_best = patience, None, math.inf, 0

    def stop_after(self, val_loss, snapshot):
        """Record an epoch's validation loss (``snapshot()`` if it is the best); True to stop."""
        if self.patience is None:
            return False
        if val_loss < self.best_loss:
            self.best, self.best_loss, self.since_best = snapshot(), val_loss, 0
            return False
        self.since_best += 1
        return self.since_best > self.patience

    def restore(self, restore):
        """Put the best weights back with ``restore(snapshot)``, if there is one."""
        if self.best is not None:
            restore(self.best)


def record(history, epoch, *, rates, rate, steps):
    """Append one :class:`Epoch` (with its step ``rates`` and last ``rate``) to ``history``."""
    for key in ("loss", "val_loss", "val_acc"):
        history[key].append(getattr(epoch, key))
    if epoch.train_acc is not None:
        history["train_acc"].append(epoch.train_acc)
    if "grad_norms" in history:
        history["grad_norms"].append(epoch.grad_norms)
    if "step_lr" in history:
        history["step_lr"] += rates
        history["step_loss"] += epoch.step_loss
        history["step_grad_norm"] += epoch.step_grad_norm
    history["lr"].append(rate)
    history["steps"].append(steps)


def run(trainer, run_rates, history, *, epochs, patience=None, progress=True, desc="training"):
    """Train for ``epochs`` epochs (fewer with early stopping); returns ``history``, filled.

    Args:
        trainer: the backend (see the module's docstring).
        run_rates: a :class:`~coursekit.training.scheduling.RunRates` for the run.
        history: from :func:`new_history`.
        epochs: the most epochs to run.
        patience: early stopping's (None: none); the best weights are restored at the end.
        progress: show a tqdm progress bar with ``desc``.
    """
    stopping = EarlyStopping(patience)
    bar = tqdm(range(epochs), desc=desc, disable=not progress)
    for index in bar:
        start_time = time.perf_counter()
        rates, momenta = run_rates.epoch(index)
        epoch = trainer.train_epoch(rates, momenta)
        rate = epoch.lr if run_rates.constant and epoch.lr is not None else run_rates.last_rate(index)
        record(history, epoch, rates=rates, rate=rate, steps=run_rates.steps_per_epoch)
        run_rates.end_epoch(index, epoch.val_loss)
        history["epoch_seconds"].append(time.perf_counter() - start_time)
        bar.set_postfix(loss=f"{epoch.loss:.3f}", val_acc=f"{epoch.val_acc:.3f}", lr=f"{rate:.3g}")
        if stopping.stop_after(epoch.val_loss, trainer.snapshot):
            break
    stopping.restore(trainer.restore)
    return history
