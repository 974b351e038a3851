"""The student side of 10_beyond_the_notes' layer normalisation (see
:mod:`coursekit.beyond.exercises_layernorm`): the cases, and the student's forward and
backward passes run on them."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.grading.exercise_tools import IndexedCases


def _case(rng, hidden, index):
    """Every third hidden case (the 1st, 4th, ...) has features so close together that eps
    = 1e-5 and Keras's 1e-3 give different outputs, in float64; about a third of the others
    are float32, with features well apart (float32 cannot resolve close ones finely enough for
    an honest step-by-step backward pass to stay within the tolerance)."""
    if hidden:
        shape = [
            (int(rng.integers(1, 9)), int(rng.integers(2, 9))),
            (int(rng.integers(1, 4)), 3, int(rng.integers(2, 7))),
            (int(rng.integers(2, 9)),),
        ][int(rng.integers(0, 3))]
    else:
        shape = (int(rng.integers(3, 7)), int(rng.integers(3, 7)))
    close = hidden and index % 3 == 0
    single = hidden and not close and rng.random() < 0.3
    if single:  # at least 3 features spread around 0: rows whose spread float32 resolves
        shape = (*shape[:-1], max(shape[-1], 3))
    d = shape[-1]
    spread = float(rng.choice([0.02, 0.1, 1.0, 5.0])) if hidden else float(rng.choice([0.03, 1.0]))
    spread = 0.02 if close else max(spread, 1.0) if single else spread
    x = (0.0 if single else rng.uniform(-2, 2)) + spread * rng.standard_normal(shape)
    case = {
        "x": x,
        "gamma": rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d),
        "beta": rng.standard_normal(d),
        "eps": float(rng.choice([1e-5, 1e-3])) if hidden and not close else 1e-5,
    }
    if single:
        case = {k: v.astype(np.float32) if isinstance(v, np.ndarray) else v for k, v in case.items()}
    case["dout"] = rng.standard_normal(shape).astype(case["x"].dtype)
    return case


def _forward(fns, case):
    before = {k: case[k].copy() for k in ("x", "gamma", "beta")}
    out, cache = unpack(
        fns["layernorm_forward"](case["x"], case["gamma"], case["beta"], eps=case["eps"]), 2, "(out, cache)"
    )
    for name, value in before.items():
        if not np.array_equal(case[name], value):
            raise StudentError(f"changed {name} in place; leave the inputs alone and return new arrays")
    return out, cache


def _run_forward(fns, case):
    return {"out": _forward(fns, case)[0]}


def _run_backward(fns, case):
    _, cache = _forward(fns, case)
    dx, dgamma, dbeta = unpack(fns["layernorm_backward"](case["dout"], cache), 3, "(dx, dgamma, dbeta)")
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


CASES = {
    "beyond.layernorm_forward": Cases(IndexedCases(_case), _run_forward),
    "beyond.layernorm_backward": Cases(IndexedCases(_case), _run_backward),
}
