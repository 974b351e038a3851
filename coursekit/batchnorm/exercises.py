"""Graded exercises of 04_batch_normalization.

1. ``batchnorm_train_forward(x, gamma, beta, eps=1e-5) -> (out, cache)``: the notes' four
   equations.
2. ``batchnorm_backward_graph(dout, cache)``: the backward pass step by step through the
   computation graph, and 3. ``batchnorm_backward(dout, cache)``: the same in closed form.
4. ``batchnorm_forward(x, gamma, beta, running_mean, running_var, *, train=True,
   momentum=0.1, eps=1e-5)``: running averages and test-time mode, with torch's conventions.

Known alternatives (Keras's momentum and eps, eps left out, a biased running variance, the
unbiased variance in the normalisation, statistics over the wrong axis, the batch statistics
at test time, the statistics treated as constants in the backward pass) are recognised and
named in the feedback. Every other case is float32. The backward exercises run the
student's forward pass first and, when it is wrong, say to fix it first.
"""

import functools

import numpy as np

from coursekit.batchnorm import numpy_ref as ref
from coursekit.batchnorm.exercises_conventions import (  # noqa: F401  (KERAS_EPS, NO_EPS, UNBIASED_NORMALISATION re-exported)
    FULL_FORWARD_CONVENTIONS,
    KERAS_EPS,
    NO_EPS,
    TRAIN_FORWARD_CONVENTIONS,
    UNBIASED_NORMALISATION,
    backward_conventions,
)
from coursekit.grading import Exercise, StudentError, register, unpack
from coursekit.grading import torch_functions as _torch_builtins
from coursekit.grading.exercise_tools import Float32Cases

BUILTINS = ("nn.functional.batch_norm", "batch_norm", "native_batch_norm")
AUTOGRAD = ("autograd.grad", "autograd.backward")


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


# ----- the references (the alternatives they are told apart from are in exercises_conventions)


def _reference_train_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    out, cache, _, _ = ref.batchnorm_forward(x, gamma, beta, np.zeros(d, x.dtype), np.ones(d, x.dtype), eps=eps)
    return out, cache


register(
    Exercise(
        name="batchnorm.batchnorm_train_forward",
        roles=("batchnorm_train_forward",),
        make_case=Float32Cases(_train_case),
        run=_run_train_forward,
        reference={"batchnorm_train_forward": _reference_train_forward},
        conventions=TRAIN_FORWARD_CONVENTIONS,
        forbidden=lambda: _torch_builtins(*BUILTINS),
    )
)

for _role in ("batchnorm_backward_graph", "batchnorm_backward"):
    register(
        Exercise(
            name=f"batchnorm.{_role}",
            roles=("batchnorm_train_forward", _role),
            make_case=Float32Cases(_backward_case),
            run=_run_backward(_role),
            reference={"batchnorm_train_forward": _reference_train_forward, _role: ref.batchnorm_backward},
            conventions=backward_conventions(_role),
            checked_first={FORWARD_OUT: ("batchnorm_train_forward", "batchnorm.batchnorm_train_forward")},
            forbidden=functools.partial(_torch_builtins, *BUILTINS, *AUTOGRAD),
        )
    )

register(
    Exercise(
        name="batchnorm.batchnorm_forward",
        roles=("batchnorm_forward",),
        make_case=Float32Cases(_full_case, indexed=True),
        run=_run_full_forward,
        reference={"batchnorm_forward": ref.batchnorm_forward},
        conventions=FULL_FORWARD_CONVENTIONS,
        forbidden=lambda: _torch_builtins(*BUILTINS),
    )
)
