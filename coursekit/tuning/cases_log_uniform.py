"""The student side of 07_hyperparameter_tuning's log-uniform sampler (see
:mod:`coursekit.tuning.exercises_log_uniform`): bounds and sizes, and the statistics of the
answer's samples that do not depend on how it draws them."""

import math

import numpy as np

from coursekit.grading.case_side import Cases, StudentError

_NICE_BOUNDS = ((1e-4, 1e-1), (1e-5, 1.0), (1e-3, 3.0), (0.01, 10.0), (1e-6, 1e-2), (2.0, 500.0))


_SIZES = (20_000, (100, 200), (40, 25, 20), (20_000, 1))


def _bounds_case(rng, hidden):
    if hidden:
        low = float(10.0 ** rng.uniform(-7, 2))
        high = low * float(10.0 ** rng.uniform(0.4, 6))
        size = _SIZES[int(rng.integers(len(_SIZES)))]
    else:
        low, high = _NICE_BOUNDS[int(rng.integers(len(_NICE_BOUNDS)))]
        size = _SIZES[0]
    return {"low": low, "high": high, "size": size, "seed": int(rng.integers(2**31))}


def _samples(fns, case, seed):
    x = fns["log_uniform"](case["low"], case["high"], case["size"], rng=np.random.default_rng(seed))
    shape = case["size"] if isinstance(case["size"], tuple) else (case["size"],)
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        what = f"an array of dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise StudentError(f"should return a float numpy array of shape {shape}, got {what}")
    if x.shape != shape:
        raise StudentError(f"returned shape {x.shape}; size={case['size']!r} asks for shape {shape}")
    if not np.isfinite(x).all() or (x <= 0).any():
        raise StudentError(
            f"returned non-finite or non-positive samples (smallest {np.min(x)!r}); every sample "
            f"must lie in [low, high] = [{case['low']:g}, {case['high']:g}]"
        )
    return x.astype(np.float64).ravel()


def _ks_from_uniform(u):
    u = np.sort(np.clip(u, 0.0, 1.0))
    n = len(u)
    return float(max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n)))


def _run_log_uniform(fns, case):
    low, high = case["low"], case["high"]
    x = _samples(fns, case, case["seed"])
    again = _samples(fns, case, case["seed"])
    other = _samples(fns, case, case["seed"] + 1)
    u = np.log(x / low) / math.log(high / low)
    outside = (x < low * (1 - 1e-12)) | (x > high * (1 + 1e-12))
    return {
        "samples outside [low, high]": int(outside.sum()),
        "mean of u = log(x/low) / log(high/low), which is 1/2 for log-uniform x": float(u.mean()),
        "standard deviation of u, which is 0.289 for log-uniform x": float(u.std()),
        "KS distance between u and Uniform(0, 1)": _ks_from_uniform(u),
        "same samples for the same seed (1 = yes)": int(np.array_equal(x, again)),
        "other samples for another seed (1 = yes)": int(not np.array_equal(x, other)),
    }


CASES = {"tuning.log_uniform": Cases(_bounds_case, _run_log_uniform)}
