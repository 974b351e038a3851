"""The student side of 10_beyond_the_notes' AdamW (see :mod:`coursekit.beyond.exercises_adamw`):
a short trajectory per case, run by topic 05's :func:`coursekit.optimizers.cases.runner`."""

import numpy as np

from coursekit.grading.case_side import Cases
from coursekit.optimizers.cases import HYPERPARAMETERS, runner


def _hyperparameters(rng):
    """Adam's random hyperparameters (topic 05's), lr large enough and a decay strong enough
    that every convention below moves the weights by more than the tolerance."""
    hyper = HYPERPARAMETERS["adam"](rng)
    hyper["lr"] = float(f"{rng.uniform(0.05, 0.3):.3g}")
    hyper["weight_decay"] = float(f"{rng.uniform(0.1, 0.5):.3g}")
    return hyper


def _make_case(rng, hidden):
    if hidden:
        ndim = int(rng.integers(1, 3))
        shape = tuple(int(s) for s in rng.integers(1, 8 if ndim == 1 else 5, size=ndim))
        dtype = np.float32 if rng.random() < 1 / 3 else np.float64
        steps, scale = 8, float(rng.choice([0.1, 0.3, 1.0]))
    else:
        shape, dtype, steps, scale = (int(rng.integers(2, 6)),), np.float64, 5, 1.0
    w = (rng.standard_normal(shape) * 2).astype(dtype)
    grads = (scale * rng.standard_normal((steps, *shape))).astype(dtype)
    return {"w": w, "grads": grads, **_hyperparameters(rng)}


CASES = {"beyond.adamw_step": Cases(_make_case, runner("adamw"))}
