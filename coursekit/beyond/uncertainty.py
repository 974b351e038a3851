"""Monte Carlo dropout (Gal & Ghahramani, 2016): keep dropout on at test time, average the
predictions over many masks, and read their spread as the model's uncertainty.

- :func:`mc_probabilities`: the class probabilities under T dropout masks, (T, N, C).
- :func:`expected_calibration_error` and :func:`nll`: how far confidence is from accuracy.
- :func:`calibration`: deterministic (eval-mode) against MC-averaged predictions on the
  digits, over seeds.
- :func:`spread_by_distance`: the MC spread on a grid, by distance to the training data.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from coursekit.beyond import nets
from coursekit.training import one_thread


@one_thread()
@torch.no_grad()
def mc_probabilities(model, x, samples, *, seed=0):
    """Softmax outputs under ``samples`` dropout masks (dropout on, everything else in eval
    mode), drawn from a generator seeded with ``seed``; the model's modes are restored.

    Returns:
        float64 array (samples, N, C).
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive int, got {samples!r}")
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    if not dropouts:
        raise ValueError("model has no nn.Dropout layer: MC dropout needs one")
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    was_training = model.training
    model.eval()
    for m in dropouts:
        m.train()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            probs = torch.stack([F.softmax(model(x), dim=1) for _ in range(samples)])
    finally:
        model.train(was_training)
    return probs.double().numpy()


@torch.no_grad()
def eval_probabilities(model, x):
    """Softmax outputs in eval mode (dropout off: the usual prediction), float64 (N, C)."""
    was_training = model.training
    model.eval()
    probs = F.softmax(model(torch.as_tensor(np.asarray(x), dtype=torch.float32)), dim=1).double().numpy()
    model.train(was_training)
    return probs


def expected_calibration_error(probs, y, bins=10):
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their size."""
    probs, y = np.asarray(probs), np.asarray(y)
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def nll(probs, y):
    """Mean negative log-likelihood of the true labels."""
    probs, y = np.asarray(probs), np.asarray(y)
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12))))


def calibration(
    split, *, seeds=(0, 1, 2), samples=30, n_train=300, hidden=(128, 128), p_drop=0.1, epochs=40, lr=3e-3, progress=True
):
    """Eval-mode against MC-dropout predictions on the test digits, for nets trained with dropout.

    Returns:
        dict "eval"/"mc" -> {"accuracy", "nll", "ece", "overconfidence"}: arrays with one value
        per seed; "overconfidence" is the mean confidence (largest probability) minus the
        accuracy, positive for a net that is surer than it is right (ECE has no sign).
    """
    from tqdm.auto import tqdm

    out = {kind: {"accuracy": [], "nll": [], "ece": [], "overconfidence": []} for kind in ("eval", "mc")}
    for seed in tqdm(seeds, desc="MC dropout", disable=not progress):
        model = nets.mlp([split.n_features, *hidden, split.n_classes], p_drop=p_drop, seed=seed)
        nets.train(
            model,
            split.x_train[:n_train],
            split.y_train[:n_train],
            epochs=epochs,
            batch_size=32,
            seed=seed,
            optimizer=lambda p: torch.optim.Adam(p, lr=lr),
        )
        predictions = {
            "eval": eval_probabilities(model, split.x_test),
            "mc": mc_probabilities(model, split.x_test, samples, seed=seed).mean(axis=0),
        }
        for kind, probs in predictions.items():
            out[kind]["accuracy"].append(float(np.mean(probs.argmax(1) == split.y_test)))
            out[kind]["nll"].append(nll(probs, split.y_test))
            out[kind]["ece"].append(expected_calibration_error(probs, split.y_test))
            out[kind]["overconfidence"].append(float(probs.max(1).mean() - out[kind]["accuracy"][-1]))
    return {kind: {k: np.array(v) for k, v in d.items()} for kind, d in out.items()}


def moons_model(split, *, p_drop=0.2, hidden=(128, 128), epochs=60, lr=3e-3, seed=0):
    """A dropout MLP trained on a moons split (minibatches of 32)."""
    model = nets.mlp([2, *hidden, 2], p_drop=p_drop, seed=seed)
    nets.train(
        model,
        split.x_train,
        split.y_train,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        optimizer=lambda p: torch.optim.Adam(p, lr=lr),
    )
    return model


def grid(lo, hi, resolution=60):
    """Points of a square grid over [lo, hi]²: (xx, yy, points (resolution², 2))."""
    xx, yy = np.meshgrid(np.linspace(lo, hi, resolution), np.linspace(lo, hi, resolution))
    return xx, yy, np.c_[xx.ravel(), yy.ravel()]


def spread_by_distance(points, spread, x_train, edges=(0.0, 0.25, 0.75, 1.5, np.inf)):
    """Mean spread of the grid points in each band of distance to the nearest training point.

    Returns:
        list of (low, high, number of points, mean spread).
    """
    distance = np.sqrt(((points[:, None, :] - np.asarray(x_train)[None]) ** 2).sum(-1)).min(axis=1)
    rows = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (distance >= low) & (distance < high)
        rows.append((low, high, int(inside.sum()), float(spread[inside].mean()) if inside.any() else float("nan")))
    return rows
