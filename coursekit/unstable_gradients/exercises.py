"""Graded exercises of 01_unstable_gradients (and 02's layer-variance measurement).

- ``gradient_norms(x, weights, dout)``: the per-layer gradient norms of a deep logistic
  net, from a backward pass written by hand.
- ``saturated_fraction(a, tol=0.01)``: the fraction of logistic units within tol of 0 or 1.
- ``layer_variances(x, weights, f)``: the variance of every layer's activations (topic 02).

The norms and the variances keep the inputs' dtype: every other case of these two is float32.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.unstable_gradients import numpy_ref as ref
from coursekit.unstable_gradients.cases import CASES, logistic


def _reference_norms(x, weights, dout):
    return ref.gradient_norms(x, weights, dout, activation="sigmoid")


def _backward_variant(x, weights, dout, *, measure, slope=lambda z: logistic(z) * (1 - logistic(z))):
    """The sigmoid net's backward pass, reporting ``measure(a_prev, delta)`` per layer."""
    a, inputs, zs = x, [], []
    for w in weights:
        inputs.append(a)
        zs.append(a @ w)
        a = logistic(zs[-1])
    grad, out = dout, []
    for w, a_prev, z in zip(reversed(weights), reversed(inputs), reversed(zs)):
        delta = grad * slope(z)
        out.append(measure(a_prev, delta))
        grad = delta @ w.T
    return np.array(out[::-1])


def _frobenius(a_prev, delta):
    return np.linalg.norm(a_prev.T @ delta)


register(
    Exercise(
        name="unstable_gradients.gradient_norms",
        roles=("gradient_norms",),
        make_case=CASES["unstable_gradients.gradient_norms"].make_case,
        run=CASES["unstable_gradients.gradient_norms"].run,
        reference={"gradient_norms": _reference_norms},
        conventions=(
            Convention(
                "the norms from the output layer down",
                "Return the norms in layer order, norms[0] for the first layer (next to the input).",
                {"gradient_norms": lambda x, w, d: _reference_norms(x, w, d)[::-1]},
            ),
            Convention(
                "squared norms",
                "The Frobenius norm is the square root of the sum of squares.",
                {"gradient_norms": lambda x, w, d: _reference_norms(x, w, d) ** 2},
            ),
            Convention(
                "the norms of dL/dz (the deltas) instead of dL/dW",
                "The weight gradient of layer l is a_{l-1}.T @ delta_l; take its norm.",
                {
                    "gradient_norms": lambda x, w, d: _backward_variant(
                        x, w, d, measure=lambda a_prev, delta: np.linalg.norm(delta)
                    )
                },
            ),
            Convention(
                "the logistic's derivative written as z * (1 - z)",
                "s * (1 - s) holds for the output s = sigmoid(z), not for z itself.",
                {
                    "gradient_norms": lambda x, w, d: _backward_variant(
                        x, w, d, measure=_frobenius, slope=lambda z: z * (1 - z)
                    )
                },
            ),
        ),
    )
)


# ----- saturation -----------------------------------------------------------------------


def _fraction_where(mask):
    def fraction(a, tol=0.01):
        return float(np.mean(mask(a, tol)))

    return fraction


register(
    Exercise(
        name="unstable_gradients.saturated_fraction",
        roles=("saturated_fraction",),
        make_case=CASES["unstable_gradients.saturated_fraction"].make_case,
        run=CASES["unstable_gradients.saturated_fraction"].run,
        reference={"saturated_fraction": lambda a, tol=0.01: ref.saturated_fraction(a, tol=tol)},
        conventions=(
            Convention(
                "a percentage",
                "Return a fraction between 0 and 1, not a percentage.",
                {"saturated_fraction": lambda a, tol=0.01: 100 * ref.saturated_fraction(a, tol=tol)},
            ),
            Convention(
                "only the units near 1",
                "The logistic saturates at both ends: count units within tol of 0 as well as of 1.",
                {"saturated_fraction": _fraction_where(lambda a, tol: a >= 1 - tol)},
            ),
            Convention(
                "only the units near 0",
                "The logistic saturates at both ends: count units within tol of 1 as well as of 0.",
                {"saturated_fraction": _fraction_where(lambda a, tol: a <= tol)},
            ),
        ),
    )
)


# ----- layer variances (topic 02) ------------------------------------------------------


def _stacked(measure, *, include_input=False, pre_activation=False):
    def variances(x, weights, f):
        a, out = x, [measure(x)] if include_input else []
        for w in weights:
            z = a @ w
            a = f(z)
            out.append(measure(z if pre_activation else a))
        return np.array(out)

    return variances


register(
    Exercise(
        name="unstable_gradients.layer_variances",
        roles=("layer_variances",),
        make_case=CASES["unstable_gradients.layer_variances"].make_case,
        run=CASES["unstable_gradients.layer_variances"].run,
        reference={"layer_variances": ref.layer_variances},
        conventions=(
            Convention(
                "per-unit variances averaged over the units",
                "Measure the variance of all of a layer's N x D values together, a.var() (the "
                "variance of the histogram), not a.var(axis=0).mean().",
                {"layer_variances": _stacked(lambda a: a.var(axis=0).mean())},
            ),
            Convention(
                "standard deviations",
                "Return variances: the square of the standard deviation.",
                {"layer_variances": _stacked(lambda a: a.std())},
            ),
            Convention(
                "the variances of the pre-activations z",
                "Measure a_l = f(z_l), the layer's output, after the activation.",
                {"layer_variances": _stacked(lambda a: a.var(), pre_activation=True)},
            ),
            Convention(
                "the input's variance as the first entry",
                "Return one variance per layer, L values: a_1 to a_L, without the input x.",
                {"layer_variances": _stacked(lambda a: a.var(), include_input=True)},
            ),
        ),
    )
)
