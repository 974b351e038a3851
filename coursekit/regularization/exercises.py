"""Graded exercises of 06_regularization: penalties and the bias-variance split.

Every other case of the penalties, dropout and the input noise is float32, which the
answers must keep.

The random layers are graded by statistics; they are registered in
:mod:`coursekit.regularization.exercises_dropout` and ``exercises_noise``, imported at the
end of this module.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register, unpack
from coursekit.grading.exercise_tools import Float32Cases
from coursekit.regularization import numpy_ref as ref
from coursekit.regularization._statistics import torch_builtins


def _autograd():
    return torch_builtins("autograd.grad", "autograd.backward")


# ----- penalties ------------------------------------------------------------------------


def _penalty_case(rng, hidden, dtype):
    ndim = int(rng.integers(1, 4)) if hidden else 2
    shape = tuple(int(s) for s in rng.integers(1 if hidden else 2, 7, size=ndim))
    w = rng.standard_normal(shape).astype(dtype)
    w[rng.random(shape) < 0.2] = 0.0  # exact zeros, where |w| has no derivative
    w.flat[rng.integers(w.size)] = 0.0
    lam = float(rng.choice([0.0, 0.01, 0.5, 3.0])) if hidden else float(rng.choice([0.1, 0.5, 2.0]))
    return {"w": w, "lam": lam}


def _runner(role):
    def run(fns, case):
        penalty, grad = unpack(fns[role](case["w"], case["lam"]), 2, "(penalty, grad)")
        return {"penalty": penalty, "grad": grad}

    return run


def _l1_plus_one_at_zero(w, lam):
    return lam * np.abs(w).sum(), np.where(w >= 0, lam, -lam).astype(w.dtype)


def _l2_keras(w, lam):
    return lam * np.sum(w * w), 2 * lam * w


def _l2_without_half(w, lam):
    return lam * np.sum(w * w), lam * w


# ----- bias and variance ----------------------------------------------------------------


def _bias_variance_case(rng, hidden):
    models, points = (int(rng.integers(2, 40)), int(rng.integers(1, 30))) if hidden else (20, 15)
    target = rng.standard_normal(points)
    offset = rng.standard_normal(points) * rng.uniform(0.1, 1.0)
    spread = rng.uniform(0.1, 2.0)
    return {"predictions": target + offset + spread * rng.standard_normal((models, points)), "target": target}


def _run_bias_variance(fns, case):
    bias2, variance = unpack(fns["bias_variance"](case["predictions"], case["target"]), 2, "(bias2, variance)")
    return {"bias2": bias2, "variance": variance}


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
        make_case=Float32Cases(_penalty_case),
        run=_runner("l1_penalty"),
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
        make_case=Float32Cases(_penalty_case),
        run=_runner("l2_penalty"),
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
        make_case=_bias_variance_case,
        run=_run_bias_variance,
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

from coursekit.regularization import exercises_dropout, exercises_noise  # noqa: E402,F401  (register)
