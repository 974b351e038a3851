"""The max-norm constraint against L2 and dropout, on a small moons training set.

After every optimizer step, each hidden unit's incoming weight vector is projected back
into a ball of radius r (:func:`coursekit.regularization.torch_ref.max_norm`, axis=1 for
``nn.Linear``'s (out, in) weights). Srivastava et al. (2014) pair it with dropout and large
learning rates: the constraint keeps the weights bounded however far a step throws them.
"""

import numpy as np
import torch
from torch import nn

from coursekit import _validate as v
from coursekit.beyond import nets
from coursekit.experiments import regularization as moons_experiments
from coursekit.training import one_thread

SETTINGS = {
    "none": {},
    "L2 (Adam weight_decay 0.01)": {"weight_decay": 0.01},
    "dropout 0.5": {"p_drop": 0.5},
    "max-norm r=1": {"max_norm": 1.0},
    "max-norm r=1 + dropout 0.5": {"max_norm": 1.0, "p_drop": 0.5},
}


def project(model, radius):
    """Apply the max-norm constraint to every hidden ``nn.Linear`` of ``model`` in place (not
    the output layer, as in Srivastava et al.)."""
    from coursekit.regularization.torch_ref import max_norm

    linears = [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]
    with torch.no_grad():
        for linear in linears:
            linear.weight.copy_(max_norm(linear.weight, radius, axis=1))


def unit_norms(model):
    """The incoming-weight norm of every hidden unit, one array per hidden layer."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]
    return [linear.weight.detach().norm(dim=1).numpy() for linear in linears]


@v.renamed_keywords(dropout="p_drop")
def train_and_grid(
    split, *, max_norm=None, p_drop=0.0, weight_decay=0.0, steps=200, lr=0.05, hidden=(128, 128), seed=0, resolution=80
):
    """Full-batch Adam on the moons split with the given regularisers.

    Args:
        max_norm: radius of the constraint on each hidden unit's incoming weights (None: off).
        p_drop, weight_decay: dropout rate (old keyword ``dropout``, deprecated); Adam's L2 term.
        steps, lr: full-batch Adam steps and learning rate (large: where max-norm is meant to help).

    Returns:
        (grid, history): ``grid = (xx, yy, P(class 1))``; ``history`` holds one-element lists
        "train_error", "val_error" and "largest_unit_norm" (what
        :mod:`coursekit.widgets.regularization`'s sweep figure draws).
    """
    model = nets.mlp([2, *hidden, 2], p_drop=p_drop, seed=seed)
    after = (lambda m: project(m, max_norm)) if max_norm else None
    nets.train(
        model,
        split.x_train,
        split.y_train,
        epochs=steps,
        batch_size=len(split.x_train),
        seed=seed,
        after_step=after,
        optimizer=lambda p: torch.optim.Adam(p, lr=lr, weight_decay=weight_decay),
    )
    hist = {
        "train_error": [1 - nets.accuracy(model, split.x_train, split.y_train)],
        "val_error": [1 - nets.accuracy(model, split.x_val, split.y_val)],
        "largest_unit_norm": [float(max(n.max() for n in unit_norms(model)))],
    }
    lo, hi = moons_experiments.plane_limits(split)
    with one_thread():
        return moons_experiments.class_probability_grid(model, lo, hi, resolution), hist


def compare(split, settings=SETTINGS, *, seeds=(0, 1, 2), progress=True, **train_args):
    """Validation error of each setting over seeds, and the last seed's (grid, history).

    Returns:
        (errors, results): errors maps label -> (seeds,) array; results label -> (grid, history).
    """
    from tqdm.auto import tqdm

    errors, results = {}, {}
    for label, seed in tqdm([(k, s) for k in settings for s in seeds], desc="regularisers", disable=not progress):
        results[label] = train_and_grid(split, seed=seed, **settings[label], **train_args)
        errors.setdefault(label, []).append(results[label][1]["val_error"][-1])
    return {k: np.array(v) for k, v in errors.items()}, results
