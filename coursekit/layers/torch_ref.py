"""Dense layer, softmax and softmax cross-entropy in torch, from tensor operations.

Same names and signatures as :mod:`coursekit.layers.numpy_ref`; tensors stay on the
caller's device and keep their dtype. No autograd is used: backward passes are by hand.
"""

import torch

from coursekit import _validate as v


def dense_forward(x, w, b):
    """Affine layer ``out = x @ w + b``; x (N, D), w (D, M), b (M,). Returns (out, cache)."""
    v.float_array("x", x, backend="torch", ndim=2)
    v.float_array("w", w, backend="torch", ndim=2)
    v.float_array("b", b, backend="torch", ndim=1)
    v.same_dtype(x=x, w=w, b=b)
    v.same_device(x=x, w=w, b=b)
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have shape (D, M) with D = x.shape[1] = {x.shape[1]}, got {tuple(w.shape)}")
    v.shape_equal("b", b, (w.shape[1],))
    return x @ w + b, (x, w, b)


def dense_backward(dout, cache):
    """Backward pass of :func:`dense_forward`. Returns dx (N, D), dw (D, M), db (M,)."""
    x, w, _ = cache
    v.float_array("dout", dout, backend="torch", ndim=2)
    v.shape_equal("dout", dout, (x.shape[0], w.shape[1]))
    v.same_dtype(dout=dout, x=x)
    return dout @ w.T, x.T @ dout, dout.sum(dim=0)


def softmax(z):
    """Row-wise, numerically stable softmax of z (N, C)."""
    v.float_array("z", z, backend="torch", ndim=2)
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient; logits (N, C), y (N,) integer labels.

    Returns:
        loss: 0-d tensor of the logits' dtype.
        dlogits: (N, C), ``(softmax(logits) - onehot(y)) / N``.
    """
    v.float_array("logits", logits, backend="torch", ndim=2)
    n, c = logits.shape
    v.integer_labels("y", y, n, c)
    if n == 0:
        raise ValueError("logits must hold at least one row: the mean over an empty batch is undefined")
    y = y.to(device=logits.device, dtype=torch.long)
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_z = torch.log(torch.exp(shifted).sum(dim=1))
    rows = torch.arange(n, device=logits.device)
    loss = (log_z - shifted[rows, y]).mean()
    dlogits = torch.exp(shifted - log_z[:, None])
    dlogits[rows, y] -= 1
    return loss, dlogits / n
