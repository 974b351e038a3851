"""Vanishing and exploding gradients, seen layer by layer in a deep plain net (NumPy).

- :mod:`~coursekit.unstable_gradients.numpy_ref`: the deep net's forward and backward
  passes and the per-layer measurements (gradient norms, variances, saturation).
- :mod:`~coursekit.unstable_gradients.experiment`: :func:`run_deep_net`, one measured run.
"""

from coursekit.unstable_gradients.experiment import DeepRun, run_deep_net
from coursekit.unstable_gradients.numpy_ref import (
    ACTIVATIONS,
    INITIALISERS,
    SATURATION_BOUNDS,
    deep_backward,
    deep_forward,
    gradient_norms,
    init_weights,
    layer_variances,
    saturated_fraction,
)

__all__ = [
    "ACTIVATIONS",
    "INITIALISERS",
    "SATURATION_BOUNDS",
    "DeepRun",
    "deep_backward",
    "deep_forward",
    "gradient_norms",
    "init_weights",
    "layer_variances",
    "run_deep_net",
    "saturated_fraction",
]
