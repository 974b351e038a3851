"""Ensembles for the bias-variance decomposition: many models, each fitted to a fresh
training set drawn from the same noisy 1-D regression problem.

The predictions they return, of shape (S models, P test points), go straight into
``bias_variance(predictions, target)``.
"""

import numpy as np
from tqdm.auto import tqdm


def target_function(x):
    """The true function F* of the regression problem: sin(2πx) on [0, 1]."""
    return np.sin(2 * np.pi * x)


def training_sets(n_sets, n_train, *, noise, rng):
    """``n_sets`` independent training sets: x ~ U(0, 1), y = F*(x) + noise·ε.

    Returns:
        x, y: each of shape (n_sets, n_train).
    """
    if n_sets < 1 or n_train < 1:
        raise ValueError(f"n_sets and n_train must be >= 1, got {n_sets} and {n_train}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    x = rng.uniform(0, 1, (n_sets, n_train))
    return x, target_function(x) + noise * rng.standard_normal(x.shape)


def _legendre_features(x, degree):
    return np.polynomial.legendre.legvander(2 * x - 1, degree)  # well conditioned on [0, 1]


def polynomial_ensemble(degrees, x_sets, y_sets, x_test):
    """Least-squares polynomial fits of each degree to each training set.

    Args:
        degrees: polynomial degrees (the capacity).
        x_sets, y_sets: training sets, shape (S, n_train).
        x_test: test inputs, shape (P,).

    Returns:
        dict degree -> predictions of shape (S, P).
    """
    out = {}
    for degree in degrees:
        test_features = _legendre_features(x_test, degree)
        preds = []
        for x, y in zip(x_sets, y_sets):
            coef, *_ = np.linalg.lstsq(_legendre_features(x, degree), y, rcond=None)
            preds.append(test_features @ coef)
        out[degree] = np.array(preds)
    return out


def _adam(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    for key, grad in grads.items():
        state["m"][key] = beta1 * state["m"][key] + (1 - beta1) * grad
        state["v"][key] = beta2 * state["v"][key] + (1 - beta2) * grad * grad
        step = lr * np.sqrt(1 - beta2 ** state["t"]) / (1 - beta1 ** state["t"])
        params[key] = params[key] - np.float32(step) * state["m"][key] / (np.sqrt(state["v"][key]) + np.float32(eps))


def _tanh_net(params, x):
    hidden = np.tanh(x * params["w1"] + params["b1"])  # (S, n, H)
    return hidden, hidden @ params["w2"] + params["b2"]  # (S, n, 1)


def mse_gradients(params, x, y):
    """Gradients of each network's mean squared error, by hand (backprop through tanh).

    Args:
        params: "w1", "b1" (S, 1, H), "w2" (S, H, 1), "b2" (S, 1, 1).
        x, y: (S, n, 1).

    Returns:
        dict of gradients shaped like ``params``.
    """
    hidden, pred = _tanh_net(params, x)
    dpred = 2 * (pred - y) / x.shape[1]
    dz = (dpred @ params["w2"].transpose(0, 2, 1)) * (1 - hidden**2)
    return {
        "w2": hidden.transpose(0, 2, 1) @ dpred,
        "b2": dpred.sum(axis=1, keepdims=True),
        "w1": (x * dz).sum(axis=1, keepdims=True),
        "b1": dz.sum(axis=1, keepdims=True),
    }


def mlp_ensemble(widths, x_sets, y_sets, x_test, *, steps=1000, lr=0.05, seed=0, progress=True):
    """One-hidden-layer tanh MLPs of each width, trained by full-batch Adam on each set.

    Forward and backward are written out in NumPy, and the S networks of one width are
    trained together as one batched computation, which keeps this fast on a CPU.

    Args:
        widths: hidden widths (the capacity).
        x_sets, y_sets: training sets, shape (S, n_train).
        x_test: test inputs, shape (P,).
        steps: Adam steps on each network's mean squared error.

    Returns:
        dict width -> predictions of shape (S, P).
    """
    rng = np.random.default_rng(seed)
    dtype = np.float32  # plenty for this, and twice as fast as float64
    x = (x_sets[..., None] - 0.5).astype(dtype)  # (S, n, 1), inputs centred
    y = y_sets[..., None].astype(dtype)
    n_sets = len(x_sets)
    out = {}
    for width in tqdm(widths, desc="MLP ensembles", disable=not progress):
        params = {
            "w1": 6.0 * rng.standard_normal((n_sets, 1, width)),  # kinks spread over [0, 1]
            "b1": 1.0 * rng.standard_normal((n_sets, 1, width)),
            "w2": rng.standard_normal((n_sets, width, 1)) / np.sqrt(width),
            "b2": np.zeros((n_sets, 1, 1)),
        }
        params = {k: p.astype(dtype) for k, p in params.items()}
        state = {"t": 0, "m": {k: 0.0 for k in params}, "v": {k: 0.0 for k in params}}
        for _ in range(steps):
            grads = mse_gradients(params, x, y)
            _adam(params, grads, state, lr)
        grid = np.broadcast_to(x_test[None, :, None] - 0.5, (n_sets, len(x_test), 1)).astype(dtype)
        _, pred = _tanh_net(params, grid)
        out[width] = pred[..., 0].astype(np.float64)
    return out
