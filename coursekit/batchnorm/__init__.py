"""Batch normalisation: NumPy (``numpy_ref``, re-exported here) and torch (``torch_ref``,
which adds a from-scratch ``BatchNorm1d`` module).

``from coursekit.batchnorm import batchnorm_forward`` works without importing torch.
"""

from coursekit.batchnorm.numpy_ref import BatchNormCache, batchnorm_backward, batchnorm_forward

__all__ = ["BatchNormCache", "batchnorm_backward", "batchnorm_forward"]
