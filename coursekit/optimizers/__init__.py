"""Optimizers: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam; AdamW, NAdam and AdaMax.

``numpy_ref`` and ``torch_ref`` expose the same ``<name>_init`` / ``<name>_step`` pairs;
``torch_ref`` adds from-scratch ``torch.optim.Optimizer`` subclasses. The package re-exports
the NumPy reference and the state types, so ``from coursekit.optimizers import adam_step``
works without importing torch. :mod:`coursekit.optimizers.landscapes` has the 2-D cost
surfaces of the notebook and a trajectory runner; :mod:`coursekit.experiments.optimizers`
trains one MLP per optimizer and seed (torch).
"""

from coursekit.optimizers.numpy_ref import (
    adagrad_init,
    adagrad_step,
    adam_init,
    adam_step,
    adamax_init,
    adamax_step,
    adamw_init,
    adamw_step,
    momentum_init,
    momentum_step,
    nadam_init,
    nadam_step,
    nesterov_init,
    nesterov_step,
    rmsprop_init,
    rmsprop_step,
    sgd_init,
    sgd_step,
)
from coursekit.optimizers.state import (
    AdagradState,
    AdamaxState,
    AdamState,
    MomentumState,
    NadamState,
    RMSpropState,
    SGDState,
)

NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
"""The six optimizers of the lecture notes (topic 05)."""
ADAM_VARIANTS = ("adamw", "nadam", "adamax")
"""What topic 10 adds."""

__all__ = [
    "NAMES",
    "ADAM_VARIANTS",
    "SGDState",
    "MomentumState",
    "AdagradState",
    "RMSpropState",
    "AdamState",
    "NadamState",
    "AdamaxState",
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
