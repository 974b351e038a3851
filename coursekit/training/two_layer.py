"""Training loops with tqdm progress bars.

:func:`train_two_layer` trains a dense-ReLU-dense network with whatever layer functions it
is given, so a notebook can train with the student's own implementations.
"""

import numpy as np
from tqdm.auto import tqdm

from coursekit.layers import numpy_ref


def accuracy(logits, y):
    return float((np.argmax(logits, axis=1) == y).mean())


def train_two_layer(
    data, *, hidden=64, epochs=10, batch_size=64, lr=0.1, seed=0, functions=None, progress=True, train_accuracy=True
):
    """Train dense -> ReLU -> dense -> softmax cross-entropy with minibatch SGD.

    Args:
        data: a :class:`coursekit.data.Split`.
        functions: optional dict overriding "dense_forward", "dense_backward" and
            "softmax_cross_entropy" (e.g. the student's); the references by default.
        train_accuracy: measure the accuracy on the whole training set after each epoch.
            False skips that pass over the training set (tuning trials only read
            "val_acc"); "train_acc" then stays empty.

    Returns:
        (params, history) where history has "loss" per step and "train_acc", "val_acc"
        per epoch.
    """
    if epochs < 1 or batch_size < 1 or hidden < 1:
        raise ValueError(f"epochs, batch_size and hidden must be >= 1, got {epochs}, {batch_size}, {hidden}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    fns = {
        "dense_forward": numpy_ref.dense_forward,
        "dense_backward": numpy_ref.dense_backward,
        "softmax_cross_entropy": numpy_ref.softmax_cross_entropy,
        **(functions or {}),
    }
    rng = np.random.default_rng(seed)
    d, c, dtype = data.n_features, data.n_classes, data.x_train.dtype
    params = {
        "w1": (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(dtype),
        "b1": np.zeros(hidden, dtype=dtype),
        "w2": (rng.standard_normal((hidden, c)) * np.sqrt(1.0 / hidden)).astype(dtype),
        "b2": np.zeros(c, dtype=dtype),
    }

    def logits_of(x):
        h, _ = fns["dense_forward"](x, params["w1"], params["b1"])
        out, _ = fns["dense_forward"](np.maximum(h, 0), params["w2"], params["b2"])
        return out

    hist = {"loss": [], "train_acc": [], "val_acc": []}
    n = len(data.x_train)
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            h, cache1 = fns["dense_forward"](data.x_train[idx], params["w1"], params["b1"])
            a = np.maximum(h, 0)
            out, cache2 = fns["dense_forward"](a, params["w2"], params["b2"])
            loss, dout = fns["softmax_cross_entropy"](out, data.y_train[idx])
            da, dw2, db2 = fns["dense_backward"](dout, cache2)
            _, dw1, db1 = fns["dense_backward"](da * (h > 0), cache1)
            for name, grad in (("w1", dw1), ("b1", db1), ("w2", dw2), ("b2", db2)):
                params[name] = params[name] - lr * grad
            hist["loss"].append(float(loss))
        if train_accuracy:
            hist["train_acc"].append(accuracy(logits_of(data.x_train), data.y_train))
        hist["val_acc"].append(accuracy(logits_of(data.x_val), data.y_val))
    return params, hist
