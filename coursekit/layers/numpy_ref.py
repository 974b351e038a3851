"""Dense layer, softmax and softmax cross-entropy in NumPy, forward and backward by hand."""

import numpy as np

from coursekit import _validate as v


def dense_forward(x, w, b):
    """Affine layer ``out = x @ w + b``.

    Args:
        x: inputs, shape (N, D).
        w: weights, shape (D, M). (torch's ``nn.Linear`` stores the transpose.)
        b: biases, shape (M,).

    Returns:
        out: shape (N, M).
        cache: ``(x, w, b)`` for :func:`dense_backward`.
    """
    v.float_array("x", x, backend="numpy", ndim=2)
    v.float_array("w", w, backend="numpy", ndim=2)
    v.float_array("b", b, backend="numpy", ndim=1)
    v.same_dtype(x=x, w=w, b=b)
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have shape (D, M) with D = x.shape[1] = {x.shape[1]}, got {w.shape}")
    v.shape_equal("b", b, (w.shape[1],))
    return x @ w + b, (x, w, b)


def dense_backward(dout, cache):
    """Backward pass of :func:`dense_forward`.

    Args:
        dout: upstream gradient, shape (N, M).
        cache: ``(x, w, b)`` from :func:`dense_forward`.

    Returns:
        dx (N, D), dw (D, M), db (M,).
    """
    x, w, _ = cache
    v.float_array("dout", dout, backend="numpy", ndim=2)
    v.shape_equal("dout", dout, (x.shape[0], w.shape[1]))
    v.same_dtype(dout=dout, x=x)
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def softmax(z):
    """Row-wise softmax, stable for large logits (the row maximum is subtracted first).

    Args:
        z: logits, shape (N, C).

    Returns:
        probabilities, shape (N, C), each row summing to 1.
    """
    v.float_array("z", z, backend="numpy", ndim=2)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    Args:
        logits: shape (N, C).
        y: integer labels in [0, C), shape (N,).

    Returns:
        loss: scalar of the logits' dtype, averaged over the batch.
        dlogits: shape (N, C), equal to ``(softmax(logits) - onehot(y)) / N``.
    """
    v.float_array("logits", logits, backend="numpy", ndim=2)
    n, c = logits.shape
    v.integer_labels("y", y, n, c)
    if n == 0:
        raise ValueError("logits must hold at least one row: the mean over an empty batch is undefined")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(n)
    loss = (log_z - shifted[rows, y]).mean()
    dlogits = np.exp(shifted - log_z[:, None])
    dlogits[rows, y] -= 1
    return logits.dtype.type(loss), dlogits / n
