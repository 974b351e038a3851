"""The student side of 06_regularization's dropout (see
:mod:`coursekit.regularization.exercises_dropout`): the cases, and the statistics of the
student's masks that every correct answer reproduces exactly. Every other case is float32."""

import math

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.grading.exercise_tools import Float32Cases, forward_first, mismatch
from coursekit.regularization.cases_statistics import SIGMAS, check_array, rtol, seeded, snap, unchanged

FORWARD = "regularization.dropout_forward"


def _dropout_case(rng, hidden, dtype):
    if hidden and rng.random() < 0.3:
        shape = tuple(int(s) for s in rng.integers([3, 12, 30], [6, 20, 50]))
    else:
        shape = tuple(int(s) for s in rng.integers(30, 70 if hidden else 50, size=2))
    if hidden:
        p_drop = rng.choice([0.0, 0.1, 0.25, 0.5, 0.6, 0.8], p=[0.1, 0.18, 0.18, 0.18, 0.18, 0.18])
    else:
        p_drop = rng.choice([0.2, 0.3, 0.75])
    x = (2 * rng.standard_normal(shape)).astype(dtype)
    return {"x": x, "p_drop": float(p_drop), "seed": int(rng.integers(2**31))}


def _forward(fns, case, train):
    result = fns["dropout_forward"](case["x"], case["p_drop"], train=train, rng=seeded(case))
    out, cache = unpack(result, 2, "(out, cache)")
    return check_array("out" if train else "out with train=False", out, case["x"]), cache


def _independent(kept):
    """Raise if whole rows or columns share one mask entry (one draw per row or column)."""
    table = kept.reshape(-1, kept.shape[-1])
    for axis, what in ((0, "column"), (1, "row")):
        constant = (table.all(axis=axis) | ~table.any(axis=axis)).mean()
        if constant > 0.5 and table.shape[axis] >= 30:
            raise StudentError(
                f"the mask is the same along each {what}: draw one random number per unit, "
                f"rng.random(x.shape), not one per {what}"
            )


def _mask_statistics(kept, scaled, plain, p_drop, what):
    """(drop fraction, scale) of ``scaled = mask * plain``, snapped to the exact values."""
    n = kept.size
    dropped = 1.0 - kept.mean()
    fraction = snap(dropped, (p_drop, 1 - p_drop), lambda q: SIGMAS * math.sqrt(q * (1 - q) / n) + 1.0 / n)
    if not kept.any():
        return {"dropped_fraction": fraction, "kept_scale": math.nan}
    ratios = scaled[kept].astype(np.float64) / plain[kept].astype(np.float64)
    middle = float(np.median(ratios))
    spread = float(np.max(np.abs(ratios - middle)))
    if spread > rtol(scaled.dtype) * abs(middle):
        raise StudentError(
            f"the kept units are not all scaled by one factor: {what} ranges from "
            f"{ratios.min():.6g} to {ratios.max():.6g}. Multiply every kept unit by "
            "1/(1 - p_drop) and set the dropped ones to exactly 0"
        )
    return {"dropped_fraction": fraction, "kept_scale": middle}


def _run_dropout_forward(fns, case):
    x = case["x"]
    before = x.copy()
    out, _ = _forward(fns, case, True)
    unchanged(x, before)
    again, _ = _forward(fns, case, True)
    if not np.array_equal(out, again):
        raise StudentError(
            "two calls with identically seeded rng gave different outputs: draw the mask "
            "from the rng argument (rng.random(x.shape)), not from np.random"
        )
    kept = out != 0
    if 0 < kept.mean() < 1:
        _independent(kept)
    stats = _mask_statistics(kept, out, x, case["p_drop"], "out / x")
    test_out, _ = _forward(fns, case, False)
    return {**stats, "out_with_train_False": test_out}


def _forward_first(fns, case):
    """Check the student's dropout_forward as its own exercise does; if it is wrong, raise
    the error that says to fix the forward pass first."""
    try:
        stats = _run_dropout_forward(fns, case)
    except StudentError as err:
        raise forward_first("dropout_forward", FORWARD, f"fails a check: {err}") from None
    p_drop, scale = case["p_drop"], stats["kept_scale"]
    if stats["dropped_fraction"] != p_drop:
        problem = f"drops a fraction {stats['dropped_fraction']:.3g} of the units when p_drop = {p_drop}"
    elif not abs(scale - 1 / (1 - p_drop)) <= rtol(case["x"].dtype) / (1 - p_drop):
        problem = f"scales the kept units by {scale:.6g}, not by 1/(1 - p_drop) = {1 / (1 - p_drop):.6g}"
    else:
        problem = mismatch(stats["out_with_train_False"], case["x"], "the input x")
        problem = problem and f"returns, with train=False, out that {problem}"
    if problem:
        raise forward_first("dropout_forward", FORWARD, problem)


def _run_dropout_backward(fns, case):
    _forward_first(fns, case)
    x = case["x"]
    dout = np.random.default_rng(case["seed"] + 1).standard_normal(x.shape).astype(x.dtype)
    out, cache = _forward(fns, case, True)
    dx = check_array("dx", fns["dropout_backward"](dout.copy(), cache), x)
    expected = dout.astype(np.float64) * (out.astype(np.float64) / x.astype(np.float64))
    bad = ~np.isclose(dx, expected, rtol=rtol(x.dtype), atol=0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise StudentError(
            f"dx is not dout times the forward pass's mask: at index {where}, out/x = "
            f"{out[where] / x[where]:.6g} but dx/dout = {dx[where] / dout[where]:.6g}. "
            "Store the mask in the cache and reuse it; do not draw a new one"
        )
    stats = _mask_statistics(dx != 0, dx, dout, case["p_drop"], "dx / dout")
    _, test_cache = _forward(fns, case, False)
    test_dx = check_array("dx with train=False", fns["dropout_backward"](dout.copy(), test_cache), x)
    return {**stats, "dx_with_train_False": test_dx}


CASES = {
    FORWARD: Cases(Float32Cases(_dropout_case), _run_dropout_forward),
    "regularization.dropout_backward": Cases(Float32Cases(_dropout_case), _run_dropout_backward),
}
