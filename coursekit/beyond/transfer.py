"""Reusing pretrained layers: learn digits 5-9 from a few labels with the lower layer of a
network trained on digits 0-4, against training from scratch.

Every variant trains the same architecture with a new output layer on the few labels:

- "from scratch": all layers random, all trained;
- "random lower layer, frozen": the control, a random lower layer kept fixed;
- "reused, frozen": the pretrained lower layer, kept fixed;
- "reused, unfrozen later": the pretrained lower layer, fixed for the first epochs, then
  trained with the rest at a tenth of the learning rate.
"""

import numpy as np
import torch
from torch import nn

from coursekit.beyond import nets
from coursekit.data import Split

VARIANTS = ("from scratch", "random lower layer, frozen", "reused, frozen", "reused, unfrozen later")


def task_split(split, classes):
    """The examples of ``classes`` only, relabelled 0..len(classes)-1 (a new Split)."""
    classes = list(classes)
    parts = []
    for x, y in ((split.x_train, split.y_train), (split.x_val, split.y_val), (split.x_test, split.y_test)):
        keep = np.isin(y, classes)
        parts += [x[keep], np.searchsorted(classes, y[keep])]
    return Split(*parts)


def few_labels(split, per_class, *, seed=0):
    """``per_class`` training examples of each class, drawn with ``seed``: (x, y)."""
    rng = np.random.default_rng(seed)
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(split.y_train == c), per_class, replace=False) for c in np.unique(split.y_train)]
    )
    return split.x_train[chosen], split.y_train[chosen]


def pretrain(source, *, hidden=(128, 128), epochs=10, lr=1e-3, seed=0):
    """An MLP trained on the source task (all its training examples)."""
    model = nets.mlp([source.n_features, *hidden, source.n_classes], seed=seed)
    nets.train(
        model, source.x_train, source.y_train, epochs=epochs, seed=seed, optimizer=lambda p: torch.optim.Adam(p, lr=lr)
    )
    return model


def _linears(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def _target_model(pretrained, n_classes, *, variant, reuse, seed):
    """A fresh MLP shaped like ``pretrained`` (new head), its lower ``reuse`` layers copied
    from ``pretrained`` for the "reused" variants and frozen where the variant says so."""
    old = _linears(pretrained)
    model = nets.mlp([old[0].in_features] + [m.out_features for m in old[:-1]] + [n_classes], seed=seed + 1000)
    lower = _linears(model)[:reuse]
    if variant.startswith("reused"):
        for mine, theirs in zip(lower, old):
            mine.load_state_dict(theirs.state_dict())
    _set_trainable(lower, variant == "from scratch")
    return model


def _set_trainable(layers, trainable):
    for layer in layers:
        for p in layer.parameters():
            p.requires_grad_(trainable)


def fine_tune(pretrained, target, x, y, *, variant, reuse=1, epochs=30, unfreeze_at=10, lr=3e-3, seed=0):
    """Train one variant on (x, y); returns (model, validation accuracy after each epoch).

    Args:
        pretrained: the source network. target: the target task's Split (for validation).
        x, y: the few labelled target examples.
        variant: one of ``VARIANTS``. reuse: how many lower Linear layers are reused.
        unfreeze_at: epochs before "reused, unfrozen later" trains the reused layers.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    model = _target_model(pretrained, target.n_classes, variant=variant, reuse=reuse, seed=seed)
    score = lambda m: nets.accuracy(m, target.x_val, target.y_val)  # noqa: E731
    trainable = lambda scale: lambda p: torch.optim.Adam([q for q in p if q.requires_grad], lr=lr * scale)  # noqa: E731
    first = unfreeze_at if variant == "reused, unfrozen later" else epochs
    scores = nets.train(model, x, y, epochs=first, batch_size=10, seed=seed, evaluate=score, optimizer=trainable(1.0))[
        "score"
    ]
    if first < epochs:
        _set_trainable(_linears(model)[:reuse], True)
        scores += nets.train(
            model, x, y, epochs=epochs - first, batch_size=10, seed=seed + 1, evaluate=score, optimizer=trainable(0.1)
        )["score"]
    return model, scores


def epochs_to_reach(scores, level):
    """The first epoch (1-based) whose score reaches ``level``, or None."""
    reached = np.flatnonzero(np.asarray(scores) >= level)
    return int(reached[0]) + 1 if reached.size else None


def compare(split, *, per_class=5, seeds=(0, 1, 2), epochs=30, unfreeze_at=10, reuse=1, progress=True):
    """Pretrain on digits 0-4, then learn 5-9 from ``per_class`` labels each, per variant and seed.

    Returns:
        (scores, pretrained): scores maps variant -> (seeds, epochs) validation accuracies.
    """
    from tqdm.auto import tqdm

    source, target = task_split(split, range(5)), task_split(split, range(5, 10))
    pretrained = pretrain(source)
    scores = {v: [] for v in VARIANTS}
    for variant, seed in tqdm([(v, s) for v in VARIANTS for s in seeds], desc="transfer", disable=not progress):
        x, y = few_labels(target, per_class, seed=seed)
        scores[variant].append(
            fine_tune(
                pretrained,
                target,
                x,
                y,
                variant=variant,
                reuse=reuse,
                epochs=epochs,
                unfreeze_at=unfreeze_at,
                seed=seed,
            )[1]
        )
    return {v: np.array(s) for v, s in scores.items()}, pretrained
