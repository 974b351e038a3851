"""The student side of 06_regularization's penalties and bias-variance split (see
:mod:`coursekit.regularization.exercises`). Every other penalty case is float32."""

from coursekit.grading.case_side import Cases, unpack
from coursekit.grading.exercise_tools import Float32Cases


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


def _bias_variance_case(rng, hidden):
    models, points = (int(rng.integers(2, 40)), int(rng.integers(1, 30))) if hidden else (20, 15)
    target = rng.standard_normal(points)
    offset = rng.standard_normal(points) * rng.uniform(0.1, 1.0)
    spread = rng.uniform(0.1, 2.0)
    return {"predictions": target + offset + spread * rng.standard_normal((models, points)), "target": target}


def _run_bias_variance(fns, case):
    bias2, variance = unpack(fns["bias_variance"](case["predictions"], case["target"]), 2, "(bias2, variance)")
    return {"bias2": bias2, "variance": variance}


CASES = {
    "regularization.l1_penalty": Cases(Float32Cases(_penalty_case), _runner("l1_penalty")),
    "regularization.l2_penalty": Cases(Float32Cases(_penalty_case), _runner("l2_penalty")),
    "regularization.bias_variance": Cases(_bias_variance_case, _run_bias_variance),
}
