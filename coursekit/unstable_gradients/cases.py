"""The student side of 01_unstable_gradients' exercises (see
:mod:`coursekit.unstable_gradients.exercises`): small deep nets, saturated activations and
layer stacks, and the student's measurements run on them. Every other case of the norms and
the variances is float32."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError
from coursekit.grading.exercise_tools import Float32Cases


def logistic(z):
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


def _saturation_case(rng, hidden):
    shape = tuple(int(s) for s in rng.integers(1 if hidden else 3, 40, size=2))
    spread = float(rng.uniform(1.0, 8.0))
    case = {"a": logistic(spread * rng.standard_normal(shape))}
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


_FUNCTIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": logistic,
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


CASES = {
    "unstable_gradients.gradient_norms": Cases(Float32Cases(_net_case), _run_gradient_norms),
    "unstable_gradients.saturated_fraction": Cases(_saturation_case, _run_saturation),
    "unstable_gradients.layer_variances": Cases(Float32Cases(_variance_case), _run_variances),
}
