"""The student side of 09_learning_rate_schedules' clipping by global norm (see
:mod:`coursekit.schedules.exercises_clip`)."""

import math

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.grading.exercise_tools import IndexedCases
from coursekit.schedules.cases import sig


def _clip_case(rng, hidden, index):
    """Gradients and a max_norm. Every set holds tiny gradients in several arrays, clipped by
    their 2-norm (the 1st, 4th, ... case: torch's 1e-6 and the global norm show there), and
    several arrays shorter than max_norm in the inf-norm (the 2nd, 5th, ...)."""
    norm_type = float(rng.choice([2.0, 2.0, math.inf, 1.0] if hidden else [2.0, math.inf]))
    dtype = np.float32 if hidden and rng.random() < 0.5 else np.float64
    count = int(rng.integers(1, 5)) if hidden else int(rng.integers(2, 4))
    if index % 3 < 2:  # several arrays: a sum of norms is no global norm; the 2-norm, then inf
        norm_type, count = (2.0, math.inf)[index % 3], max(count, 2)
    scale = float(rng.choice([1e-6, 1.0, 30.0])) if hidden else float(rng.choice([1e-6, 1.0, 5.0]))
    scale = 1e-6 if index % 3 == 0 else scale
    grads = [
        (scale * rng.standard_normal(tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 3)))))).astype(
            dtype
        )
        for _ in range(count)
    ]
    total = float(p_norm([p_norm(g, norm_type) for g in grads], norm_type))
    clipped = {0: True, 1: False}.get(index % 3, rng.random() < 0.6)
    factor = rng.uniform(0.1, 0.8) if clipped else rng.uniform(1.2, 3.0)
    case = {f"grads[{i}]": g for i, g in enumerate(grads)}
    return {**case, "max_norm": sig(total * factor), "norm_type": norm_type}


def p_norm(values, p):
    a = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    if a.size == 0:
        return 0.0
    return float(a.max()) if p == math.inf else float(np.sum(a**p) ** (1 / p))


def _grads(case):
    return [case[k] for k in sorted((k for k in case if k.startswith("grads[")), key=lambda k: int(k[6:-1]))]


def _run(fns, case):
    grads = _grads(case)
    before = [g.copy() for g in grads]
    out = fns["clip_grad_norm"](grads, case["max_norm"], norm_type=case["norm_type"])
    clipped, total = unpack(out, 2, "(clipped, total_norm)")
    for i, (g, b) in enumerate(zip(grads, before)):
        if not np.array_equal(g, b):
            raise StudentError(f"changed grads[{i}] in place; return new arrays (g * factor, not g *= factor)")
    if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
        got = (
            f"a {type(clipped).__name__} of {len(clipped)}"
            if isinstance(clipped, (list, tuple))
            else type(clipped).__name__
        )
        raise StudentError(f"should return clipped as a list of {len(grads)} arrays, one per gradient, got {got}")
    outputs = {"total_norm": total}
    for i, (c, g) in enumerate(zip(clipped, grads)):
        if isinstance(c, np.ndarray) and c.dtype != g.dtype:
            raise StudentError(
                f"returned clipped[{i}] of dtype {c.dtype} for a {g.dtype} gradient: keep the gradients' "
                "dtype; multiply by a Python float (float(factor)), whose type does not upcast float32"
            )
        outputs[f"clipped[{i}]"] = c
    return outputs


CASES = {"schedules.clip_grad_norm": Cases(IndexedCases(_clip_case), _run)}
