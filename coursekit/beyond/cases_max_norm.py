"""The student side of 10_beyond_the_notes' max-norm (see :mod:`coursekit.beyond.exercises_max_norm`)."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError


def _case(rng, hidden):
    shape = tuple(int(s) for s in rng.integers(2, 9 if hidden else 6, size=2))
    axis = int(rng.integers(0, 2)) if hidden else 0
    sizes = rng.choice([0.1, 0.5, 2.0, 5.0], size=shape[1 - axis])
    w = rng.standard_normal(shape) * (sizes[None, :] if axis == 0 else sizes[:, None])
    if hidden and rng.random() < 0.3:
        w = w.astype(np.float32)
    return {"w": w, "max_value": float(rng.choice([0.5, 1.0, 2.0, 3.0])), "axis": axis}


def _run(fns, case):
    w = case["w"]
    before = w.copy()
    out = fns["max_norm"](w, case["max_value"], axis=case["axis"])
    if not np.array_equal(w, before):
        raise StudentError("changed w in place; return a new array (w * scale, not w *= scale)")
    return {"w_new": out}


CASES = {"beyond.max_norm": Cases(_case, _run)}
