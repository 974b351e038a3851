"""Graded exercises of 06_regularization: penalties and the bias-variance split.

Every other case of the penalties, dropout and the input noise is float32, which the
answers must keep.

The random layers are graded by statistics; they are registered in
:mod:`coursekit.regularization.exercises_dropout` and ``exercises_noise`` (the registry loads
all three).
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.grading import torch_functions as torch_builtins
from coursekit.regularization import numpy_ref as ref
from coursekit.regularization.cases import CASES


def _autograd():
    return torch_builtins("autograd.grad", "autograd.backward")


# ----- penalties ------------------------------------------------------------------------


def _l1_plus_one_at_zero(w, lam):
    return lam * np.abs(w).sum(), np.where(w >= 0, lam, -lam).astype(w.dtype)


def _l2_keras(w, lam):
    return lam * np.sum(w * w), 2 * lam * w


def _l2_without_half(w, lam):
    return lam * np.sum(w * w), lam * w


# ----- bias and variance ----------------------------------------------------------------


def _bias_variance_ddof1(predictions, target):
    bias2, _ = ref.bias_variance(predictions, target)
    return bias2, np.mean(np.var(predictions, axis=0, ddof=1))


def _bias_variance_across_points(predictions, target):
    bias2, _ = ref.bias_variance(predictions, target)
    return bias2, np.mean(np.var(predictions, axis=1))


def _bias_squared_after_averaging(predictions, target):
    _, variance = ref.bias_variance(predictions, target)
    return np.mean(predictions.mean(axis=0) - target) ** 2, variance


# ----- registration ---------------------------------------------------------------------

register(
    Exercise(
        name="regularization.l1_penalty",
        roles=("l1_penalty",),
        make_case=CASES["regularization.l1_penalty"].make_case,
        run=CASES["regularization.l1_penalty"].run,
        hidden_cases=8,
        reference={"l1_penalty": ref.l1_penalty},
        conventions=(
            Convention(
                "a subgradient of +λ at w = 0",
                "|w| has no derivative at 0, and any value in [-λ, λ] is a subgradient there. "
                "Use λ·sign(w), which is 0 at w = 0 (as torch's autograd does for abs).",
                {"l1_penalty": _l1_plus_one_at_zero},
            ),
        ),
        forbidden=_autograd,
    )
)

register(
    Exercise(
        name="regularization.l2_penalty",
        roles=("l2_penalty",),
        make_case=CASES["regularization.l2_penalty"].make_case,
        run=CASES["regularization.l2_penalty"].run,
        hidden_cases=8,
        reference={"l2_penalty": ref.l2_penalty},
        conventions=(
            Convention(
                "Keras's l2 regulariser, λ·Σw² with gradient 2λ·w",
                "This course uses λ/2·Σw², whose gradient λ·w is what torch's weight_decay=λ adds.",
                {"l2_penalty": _l2_keras},
            ),
            Convention(
                "a penalty without the factor 1/2",
                "The gradient λ·w is right, but it is the gradient of λ/2·Σw², not of λ·Σw².",
                {"l2_penalty": _l2_without_half},
            ),
        ),
        forbidden=_autograd,
    )
)

register(
    Exercise(
        name="regularization.bias_variance",
        roles=("bias_variance",),
        make_case=CASES["regularization.bias_variance"].make_case,
        run=CASES["regularization.bias_variance"].run,
        reference={"bias_variance": ref.bias_variance},
        conventions=(
            Convention(
                "the unbiased variance over models (ddof=1)",
                "Divide by the number of models S (np.var's default, ddof=0): then the mean squared "
                "error over models equals bias² + variance exactly.",
                {"bias_variance": _bias_variance_ddof1},
            ),
            Convention(
                "the variance taken across test points",
                "The variance is over the models (axis 0), at each test point; then average it over the points.",
                {"bias_variance": _bias_variance_across_points},
            ),
            Convention(
                "the bias averaged over points before squaring",
                "Square the bias at each test point, then average: positive and negative errors must not cancel.",
                {"bias_variance": _bias_squared_after_averaging},
            ),
        ),
    )
)
