"""Graded exercises of 00_backprop on the dense layer, softmax and cross-entropy.

Every other case is float32 (the answer must keep it). The backward exercise runs the
student's own forward pass first and, when it is wrong, says to fix it first.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register, scipy_functions, torch_functions
from coursekit.grading.exercises import functions_at
from coursekit.layers import numpy_ref as ref
from coursekit.layers.cases import CASES, FORWARD_OUT


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
        make_case=CASES["layers.dense_forward"].make_case,
        run=CASES["layers.dense_forward"].run,
        reference={"dense_forward": ref.dense_forward},
        forbidden=lambda: torch_functions("nn.functional.linear"),
    )
)

register(
    Exercise(
        name="layers.dense_backward",
        roles=("dense_forward", "dense_backward"),
        make_case=CASES["layers.dense_backward"].make_case,
        run=CASES["layers.dense_backward"].run,
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
        make_case=CASES["layers.softmax"].make_case,
        run=CASES["layers.softmax"].run,
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
        make_case=CASES["layers.softmax_cross_entropy"].make_case,
        run=CASES["layers.softmax_cross_entropy"].run,
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
