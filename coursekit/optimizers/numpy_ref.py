"""SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam in NumPy, one ``init``/``step`` pair each,
and topic 10's AdamW (Adam with decoupled weight decay) beside Adam.

NAdam and AdaMax (topic 10) live in :mod:`coursekit.optimizers.numpy_adam_variants` and are
re-exported here.

Every optimizer is a pair, in the style of optax but without closures:

- ``<name>_init(w) -> state``: a named tuple from :mod:`coursekit.optimizers.state`;
- ``<name>_step(w, dw, state, *, lr, ...) -> (w_new, state_new)``.

``w`` and ``dw`` are arrays of any one shape (dw is the gradient of the loss at w); every
array in the state has that shape too. A step never changes its inputs and keeps their
floating dtype. Hyperparameter names and defaults are torch.optim's, and with the same
hyperparameters the trajectory equals torch.optim's (tested to 1e-10 in float64). Other
conventions (Keras's, the lecture notes') sit behind keyword flags that default to torch's.
"""

import numpy as np

from coursekit import _validate as v
from coursekit.optimizers import _checks as c
from coursekit.optimizers.numpy_adam_variants import (  # topic 10; kept apart to keep files short
    adamax_init,
    adamax_step,
    nadam_init,
    nadam_step,
)
from coursekit.optimizers.state import AdagradState, AdamState, MomentumState, RMSpropState, SGDState

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
]

_BACKEND = "numpy"


def sgd_init(w):
    """Plain SGD has no state. Returns ``SGDState()``."""
    c.weights(w, _BACKEND)
    return SGDState()


def sgd_step(w, dw, state, *, lr=0.001):
    """``w_new = w - lr * dw`` (torch.optim.SGD without momentum).

    Args:
        w: weights, any shape. dw: gradient, shaped like w. state: from :func:`sgd_init`.
        lr: learning rate (>= 0).

    Returns:
        (w_new, state): w_new shaped like w, the state unchanged.
    """
    c.step_inputs(w, dw, state, SGDState, "sgd_init", _BACKEND)
    lr = v.non_negative("lr", lr)
    return w - lr * dw, state


def momentum_init(w):
    """A zero velocity shaped like w. Returns ``MomentumState(velocity)``."""
    c.weights(w, _BACKEND)
    return MomentumState(np.zeros_like(w))


def momentum_step(w, dw, state, *, lr=0.001, momentum=0.9, ema=False):
    """Heavy-ball momentum, torch's form: ``v <- momentum * v + dw``, ``w <- w - lr * v``.

    The notes write ``m <- beta m + lr dw; w <- w - m``: with a constant lr, m = lr * v, so
    the trajectory is the same.

    Args:
        w, dw, state: as in :func:`sgd_step`; state from :func:`momentum_init`.
        lr: learning rate (>= 0). momentum: in [0, 1).
        ema: use the exponential-moving-average form taught in Andrew Ng's deep learning course,
            ``v <- momentum * v + (1 - momentum) * dw``: the same path as torch's with the
            learning rate multiplied by (1 - momentum).

    Returns:
        (w_new, MomentumState(velocity_new)).
    """
    c.step_inputs(w, dw, state, MomentumState, "momentum_init", _BACKEND)
    lr, momentum = v.non_negative("lr", lr), c.decay("momentum", momentum)
    dw_weight = 1.0 - momentum if v.flag("ema", ema) else 1.0
    velocity = momentum * state.velocity + dw_weight * dw
    return w - lr * velocity, MomentumState(velocity)


def nesterov_init(w):
    """A zero velocity shaped like w. Returns ``MomentumState(velocity)``."""
    c.weights(w, _BACKEND)
    return MomentumState(np.zeros_like(w))


def nesterov_step(w, dw, state, *, lr=0.001, momentum=0.9):
    """Nesterov momentum as torch writes it (``SGD(nesterov=True)``).

    ``v <- momentum * v + dw``, then ``w <- w - lr * (dw + momentum * v)``. Here w is the
    look-ahead point ``theta + momentum * velocity`` of Sutskever et al.'s form, which is why
    the gradient at w itself is all the step needs.

    Args:
        w, dw, state: as in :func:`sgd_step`; state from :func:`nesterov_init`.
        lr: learning rate (>= 0). momentum: in [0, 1).

    Returns:
        (w_new, MomentumState(velocity_new)).
    """
    c.step_inputs(w, dw, state, MomentumState, "nesterov_init", _BACKEND)
    lr, momentum = v.non_negative("lr", lr), c.decay("momentum", momentum)
    velocity = momentum * state.velocity + dw
    return w - lr * (dw + momentum * velocity), MomentumState(velocity)


def adagrad_init(w):
    """A zero sum of squared gradients shaped like w. Returns ``AdagradState(sum_sq)``."""
    c.weights(w, _BACKEND)
    return AdagradState(np.zeros_like(w))


def adagrad_step(w, dw, state, *, lr=0.01, eps=1e-10, eps_inside=False):
    """AdaGrad: ``s <- s + dw**2``, ``w <- w - lr * dw / (sqrt(s) + eps)`` (torch's form).

    Args:
        w, dw, state: as in :func:`sgd_step`; state from :func:`adagrad_init`.
        lr: learning rate (>= 0). eps: >= 0.
        eps_inside: put eps inside the root, ``sqrt(s + eps)``, as Keras 3 does (the notes
            give no AdaGrad formula; their RMSProp puts eps inside).

    Returns:
        (w_new, AdagradState(sum_sq_new)).
    """
    c.step_inputs(w, dw, state, AdagradState, "adagrad_init", _BACKEND)
    lr, eps = v.non_negative("lr", lr), v.non_negative("eps", eps)
    sum_sq = state.sum_sq + dw * dw
    denom = np.sqrt(sum_sq + eps) if v.flag("eps_inside", eps_inside) else np.sqrt(sum_sq) + eps
    return w - lr * dw / denom, AdagradState(sum_sq)


def rmsprop_init(w):
    """A zero average of squared gradients shaped like w. Returns ``RMSpropState(square_avg)``."""
    c.weights(w, _BACKEND)
    return RMSpropState(np.zeros_like(w))


def rmsprop_step(w, dw, state, *, lr=0.01, alpha=0.99, eps=1e-8, eps_inside=False):
    """RMSProp: ``s <- alpha s + (1 - alpha) dw**2``, ``w <- w - lr dw / (sqrt(s) + eps)``.

    Args:
        w, dw, state: as in :func:`sgd_step`; state from :func:`rmsprop_init`.
        lr: learning rate (>= 0). alpha: decay of the average, in [0, 1) (the notes' beta).
        eps: >= 0.
        eps_inside: put eps inside the root, ``sqrt(s + eps)``, as the notes and Keras do.

    Returns:
        (w_new, RMSpropState(square_avg_new)).
    """
    c.step_inputs(w, dw, state, RMSpropState, "rmsprop_init", _BACKEND)
    lr, alpha, eps = v.non_negative("lr", lr), c.decay("alpha", alpha), v.non_negative("eps", eps)
    square_avg = alpha * state.square_avg + (1.0 - alpha) * (dw * dw)
    inside = v.flag("eps_inside", eps_inside)
    denom = np.sqrt(square_avg + eps) if inside else np.sqrt(square_avg) + eps
    return w - lr * dw / denom, RMSpropState(square_avg)


def adam_init(w):
    """Zero moments shaped like w and a zero count. Returns ``AdamState(0, mu, nu)``."""
    c.weights(w, _BACKEND)
    return AdamState(0, np.zeros_like(w), np.zeros_like(w))


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
    """Adam (Kingma & Ba, Algorithm 1), as torch.optim.Adam computes it.

    ``t <- t + 1``, ``mu <- beta1 mu + (1 - beta1) dw``, ``nu <- beta2 nu + (1 - beta2) dw**2``,
    ``w <- w - lr * mu_hat / (sqrt(nu_hat) + eps)`` with ``mu_hat = mu / (1 - beta1**t)`` and
    ``nu_hat = nu / (1 - beta2**t)``.

    Args:
        w, dw, state: as in :func:`sgd_step`; state from :func:`adam_init`.
        lr: learning rate (>= 0). beta1, beta2: decays of the moments, in [0, 1). eps: >= 0.
        bias_correction: False drops the division by ``1 - beta**t``.
        eps_hat: Keras's convention, where eps is the paper's "epsilon hat": the bias
            corrections go into the step size, ``lr_t = lr sqrt(1 - beta2**t) / (1 - beta1**t)``,
            and ``w <- w - lr_t * mu / (sqrt(nu) + eps)``.
        second_moment_beta1: reproduce the notes' typo, ``nu <- beta1 nu + (1 - beta2) dw**2``.
            nu then settles near (1 - beta2) / (1 - beta1) = 1/100 of the squared gradient
            and the steps grow up to tenfold. Only for the notebook that shows it failing.

    Returns:
        (w_new, AdamState(count + 1, mu_new, nu_new)).
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
        step = lr * correction2**0.5 / correction1 * mu / (np.sqrt(nu) + eps)
    else:
        step = lr * (mu / correction1) / (np.sqrt(nu / correction2) + eps)
    return w - step, AdamState(t, mu, nu)


def adamw_init(w):
    """Adam's zero moments and count (:func:`adam_init`): ``AdamState(0, mu, nu)``."""
    return adam_init(w)


def adamw_step(
    w, dw, state, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, schedule_multiplier=None
):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW computes it.

    ``w <- w * (1 - lr * weight_decay)``, then the Adam step of :func:`adam_step` with the
    gradient dw. The decay never
    enters the moments, so every weight shrinks by the same factor whatever its gradient
    history. (Adam with an L2 penalty adds ``weight_decay * w`` to dw instead; the moments
    then divide it by ``sqrt(nu)``, and weights with large gradients are hardly decayed.)

    Args:
        w, dw: weights and gradient, one shape. state: from :func:`adamw_init`.
        lr: learning rate (>= 0). beta1, beta2: in [0, 1). eps: >= 0.
        weight_decay: >= 0. In torch's convention the decay per step is ``lr * weight_decay``.
        schedule_multiplier: None for torch's convention. A number eta_t >= 0 gives the
            paper's (Algorithm 2): ``w <- w - eta_t * (lr * adam_direction + weight_decay * w)``,
            where the decay per step is ``eta_t * weight_decay``, not scaled by lr. torch at
            ``lr * eta_t`` with ``weight_decay / lr`` takes the same step.

    Returns:
        (w_new, AdamState(count + 1, mu_new, nu_new)).
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
