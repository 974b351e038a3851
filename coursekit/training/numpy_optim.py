"""The optimizer and gradient clipping of :mod:`coursekit.training.numpy_fit`'s loop.

The optimizer updates the model's flat parameter vector in one step: with ``fast=False``
by calling :mod:`coursekit.optimizers.numpy_ref`'s ``<name>_step`` on it (arguments
checked, new arrays returned and copied back), with ``fast=True`` by the same formulas in
place (:class:`FlatOptimizer`). Every optimizer here is elementwise, so one step on the
concatenated parameters is the same as one step per parameter.
"""

import numpy as np

from coursekit._validate import choice
from coursekit.optimizers import numpy_ref as optim_ref
from coursekit.schedules import numpy_ref as clip_ref

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
_FAST_DEFAULTS = {  # the hyperparameters of the in-place path, with numpy_ref's defaults
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adagrad": {"eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}


class FlatOptimizer:
    """An optimizer of :mod:`coursekit.optimizers.numpy_ref` on a flat parameter vector.

    Args:
        name: one of ``OPTIMIZERS``.
        w: the flat parameters, updated in place by :meth:`step`.
        lr: learning rate.
        fast: update in place with the reference's formulas (only torch's conventions, the
            defaults); False calls ``<name>_step`` itself, which accepts every flag.
        **hyper: the step's hyperparameters (``momentum``, ``alpha``, ``eps``, ``beta1``...).
    """

    def __init__(self, name, w, *, lr, fast=True, **hyper):
        choice("optimizer", name, OPTIMIZERS)
        self.name, self.w, self.lr, self.hyper = name, w, float(lr), hyper
        self.fast = fast and set(hyper) <= set(_FAST_DEFAULTS[name])
        if not self.fast:
            self.state = getattr(optim_ref, f"{name}_init")(w)
            return
        self.h = {k: float(hyper.get(k, default)) for k, default in _FAST_DEFAULTS[name].items()}
        self.count, self.tmp = 0, np.empty_like(w)
        self.first = np.zeros_like(w) if name != "sgd" else None
        self.second = np.zeros_like(w) if name == "adam" else None

    MOMENTUM_KEYS = {"momentum": "momentum", "nesterov": "momentum", "adam": "beta1"}

    def set_momentum(self, value):
        """Set the momentum (Adam's beta1) of the next steps, as 1cycle's momentum cycle does."""
        if self.name not in self.MOMENTUM_KEYS:
            raise ValueError(
                f"the schedule cycles the momentum, but {self.name!r} has none; use momentum, nesterov or adam"
            )
        key = self.MOMENTUM_KEYS[self.name]
        (self.hyper if not self.fast else self.h)[key] = float(value)

    def step(self, g):
        """One update of ``w`` with the gradient ``g`` (shaped like w)."""
        if not self.fast:
            step = getattr(optim_ref, f"{self.name}_step")
            w_new, self.state = step(self.w, g, self.state, lr=self.lr, **self.hyper)
            np.copyto(self.w, w_new)
            return
        w, tmp, lr, h = self.w, self.tmp, self.lr, self.h
        if self.name == "sgd":
            np.multiply(g, -lr, out=tmp)
        elif self.name in ("momentum", "nesterov"):
            v = self.first
            v *= h["momentum"]
            v += g
            if self.name == "nesterov":  # w - lr * (g + momentum * v)
                np.multiply(v, h["momentum"], out=tmp)
                tmp += g
                tmp *= -lr
            else:
                np.multiply(v, -lr, out=tmp)
        elif self.name in ("adagrad", "rmsprop"):
            s = self.first
            np.multiply(g, g, out=tmp)
            if self.name == "rmsprop":
                s *= h["alpha"]
                tmp *= 1.0 - h["alpha"]
            s += tmp
            np.sqrt(s, out=tmp)
            tmp += h["eps"]
            np.divide(g, tmp, out=tmp)
            tmp *= -lr
        else:
            self._adam(g)
        w += tmp

    def _adam(self, g):
        mu, nu, tmp, h = self.first, self.second, self.tmp, self.h
        self.count += 1
        mu *= h["beta1"]
        np.multiply(g, 1.0 - h["beta1"], out=tmp)
        mu += tmp
        nu *= h["beta2"]
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - h["beta2"]
        nu += tmp
        correction1, correction2 = 1.0 - h["beta1"] ** self.count, 1.0 - h["beta2"] ** self.count
        np.multiply(nu, 1.0 / correction2, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += h["eps"]
        np.divide(mu, tmp, out=tmp)
        tmp *= -self.lr / correction1


def clip_flat(g, clip_norm, clip_value, *, fast=True):
    """Clip the flat gradient vector ``g`` in place; returns its 2-norm before clipping.

    With ``fast`` the arithmetic is done in place (the factor ``min(clip_norm / (norm +
    1e-6), 1)``, as torch's); otherwise through :mod:`coursekit.schedules.numpy_ref`, which
    checks the gradient and refuses a non-finite one.
    """
    norm = float(np.sqrt(np.dot(g, g)))
    if clip_norm is not None:
        if fast:
            g *= min(clip_norm / (norm + clip_ref.NORM_EPS), 1.0)
        else:
            np.copyto(g, clip_ref.clip_grad_norm([g], clip_norm)[0][0])
    elif clip_value is not None:
        if fast:
            np.clip(g, -clip_value, clip_value, out=g)
        else:
            np.copyto(g, clip_ref.clip_grad_value([g], clip_value)[0])
    return norm
