"""Graded exercises of 01_unstable_gradients (and 02's layer-variance measurement).

- ``gradient_norms(x, weights, dout)``: the per-layer gradient norms of a deep logistic
  net, from a backward pass written by hand.
- ``saturated_fraction(a, tol=0.01)``: the fraction of logistic units within tol of 0 or 1.
- ``layer_variances(x, weights, f)``: the variance of every layer's activations (topic 02).

The norms and the variances keep the inputs' dtype: every other case of these two is float32.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, StudentError, register
from coursekit.grading.exercise_tools import Float32Cases
from coursekit.unstable_gradients import numpy_ref as ref


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _net_case(rng, hidden, dtype):
    """A small deep net whose gradients stay well above the comparison's atol."""
    depth = int(rng.integers(3, 9 if hidden else 6))
    widths = [int(w) for w in rng.integers(2 if hidden else 3, 9, size=depth + 1)]
    n = int(rng.integers(1 if hidden else 2, 9))
    weights = [(4 * rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype) for a, b in zip(widths[:-1], widths[1:])]
    return {
        "x": rng.standard_normal((n, widths[0])).astype(dtype),
        "weights": weights,
        "dout": rng.standard_normal((n, widths[-1])).astype(dtype),
    }


def _unchanged(case, before):
    if not all(np.array_equal(a, b) for a, b in zip([case["x"], *case["weights"]], before)):
        raise StudentError("changed x or a weight matrix in place; leave the inputs as they are")


def _run_gradient_norms(fns, case):
    before = [a.copy() for a in (case["x"], *case["weights"])]
    norms = fns["gradient_norms"](case["x"], case["weights"], case["dout"])
    _unchanged(case, before)
    return {"norms": norms}


def _reference_norms(x, weights, dout):
    return ref.gradient_norms(x, weights, dout, activation="sigmoid")


def _backward_variant(x, weights, dout, *, measure, slope=lambda z: _sig(z) * (1 - _sig(z))):
    """The sigmoid net's backward pass, reporting ``measure(a_prev, delta)`` per layer."""
    a, inputs, zs = x, [], []
    for w in weights:
        inputs.append(a)
        zs.append(a @ w)
        a = _sig(zs[-1])
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
        make_case=Float32Cases(_net_case),
        run=_run_gradient_norms,
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


def _saturation_case(rng, hidden):
    shape = tuple(int(s) for s in rng.integers(1 if hidden else 3, 40, size=2))
    spread = float(rng.uniform(1.0, 8.0))
    case = {"a": _sig(spread * rng.standard_normal(shape))}
    if hidden:
        case["tol"] = float(np.round(rng.uniform(0.001, 0.1), 4))
    return case


def _run_saturation(fns, case):
    a = case["a"]
    before = a.copy()
    kwargs = {"tol": case["tol"]} if "tol" in case else {}
    fraction = fns["saturated_fraction"](a, **kwargs)
    if not np.array_equal(a, before):
        raise StudentError("changed a in place; leave the activations as they are")
    return {"fraction": fraction}


def _fraction_where(mask):
    def fraction(a, tol=0.01):
        return float(np.mean(mask(a, tol)))

    return fraction


register(
    Exercise(
        name="unstable_gradients.saturated_fraction",
        roles=("saturated_fraction",),
        make_case=_saturation_case,
        run=_run_saturation,
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

_FUNCTIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": _sig,
    "linear": lambda z: z,
}


def _variance_case(rng, hidden, dtype):
    case = _net_case(rng, hidden, dtype)
    del case["dout"]
    case["activation"] = str(rng.choice(sorted(_FUNCTIONS)))
    return case


def _run_variances(fns, case):
    before = [a.copy() for a in (case["x"], *case["weights"])]
    variances = fns["layer_variances"](case["x"], case["weights"], _FUNCTIONS[case["activation"]])
    _unchanged(case, before)
    return {"variances": variances}


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
        make_case=Float32Cases(_variance_case),
        run=_run_variances,
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
