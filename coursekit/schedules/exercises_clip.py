"""Graded exercise of 09_learning_rate_schedules: clipping a list of gradients by their
global norm, as ``torch.nn.utils.clip_grad_norm_`` does (NumPy, without changing the inputs).

A case is one to four gradient arrays, a max_norm and a norm type (2, 1 or inf); some cases
need clipping and some do not, and one has norms so small that torch's 1e-6 matters. The
known slips are named: each array clipped by its own norm, no 1e-6, rescaling even short
gradients up, the sum of the norms as the total, the 2-norm whatever norm_type says.
"""

import math

import numpy as np

from coursekit.grading import Convention, Exercise, StudentError, register, unpack
from coursekit.grading.exercise_tools import IndexedCases
from coursekit.schedules import numpy_ref as ref
from coursekit.schedules.exercises import REFERENCE_MODULES, _sig

EPS = 1e-6


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
    total = float(_p_norm([_p_norm(g, norm_type) for g in grads], norm_type))
    clipped = {0: True, 1: False}.get(index % 3, rng.random() < 0.6)
    factor = rng.uniform(0.1, 0.8) if clipped else rng.uniform(1.2, 3.0)
    case = {f"grads[{i}]": g for i, g in enumerate(grads)}
    return {**case, "max_norm": _sig(total * factor), "norm_type": norm_type}


def _p_norm(values, p):
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


def _variant(*, per_tensor=False, eps=EPS, clamp=True, total="norm", force_p=None):
    def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
        p = force_p or norm_type
        norms = [_p_norm(g, p) for g in grads]
        overall = _p_norm(norms, p) if total == "norm" else float(sum(norms))

        def factor(norm):
            f = max_norm / (norm + eps)
            return min(f, 1.0) if clamp else f

        factors = [factor(n) for n in norms] if per_tensor else [factor(overall)] * len(grads)
        return [g * f for g, f in zip(grads, factors)], overall

    return clip_grad_norm


register(
    Exercise(
        name="schedules.clip_grad_norm",
        roles=("clip_grad_norm",),
        make_case=IndexedCases(_clip_case),
        run=_run,
        reference={"clip_grad_norm": ref.clip_grad_norm},
        conventions=(
            Convention(
                "each gradient clipped by its own norm",
                "Clip by the global norm: one factor "
                "min(max_norm / (total_norm + 1e-6), 1) for every array, with total_norm the norm of "
                "all gradients together, so the update keeps its direction.",
                {"clip_grad_norm": _variant(per_tensor=True)},
            ),
            Convention(
                "the factor max_norm / total_norm without torch's 1e-6",
                "torch divides by total_norm + 1e-6; it shows when the gradients are tiny.",
                {"clip_grad_norm": _variant(eps=0.0)},
            ),
            Convention(
                "a factor never capped at 1 (short gradients are scaled up to max_norm)",
                "Clipping only shortens: the factor is min(max_norm / (total_norm + 1e-6), 1).",
                {"clip_grad_norm": _variant(clamp=False)},
            ),
            Convention(
                "the sum of the gradients' norms as the total norm",
                "The total is the norm of the per-array norms (the norm of all entries as one vector), not their sum.",
                {"clip_grad_norm": _variant(total="sum")},
            ),
            Convention(
                "the 2-norm whatever norm_type asks for",
                "norm_type = p selects the p-norm: (sum |g|**p)**(1/p), and max |g| for inf.",
                {"clip_grad_norm": _variant(force_p=2.0)},
            ),
        ),
        reference_modules=REFERENCE_MODULES + ("torch.nn.utils.clip_grad",),
        tolerances={"float64": (1e-9, 1e-15), "float32": (1e-5, 1e-9)},
        visible_cases=4,
        hidden_cases=8,
    )
)
