"""Decoupled weight decay (AdamW) against Adam with an L2 penalty, on a small digits set.

Adam with ``weight_decay=λ`` adds λ·w to the gradient, and its second moment then divides
that pull by ``sqrt(v_hat)``: a weight with large gradients is hardly decayed, a weight with
none is pulled to 0 at up to lr per step, whatever λ is. AdamW shrinks every weight by the
same factor ``1 - lr·wd`` per step. :func:`train` runs either; :func:`relative_decay` reads
each weight's decay per step back from the optimizer's state; :func:`sweep` compares the
validation accuracy over decay strengths and seeds.
"""

import numpy as np
import torch

from coursekit.beyond import nets

KINDS = {"adam_l2": "Adam + L2 (weight_decay)", "adamw": "AdamW (decoupled)"}


def optimizer(kind, strength, lr=1e-3):
    """The optimizer factory of a kind ("adam_l2" or "adamw") and decay strength."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    cls = torch.optim.Adam if kind == "adam_l2" else torch.optim.AdamW
    return lambda params: cls(params, lr=lr, weight_decay=strength)


def train(split, kind, strength, *, n_train=300, hidden=(128, 128), epochs=30, lr=1e-3, seed=0):
    """Train an MLP on the first ``n_train`` training digits with one kind of decay.

    Returns:
        (model, optimizer, history, initial first-layer weights).
    """
    model = nets.mlp([split.n_features, *hidden, split.n_classes], seed=seed)
    initial = model[0].weight.detach().clone()
    made = []
    factory = optimizer(kind, strength, lr)
    hist = nets.train(
        model,
        split.x_train[:n_train],
        split.y_train[:n_train],
        epochs=epochs,
        batch_size=32,
        seed=seed,
        optimizer=lambda p: made.append(factory(p)) or made[0],
    )
    return model, made[0], hist, initial


def relative_decay(model, opt, kind, strength, inputs=None):
    """Each first-layer weight's decay per step, as a fraction of the weight, and its
    gradient RMS ``sqrt(v_hat)``, read from the optimizer's state after training.

    AdamW: ``lr·wd`` for every weight. Adam + L2: the L2 term's share of Adam's step,
    ``lr·λ / (sqrt(v_hat) + eps)``.

    Args:
        inputs: optional indices of the input features whose weights to include (default all).

    Returns:
        (rms, rate): two flat float64 arrays, one entry per weight included.
    """
    weight = model[0].weight
    state, group = opt.state[weight], opt.param_groups[0]
    beta2, lr, eps = group["betas"][1], group["lr"], group["eps"]
    v_hat = state["exp_avg_sq"] / (1 - beta2 ** int(state["step"]))
    rms = (v_hat if inputs is None else v_hat[:, list(inputs)]).sqrt().flatten().double().numpy()
    if kind == "adamw":
        return rms, np.full_like(rms, lr * strength)
    return rms, lr * strength / (rms + eps)


def unused_inputs(x):
    """Indices of the input features that are 0 in every row of ``x``: the loss's gradient
    of their first-layer weights is exactly 0 (a constant nonzero input would act as a bias)."""
    return np.flatnonzero(np.all(np.asarray(x) == 0, axis=0))


def sweep(split, strengths, *, seeds=(0, 1), progress=True, **train_args):
    """Validation accuracy and final weight norm for each kind, strength and seed.

    Args:
        strengths: dict kind -> list of decay strengths (λ for "adam_l2", wd for "adamw").

    Returns:
        dict kind -> {"strength": [...], "accuracy": (S, seeds) array, "norm": (S, seeds) array,
        "runs": {(strength, seed): what :func:`train` returned}}.
    """
    from tqdm.auto import tqdm

    runs = [(kind, s, seed) for kind, values in strengths.items() for s in values for seed in seeds]
    results = {
        kind: {
            "strength": list(values),
            "accuracy": np.zeros((len(values), len(seeds))),
            "norm": np.zeros((len(values), len(seeds))),
            "runs": {},
        }
        for kind, values in strengths.items()
    }
    for kind, strength, seed in tqdm(runs, desc="decay sweep", disable=not progress):
        run = results[kind]["runs"][strength, seed] = train(split, kind, strength, seed=seed, **train_args)
        model = run[0]
        i, j = results[kind]["strength"].index(strength), seeds.index(seed)
        results[kind]["accuracy"][i, j] = nets.accuracy(model, split.x_val, split.y_val)
        results[kind]["norm"][i, j] = float(torch.cat([p.detach().flatten() for p in model.parameters()]).norm())
    return results
