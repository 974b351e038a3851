"""The experiments of 04_batch_normalization, as functions the notebook calls.

- Deep MLPs on digits with and without BatchNorm (the from-scratch
  :class:`~coursekit.batchnorm.torch_ref.BatchNorm1d`): training curves, a learning-rate
  sweep and a sweep over initialisations.
- :func:`train_mode_accuracy`: what happens when a model stays in training mode at test time.
- :func:`running_statistics_trace`: how the running averages approach the population
  statistics, for a batch size and a momentum (used by the widget).

Everything is seeded and small, so the notebook runs in seconds on a CPU.
"""

import copy
import math

import numpy as np

from coursekit.batchnorm import numpy_ref
from coursekit.training import one_thread

LABELS = {False: "without BatchNorm", True: "with BatchNorm"}


def deep_mlp(data, *, batchnorm, depth=8, width=32, activation="sigmoid", init="glorot_uniform", seed=0):
    """``depth`` hidden layers of ``width`` units, with the from-scratch BatchNorm1d if asked."""
    from coursekit.batchnorm.torch_ref import BatchNorm1d
    from coursekit.training import build_mlp

    sizes = [data.n_features] + [width] * depth + [data.n_classes]
    return build_mlp(
        sizes, activation=activation, init=init, batchnorm=batchnorm, layers={"batchnorm": BatchNorm1d}, seed=seed
    )


def _fit(model, data, *, epochs, lr, optimizer, batch_size, seed, progress):
    from coursekit.training import fit

    return fit(
        model,
        data,
        optimizer=optimizer,
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        device="cpu",
        seed=seed,
        progress=progress,
    )


@one_thread()
def with_and_without(data, *, epochs=6, lr=0.1, optimizer="sgd", batch_size=64, seed=0, progress=True, **model_args):
    """Train the same deep MLP without and with BatchNorm.

    Returns:
        (histories, models): dicts keyed by "without BatchNorm" and "with BatchNorm".
    """
    histories, models = {}, {}
    for batchnorm, label in LABELS.items():
        models[label] = deep_mlp(data, batchnorm=batchnorm, seed=seed, **model_args)
        histories[label] = _fit(
            models[label],
            data,
            epochs=epochs,
            lr=lr,
            optimizer=optimizer,
            batch_size=batch_size,
            seed=seed,
            progress=progress,
        )
    return histories, models


def _final_accuracy(history):
    value = history["val_acc"][-1]
    return value if math.isfinite(history["loss"][-1]) else float("nan")


def _sweep(data, name, values, *, fit_args, model_args, progress):
    """Final validation accuracy without and with BatchNorm for each value of "lr" or "init"."""
    from tqdm.auto import tqdm

    runs = [(batchnorm, value) for batchnorm in LABELS for value in values]
    results = {label: [] for label in LABELS.values()}
    for batchnorm, value in tqdm(runs, desc=f"{name} sweep", disable=not progress):
        fit_settings = {**fit_args, "lr": value} if name == "lr" else fit_args
        model_settings = {**model_args, "init": value} if name == "init" else model_args
        model = deep_mlp(data, batchnorm=batchnorm, seed=fit_args["seed"], **model_settings)
        results[LABELS[batchnorm]].append(_final_accuracy(_fit(model, data, progress=False, **fit_settings)))
    return results


@one_thread()
def learning_rate_sweep(data, lrs, *, epochs=2, optimizer="sgd", batch_size=64, seed=0, progress=True, **model_args):
    """Final validation accuracy for each learning rate, without and with BatchNorm.

    Returns:
        dict label -> list of accuracies, one per lr (nan where the loss diverged).
    """
    fit_args = {"epochs": epochs, "optimizer": optimizer, "batch_size": batch_size, "seed": seed}
    return _sweep(data, "lr", lrs, fit_args=fit_args, model_args=model_args, progress=progress)


def largest_trainable_lr(lrs, accuracies, threshold=0.5):
    """The largest learning rate whose accuracy reaches ``threshold`` (None if none does)."""
    good = [lr for lr, acc in zip(lrs, accuracies) if math.isfinite(acc) and acc >= threshold]
    return max(good) if good else None


@one_thread()
def init_sweep(data, inits, *, epochs=3, lr=0.1, optimizer="sgd", batch_size=64, seed=0, progress=True, **model_args):
    """Final validation accuracy for each initialiser (a name in ``training.INITIALISERS``).

    Returns:
        dict label -> list of accuracies, one per initialiser.
    """
    fit_args = {"epochs": epochs, "lr": lr, "optimizer": optimizer, "batch_size": batch_size, "seed": seed}
    return _sweep(data, "init", inits, fit_args=fit_args, model_args=model_args, progress=progress)


@one_thread()
def train_mode_accuracy(model, x, y, batch_sizes, *, seed=0):
    """Test accuracy in eval mode, and in training mode for each test batch size.

    In training mode every BatchNorm layer normalises each test batch with that batch's own
    statistics, so a prediction depends on the other examples in its batch. The model is
    copied, so its running statistics are left alone.

    Args:
        model: a trained torch model with BatchNorm layers.
        x, y: test inputs (M, D) and integer labels (M,), NumPy.
        batch_sizes: test batch sizes, each >= 2 (a batch of one has no variance).

    Returns:
        dict with "eval" (one accuracy) and "train" (one accuracy per batch size).
    """
    import torch

    if min(batch_sizes) < 2:
        raise ValueError(f"batch_sizes must all be >= 2 (a batch of one has no variance), got {list(batch_sizes)}")
    dtype = next(model.parameters()).dtype
    xt, yt = torch.as_tensor(x, dtype=dtype), torch.as_tensor(y)
    order = np.random.default_rng(seed).permutation(len(x))
    probe = copy.deepcopy(model)
    with torch.no_grad():
        eval_acc = (probe.eval()(xt).argmax(1) == yt).double().mean().item()
        probe.train()
        train_acc = []
        for b in batch_sizes:
            chunks = np.array_split(order, max(1, len(x) // b))  # sizes b..2b-1, never 1
            correct = sum(int((probe(xt[idx]).argmax(1) == yt[idx]).sum()) for idx in chunks)
            train_acc.append(correct / len(x))
    return {"eval": eval_acc, "train": train_acc}


def running_statistics_trace(batch_size, momentum, *, steps=200, features=64, true_mean=2.0, true_std=3.0, rng):
    """Running mean and variance over training steps, on batches from N(true_mean, true_std²).

    The running statistics start at torch's 0 and 1 and are updated with the reference
    :func:`~coursekit.batchnorm.numpy_ref.batchnorm_forward`; a second running variance is
    updated with the biased batch variance, for comparison.

    Args:
        batch_size: examples per batch, >= 2.
        momentum: torch's momentum (weight of the new batch statistic).
        steps: number of training steps.
        features: independent features, each one trial of the same experiment.
        rng: numpy.random.Generator.

    Returns:
        dict of (steps, features) arrays "mean", "var" (unbiased updates) and "var_biased",
        plus the floats "true_mean" and "true_var".
    """
    gamma, beta = np.ones(features), np.zeros(features)
    running_mean, running_var, biased = np.zeros(features), np.ones(features), np.ones(features)
    trace = {"mean": [], "var": [], "var_biased": []}
    for _ in range(steps):
        x = true_mean + true_std * rng.standard_normal((batch_size, features))
        _, _, running_mean, running_var = numpy_ref.batchnorm_forward(
            x, gamma, beta, running_mean, running_var, momentum=momentum
        )
        biased = (1 - momentum) * biased + momentum * x.var(axis=0)
        for key, value in zip(trace, (running_mean, running_var, biased)):
            trace[key].append(value)
    return {**{k: np.array(v) for k, v in trace.items()}, "true_mean": true_mean, "true_var": true_std**2}


def running_statistics_error(trace, *, last=0.25):
    """Root-mean-square relative error of the running variance over the last steps.

    Returns:
        dict "unbiased" and "biased": RMS of (running_var / true_var - 1) over the last
        ``last`` fraction of the steps and all features.
    """
    start = int(len(trace["var"]) * (1 - last))
    return {
        name: float(np.sqrt(np.mean((trace[key][start:] / trace["true_var"] - 1) ** 2)))
        for name, key in (("unbiased", "var"), ("biased", "var_biased"))
    }
