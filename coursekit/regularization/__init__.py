"""Regularisation: L1/L2 penalties, dropout, input noise, the bias-variance decomposition and
(topic 10) the max-norm constraint.

NumPy (``numpy_ref``) and torch (``torch_ref``, with ``Dropout`` and ``GaussianNoise``
modules). The package re-exports the NumPy reference, so ``from coursekit.regularization
import dropout_forward`` works without importing torch. ``ensembles`` holds the
bias-variance experiment; the notebook's training experiments are
:mod:`coursekit.experiments.regularization`.
"""

from coursekit.regularization.numpy_ref import (
    bias_variance,
    dropout_backward,
    dropout_forward,
    gaussian_noise,
    l1_penalty,
    l2_penalty,
    max_norm,
    soft_threshold,
)

__all__ = [
    "l1_penalty",
    "l2_penalty",
    "soft_threshold",
    "dropout_forward",
    "dropout_backward",
    "gaussian_noise",
    "bias_variance",
    "max_norm",
]
