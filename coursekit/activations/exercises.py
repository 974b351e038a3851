"""Graded exercises of 03_activations: each activation with its derivative.

``check("activations.<name>", f, f_grad)`` evaluates both on seeded random arrays of
several shapes, in float64 and in float32 (the result must keep the input's dtype), and
for leaky ReLU and ELU both with the default and with another ``alpha``. Known slips are
named in the feedback.
"""

import numpy as np

from coursekit.activations import numpy_ref as ref
from coursekit.activations.cases import CASES, WITH_ALPHA
from coursekit.grading import Convention, Exercise, register, torch_functions


def _torch_builtins():
    return torch_functions(
        "sigmoid",
        "tanh",
        "relu",
        "selu",
        "special.expit",
        "nn.functional.sigmoid",
        "nn.functional.tanh",
        "nn.functional.relu",
        "nn.functional.leaky_relu",
        "nn.functional.elu",
        "nn.functional.selu",
    )


def _register(name, conventions=(), with_alpha=False):
    roles = (name, f"{name}_grad")
    assert WITH_ALPHA[name] == with_alpha
    register(
        Exercise(
            name=f"activations.{name}",
            roles=roles,
            make_case=CASES[f"activations.{name}"].make_case,
            run=CASES[f"activations.{name}"].run,
            reference={name: getattr(ref, name), f"{name}_grad": getattr(ref, f"{name}_grad")},
            conventions=tuple(conventions),
            forbidden=_torch_builtins,
        )
    )


def _sig(z):
    return 1 / (1 + np.exp(-z))


_register(
    "sigmoid",
    [
        Convention(
            "the derivative written in terms of the output",
            "s * (1 - s) is the derivative when s = sigmoid(z) is the output; sigmoid_grad "
            "receives z, so compute s = sigmoid(z) first.",
            {"sigmoid_grad": lambda z: z * (1 - z)},
        ),
    ],
)

_register(
    "tanh",
    [
        Convention(
            "the derivative written in terms of the output",
            "1 - t**2 is the derivative when t = tanh(z) is the output; tanh_grad receives z, "
            "so compute t = tanh(z) first.",
            {"tanh_grad": lambda z: 1 - z * z},
        ),
        Convention(
            "the logistic's derivative",
            "tanh'(z) = 1 - tanh(z)**2, which is 1 at z = 0; sigmoid'(z) = s(1 - s) peaks at 1/4.",
            {"tanh_grad": lambda z: _sig(z) * (1 - _sig(z))},
        ),
    ],
)

_register(
    "relu",
    [
        Convention(
            "the function instead of its derivative",
            "relu_grad returns the slope: 1 where z > 0 and 0 elsewhere, not max(0, z).",
            {"relu_grad": lambda z: np.maximum(z, 0)},
        ),
    ],
)


def _keras_leaky(z, alpha=0.3):
    return np.where(z > 0, z, alpha * z)


def _keras_leaky_grad(z, alpha=0.3):
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)


_register(
    "leaky_relu",
    with_alpha=True,
    conventions=[
        Convention(
            "a slope fixed at 0.01",
            "Use the alpha argument as the slope for z < 0; 0.01 is only its default.",
            {
                "leaky_relu": lambda z, alpha=0.01: np.where(z > 0, z, 0.01 * z),
                "leaky_relu_grad": lambda z, alpha=0.01: np.where(z > 0, 1.0, 0.01).astype(z.dtype),
            },
        ),
        Convention(
            "Keras's default slope, alpha=0.3",
            "This course follows torch: leaky_relu(z, alpha=0.01) (torch's negative_slope). "
            "Keras's LeakyReLU defaults to 0.3.",
            {"leaky_relu": _keras_leaky, "leaky_relu_grad": _keras_leaky_grad},
        ),
        Convention(
            "the ReLU's derivative (0 for z < 0)",
            "The leaky ReLU's slope for z < 0 is alpha, not 0: that is what keeps units from dying.",
            {"leaky_relu_grad": lambda z, alpha=0.01: (z > 0).astype(z.dtype)},
        ),
        Convention(
            "the slope on the positive side",
            "alpha is the slope for z < 0; for z > 0 the leaky ReLU is the identity.",
            {
                "leaky_relu": lambda z, alpha=0.01: np.where(z > 0, alpha * z, z),
                "leaky_relu_grad": lambda z, alpha=0.01: np.where(z > 0, alpha, 1.0).astype(z.dtype),
            },
        ),
    ],
)

_register(
    "elu",
    with_alpha=True,
    conventions=[
        Convention(
            "ELU without the -1",
            "ELU is alpha * (exp(z) - 1) for z < 0, so that it is continuous at 0 and tends to -alpha.",
            {"elu": lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0)))},
        ),
        Convention(
            "a derivative exp(z) without alpha",
            "For z < 0, d/dz alpha * (exp(z) - 1) = alpha * exp(z) (equivalently elu(z) + alpha).",
            {"elu_grad": lambda z, alpha=1.0: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))).astype(z.dtype)},
        ),
        Convention(
            "alpha fixed at 1",
            "Use the alpha argument; 1.0 is only its default.",
            {"elu": lambda z, alpha=1.0: ref.elu(z), "elu_grad": lambda z, alpha=1.0: ref.elu_grad(z)},
        ),
    ],
)


def _selu_with(scale, alpha):
    def selu(z):
        return scale * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))

    def selu_grad(z):
        return scale * np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))

    return {"selu": selu, "selu_grad": selu_grad}


_ROUNDED = (
    f"SELU's fixed point needs the full-precision constants: scale = {ref.SELU_SCALE!r}, "
    f"alpha = {ref.SELU_ALPHA!r} (coursekit.activations.SELU_SCALE and SELU_ALPHA)."
)

_register(
    "selu",
    [
        Convention("rounded constants (1.05 and 1.67)", _ROUNDED, _selu_with(1.05, 1.67)),
        Convention("rounded constants (1.0507 and 1.6733)", _ROUNDED, _selu_with(1.0507, 1.6733)),
        Convention(
            "ELU with SELU's alpha but without its scale",
            "SELU multiplies both branches by scale = 1.0507...: selu(z) = scale * elu(z, alpha).",
            {"selu": lambda z: ref.elu(z, ref.SELU_ALPHA), "selu_grad": lambda z: ref.elu_grad(z, ref.SELU_ALPHA)},
        ),
        Convention(
            "the scale on the negative side only",
            "SELU multiplies both branches by scale, the positive one too: selu(z) = scale * z for z > 0.",
            {
                "selu": lambda z: np.where(z > 0, z, ref.SELU_SCALE * ref.elu(z, ref.SELU_ALPHA)),
                "selu_grad": lambda z: np.where(z > 0, 1.0, ref.SELU_SCALE * ref.elu_grad(z, ref.SELU_ALPHA)),
            },
        ),
    ],
)
