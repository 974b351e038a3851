"""Optimizer states: small named tuples, kept apart from the hyperparameters (optax style).

``<name>_init(w)`` returns one of these; ``<name>_step(w, dw, state, ...)`` returns a new
one and never changes the old. The same types serve the NumPy and the torch references:
their fields hold arrays (or tensors) shaped like ``w``, and ``count`` is a Python int, so
the torch reference never reads a number back from the device.
"""

from typing import Any, NamedTuple


class SGDState(NamedTuple):
    """Plain SGD keeps no state."""


class MomentumState(NamedTuple):
    """Momentum and Nesterov: ``velocity`` is torch's momentum buffer, shaped like w."""

    velocity: Any


class AdagradState(NamedTuple):
    """AdaGrad: ``sum_sq`` is the running sum of squared gradients, shaped like w."""

    sum_sq: Any


class RMSpropState(NamedTuple):
    """RMSProp: ``square_avg`` is the moving average of squared gradients, shaped like w."""

    square_avg: Any


class AdamState(NamedTuple):
    """Adam: ``count`` steps taken (int), first moment ``mu`` and second moment ``nu``."""

    count: int
    mu: Any
    nu: Any


class NadamState(NamedTuple):
    """NAdam: ``count`` steps taken (int), ``mu_product`` the product of the momentum
    coefficients mu_1 ... mu_t so far (a Python float, 1.0 before the first step), first
    moment ``mu`` and second moment ``nu``."""

    count: int
    mu_product: float
    mu: Any
    nu: Any


class AdamaxState(NamedTuple):
    """AdaMax: ``count`` steps taken (int), first moment ``mu`` and ``u``, the exponentially
    weighted infinity norm of the gradients (torch's ``exp_inf``)."""

    count: int
    mu: Any
    u: Any
