"""Graded exercises of 00_backprop on the dense layer, softmax and cross-entropy.

Every other case is float32 (the answer must keep it). The backward exercise runs the
student's own forward pass first and, when it is wrong, says to fix it first.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register, scipy_functions, torch_functions, unpack
from coursekit.grading.exercise_tools import Float32Cases
from coursekit.grading.exercises import functions_at
from coursekit.layers import numpy_ref as ref


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


def _naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _columnwise_softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _log_of_softmax(logits, y, *, shift=True):
    """Cross-entropy as the log of a softmax (with or without the row maximum)."""
    n = len(y)
    z = logits - logits.max(axis=1, keepdims=True) if shift else logits
    probabilities = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    dlogits = probabilities.copy()
    dlogits[np.arange(n), y] -= 1
    return -np.log(probabilities[np.arange(n), y]).mean(), dlogits / n


def _summed_cross_entropy(logits, y):
    loss, dlogits = ref.softmax_cross_entropy(logits, y)
    return loss * len(y), dlogits * len(y)


def _unscaled_gradient(logits, y):
    loss, dlogits = ref.softmax_cross_entropy(logits, y)
    return loss, dlogits * len(y)


register(
    Exercise(
        name="layers.dense_forward",
        roles=("dense_forward",),
        make_case=Float32Cases(_dense_case),
        run=_run_dense_forward,
        reference={"dense_forward": ref.dense_forward},
        forbidden=lambda: torch_functions("nn.functional.linear"),
    )
)

register(
    Exercise(
        name="layers.dense_backward",
        roles=("dense_forward", "dense_backward"),
        make_case=Float32Cases(_dense_backward_case),
        run=_run_dense_backward,
        reference={"dense_forward": ref.dense_forward, "dense_backward": ref.dense_backward},
        conventions=(
            Convention(
                "db averaged over the batch",
                "db is the sum of dout over the batch axis, not its mean.",
                {"dense_backward": lambda dout, cache: (dout @ cache[1].T, cache[0].T @ dout, dout.mean(axis=0))},
            ),
        ),
        checked_first={FORWARD_OUT: ("dense_forward", "layers.dense_forward")},
    )
)

register(
    Exercise(
        name="layers.softmax",
        roles=("softmax",),
        make_case=Float32Cases(_logits_case, indexed=True),
        run=_run_softmax,
        reference={"softmax": ref.softmax},
        conventions=(
            Convention(
                "softmax without subtracting the row maximum",
                "exp overflows for large logits; subtract each row's maximum first.",
                {"softmax": _naive_softmax},
            ),
            Convention(
                "a column-wise softmax",
                "Each row (one example) must sum to 1: normalise along axis=1.",
                {"softmax": _columnwise_softmax},
            ),
        ),
        forbidden=lambda: [
            *torch_functions(
                "softmax",
                "nn.functional.softmax",
                "special.softmax",
                "log_softmax",
                "nn.functional.log_softmax",
                "special.log_softmax",
            ),
            *scipy_functions("special.softmax", "special.log_softmax"),
            *functions_at("sklearn.utils.extmath.softmax"),
        ],
    )
)

register(
    Exercise(
        name="layers.softmax_cross_entropy",
        roles=("softmax_cross_entropy",),
        make_case=Float32Cases(_labelled_case, indexed=True),
        run=_run_cross_entropy,
        reference={"softmax_cross_entropy": ref.softmax_cross_entropy},
        conventions=(
            Convention(
                "a loss summed over the batch",
                "The loss and its gradient are averaged over the N examples: divide by N.",
                {"softmax_cross_entropy": _summed_cross_entropy},
            ),
            Convention(
                "a gradient not divided by N",
                "The loss is a mean over the batch, so dlogits = (softmax - onehot) / N.",
                {"softmax_cross_entropy": _unscaled_gradient},
            ),
            Convention(
                "the log of a softmax without the row maximum",
                "exp overflows for large logits; compute log-probabilities as "
                "shifted - log(sum(exp(shifted))), with shifted = logits - each row's maximum.",
                {"softmax_cross_entropy": lambda logits, y: _log_of_softmax(logits, y, shift=False)},
            ),
            Convention(
                "the log of a softmax (log of 0 for a far-off label)",
                "A probability far below the row's maximum underflows to 0 and its log is -inf; "
                "compute log-probabilities directly: shifted - log(sum(exp(shifted))).",
                {"softmax_cross_entropy": _log_of_softmax},
            ),
        ),
        forbidden=lambda: [
            *torch_functions(
                "nn.functional.cross_entropy",
                "nn.functional.log_softmax",
                "log_softmax",
                "softmax",
                "nn.functional.nll_loss",
            ),
            *scipy_functions("special.log_softmax", "special.softmax"),
            *functions_at("sklearn.utils.extmath.softmax", "sklearn.metrics.log_loss"),
        ],
    )
)
