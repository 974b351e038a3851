"""Activation functions and their derivatives: NumPy (``numpy_ref``) and torch (``torch_ref``).

The package re-exports the NumPy reference, so ``from coursekit.activations import elu``
works without importing torch.
"""

from coursekit.activations.numpy_ref import (
    FUNCTIONS,
    SELU_ALPHA,
    SELU_SCALE,
    elu,
    elu_grad,
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    selu,
    selu_grad,
    sigmoid,
    sigmoid_grad,
    tanh,
    tanh_grad,
)

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "elu", "elu_grad", "selu", "selu_grad",
    "FUNCTIONS", "SELU_ALPHA", "SELU_SCALE",
]
