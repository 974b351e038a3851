"""Small, fast experiments of the 06_regularization notebook and its widgets.

- Sparse linear regression, fitted with an L1 or L2 penalty by (sub)gradient descent or by
  proximal gradient descent (ISTA), to compare the weights the penalties leave.
- A small training set on moons and a wide MLP that overfits it, trained full batch with
  optional dropout, input noise or weight decay, to compare curves and decision boundaries.
"""

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from coursekit import _validate as v
from coursekit import data
from coursekit.regularization import numpy_ref
from coursekit.training import one_thread


@dataclass(frozen=True)
class SparseRegression:
    """x (N, D) and y (N,) for training and validation; ``w_true`` has few nonzeros."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    w_true: np.ndarray


def sparse_regression(*, n_train=50, n_val=500, n_features=40, n_informative=5, noise=1.0, seed=0):
    """y = x @ w_true + noise·ε, with only ``n_informative`` nonzero weights (of ±1 to ±3)."""
    if not 0 < n_informative <= n_features:
        raise ValueError(f"n_informative must lie in [1, n_features={n_features}], got {n_informative}")
    rng = np.random.default_rng(seed)
    w_true = np.zeros(n_features)
    chosen = rng.choice(n_features, n_informative, replace=False)
    w_true[chosen] = rng.choice([-1, 1], n_informative) * rng.uniform(1, 3, n_informative)
    x = rng.standard_normal((n_train + n_val, n_features))
    y = x @ w_true + noise * rng.standard_normal(n_train + n_val)
    return SparseRegression(x[:n_train], y[:n_train], x[n_train:], y[n_train:], w_true)


def fit_linear(x, y, *, lam, penalty="l2", method="gradient", steps=500, penalty_fn=None):
    """Minimise 1/(2N)·||x w - y||² + penalty(w) from w = 0 with a step of 1/curvature.

    Args:
        penalty: "l1" or "l2".
        method: "gradient" (a (sub)gradient step on loss + penalty, with ``penalty_fn``) or
            "proximal" (a gradient step on the loss, then soft-thresholding: L1 only).
        penalty_fn: ``(w, lam) -> (penalty, grad)``, e.g. the student's ``l1_penalty``;
            the reference by default.

    Returns:
        w, shape (D,).
    """
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
    if method not in ("gradient", "proximal"):
        raise ValueError(f"method must be 'gradient' or 'proximal', got {method!r}")
    if method == "proximal" and penalty != "l1":
        raise ValueError("method='proximal' is for penalty='l1' (L2's proximal step is a rescaling)")
    n = len(x)
    curvature = np.linalg.eigvalsh(x.T @ x / n).max() + (lam if penalty == "l2" else 0.0)
    lr = 1.0 / curvature
    penalty_fn = penalty_fn or getattr(numpy_ref, f"{penalty}_penalty")
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        grad = x.T @ (x @ w - y) / n
        if method == "proximal":
            w = numpy_ref.soft_threshold(w - lr * grad, lr * lam)
        else:
            w = w - lr * (grad + penalty_fn(w, lam)[1])
    return w


def validation_mse(problem, lams, **fit_args):
    """Validation mean squared error of :func:`fit_linear` for each λ."""
    errors = []
    for lam in lams:
        w = fit_linear(problem.x_train, problem.y_train, lam=lam, **fit_args)
        errors.append(float(np.mean((problem.x_val @ w - problem.y_val) ** 2)))
    return np.array(errors)


# ----- moons ----------------------------------------------------------------------------


def moons_split(*, n_train=60, n_val=300, noise=0.3, seed=0):
    """Moons with a small training set (and a large validation set), standardised."""
    n = n_train + 2 * n_val
    x, y = data.moons(n, noise=noise, seed=seed)
    return data.split_and_standardise(x, y, seed=seed, val_fraction=n_val / n, test_fraction=n_val / n)


@v.renamed_keywords(dropout="p_drop")
def build_classifier(*, hidden=(128, 128), p_drop=0.0, input_noise=0.0, seed=0):
    """A 2 -> hidden -> 2 ReLU MLP with coursekit's own Dropout and GaussianNoise layers,
    whose random draws come from a generator seeded with ``seed``."""
    import torch

    from coursekit.regularization.torch_ref import Dropout, GaussianNoise
    from coursekit.training import build_mlp

    generator = torch.Generator().manual_seed(seed)
    layers = {
        "dropout": lambda p: Dropout(p, generator=generator),
        "noise": lambda s: GaussianNoise(s, generator=generator),
    }
    return build_mlp(
        [2, *hidden, 2], p_drop=p_drop, input_noise=input_noise, layers=layers, init="he_normal", seed=seed
    )


@v.renamed_keywords(dropout="p_drop")
def train_classifier(
    split,
    *,
    p_drop=0.0,
    input_noise=0.0,
    weight_decay=0.0,
    steps=300,
    lr=0.01,
    hidden=(128, 128),
    seed=0,
    record_every=10,
    progress=False,
):
    """Full-batch Adam on a small training set; regularisation is switched on by the args.

    ``weight_decay=λ`` is Adam's L2 term: it adds λ·w to each gradient, the gradient of
    ``l2_penalty(w, λ)`` (on biases too, as torch does).

    Returns:
        (model, history) where history has "step", and the cross-entropy "train_loss" and
        "val_loss" and error rates "train_error" and "val_error", all in eval mode, every
        ``record_every`` steps.
    """
    with one_thread():
        return _train(split, p_drop, input_noise, weight_decay, steps, lr, hidden, seed, record_every, progress)


def _train(split, p_drop, input_noise, weight_decay, steps, lr, hidden, seed, record_every, progress):
    import torch
    import torch.nn.functional as F

    model = build_classifier(hidden=hidden, p_drop=p_drop, input_noise=input_noise, seed=seed)
    x, y = torch.as_tensor(split.x_train, dtype=torch.float32), torch.as_tensor(split.y_train)
    xv, yv = torch.as_tensor(split.x_val, dtype=torch.float32), torch.as_tensor(split.y_val)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    records = []
    for step in tqdm(range(1, steps + 1), desc="training", disable=not progress, leave=False):
        model.train()
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % record_every == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                logits, val_logits = model(x), model(xv)
                records.append(
                    torch.stack(
                        [
                            torch.tensor(float(step)),
                            F.cross_entropy(logits, y),
                            F.cross_entropy(val_logits, yv),
                            (logits.argmax(1) != y).float().mean(),
                            (val_logits.argmax(1) != yv).float().mean(),
                        ]
                    )
                )
    table = torch.stack(records).T.tolist()
    keys = ("step", "train_loss", "val_loss", "train_error", "val_error")
    return model.eval(), dict(zip(keys, table))


def class_probability_grid(model, lo, hi, resolution=120):
    """P(class 1) of a torch classifier on a square grid over [lo, hi]².

    Returns:
        xx, yy, prob: each of shape (resolution, resolution).
    """
    import torch

    xx, yy = np.meshgrid(np.linspace(lo, hi, resolution), np.linspace(lo, hi, resolution))
    points = torch.as_tensor(np.c_[xx.ravel(), yy.ravel()], dtype=torch.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        prob = torch.softmax(model(points), dim=1)[:, 1].numpy()
    model.train(was_training)
    return xx, yy, prob.reshape(xx.shape)


def plane_limits(split, margin=0.5):
    """(lo, hi) of a square that holds every point of a 2-D split, plus a margin."""
    points = np.concatenate([split.x_train, split.x_val])
    return float(points.min()) - margin, float(points.max()) + margin


def train_and_grid(split, resolution=120, **train_args):
    """:func:`train_classifier`, then its probability grid: returns (grid, history)."""
    model, hist = train_classifier(split, **train_args)
    with one_thread():
        return class_probability_grid(model, *plane_limits(split), resolution=resolution), hist
