"""Graded exercises of 10_beyond_the_notes: GELU, SiLU and Mish with their derivatives.

``check("beyond.gelu", gelu, gelu_grad)`` evaluates both with ``approximate="none"`` and
``"tanh"``; ``beyond.silu`` and ``beyond.mish`` take (f, f_grad). Inputs are seeded random
arrays of several shapes and scales (large |z| too, where a naive formula overflows), in
float64 and float32. Known slips are named: one GELU form for the other, the sigmoid
approximation ``z * sigmoid(1.702 z)``, and derivatives that forget the product rule.
"""

import math

import numpy as np

from coursekit.activations import numpy_ref as ref
from coursekit.beyond.cases_activations import CASES, FORMS
from coursekit.grading import Convention, Exercise, register, torch_functions

REFERENCE_MODULES = ("coursekit.activations.numpy_ref", "coursekit.activations.torch_ref")


def _builtins():
    return torch_functions(
        "nn.functional.gelu", "nn.functional.silu", "nn.functional.mish", "autograd.grad", "autograd.backward"
    )


def _sigmoid(z):
    return ref.sigmoid(z)


def _gelu_form(form):
    """GELU computed with one fixed form, whatever ``approximate`` asks for."""
    return {
        "gelu": lambda z, approximate="none": ref.gelu(z, form),
        "gelu_grad": lambda z, approximate="none": ref.gelu_grad(z, form),
    }


def _gelu_sigmoid(z, approximate="none"):
    return z * _sigmoid(1.702 * z)


def _gelu_sigmoid_grad(z, approximate="none"):
    s = _sigmoid(1.702 * z)
    return s + 1.702 * z * s * (1 - s)


def _gelu_cdf_only(z, approximate="none"):
    if approximate == "tanh":
        return 0.5 * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
    return ref.gelu_grad(z) - z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


GELU_CONVENTIONS = (
    Convention(
        "the tanh approximation where the exact GELU is asked for",
        "approximate='none' is the exact z * Phi(z), Phi(z) = (1 + erf(z / sqrt(2))) / 2; "
        "the tanh form is only for approximate='tanh'.",
        _gelu_form("tanh"),
    ),
    Convention(
        "the exact GELU where the tanh approximation is asked for",
        "approximate='tanh' is 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3))), torch's "
        "approximate='tanh' (Keras's approximate=True).",
        _gelu_form("none"),
    ),
    Convention(
        "the sigmoid approximation z * sigmoid(1.702 z)",
        "Hendrycks & Gimpel's second approximation is neither of torch's forms.",
        {"gelu": _gelu_sigmoid, "gelu_grad": _gelu_sigmoid_grad},
    ),
    Convention(
        "the derivative without the product rule, gelu_grad = Phi(z)",
        "d/dz [z Phi(z)] = Phi(z) + z * phi(z), with phi the normal density "
        "exp(-z**2 / 2) / sqrt(2 pi) (and the same rule for the tanh form).",
        {"gelu_grad": _gelu_cdf_only},
    ),
)

SILU_CONVENTIONS = (
    Convention(
        "the derivative without the product rule, silu_grad = sigmoid(z)",
        "d/dz [z s(z)] = s(z) + z s(z) (1 - s(z)).",
        {"silu_grad": lambda z: _sigmoid(z)},
    ),
)

MISH_CONVENTIONS = (
    Convention(
        "the derivative without the product rule, mish_grad = tanh(softplus(z))",
        "d/dz [z tanh(sp(z))] = tanh(sp) + z (1 - tanh(sp)**2) * sigmoid(z), since sp'(z) = sigmoid(z).",
        {"mish_grad": lambda z: np.tanh(np.logaddexp(0, z))},
    ),
)


def _register(name, forms, conventions, packages=()):
    assert FORMS[name] == forms
    register(
        Exercise(
            name=f"beyond.{name}",
            roles=(name, f"{name}_grad"),
            make_case=CASES[f"beyond.{name}"].make_case,
            run=CASES[f"beyond.{name}"].run,
            reference={name: getattr(ref, name), f"{name}_grad": getattr(ref, f"{name}_grad")},
            conventions=conventions,
            forbidden=_builtins,
            reference_modules=REFERENCE_MODULES,
            packages=packages,
        )
    )


_register("gelu", ("none", "tanh"), GELU_CONVENTIONS, packages=("scipy",))  # scipy.special.erf
_register("silu", (None,), SILU_CONVENTIONS)
_register("mish", (None,), MISH_CONVENTIONS)
