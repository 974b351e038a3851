"""The student side of 04_batch_normalization's exercises (see
:mod:`coursekit.batchnorm.exercises`): the cases, and how the student's forward and backward
passes run on them. Every other case is float32."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.grading.exercise_tools import Float32Cases

# ----- cases ------------------------------------------------------------------------------


def _features(rng, hidden, dtype):
    """x (N, D) with a different mean and spread per feature; gamma and beta.

    In float64 cases one feature has a variance of about 1e-6, below every eps used, so that
    leaving eps out changes the output clearly. In float32 cases the noise is standardised
    over the batch: values that lie close together (likely when N = 2) make the normalisation
    ill-conditioned, and two correct float32 answers could differ by more than the tolerance.
    """
    n = int(rng.integers(2, 17 if hidden else 9))
    d = int(rng.integers(1 if hidden else 2, 10 if hidden else 6))
    noise = rng.standard_normal((n, d))
    if dtype == np.float32:
        noise = (noise - noise.mean(axis=0)) / noise.std(axis=0)
    x = rng.uniform(-3, 3, d) + rng.uniform(0.5, 2, d) * noise
    if dtype == np.float64:
        x[:, rng.integers(d)] = 1e-3 * rng.standard_normal(n)
    gamma = rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d)
    return {"x": x.astype(dtype), "gamma": gamma.astype(dtype), "beta": rng.standard_normal(d).astype(dtype)}


def _train_case(rng, hidden, dtype):
    return {**_features(rng, hidden, dtype), "eps": float(rng.choice([1e-5, 1e-3, 0.1]))}


def _backward_case(rng, hidden, dtype):
    case = _features(rng, hidden, dtype)
    case.update(dout=rng.standard_normal(case["x"].shape).astype(dtype), eps=float(rng.choice([1e-5, 1e-2])))
    return case


def _full_case(rng, hidden, dtype, index):
    """Every third case (the 3rd, 6th, ...) is at test time, train=False."""
    case = _features(rng, hidden, dtype)
    d = case["x"].shape[1]
    return {
        **case,
        "running_mean": rng.standard_normal(d).astype(dtype),
        "running_var": rng.uniform(0.5, 4, d).astype(dtype),
        "train": index % 3 != 2,
        "momentum": float(rng.choice([0.05, 0.2, 0.3, 0.7])),
        "eps": float(rng.choice([1e-5, 1e-3, 1e-2])),
    }


def _unchanged(case, before):
    for name, value in before.items():
        if not np.array_equal(case[name], value):
            raise StudentError(f"changed {name} in place; leave the inputs alone and return new arrays")


# ----- running the functions --------------------------------------------------------------
# Each case calls the function twice: with the case's hyperparameters, and with the
# function's own defaults, which must be torch's (momentum=0.1, eps=1e-5, train=True).

DEFAULT_EPS = "out with eps left at its default"


DEFAULTS = "with momentum and eps left at their defaults"


def _run_train_forward(fns, case):
    forward = fns["batchnorm_train_forward"]
    x, gamma, beta = case["x"], case["gamma"], case["beta"]
    before = {"x": x.copy(), "gamma": gamma.copy(), "beta": beta.copy()}
    out, _ = unpack(forward(x, gamma, beta, eps=case["eps"]), 2, "(out, cache)")
    out_default, _ = unpack(forward(x, gamma, beta), 2, "(out, cache)")
    _unchanged(case, before)
    return {"out": out, DEFAULT_EPS: out_default}


FORWARD_OUT = "out of your batchnorm_train_forward"


def _run_backward(role):
    def run(fns, case):
        before = {"x": case["x"].copy(), "dout": case["dout"].copy()}
        result = fns["batchnorm_train_forward"](case["x"], case["gamma"], case["beta"], eps=case["eps"])
        out, cache = unpack(result, 2, "(out, cache)")
        dx, dgamma, dbeta = unpack(fns[role](case["dout"], cache), 3, "(dx, dgamma, dbeta)")
        _unchanged(case, before)
        return {FORWARD_OUT: out, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}

    return run


def _run_full_forward(fns, case):
    forward = fns["batchnorm_forward"]
    names = ("x", "gamma", "beta", "running_mean", "running_var")
    arrays = [case[k] for k in names]
    before = {k: case[k].copy() for k in names}
    what = "(out, cache, new_running_mean, new_running_var)"
    given = unpack(forward(*arrays, train=case["train"], momentum=case["momentum"], eps=case["eps"]), 4, what)
    default = unpack(forward(*arrays) if case["train"] else forward(*arrays, train=False), 4, what)
    _unchanged(case, before)
    outputs = {}
    for suffix, (out, _, running_mean, running_var) in (("", given), (f" {DEFAULTS}", default)):
        outputs.update(
            {f"out{suffix}": out, f"running_mean{suffix}": running_mean, f"running_var{suffix}": running_var}
        )
    return outputs


CASES = {
    "batchnorm.batchnorm_train_forward": Cases(Float32Cases(_train_case), _run_train_forward),
    **{
        f"batchnorm.{role}": Cases(Float32Cases(_backward_case), _run_backward(role))
        for role in ("batchnorm_backward_graph", "batchnorm_backward")
    },
    "batchnorm.batchnorm_forward": Cases(Float32Cases(_full_case, indexed=True), _run_full_forward),
}
