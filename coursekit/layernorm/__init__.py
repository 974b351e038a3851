"""Layer normalisation (topic 10): NumPy (``numpy_ref``) and torch (``torch_ref``, with a
from-scratch ``LayerNorm`` module).

The package re-exports the NumPy reference, so ``from coursekit.layernorm import
layernorm_forward`` works without importing torch.
"""

from coursekit.layernorm.numpy_ref import LayerNormCache, layernorm_backward, layernorm_forward

__all__ = ["LayerNormCache", "layernorm_forward", "layernorm_backward"]
