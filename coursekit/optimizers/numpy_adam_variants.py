"""NAdam and AdaMax in NumPy: two more ``<name>_init`` / ``<name>_step`` pairs (AdamW, Adam
with decoupled weight decay, stands beside Adam in :mod:`coursekit.optimizers.numpy_ref`).

They follow :mod:`coursekit.optimizers.numpy_ref` (which re-exports them): states are the
named tuples of :mod:`coursekit.optimizers.state`, a step never changes its inputs and keeps
their floating dtype, and hyperparameter names and defaults are torch.optim's. With the same
hyperparameters the trajectories equal ``torch.optim.NAdam`` and ``Adamax`` (tested to 1e-10 in
float64). Other conventions (Keras's) are keyword flags that default to torch's.
"""

import sys

import numpy as np

from coursekit import _validate as v
from coursekit.optimizers import _checks as c
from coursekit.optimizers.state import AdamaxState, NadamState

__all__ = ["nadam_init", "nadam_step", "adamax_init", "adamax_step"]

_BACKEND = "numpy"


def nadam_init(w):
    """Zero moments shaped like w, a zero count and a momentum product of 1.

    Returns ``NadamState(0, 1.0, mu, nu)``.
    """
    c.weights(w, _BACKEND)
    return NadamState(0, 1.0, np.zeros_like(w), np.zeros_like(w))


def nadam_momentum(t, beta1, momentum_decay):
    """Dozat's momentum schedule, ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))``.

    It starts near beta1 / 2 and rises to beta1: with the default 0.004, halfway after
    about 4,000 steps. A Python float.
    """
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))


def nadam_momentum_product(mu_product, mu_t):
    """``mu_product * mu_t`` at the precision torch.optim.NAdam keeps the product in.

    torch stores it as a 0-d tensor of its default dtype: float32, unless
    ``torch.set_default_dtype(torch.float64)``. In float32 its rounding moves float64 weights
    by about ``lr * 1e-8``, so the product is rounded here the same way, and the path equals
    torch's in both settings. A Python float.
    """
    torch = sys.modules.get("torch")  # not imported: torch's default would be float32
    if torch is not None and torch.get_default_dtype() == torch.float64:
        return mu_product * mu_t
    return float(np.float32(mu_product) * np.float32(mu_t))


def nadam_step(w, dw, state, *, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=0.004):
    """NAdam (Dozat, 2016): Adam whose momentum looks ahead, as torch.optim.NAdam computes it.

    With ``mu_t`` from :func:`nadam_momentum` and ``P_t = mu_1 ... mu_t``::

        mu  <- beta1 mu + (1 - beta1) dw;   nu <- beta2 nu + (1 - beta2) dw**2
        d    = sqrt(nu / (1 - beta2**t)) + eps
        w   <- w - lr (1 - mu_t) / (1 - P_t) * dw / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) * mu / d

    The last term uses the *next* step's momentum: Nesterov's look-ahead inside Adam. P_t
    is kept at torch's precision (see :func:`nadam_momentum_product`).

    Args:
        w, dw, state: as in :func:`adamw_step`; state from :func:`nadam_init`.
        lr: learning rate (>= 0). beta1, beta2: in [0, 1). eps: >= 0.
        momentum_decay: psi >= 0 of the momentum schedule (torch's name). Keras 2's legacy
            Nadam fixed it at 0.004; Keras 3's uses ``0.96**t``, which is momentum_decay=1.

    Returns:
        (w_new, NadamState(count + 1, mu_product_new, mu_new, nu_new)).
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
    denom = np.sqrt(nu / (1.0 - beta2**t)) + eps
    gradient_part = lr * (1.0 - mu_t) / (1.0 - mu_product) * dw / denom
    momentum_part = lr * mu_next / (1.0 - mu_product * mu_next) * mu / denom
    return w - gradient_part - momentum_part, NadamState(t, mu_product, mu, nu)


def adamax_init(w):
    """A zero first moment and infinity norm shaped like w. Returns ``AdamaxState(0, mu, u)``."""
    c.weights(w, _BACKEND)
    return AdamaxState(0, np.zeros_like(w), np.zeros_like(w))


def adamax_step(w, dw, state, *, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, eps_inside_max=True):
    """AdaMax (Kingma & Ba, section 7.1), as torch.optim.Adamax computes it.

    ``mu <- beta1 mu + (1 - beta1) dw``, ``u <- max(beta2 u, |dw| + eps)``,
    ``w <- w - lr / (1 - beta1**t) * mu / u``. u replaces Adam's ``sqrt(nu)``: an
    exponentially weighted infinity norm, so a step is never longer than about lr.

    Args:
        w, dw, state: as in :func:`adamw_step`; state from :func:`adamax_init`.
        lr: learning rate (>= 0). beta1, beta2: in [0, 1). eps: >= 0.
        eps_inside_max: torch's convention, eps added to |dw| inside the max. False gives
            Keras's, ``u <- max(beta2 u, |dw|)`` and ``w <- w - lr_t * mu / (u + eps)``.

    Returns:
        (w_new, AdamaxState(count + 1, mu_new, u_new)).
    """
    c.step_inputs(w, dw, state, AdamaxState, "adamax_init", _BACKEND)
    lr, eps = v.non_negative("lr", lr), v.non_negative("eps", eps)
    beta1, beta2 = c.decay("beta1", beta1), c.decay("beta2", beta2)
    inside = v.flag("eps_inside_max", eps_inside_max)
    t = state.count + 1
    mu = beta1 * state.mu + (1.0 - beta1) * dw
    u = np.maximum(beta2 * state.u, np.abs(dw) + eps) if inside else np.maximum(beta2 * state.u, np.abs(dw))
    denom = u if inside else u + eps
    return w - lr / (1.0 - beta1**t) * mu / denom, AdamaxState(t, mu, u)
