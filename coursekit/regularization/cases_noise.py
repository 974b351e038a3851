"""The student side of 06_regularization's input noise (see
:mod:`coursekit.regularization.exercises_noise`). Every other case is float32."""

import math

import numpy as np

from coursekit.grading.case_side import Cases, StudentError
from coursekit.grading.exercise_tools import Float32Cases
from coursekit.regularization.cases_statistics import SIGMAS, check_array, seeded, snap, unchanged


def _noise_case(rng, hidden, dtype):
    ndim = int(rng.integers(1, 4)) if hidden else 2
    sizes = {1: (2000, 4000), 2: (45, 65), 3: (12, 16)}[ndim]
    shape = tuple(int(s) for s in rng.integers(*sizes, size=ndim))
    options = [0.0, 0.1, 0.2, 2.0, 3.0] if hidden else [0.1, 0.3, 2.0]
    x = rng.normal(1.0, 2.0, shape).astype(dtype)
    return {"x": x, "stddev": float(rng.choice(options)), "seed": int(rng.integers(2**31))}


def _noisy(fns, case, train):
    out = fns["gaussian_noise"](case["x"], case["stddev"], train=train, rng=seeded(case))
    return check_array("out" if train else "out with train=False", out, case["x"])


def _run_gaussian_noise(fns, case):
    x, stddev = case["x"], case["stddev"]
    before = x.copy()
    out = _noisy(fns, case, True)
    unchanged(x, before)
    if not np.array_equal(out, _noisy(fns, case, True)):
        raise StudentError(
            "two calls with identically seeded rng gave different outputs: draw the noise "
            "from the rng argument (rng.standard_normal(x.shape)), not from np.random"
        )
    test_out = _noisy(fns, case, False)
    if not np.array_equal(test_out, x):
        raise StudentError("with train=False the output must equal x: noise is added in training only")
    noise = out.astype(np.float64) - x.astype(np.float64)
    n = noise.size
    rounding = 4 * np.finfo(x.dtype).eps * float(np.abs(x).max())
    mean = snap(noise.mean(), (0.0,), lambda _: SIGMAS * stddev / math.sqrt(n) + rounding)
    spread = noise.std()
    std = snap(spread, (stddev, math.sqrt(stddev), stddev**2), lambda s: s * SIGMAS / math.sqrt(2 * n) + rounding)
    within = 1.0 if spread == 0 else float((np.abs(noise - noise.mean()) <= 2 * spread).mean())
    normal = math.erf(math.sqrt(2))  # P(|z| <= 2) for a standard normal z
    within = snap(within, (normal, 1.0), lambda q: SIGMAS * math.sqrt(q * (1 - q) / n) + 1.0 / n)
    return {"noise_mean": mean, "noise_std": std, "fraction_within_2_std": within}


CASES = {"regularization.gaussian_noise": Cases(Float32Cases(_noise_case), _run_gaussian_noise)}
