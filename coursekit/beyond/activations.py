"""GELU, SiLU and Mish against ReLU and ELU on the digits (topic 03's comparison, extended).

- :func:`silent_units`: after training at a large learning rate, the units whose input is
  negative for every training example, and the mean |f'(z)| they still pass back: 0 for a
  ReLU (dead), not 0 for the smooth activations, which can recover.
- :func:`curves`: the validation accuracy per epoch of the same deep MLP with each
  activation, over seeds.
"""

import numpy as np
import torch

from coursekit.beyond import nets
from coursekit.training import one_thread


def _derivative(name):
    from coursekit.activations import torch_ref

    functions = {**torch_ref.FUNCTIONS, **torch_ref.MODERN_FUNCTIONS}
    if name not in functions:
        raise ValueError(f"activation must be one of {sorted(set(functions) & set(nets.ACTIVATIONS))}, got {name!r}")
    return functions[name][1]


@one_thread()
@torch.no_grad()
def silent_units(model, activation, x):
    """Per hidden layer: (units whose input z <= 0 on every example, width, mean |f'(z)| of
    those units over the examples; nan when there are none).

    Args:
        model: an MLP from :func:`coursekit.beyond.nets.mlp` with this ``activation``.
        x: inputs (N, D).
    """
    derivative = _derivative(activation)
    cls = nets.ACTIVATIONS[activation]
    seen = []
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: seen.append(inp[0]))
        for m in model.modules()
        if isinstance(m, cls)
    ]
    was_training = model.training
    model.eval()
    try:
        model(torch.as_tensor(np.asarray(x), dtype=torch.float32))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    rows = []
    for z in seen:
        silent = (z <= 0).all(dim=0)
        passed = derivative(z[:, silent].double()).abs().mean().item() if silent.any() else float("nan")
        rows.append((int(silent.sum()), int(z.shape[1]), passed))
    return rows


def after_large_lr(split, activations, *, lr=0.05, epochs=3, hidden=(64, 64, 64), seed=0):
    """Train one MLP per activation with Adam at a large lr; returns {name: silent_units rows}."""
    rows = {}
    for name in activations:
        model = nets.mlp([split.n_features, *hidden, split.n_classes], activation=name, seed=seed)
        nets.train(
            model,
            split.x_train,
            split.y_train,
            epochs=epochs,
            seed=seed,
            optimizer=lambda p: torch.optim.Adam(p, lr=lr),
        )
        rows[name] = silent_units(model, name, split.x_train)
    return rows


def curves(split, activations, *, seeds=(0, 1), hidden=(64,) * 4, epochs=6, lr=1e-3, progress=True):
    """Validation accuracy after each epoch, per activation and seed.

    Returns:
        dict name -> (seeds, epochs) array.
    """
    from tqdm.auto import tqdm

    out = {name: [] for name in activations}
    for name, seed in tqdm([(a, s) for a in activations for s in seeds], desc="activations", disable=not progress):
        model = nets.mlp([split.n_features, *hidden, split.n_classes], activation=name, seed=seed)
        hist = nets.train(
            model,
            split.x_train,
            split.y_train,
            epochs=epochs,
            seed=seed,
            optimizer=lambda p: torch.optim.Adam(p, lr=lr),
            evaluate=lambda m: nets.accuracy(m, split.x_val, split.y_val),
        )
        out[name].append(hist["score"])
    return {name: np.array(v) for name, v in out.items()}
