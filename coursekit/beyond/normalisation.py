"""LayerNorm against BatchNorm, and where BatchNorm goes, on the digits.

- :func:`small_batch_accuracy`: the same MLP with coursekit's BatchNorm1d or LayerNorm (or
  neither), trained with a tiny batch; accuracy in eval mode, per seed. BatchNorm's
  statistics of two examples are noise, and its running averages of them are not what the
  layer saw in training; LayerNorm normalises each example alone and has no test mode.
- :func:`batch_dependence`: how much one example's output changes with the other examples
  in its batch, in training mode.
- :func:`placement`: BatchNorm before against after the activation, over seeds.
"""

import numpy as np
import torch

from coursekit.beyond import nets
from coursekit.training import one_thread

NORM_LABELS = {None: "no normalisation", "batch": "BatchNorm", "layer": "LayerNorm"}


def small_batch_accuracy(
    split,
    *,
    batch_size=2,
    norms=(None, "batch", "layer"),
    seeds=(0, 1, 2),
    hidden=(64, 64),
    epochs=1,
    lr=1e-3,
    progress=True,
):
    """Validation accuracy (eval mode) of each normalisation after training with ``batch_size``.

    Returns:
        dict label -> array of accuracies, one per seed.
    """
    from tqdm.auto import tqdm

    results = {NORM_LABELS[n]: [] for n in norms}
    for norm, seed in tqdm(
        [(n, s) for n in norms for s in seeds], desc=f"batch size {batch_size}", disable=not progress
    ):
        model = nets.mlp([split.n_features, *hidden, split.n_classes], norm=norm, seed=seed)
        nets.train(
            model,
            split.x_train,
            split.y_train,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            drop_last=True,
            optimizer=lambda p: torch.optim.Adam(p, lr=lr),
        )
        results[NORM_LABELS[norm]].append(nets.accuracy(model, split.x_val, split.y_val))
    return {k: np.array(v) for k, v in results.items()}


@one_thread()
@torch.no_grad()
def batch_dependence(model, x, *, partners=20, seed=0):
    """In training mode, the spread of example 0's logits over batches ``[x[0], x[j]]``.

    Returns:
        (train_spread, eval_gap): the largest change of example 0's logits across its batch
        partners in training mode, and the largest difference between its training-mode and
        eval-mode logits (both 0 for a model without batch statistics).
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    others = torch.randperm(len(x) - 1, generator=torch.Generator().manual_seed(seed))[:partners] + 1
    was_training = model.training
    model.train()
    logits = torch.stack([model(x[[0, int(j)]])[0] for j in others])
    model.eval()
    alone = model(x[:1])[0]
    model.train(was_training)
    spread = (logits.max(0).values - logits.min(0).values).max().item()
    return spread, (logits - alone).abs().max().item()


def placement(
    split, *, seeds=(0, 1, 2, 3, 4), hidden=(64, 64, 64), epochs=3, lr=3e-3, activation="relu", progress=True
):
    """BatchNorm before the activation (the notes') and after it, trained over seeds.

    Returns:
        dict "before"/"after" -> {"val_acc": (seeds,), "first_loss": (seeds,)}: the validation
        accuracy after training and the mean training loss of the first epoch.
    """
    from tqdm.auto import tqdm

    results = {p: {"val_acc": [], "first_loss": []} for p in nets.POSITIONS}
    for position, seed in tqdm([(p, s) for p in nets.POSITIONS for s in seeds], desc="placement", disable=not progress):
        model = nets.mlp(
            [split.n_features, *hidden, split.n_classes],
            activation=activation,
            norm="batch",
            position=position,
            seed=seed,
        )
        hist = nets.train(
            model,
            split.x_train,
            split.y_train,
            epochs=epochs,
            batch_size=64,
            seed=seed,
            drop_last=True,
            optimizer=lambda p: torch.optim.Adam(p, lr=lr),
        )
        results[position]["val_acc"].append(nets.accuracy(model, split.x_val, split.y_val))
        results[position]["first_loss"].append(hist["loss"][0])
    return {p: {k: np.array(v) for k, v in r.items()} for p, r in results.items()}
