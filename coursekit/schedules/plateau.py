"""Performance scheduling (Géron's name): lower the rate when a metric stops improving,
equal to ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

The scheduler is a small state machine, so it is written as one: :func:`plateau_init` and
:func:`plateau_step` (used per epoch by the training loops), and :func:`reduce_on_plateau`,
which runs it over a whole metric history.
"""

import math
from typing import NamedTuple

import numpy as np

from coursekit import _validate as v
from coursekit.schedules import _checks as check


class PlateauState(NamedTuple):
    """The scheduler's memory: the current rate, the best metric so far, the epochs without
    an improvement, and the epochs of cooldown left."""

    lr: float
    best: float
    num_bad_epochs: int
    cooldown_counter: int


def plateau_init(lr0, *, mode="min"):
    """The state before the first epoch: rate lr0, and the worst possible best metric."""
    v.choice("mode", mode, ("min", "max"))
    return PlateauState(v.non_negative("lr0", lr0), math.inf if mode == "min" else -math.inf, 0, 0)


def _improves(metric, best, mode, threshold, threshold_mode):
    if threshold_mode == "rel":
        return metric < best * (1.0 - threshold) if mode == "min" else metric > best * (threshold + 1.0)
    return metric < best - threshold if mode == "min" else metric > best + threshold


def _hyperparameters(mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps):
    return {
        "mode": v.choice("mode", mode, ("min", "max")),
        "factor": check.in_range("factor", factor, 0, 1, high_open=True),
        "patience": check.integer("patience", patience, minimum=0),
        "threshold": v.non_negative("threshold", threshold),
        "threshold_mode": v.choice("threshold_mode", threshold_mode, ("rel", "abs")),
        "cooldown": check.integer("cooldown", cooldown, minimum=0),
        "min_lr": v.non_negative("min_lr", min_lr),
        "eps": v.non_negative("eps", eps),
    }


def _step(state, metric, h):
    lr, best, bad, cooldown = state
    if _improves(metric, best, h["mode"], h["threshold"], h["threshold_mode"]):
        best, bad = metric, 0
    else:
        bad += 1
    if cooldown > 0:  # bad epochs during the cooldown do not count
        cooldown, bad = cooldown - 1, 0
    if bad > h["patience"]:
        lowered = max(lr * h["factor"], h["min_lr"])
        if lr - lowered > h["eps"]:  # torch ignores a reduction smaller than eps
            lr = lowered
        cooldown, bad = h["cooldown"], 0
    return PlateauState(lr, best, bad, cooldown)


def plateau_step(
    state,
    metric,
    *,
    mode="min",
    factor=0.1,
    patience=10,
    threshold=1e-4,
    threshold_mode="rel",
    cooldown=0,
    min_lr=0.0,
    eps=1e-8,
):
    """One ``ReduceLROnPlateau.step(metric)``: the state after an epoch that scored ``metric``.

    The new state's ``lr`` is the rate of the next epoch. See :func:`reduce_on_plateau` for
    the hyperparameters.
    """
    if not isinstance(state, PlateauState):
        raise TypeError(f"state must be the PlateauState that plateau_init returns, got {type(state).__name__}")
    h = _hyperparameters(mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps)
    if state.best == (-math.inf if h["mode"] == "min" else math.inf):
        other = "max" if h["mode"] == "min" else "min"
        raise ValueError(
            f"mode={h['mode']!r}, but state comes from plateau_init(..., mode={other!r}); give both the same mode"
        )
    return _step(state, _metric(metric), h)


def _metric(metric):
    """One epoch's metric as a float (nan allowed: it never improves)."""
    if isinstance(metric, (bool, np.bool_)) or np.ndim(metric) != 0:
        raise TypeError(f"metric must be one real number, got {type(metric).__name__} {np.shape(metric)}")
    try:
        return float(metric)
    except (TypeError, ValueError):
        raise TypeError(f"metric must be one real number, got {type(metric).__name__} {metric!r:.40}") from None


def reduce_on_plateau(
    lr0,
    metrics,
    *,
    mode="min",
    factor=0.1,
    patience=10,
    threshold=1e-4,
    threshold_mode="rel",
    cooldown=0,
    min_lr=0.0,
    eps=1e-8,
):
    """The rate of each epoch when ``ReduceLROnPlateau`` is stepped with each epoch's metric.

    ``lrs[i]`` is the rate used *during* epoch i, whose metric is ``metrics[i]``: lrs[0] is
    lr0, and metrics[i] decides lrs[i + 1] (the last metric decides the epoch after the
    history, which is not returned).

    An epoch *improves* when its metric beats the best so far by more than the threshold:
    ``m < best (1 - threshold)`` ("min", "rel"), ``m < best - threshold`` ("min", "abs"), and
    the mirror images for "max". After more than ``patience`` epochs in a row without an
    improvement the rate becomes ``max(lr factor, min_lr)`` (unless that lowers it by no more
    than eps), and the next ``cooldown`` epochs count as neither good nor bad. A nan metric
    never improves.

    Args:
        lr0: the first epoch's rate (>= 0).
        metrics: 1-D sequence of the epochs' metrics (e.g. validation losses), at least one.
        mode: "min" (lower is better) or "max". factor: in [0, 1).
        patience: epochs without improvement that are tolerated (int >= 0).
        threshold: the improvement that counts (>= 0). threshold_mode: "rel" or "abs".
        cooldown: epochs to wait after a reduction (int >= 0). min_lr: the floor (>= 0).
        eps: the smallest reduction applied (>= 0), torch's 1e-8.

    Returns:
        (len(metrics),) float64 array.
    """
    h = _hyperparameters(mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps)
    try:
        history = np.asarray(metrics, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"metrics must be a 1-D sequence of numbers, got {type(metrics).__name__}") from None
    if history.ndim != 1 or history.size == 0:
        raise ValueError(f"metrics must be a non-empty 1-D sequence, got shape {history.shape}")
    state, rates = plateau_init(lr0, mode=mode), []
    for metric in history.tolist():
        rates.append(state.lr)
        state = _step(state, metric, h)
    return np.array(rates, dtype=np.float64)
