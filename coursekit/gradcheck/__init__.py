"""Numerical gradient checking by central differences, in NumPy (re-exported here) and torch."""

from coursekit.gradcheck.numpy_ref import numerical_gradient, relative_error

__all__ = ["numerical_gradient", "relative_error"]
