"""Weight initialisers: NumPy (``numpy_ref``) and torch (``torch_ref``).

The package re-exports the NumPy reference, so ``from coursekit.init import he_normal``
works without importing torch.
"""

from coursekit.init.numpy_ref import (
    DISTRIBUTIONS,
    MODES,
    gain,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    lecun_normal,
    variance_scaling,
)

__all__ = [
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "gain",
    "MODES",
    "DISTRIBUTIONS",
]
