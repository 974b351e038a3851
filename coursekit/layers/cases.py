"""The student side of 00_backprop's exercises (see :mod:`coursekit.layers.exercises`): the
cases of the dense layer, softmax and cross-entropy, and how the student's functions run on
them. Every other case is float32."""

import numpy as np

from coursekit.grading.case_side import Cases, unpack
from coursekit.grading.exercise_tools import Float32Cases


def _dims(rng, hidden):
    hi = 9 if hidden else 6
    return [int(d) for d in rng.integers(1 if hidden else 2, hi, size=3)]


def _dense_case(rng, hidden, dtype):
    n, d, m = _dims(rng, hidden)
    case = {"x": rng.standard_normal((n, d)), "w": rng.standard_normal((d, m)), "b": rng.standard_normal(m)}
    return {k: v.astype(dtype) for k, v in case.items()}


def _dense_backward_case(rng, hidden, dtype):
    case = _dense_case(rng, hidden, dtype)
    dout = rng.standard_normal((case["x"].shape[0], case["w"].shape[1])).astype(dtype)
    return {**case, "dout": dout}


def _run_dense_forward(fns, case):
    out, _ = unpack(fns["dense_forward"](case["x"], case["w"], case["b"]), 2, "(out, cache)")
    return {"out": out}


FORWARD_OUT = "out of your dense_forward"


def _run_dense_backward(fns, case):
    out, cache = unpack(fns["dense_forward"](case["x"], case["w"], case["b"]), 2, "(out, cache)")
    dx, dw, db = unpack(fns["dense_backward"](case["dout"], cache), 3, "(dx, dw, db)")
    return {FORWARD_OUT: out, "dx": dx, "dw": dw, "db": db}


LARGE = 1000.0  # logits this large overflow exp (float32 at 88, float64 at 709)


def _logits_case(rng, hidden, dtype, index):
    """Logits; the 2nd visible case (a float32 one) and every third hidden case (the 1st, 4th,
    ...) are large enough to overflow exp, so the visible checks already catch a softmax that
    skips the row maximum, and every hidden set does too."""
    n, c = int(rng.integers(1 if hidden else 2, 9)), int(rng.integers(2, 7))
    if hidden:
        scale = LARGE if index % 3 == 0 else rng.choice([1.0, 30.0, LARGE])
    else:
        scale = LARGE if index % 3 == 1 else 3.0
    return {"logits": (scale * rng.standard_normal((n, c))).astype(dtype)}


def _labelled_case(rng, hidden, dtype, index):
    """Labelled logits; in a case of large logits the first example's label is its smallest
    logit, far below the row's maximum, where a probability underflows to 0 and its log is
    -inf (the trap of computing log(softmax))."""
    case = _logits_case(rng, hidden, dtype, index)
    n, c = case["logits"].shape
    y = rng.integers(0, c, size=n)
    logits = case["logits"]
    if np.abs(logits).max() > 100:
        y[0] = int(np.argmin(logits[0]))
        logits[0, y[0]] = logits[0].max() - 2 * LARGE
    return {"logits": logits, "y": y}


def _run_softmax(fns, case):
    return {"probabilities": fns["softmax"](case["logits"])}


def _run_cross_entropy(fns, case):
    loss, dlogits = unpack(fns["softmax_cross_entropy"](case["logits"], case["y"]), 2, "(loss, dlogits)")
    return {"loss": loss, "dlogits": dlogits}


CASES = {
    "layers.dense_forward": Cases(Float32Cases(_dense_case), _run_dense_forward),
    "layers.dense_backward": Cases(Float32Cases(_dense_backward_case), _run_dense_backward),
    "layers.softmax": Cases(Float32Cases(_logits_case, indexed=True), _run_softmax),
    "layers.softmax_cross_entropy": Cases(Float32Cases(_labelled_case, indexed=True), _run_cross_entropy),
}
