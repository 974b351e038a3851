"""Dense layer and softmax cross-entropy: NumPy (``numpy_ref``) and torch (``torch_ref``).

The package itself re-exports the NumPy reference, so ``from coursekit.layers import
dense_forward`` works without importing torch.
"""

from coursekit.layers.numpy_ref import (
    dense_backward,
    dense_forward,
    softmax,
    softmax_cross_entropy,
)

__all__ = ["dense_forward", "dense_backward", "softmax", "softmax_cross_entropy"]
