"""Batch normalisation in NumPy, forward and backward by hand, with torch's conventions.

- ``momentum`` is the weight of the new batch statistic:
  ``running = (1 - momentum) * running + momentum * batch``. The lecture notes (and Keras)
  write the same update with ``decay = 1 - momentum`` weighting the old value.
- The batch is normalised with the *biased* batch variance (divide by N), but the running
  variance is updated with the *unbiased* one (divide by N - 1), as ``nn.BatchNorm1d`` does.
- Defaults are torch's, ``momentum=0.1`` and ``eps=1e-5``; Keras uses ``momentum=0.99``
  (its decay) and ``epsilon=1e-3``.
"""

from typing import NamedTuple

import numpy as np

from coursekit.batchnorm import _checks


class BatchNormCache(NamedTuple):
    """What :func:`batchnorm_backward` needs from the forward pass.

    Attributes:
        x: the input, (N, D).
        mean: the (D,) mean x was centred with: the batch mean in training, the running
            mean at test time.
        inv_std: (D,) ``1 / sqrt(var + eps)`` with the matching variance.
        gamma: the scale, (D,).
        train: whether the batch statistics were used (then they depend on x).
    """

    x: object
    mean: object
    inv_std: object
    gamma: object
    train: bool


def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, train=True, momentum=0.1, eps=1e-5):
    """BatchNorm over the batch axis: ``out = gamma * (x - mu) / sqrt(var + eps) + beta``.

    In training, mu and var are the batch mean and biased batch variance, and the running
    statistics move towards them. At test time (``train=False``) the running statistics
    normalise x and are returned unchanged.

    Args:
        x: inputs, (N, D); N >= 2 in training.
        gamma, beta: scale and shift, (D,).
        running_mean, running_var: running statistics, (D,). Not modified.
        train: use (and update with) the batch statistics.
        momentum: weight of the batch statistic in the running average, in [0, 1].
        eps: added to the variance inside the square root.

    Returns:
        out: (N, D).
        cache: a :class:`BatchNormCache` for :func:`batchnorm_backward`.
        new_running_mean, new_running_var: (D,) new arrays.
    """
    _checks.forward_args("numpy", x, gamma, beta, running_mean, running_var, train, momentum, eps)
    if train:
        n = x.shape[0]
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)  # biased: what normalises the batch
        new_running_mean = (1 - momentum) * running_mean + momentum * mean
        new_running_var = (1 - momentum) * running_var + momentum * var * (n / (n - 1))
    else:
        mean, var = running_mean, running_var
        new_running_mean, new_running_var = running_mean.copy(), running_var.copy()
    inv_std = 1 / np.sqrt(var + eps)
    out = gamma * ((x - mean) * inv_std) + beta
    return out, BatchNormCache(x, mean, inv_std, gamma, bool(train)), new_running_mean, new_running_var


def batchnorm_backward(dout, cache):
    """Backward pass of :func:`batchnorm_forward`, in closed form.

    With ``xhat = (x - mu) * inv_std`` and N examples, in training

        dx = gamma * inv_std * (dout - mean(dout) - xhat * mean(dout * xhat))

    (means over the batch): the two extra terms are the paths through mu and var. At test
    time the statistics are constants, so ``dx = gamma * inv_std * dout``.

    Args:
        dout: upstream gradient, (N, D).
        cache: the :class:`BatchNormCache` from :func:`batchnorm_forward`.

    Returns:
        dx (N, D), dgamma (D,), dbeta (D,).
    """
    _checks.backward_args("numpy", dout, cache, BatchNormCache)
    x, mean, inv_std, gamma, train = cache
    xhat = (x - mean) * inv_std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    scale = gamma * inv_std
    if not train:
        return dout * scale, dgamma, dbeta
    n = x.shape[0]
    dx = scale * (dout - dbeta / n - xhat * (dgamma / n))
    return dx, dgamma, dbeta
