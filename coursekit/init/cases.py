"""The student side of 02_initialization's exercises (see :mod:`coursekit.init.exercises`):
large matrices' shapes and seeds, and the answer's initialiser drawn from them, summed up
by what does not depend on the draw (the weights' root mean square and kurtosis)."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError
from coursekit.grading.exercise_tools import IndexedCases

# variance_scaling's modes and distributions (coursekit.init.numpy_ref's MODES and
# DISTRIBUTIONS, which the exercises module checks these against).
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("uniform", "normal")
# The named shortcuts (coursekit.init.exercises_shortcuts.SHORTCUTS), in their order.
SHORTCUT_NAMES = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal")


def _fans(rng, hidden):
    """A large matrix with fan_in != fan_out, so fan_in, fan_out and fan_avg all differ."""
    small = int(rng.integers(120, 200))
    large = 3 * small + int(rng.integers(0, 40 if hidden else 1))
    return (small, large) if rng.random() < 0.5 or not hidden else (large, small)


def _stats(w):
    centred = w - w.mean()
    variance = np.mean(centred**2)
    return {"rms": np.sqrt(np.mean(w**2)), "kurtosis": np.mean(centred**4) / variance**2}


def _draw(fn, case, kwargs):
    shape = (case["fan_in"], case["fan_out"])
    w = fn(*shape, rng=np.random.default_rng(case["seed"]), **kwargs)
    if not isinstance(w, np.ndarray):
        raise StudentError(f"should return a numpy.ndarray, got {type(w).__name__}")
    if w.shape != shape:
        hint = " (that is torch's nn.Linear layout; ours is (fan_in, fan_out))" if w.shape == shape[::-1] else ""
        raise StudentError(f"should return shape (fan_in, fan_out) = {shape}, got {w.shape}{hint}")
    if w.dtype != np.float64:
        raise StudentError(f"should return float64 weights, got dtype {w.dtype}")
    again = fn(*shape, rng=np.random.default_rng(case["seed"]), **kwargs)
    if not np.array_equal(w, again):
        raise StudentError(
            "gave different weights for the same seed: draw every random number "
            "from the rng argument, not from np.random"
        )
    return _stats(w)


def _vs_case(rng, hidden, index):
    """Every set holds each mode and each distribution: the case's index picks them in turn
    (the six hidden cases hold every pair)."""
    fan_in, fan_out = _fans(rng, hidden)
    return {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "scale": float(rng.choice([1.0, 2.0, 0.5, 4.0])),  # at 3, two slips coincide
        "mode": MODES[index % len(MODES)],
        "distribution": DISTRIBUTIONS[index % len(DISTRIBUTIONS)],
        "seed": int(rng.integers(2**31)),
    }


def _run_vs(fns, case):
    kwargs = {k: case[k] for k in ("scale", "mode", "distribution")}
    return _draw(fns["variance_scaling"], case, kwargs)


def _named_case(rng, hidden):
    fan_in, fan_out = _fans(rng, hidden)
    return {"fan_in": fan_in, "fan_out": fan_out, "seed": int(rng.integers(2**31))}


GRADED_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _gain_case(rng, hidden):
    return {"slope": float(np.round(rng.uniform(0.05, 0.4), 3))}


def _run_gain(fns, case):
    gain = fns["gain"]
    out = {a: gain(a) for a in GRADED_ACTIVATIONS if a != "leaky_relu"}
    out["leaky_relu"] = gain("leaky_relu", case["slope"])
    return out


def _named_runner(name):
    def run(fns, case):
        return _draw(fns[name], case, {})

    return run


CASES = {
    "init.variance_scaling": Cases(IndexedCases(_vs_case), _run_vs),
    **{f"init.{name}": Cases(_named_case, _named_runner(name)) for name in SHORTCUT_NAMES},
    "init.gain": Cases(_gain_case, _run_gain),
}
