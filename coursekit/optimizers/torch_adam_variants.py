"""NAdam and AdaMax in torch, from tensor operations (re-exported by ``torch_ref``).

Same names, signatures, states and flags as :mod:`coursekit.optimizers.numpy_adam_variants`
(see it for the formulas). Tensors stay on the caller's device and keep their dtype, inputs
are never changed, and the count and NAdam's momentum product are Python numbers, so no step
reads a value back from the device. No autograd is involved.
"""

import torch

from coursekit import _validate as v
from coursekit.optimizers import _checks as c
from coursekit.optimizers.numpy_adam_variants import nadam_momentum, nadam_momentum_product
from coursekit.optimizers.state import AdamaxState, NadamState

__all__ = ["nadam_init", "nadam_step", "adamax_init", "adamax_step"]

_BACKEND = "torch"


def nadam_init(w):
    """Zero moments like w, a zero count and a momentum product of 1.0."""
    c.weights(w, _BACKEND)
    return NadamState(0, 1.0, torch.zeros_like(w), torch.zeros_like(w))


def nadam_step(w, dw, state, *, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=0.004):
    """NAdam as torch.optim.NAdam computes it, with Dozat's momentum schedule.

    See :func:`coursekit.optimizers.numpy_adam_variants.nadam_step`.
    """
    c.step_inputs(w, dw, state, NadamState, "nadam_init", _BACKEND)
    lr, eps = v.non_negative("lr", lr), v.non_negative("eps", eps)
    beta1, beta2 = c.decay("beta1", beta1), c.decay("beta2", beta2)
    momentum_decay = v.non_negative("momentum_decay", momentum_decay)
    t = state.count + 1
    mu_t, mu_next = nadam_momentum(t, beta1, momentum_decay), nadam_momentum(t + 1, beta1, momentum_decay)
    mu_product = nadam_momentum_product(state.mu_product, mu_t)
    mu = beta1 * state.mu + (1.0 - beta1) * dw
    nu = beta2 * state.nu + (1.0 - beta2) * (dw * dw)
    denom = torch.sqrt(nu / (1.0 - beta2**t)) + eps
    gradient_part = lr * (1.0 - mu_t) / (1.0 - mu_product) * dw / denom
    momentum_part = lr * mu_next / (1.0 - mu_product * mu_next) * mu / denom
    return w - gradient_part - momentum_part, NadamState(t, mu_product, mu, nu)


def adamax_init(w):
    """A zero first moment and infinity norm like w. Returns ``AdamaxState(0, mu, u)``."""
    c.weights(w, _BACKEND)
    return AdamaxState(0, torch.zeros_like(w), torch.zeros_like(w))


def adamax_step(w, dw, state, *, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, eps_inside_max=True):
    """AdaMax as torch.optim.Adamax computes it: ``u <- max(beta2 u, |dw| + eps)``.

    See :func:`coursekit.optimizers.numpy_adam_variants.adamax_step` (and Keras's
    convention, ``eps_inside_max=False``).
    """
    c.step_inputs(w, dw, state, AdamaxState, "adamax_init", _BACKEND)
    lr, eps = v.non_negative("lr", lr), v.non_negative("eps", eps)
    beta1, beta2 = c.decay("beta1", beta1), c.decay("beta2", beta2)
    inside = v.flag("eps_inside_max", eps_inside_max)
    t = state.count + 1
    mu = beta1 * state.mu + (1.0 - beta1) * dw
    u = torch.maximum(beta2 * state.u, dw.abs() + eps) if inside else torch.maximum(beta2 * state.u, dw.abs())
    denom = u if inside else u + eps
    return w - lr / (1.0 - beta1**t) * mu / denom, AdamaxState(t, mu, u)
