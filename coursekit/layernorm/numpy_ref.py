"""Layer normalisation in NumPy, forward and backward by hand (Ba, Kiros & Hinton, 2016).

Where BatchNorm normalises each feature over the batch, LayerNorm normalises each example
over its own features (the last axis): no batch statistics, no running averages, and the
same computation in training and at test time, for any batch size, one included.

Conventions are ``nn.LayerNorm``'s: the *biased* variance (divide by D), ``eps=1e-5``
inside the square root. Keras's ``LayerNormalization`` uses ``epsilon=1e-3``.
"""

from typing import NamedTuple

import numpy as np

from coursekit.layernorm import _checks


class LayerNormCache(NamedTuple):
    """What :func:`layernorm_backward` needs from the forward pass.

    Attributes:
        x: the input, (..., D).
        mean: each example's mean over its features, (..., 1).
        inv_std: ``1 / sqrt(var + eps)``, (..., 1).
        gamma: the scale, (D,).
    """

    x: object
    mean: object
    inv_std: object
    gamma: object


def layernorm_forward(x, gamma, beta, *, eps=1e-5):
    """LayerNorm over the last axis: ``out = gamma * (x - mu) / sqrt(var + eps) + beta``.

    mu and var (biased) are each example's mean and variance over its D features.

    Args:
        x: inputs, (..., D): (N, D) for an MLP, (N, T, D) for a sequence.
        gamma, beta: scale and shift, (D,) (``nn.LayerNorm``'s ``weight`` and ``bias``).
        eps: > 0, added to the variance inside the square root.

    Returns:
        out: (..., D), x's dtype.
        cache: a :class:`LayerNormCache` for :func:`layernorm_backward`.
    """
    eps = _checks.forward_args("numpy", x, gamma, beta, eps)
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    return gamma * (centred * inv_std) + beta, LayerNormCache(x, mean, inv_std, gamma)


def layernorm_backward(dout, cache):
    """Backward pass of :func:`layernorm_forward`, in closed form.

    With ``xhat = (x - mu) * inv_std`` and ``g = dout * gamma``, per example (means over its
    D features)::

        dx = inv_std * (g - mean(g) - xhat * mean(g * xhat))

    BatchNorm's formula with the roles of the axes swapped; gamma sits inside the means
    here because it varies along the normalised axis.

    Args:
        dout: upstream gradient, (..., D).
        cache: the :class:`LayerNormCache` from :func:`layernorm_forward`.

    Returns:
        dx (..., D), dgamma (D,), dbeta (D,): the parameter gradients summed over every
        leading axis.
    """
    _checks.backward_args("numpy", dout, cache, LayerNormCache)
    x, mean, inv_std, gamma = cache
    xhat = (x - mean) * inv_std
    leading = tuple(range(x.ndim - 1))
    dbeta = dout.sum(axis=leading)
    dgamma = (dout * xhat).sum(axis=leading)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
