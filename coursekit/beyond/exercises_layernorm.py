"""Graded exercises of 10_beyond_the_notes: LayerNorm forward and backward.

1. ``layernorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)`` over the last axis;
2. ``layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)``, graded with the answer's own
   forward pass (its cache is whatever the answer chose).

Cases include inputs with a small spread, where eps matters, and 1-D and 3-D inputs. Known
alternatives are named: Keras's eps, the unbiased variance, eps outside the root, the
statistics over the batch axis (BatchNorm), and, backwards, the statistics treated as
constants or the variance's path left out.
"""

import numpy as np

from coursekit.beyond.cases_layernorm import CASES
from coursekit.grading import Convention, Exercise, register, torch_functions
from coursekit.layernorm import numpy_ref as ref

BUILTINS = ("nn.functional.layer_norm", "layer_norm", "native_layer_norm", "autograd.grad", "autograd.backward")


# ----- the alternatives, written out -------------------------------------------------------


def _normalise(x, gamma, beta, eps, *, ddof=0, eps_outside=False, axis=-1):
    mean = x.mean(axis=axis, keepdims=True)
    std = x.std(axis=axis, keepdims=True, ddof=ddof) if x.shape[axis] > ddof else np.ones_like(mean)
    scale = 1 / (std + eps) if eps_outside else 1 / np.sqrt(std * std + eps)
    out = gamma * ((x - mean) * scale) + beta
    return out, ref.LayerNormCache(x, mean, scale, gamma)


def _forward_with(**options):
    return lambda x, gamma, beta, eps=1e-5: _normalise(x, gamma, beta, eps, **options)


def _constant_statistics(dout, cache):
    x, mean, inv_std, gamma = cache
    leading = tuple(range(x.ndim - 1))
    return dout * gamma * inv_std, (dout * (x - mean) * inv_std).sum(axis=leading), dout.sum(axis=leading)


def _without_variance_path(dout, cache):
    dx, dgamma, dbeta = _constant_statistics(dout, cache)
    return dx - dx.mean(axis=-1, keepdims=True), dgamma, dbeta


FORWARD_CONVENTIONS = (
    Convention(
        "Keras's epsilon = 1e-3",
        "Use the eps argument (torch's default is 1e-5; Keras's LayerNormalization uses 1e-3).",
        {"layernorm_forward": lambda x, gamma, beta, eps=1e-5: ref.layernorm_forward(x, gamma, beta, eps=1e-3)},
    ),
    Convention(
        "the unbiased variance (divide by D - 1)",
        "LayerNorm, like BatchNorm, normalises with the "
        "biased variance, the mean of (x - mu)**2 over the D features (np.var's default, ddof=0).",
        {"layernorm_forward": _forward_with(ddof=1)},
    ),
    Convention(
        "eps added to the standard deviation, (x - mu) / (std + eps)",
        "eps goes inside the root: (x - mu) / sqrt(var + eps).",
        {"layernorm_forward": _forward_with(eps_outside=True)},
    ),
    Convention(
        "statistics over the batch axis (that is BatchNorm)",
        "LayerNorm normalises each example over its own features, the last axis: mean(axis=-1, keepdims=True).",
        {"layernorm_forward": _forward_with(axis=0)},
    ),
)

BACKWARD_CONVENTIONS = (
    Convention(
        "the mean and variance treated as constants, dx = dout * gamma / sqrt(var + eps)",
        "mu and var depend on every feature of the example: subtract the mean of g = dout * gamma "
        "and xhat times the mean of g * xhat (means over the last axis).",
        {"layernorm_backward": _constant_statistics},
    ),
    Convention(
        "the path through the variance left out, dx = inv_std * (g - mean(g))",
        "The variance depends on x too: also subtract xhat * mean(g * xhat).",
        {"layernorm_backward": _without_variance_path},
    ),
)

register(
    Exercise(
        name="beyond.layernorm_forward",
        roles=("layernorm_forward",),
        make_case=CASES["beyond.layernorm_forward"].make_case,
        run=CASES["beyond.layernorm_forward"].run,
        reference={"layernorm_forward": ref.layernorm_forward},
        conventions=FORWARD_CONVENTIONS,
        forbidden=lambda: torch_functions(*BUILTINS),
        reference_modules=("coursekit.layernorm.numpy_ref", "coursekit.layernorm.torch_ref"),
    )
)

register(
    Exercise(
        name="beyond.layernorm_backward",
        roles=("layernorm_forward", "layernorm_backward"),
        make_case=CASES["beyond.layernorm_backward"].make_case,
        run=CASES["beyond.layernorm_backward"].run,
        reference={"layernorm_forward": ref.layernorm_forward, "layernorm_backward": ref.layernorm_backward},
        conventions=BACKWARD_CONVENTIONS,
        forbidden=lambda: torch_functions(*BUILTINS),
        reference_modules=("coursekit.layernorm.numpy_ref", "coursekit.layernorm.torch_ref"),
    )
)
