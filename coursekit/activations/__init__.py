"""Activation functions and their derivatives: NumPy (``numpy_ref``) and torch (``torch_ref``).

The notes' six (sigmoid, tanh, ReLU, leaky ReLU, ELU, SELU; topic 03) and topic 10's GELU,
SiLU and Mish.

The package re-exports the NumPy reference, so ``from coursekit.activations import elu``
works without importing torch.
"""

from coursekit.activations.numpy_ref import (
    FUNCTIONS,
    MODERN_FUNCTIONS,
    SELU_ALPHA,
    SELU_SCALE,
    elu,
    elu_grad,
    gelu,
    gelu_grad,
    leaky_relu,
    leaky_relu_grad,
    mish,
    mish_grad,
    relu,
    relu_grad,
    selu,
    selu_grad,
    sigmoid,
    sigmoid_grad,
    silu,
    silu_grad,
    tanh,
    tanh_grad,
)

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "elu",
    "elu_grad",
    "selu",
    "selu_grad",
    "gelu",
    "gelu_grad",
    "silu",
    "silu_grad",
    "mish",
    "mish_grad",
    "FUNCTIONS",
    "MODERN_FUNCTIONS",
    "SELU_ALPHA",
    "SELU_SCALE",
]
