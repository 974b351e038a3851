"""Argument checks shared by the NumPy and torch BatchNorm references."""

import numbers

import numpy as np

from coursekit import _validate as v

PER_FEATURE = ("gamma", "beta", "running_mean", "running_var")


def forward_args(backend, x, gamma, beta, running_mean, running_var, train, momentum, eps):
    """Check :func:`batchnorm_forward`'s arguments; raise ``TypeError``/``ValueError``."""
    v.float_array("x", x, backend=backend, ndim=2)
    n, d = x.shape
    arrays = {"x": x}
    for name, value in zip(PER_FEATURE, (gamma, beta, running_mean, running_var)):
        v.float_array(name, value, backend=backend, ndim=1)
        if value.shape[0] != d:
            raise ValueError(
                f"{name} must have shape ({d},), one entry per feature of x (N, D) = {tuple(x.shape)}, "
                f"got {tuple(value.shape)}"
            )
        arrays[name] = value
    v.same_dtype(**arrays)
    if backend == "torch":
        v.same_device(**arrays)
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be True or False, got {type(train).__name__}")
    unit_interval("momentum", momentum)
    v.positive_number("eps", eps)
    if train:
        batch_of_at_least_two(n)


def unit_interval(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must lie in [0, 1] (the weight of the new batch statistic), got {value}")


def batch_of_at_least_two(n):
    if n < 2:
        raise ValueError(
            f"x holds a batch of {n} example(s): in training BatchNorm needs at least 2, because the "
            "variance of a single example is undefined (torch raises too). Use a larger batch, or "
            "train=False to normalise with the running statistics."
        )


def backward_args(backend, dout, cache, cache_type):
    """Check :func:`batchnorm_backward`'s arguments."""
    if not isinstance(cache, cache_type):
        raise TypeError(f"cache must be the BatchNormCache from batchnorm_forward, got {type(cache).__name__}")
    v.float_array("dout", dout, backend=backend, ndim=2)
    v.shape_equal("dout", dout, cache.x.shape)
    v.same_dtype(dout=dout, x=cache.x)
    if backend == "torch":
        v.same_device(dout=dout, x=cache.x)
