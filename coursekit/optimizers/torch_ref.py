"""The optimizers of :mod:`coursekit.optimizers.numpy_ref` in torch, from tensor operations.

Same names, signatures and states as the NumPy reference: tensors stay on the caller's
device and keep their dtype, inputs are never changed, and ``AdamState.count`` is a Python
int, so no step reads a number back from the device. No autograd is involved.

AdamW (topic 10) stands beside Adam; NAdam and AdaMax (topic 10) live in
:mod:`coursekit.optimizers.torch_adam_variants` and are re-exported here.

The from-scratch ``torch.optim.Optimizer`` subclasses :class:`SGD`, :class:`Adagrad`,
:class:`RMSprop` and :class:`Adam` (in :mod:`coursekit.optimizers.torch_optim`) are
re-exported here.
"""

import torch

from coursekit import _validate as v
from coursekit.optimizers import _checks as c
from coursekit.optimizers.state import AdagradState, AdamState, MomentumState, RMSpropState, SGDState
from coursekit.optimizers.torch_adam_variants import (  # topic 10; kept apart to keep files short
    adamax_init,
    adamax_step,
    nadam_init,
    nadam_step,
)
from coursekit.optimizers.torch_optim import SGD, Adagrad, Adam, RMSprop

__all__ = [
    "sgd_init",
    "sgd_step",
    "momentum_init",
    "momentum_step",
    "nesterov_init",
    "nesterov_step",
    "adagrad_init",
    "adagrad_step",
    "rmsprop_init",
    "rmsprop_step",
    "adam_init",
    "adam_step",
    "adamw_init",
    "adamw_step",
    "nadam_init",
    "nadam_step",
    "adamax_init",
    "adamax_step",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
]

_BACKEND = "torch"


def sgd_init(w):
    """Plain SGD has no state. Returns ``SGDState()``."""
    c.weights(w, _BACKEND)
    return SGDState()


def sgd_step(w, dw, state, *, lr=0.001):
    """``w_new = w - lr * dw``; see :func:`coursekit.optimizers.numpy_ref.sgd_step`."""
    c.step_inputs(w, dw, state, SGDState, "sgd_init", _BACKEND)
    lr = v.non_negative("lr", lr)
    return w - lr * dw, state


def momentum_init(w):
    """A zero velocity like w (same dtype and device). Returns ``MomentumState(velocity)``."""
    c.weights(w, _BACKEND)
    return MomentumState(torch.zeros_like(w))


def momentum_step(w, dw, state, *, lr=0.001, momentum=0.9, ema=False):
    """``v <- momentum v + dw`` (``+ (1 - momentum) dw`` if ema), ``w <- w - lr v``.

    See :func:`coursekit.optimizers.numpy_ref.momentum_step`.
    """
    c.step_inputs(w, dw, state, MomentumState, "momentum_init", _BACKEND)
    lr, momentum = v.non_negative("lr", lr), c.decay("momentum", momentum)
    dw_weight = 1.0 - momentum if v.flag("ema", ema) else 1.0
    velocity = momentum * state.velocity + dw_weight * dw
    return w - lr * velocity, MomentumState(velocity)


def nesterov_init(w):
    """A zero velocity like w. Returns ``MomentumState(velocity)``."""
    c.weights(w, _BACKEND)
    return MomentumState(torch.zeros_like(w))


def nesterov_step(w, dw, state, *, lr=0.001, momentum=0.9):
    """``v <- momentum v + dw``, ``w <- w - lr (dw + momentum v)`` (torch's Nesterov).

    See :func:`coursekit.optimizers.numpy_ref.nesterov_step`.
    """
    c.step_inputs(w, dw, state, MomentumState, "nesterov_init", _BACKEND)
    lr, momentum = v.non_negative("lr", lr), c.decay("momentum", momentum)
    velocity = momentum * state.velocity + dw
    return w - lr * (dw + momentum * velocity), MomentumState(velocity)


def adagrad_init(w):
    """A zero sum of squared gradients like w. Returns ``AdagradState(sum_sq)``."""
    c.weights(w, _BACKEND)
    return AdagradState(torch.zeros_like(w))


def adagrad_step(w, dw, state, *, lr=0.01, eps=1e-10, eps_inside=False):
    """``s <- s + dw**2``, ``w <- w - lr dw / (sqrt(s) + eps)`` (or ``sqrt(s + eps)``).

    See :func:`coursekit.optimizers.numpy_ref.adagrad_step`.
    """
    c.step_inputs(w, dw, state, AdagradState, "adagrad_init", _BACKEND)
    lr, eps = v.non_negative("lr", lr), v.non_negative("eps", eps)
    sum_sq = state.sum_sq + dw * dw
    denom = torch.sqrt(sum_sq + eps) if v.flag("eps_inside", eps_inside) else torch.sqrt(sum_sq) + eps
    return w - lr * dw / denom, AdagradState(sum_sq)


def rmsprop_init(w):
    """A zero average of squared gradients like w. Returns ``RMSpropState(square_avg)``."""
    c.weights(w, _BACKEND)
    return RMSpropState(torch.zeros_like(w))


def rmsprop_step(w, dw, state, *, lr=0.01, alpha=0.99, eps=1e-8, eps_inside=False):
    """``s <- alpha s + (1 - alpha) dw**2``, ``w <- w - lr dw / (sqrt(s) + eps)``.

    See :func:`coursekit.optimizers.numpy_ref.rmsprop_step`.
    """
    c.step_inputs(w, dw, state, RMSpropState, "rmsprop_init", _BACKEND)
    lr, alpha, eps = v.non_negative("lr", lr), c.decay("alpha", alpha), v.non_negative("eps", eps)
    square_avg = alpha * state.square_avg + (1.0 - alpha) * (dw * dw)
    inside = v.flag("eps_inside", eps_inside)
    denom = torch.sqrt(square_avg + eps) if inside else torch.sqrt(square_avg) + eps
    return w - lr * dw / denom, RMSpropState(square_avg)


def adam_init(w):
    """Zero moments like w and a zero count. Returns ``AdamState(0, mu, nu)``."""
    c.weights(w, _BACKEND)
    return AdamState(0, torch.zeros_like(w), torch.zeros_like(w))


def adam_step(
    w,
    dw,
    state,
    *,
    lr=0.001,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    bias_correction=True,
    eps_hat=False,
    second_moment_beta1=False,
):
    """Adam as torch.optim.Adam computes it, with Keras's and the notes' variants as flags.

    See :func:`coursekit.optimizers.numpy_ref.adam_step` for the formulas and flags.
    """
    c.step_inputs(w, dw, state, AdamState, "adam_init", _BACKEND)
    lr, eps = v.non_negative("lr", lr), v.non_negative("eps", eps)
    beta1, beta2 = c.decay("beta1", beta1), c.decay("beta2", beta2)
    bias_correction, eps_hat = v.flag("bias_correction", bias_correction), v.flag("eps_hat", eps_hat)
    if eps_hat and not bias_correction:
        raise ValueError(
            "eps_hat folds the bias correction into the step size; it cannot be combined with bias_correction=False"
        )
    t = state.count + 1
    nu_decay = beta1 if v.flag("second_moment_beta1", second_moment_beta1) else beta2
    mu = beta1 * state.mu + (1.0 - beta1) * dw
    nu = nu_decay * state.nu + (1.0 - beta2) * (dw * dw)
    correction1, correction2 = (1.0 - beta1**t, 1.0 - beta2**t) if bias_correction else (1.0, 1.0)
    if eps_hat:
        step = lr * correction2**0.5 / correction1 * mu / (torch.sqrt(nu) + eps)
    else:
        step = lr * (mu / correction1) / (torch.sqrt(nu / correction2) + eps)
    return w - step, AdamState(t, mu, nu)


def adamw_init(w):
    """Adam's zero moments and count (:func:`adam_init`): ``AdamState(0, mu, nu)``."""
    return adam_init(w)


def adamw_step(
    w, dw, state, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, schedule_multiplier=None
):
    """``w <- w (1 - lr weight_decay)``, then Adam's step (torch.optim.AdamW).

    See :func:`coursekit.optimizers.numpy_ref.adamw_step` (and its
    ``schedule_multiplier``, the paper's convention).
    """
    c.step_inputs(w, dw, state, AdamState, "adamw_init", _BACKEND)
    lr, eps, weight_decay = (
        v.non_negative("lr", lr),
        v.non_negative("eps", eps),
        v.non_negative("weight_decay", weight_decay),
    )
    beta1, beta2 = c.decay("beta1", beta1), c.decay("beta2", beta2)
    if schedule_multiplier is None:
        step_lr, decay = lr, lr * weight_decay
    else:
        eta = v.non_negative("schedule_multiplier", schedule_multiplier)
        step_lr, decay = eta * lr, eta * weight_decay
    return adam_step(w * (1.0 - decay), dw, state, lr=step_lr, beta1=beta1, beta2=beta2, eps=eps)
