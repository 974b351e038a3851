"""Weight penalties, dropout and input noise in NumPy, forward and backward by hand.

Conventions (see docs/conventions.md):

- ``l2_penalty`` is λ/2·Σw², so its gradient λ·w is what ``weight_decay=λ`` adds to the
  gradient in ``torch.optim.SGD``. Keras's ``l2(λ)`` is λ·Σw² (gradient 2λ·w).
- ``max_norm`` (topic 10) rescales each unit's incoming weights to a norm of at most
  ``max_value``, with torch.renorm's formula; its ``axis`` is Keras's (the axis summed over).
- ``dropout_forward`` is *inverted* dropout: ``p_drop`` is the probability of dropping a
  unit, and kept units are scaled by 1/(1-p_drop) in training, so nothing changes at test
  time. cs231n's ``p`` is the keep probability; the original paper (Srivastava et al.
  2014) scales by 1-p at test time instead ("non-inverted" dropout).
"""

import numpy as np

from coursekit import _validate as v
from coursekit.regularization._checks import drop_probability, norm_axes, numpy_generator, train_flag


def l1_penalty(w, lam):
    """L1 penalty λ·Σ|w| and its (sub)gradient λ·sign(w), which is 0 where w is 0.

    Args:
        w: weights, any shape.
        lam: λ >= 0.

    Returns:
        penalty: scalar of w's dtype.
        grad: shape of w.
    """
    v.float_array("w", w, backend="numpy")
    v.positive_number("lam", lam, allow_zero=True)
    lam_ = w.dtype.type(lam)
    return w.dtype.type(lam_ * np.abs(w).sum()), lam_ * np.sign(w)


def l2_penalty(w, lam):
    """L2 penalty λ/2·Σw² and its gradient λ·w, what torch's ``weight_decay=λ`` adds to the
    gradient (weight decay for SGD; not for Adam, where ``AdamW`` decouples the decay).

    Args:
        w: weights, any shape.
        lam: λ >= 0.

    Returns:
        penalty: scalar of w's dtype.
        grad: shape of w.
    """
    v.float_array("w", w, backend="numpy")
    v.positive_number("lam", lam, allow_zero=True)
    lam_ = w.dtype.type(lam)
    return w.dtype.type(lam_ / 2 * np.sum(w * w)), lam_ * w


def soft_threshold(w, threshold):
    """Proximal operator of threshold·|w|: sign(w)·max(|w| - threshold, 0).

    One proximal-gradient (ISTA) step for an L1 penalty λ with learning rate lr is
    ``soft_threshold(w - lr * grad_loss, lr * λ)``; unlike a subgradient step, it sets
    small weights to exactly 0.

    Args:
        w: any shape.
        threshold: >= 0.

    Returns:
        array of w's shape and dtype.
    """
    v.float_array("w", w, backend="numpy")
    v.positive_number("threshold", threshold, allow_zero=True)
    return np.sign(w) * np.maximum(np.abs(w) - w.dtype.type(threshold), 0)


def max_norm(w, max_value, *, axis=0, eps=1e-7):
    """Max-norm constraint: rescale each slice of w whose L2 norm over ``axis`` exceeds
    ``max_value`` back to (just under) ``max_value``; leave the others unchanged.

    It is a projection applied after each optimizer step, not a penalty: ``w <- max_norm(w, r)``.
    The formula is ``torch.renorm``'s: a slice of norm n > max_value is multiplied by
    ``max_value / (n + eps)``. ``axis`` is the axis the norm runs over, as in Keras's
    ``MaxNorm(axis=0)``; torch.renorm's ``dim`` names the other axis (the one it keeps), so
    for a 2-D w, ``max_norm(w, r, axis=0)`` equals ``torch.renorm(w, 2, 1, r)``.

    Args:
        w: weights, at least 1-D; with the default axis=0 and w of shape (D, M) (the workbook's
            ``x @ w`` layout), each column, one unit's incoming weights, is constrained.
            torch's ``nn.Linear.weight`` is (M, D): use axis=1 there.
        max_value: the largest norm allowed, > 0 (Keras's default is 2).
        axis: an int or a tuple of ints.
        eps: added to the norm in the scale factor (torch's and Keras's 1e-7), >= 0.

    Returns:
        w_new: shape and dtype of w (a new array).
    """
    v.float_array("w", w, backend="numpy")
    axes = norm_axes(axis, w.ndim)
    max_value = v.positive_number("max_value", max_value)
    eps = v.positive_number("eps", eps, allow_zero=True)
    norms = np.sqrt(np.sum(w * w, axis=axes, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):  # where computes both branches
        scale = np.where(norms > max_value, max_value / (norms + eps), 1.0)
    return w * scale.astype(w.dtype, copy=False)


def dropout_forward(x, p_drop, *, train=True, rng=None):
    """Inverted dropout: drop each unit with probability p_drop, scale the rest by 1/(1-p_drop).

    Args:
        x: activations, any shape.
        p_drop: drop probability in [0, 1) (not cs231n's keep probability).
        train: if False, the identity (a copy of x).
        rng: ``numpy.random.Generator``; needed when training with p_drop > 0.

    Returns:
        out: shape and dtype of x.
        cache: the scaled mask (shape of x), or None at test time, for
            :func:`dropout_backward`.
    """
    v.float_array("x", x, backend="numpy")
    p_drop = drop_probability(p_drop)
    train = train_flag(train)
    rng = numpy_generator(rng, needed=train and p_drop > 0)
    if not train:
        return x.copy(), None
    keep = rng.random(x.shape) >= p_drop if p_drop > 0 else np.ones(x.shape, dtype=bool)
    mask = keep.astype(x.dtype) / x.dtype.type(1 - p_drop)
    return x * mask, mask


def dropout_backward(dout, cache):
    """Backward pass of :func:`dropout_forward`: the same mask, applied to the gradient.

    Args:
        dout: upstream gradient, shape of x.
        cache: from :func:`dropout_forward`.

    Returns:
        dx: shape of dout.
    """
    v.float_array("dout", dout, backend="numpy")
    if cache is None:
        return dout.copy()
    v.shape_equal("dout", dout, cache.shape)
    v.same_dtype(dout=dout, mask=cache)
    return dout * cache


def gaussian_noise(x, stddev, *, train=True, rng=None):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        x: inputs, any shape.
        stddev: >= 0.
        train: if False, the identity (a copy of x).
        rng: ``numpy.random.Generator``; needed when training with stddev > 0.

    Returns:
        out: shape and dtype of x. Its gradient with respect to x is the identity.
    """
    v.float_array("x", x, backend="numpy")
    v.positive_number("stddev", stddev, allow_zero=True)
    train = train_flag(train)
    rng = numpy_generator(rng, needed=train and stddev > 0)
    if not train or stddev == 0:
        return x.copy()
    noise = rng.standard_normal(x.shape).astype(x.dtype, copy=False)
    return x + x.dtype.type(stddev) * noise


def bias_variance(predictions, target):
    """Empirical bias² and variance of an ensemble of models trained on resampled data.

    Args:
        predictions: shape (S, P): S models (one per training set) at P test points.
        target: the true function at the test points, shape (P,).

    Returns:
        bias2: mean over points of (mean over models - target)², a scalar.
        variance: mean over points of the variance over models (divided by S, not
            S-1, so that the mean squared error over models equals bias2 + variance).
    """
    v.float_array("predictions", predictions, backend="numpy", ndim=2)
    v.float_array("target", target, backend="numpy", ndim=1)
    v.shape_equal("target", target, (predictions.shape[1],))
    v.same_dtype(predictions=predictions, target=target)
    if predictions.shape[0] == 0:
        raise ValueError("predictions must hold at least one model (one row)")
    mean = predictions.mean(axis=0)
    bias2 = np.mean((mean - target) ** 2)
    variance = np.mean(np.mean((predictions - mean) ** 2, axis=0))
    return bias2, variance
