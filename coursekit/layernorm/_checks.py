"""Argument checks shared by the NumPy and torch LayerNorm references."""

from coursekit import _validate as v


def forward_args(backend, x, gamma, beta, eps):
    """Check :func:`layernorm_forward`'s arguments; raise ``TypeError``/``ValueError``."""
    v.float_array("x", x, backend=backend)
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"x must have at least one axis with features, (..., D), got shape {tuple(x.shape)}")
    d = x.shape[-1]
    for name, value in (("gamma", gamma), ("beta", beta)):
        v.float_array(name, value, backend=backend, ndim=1)
        if value.shape[0] != d:
            raise ValueError(
                f"{name} must have shape ({d},), one entry per feature of x (..., D) = {tuple(x.shape)}, "
                f"got {tuple(value.shape)}"
            )
    v.same_dtype(x=x, gamma=gamma, beta=beta)
    if backend == "torch":
        v.same_device(x=x, gamma=gamma, beta=beta)
    return float(v.positive_number("eps", eps))


def backward_args(backend, dout, cache, cache_type):
    """Check :func:`layernorm_backward`'s arguments."""
    if not isinstance(cache, cache_type):
        raise TypeError(f"cache must be the LayerNormCache from layernorm_forward, got {type(cache).__name__}")
    v.float_array("dout", dout, backend=backend)
    v.shape_equal("dout", dout, cache.x.shape)
    v.same_dtype(dout=dout, x=cache.x)
    if backend == "torch":
        v.same_device(dout=dout, x=cache.x)
