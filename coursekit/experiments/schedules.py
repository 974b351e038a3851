"""The experiments of 09_learning_rate_schedules (torch): Smith's learning-rate range test,
and one network per (schedule or clipping setting, seed) trained on the same budget.

The training itself is :func:`coursekit.training.fit` with its ``schedule``, ``clip_norm``
and ``step_stats`` arguments; what is here decides what to train and reads the results.
"""

import math
from dataclasses import dataclass

import numpy as np

from coursekit.schedules.rates import exponential_decay
from coursekit.training.scheduling import steps_per_epoch


@dataclass(frozen=True)
class RangeTest:
    """The result of :func:`range_test`; arrays hold one entry per step up to the divergence.

    Attributes:
        lrs: the rate of each step. losses: each step's training loss.
        smoothed: the bias-corrected exponential moving average of the losses.
        lr_at_min: the rate at which the smoothed loss is lowest: past it the rate is too
            large for the loss to fall (Smith's upper bound of a cycle).
        suggestion: lr_at_min / 10, fastai's choice of 1cycle's maximum rate.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    lr_at_min: float
    suggestion: float


def smooth(losses, beta=0.9):
    """Bias-corrected exponential moving average: ``avg_t / (1 - beta ** (t + 1))``; inf from
    the first non-finite loss on (a diverged run)."""
    if not 0 <= beta < 1:
        raise ValueError(f"beta must lie in [0, 1), got {beta}")
    out, avg = [], 0.0
    for t, loss in enumerate(np.asarray(losses, dtype=np.float64)):
        avg = beta * avg + (1 - beta) * loss if np.isfinite(loss) and np.isfinite(avg) else np.inf
        out.append(avg / (1 - beta ** (t + 1)))
    return np.array(out)


def read_range_test(lrs, losses, *, beta=0.9, diverged=4.0):
    """Smooth the losses, cut them where the smoothed loss exceeds ``diverged`` times its
    minimum so far (or stops being finite), and find the rate of the minimum."""
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    smoothed = smooth(losses, beta)
    best, stop = np.inf, len(smoothed)
    for t, value in enumerate(smoothed):
        if not np.isfinite(value) or value > diverged * best:
            stop = t
            break
        best = min(best, value)
    if stop < 2:
        raise ValueError("the loss diverged within two steps: start the range test at a smaller rate")
    lrs, losses, smoothed = lrs[:stop], losses[:stop], smoothed[:stop]
    at_min = float(lrs[int(np.argmin(smoothed))])
    return RangeTest(lrs, losses, smoothed, at_min, at_min / 10)


def range_test(
    data, model, *, start=1e-4, end=10.0, steps=150, batch_size=64, seed=0, beta=0.9, optimizer="momentum", **fit_args
):
    """Smith's learning-rate range test: train with a rate that grows exponentially from
    ``start`` to ``end`` (ExponentialLR with gamma > 1), one step per minibatch, and record
    every step's loss.

    Args:
        data: a :class:`coursekit.data.Split`. model: a fresh torch model (trained in place).
        start, end: the first and last rate (0 < start < end). steps: at least this many
            steps (rounded up to whole epochs). batch_size, seed, optimizer, **fit_args: for
            :func:`coursekit.training.fit`.
        beta: the smoothing of the losses.

    Returns:
        :class:`RangeTest`.
    """
    from coursekit.training import fit

    if not 0 < start < end or not math.isfinite(end):
        raise ValueError(f"start and end must satisfy 0 < start < end, got {start} and {end}")
    has_batchnorm = any(hasattr(m, "running_mean") for m in model.modules())
    per_epoch = steps_per_epoch(len(data.x_train), batch_size, skips_single=has_batchnorm)
    epochs = max(1, math.ceil(steps / per_epoch))
    n = epochs * per_epoch
    rates = exponential_decay(start, n, gamma=(end / start) ** (1 / max(n - 1, 1)))
    hist = fit(
        model,
        data,
        optimizer=optimizer,
        lr=start,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        schedule=rates,
        step_stats=True,
        train_accuracy=False,
        progress=False,
        **fit_args,
    )
    return read_range_test(hist["step_lr"], hist["step_loss"], beta=beta)


def train_runs(data, configs, *, build, seeds=(0, 1, 2), progress=True, **fit_args):
    """Train one fresh model per (configuration, seed) with :func:`coursekit.training.fit`.

    Args:
        data: a :class:`coursekit.data.Split`.
        configs: label -> dict of ``fit`` arguments (``lr``, ``schedule``, ``clip_norm``, ...).
        build: ``build(seed) -> model``: the initial weights come from the seed.
        seeds: one run per seed; the seed also orders the batches.
        **fit_args: ``fit`` arguments shared by every run (``epochs``, ``optimizer``, ...).

    Returns:
        label -> list of histories, one per seed.
    """
    from tqdm.auto import tqdm

    from coursekit.training import fit

    if not configs:
        raise ValueError("configs must hold at least one configuration")
    runs = [(label, seed) for label in configs for seed in seeds]
    results = {label: [] for label in configs}
    for label, seed in tqdm(runs, desc="training runs", disable=not progress):
        settings = {**fit_args, **configs[label], "seed": seed, "progress": False}
        results[label].append(fit(build(seed), data, **settings))
    return results


def final_spread(results, key="val_acc"):
    """label -> (mean, standard deviation, min, max) over seeds of each run's last ``key``."""
    summary = {}
    for label, histories in results.items():
        last = np.array([h[key][-1] for h in histories], dtype=np.float64)
        summary[label] = (float(np.mean(last)), float(np.std(last)), float(np.min(last)), float(np.max(last)))
    return summary
