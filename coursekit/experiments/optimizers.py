"""Training the same MLP with several optimizers and seeds, for side-by-side curves (torch)."""

import numpy as np
from tqdm.auto import tqdm

from coursekit.training import build_mlp, fit


def train_with(data, configs, *, sizes, epochs, batch_size=64, seeds=(0,), device=None, activation="relu"):
    """Train one fresh MLP per (optimizer, seed) with :func:`coursekit.training.fit`.

    Args:
        data: a :class:`coursekit.data.Split`.
        configs: label -> (optimizer_factory, hyperparameters), the hyperparameters
            including ``lr``; e.g. ``{"Adam": (Adam, {"lr": 1e-3})}``.
        sizes: layer widths, as for ``build_mlp``.
        epochs, batch_size: passed to ``fit``.
        seeds: one run per seed; the seed sets the initial weights and the batch order.
        device: torch device (default: the best available).

    Returns:
        label -> list of history dicts, one per seed.
    """
    if not configs:
        raise ValueError("configs must name at least one optimizer")
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    runs = [(label, seed) for label in configs for seed in seeds]
    results = {label: [] for label in configs}
    for label, seed in tqdm(runs, desc="training runs"):
        factory, hyper = configs[label]
        model = build_mlp(sizes, activation=activation, seed=seed)
        results[label].append(
            fit(
                model,
                data,
                optimizer_factory=factory,
                epochs=epochs,
                batch_size=batch_size,
                seed=seed,
                device=device,
                progress=False,
                **hyper,
            )
        )
    return results


def summarise(results, key="val_loss", *, best=min):
    """label -> (mean, std) over seeds of each run's ``best`` value of ``key``."""
    return {
        label: (float(np.mean(v)), float(np.std(v)))
        for label, v in ((label, [best(h[key]) for h in hs]) for label, hs in results.items())
    }
