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
from coursekit.grading import Convention, Exercise, StudentError, register, unpack
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


# ----- the references, and the alternatives they are told apart from ----------------------


def _reference_train_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    out, cache, _, _ = ref.batchnorm_forward(x, gamma, beta, np.zeros(d, x.dtype), np.ones(d, x.dtype), eps=eps)
    return out, cache


def _variant(
    x,
    gamma,
    beta,
    running_mean,
    running_var,
    *,
    train=True,
    momentum=0.1,
    eps=1e-5,
    norm_ddof=0,
    running_ddof=1,
    keras_momentum=False,
    ignore_train=False,
    axis=0,
    eps_on_std=False,
    no_eps=False,
    batch_stats_at_test=False,
):
    """BatchNorm with one convention changed; the defaults are the reference's."""
    if train or ignore_train:
        mean = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=axis, ddof=norm_ddof, keepdims=True)
        weight_old = momentum if keras_momentum else 1 - momentum
        new_mean = weight_old * running_mean + (1 - weight_old) * x.mean(axis=0)
        new_var = weight_old * running_var + (1 - weight_old) * x.var(axis=0, ddof=running_ddof)
    else:
        mean, var = running_mean, running_var
        if batch_stats_at_test:
            mean, var = x.mean(axis=0), x.var(axis=0, ddof=norm_ddof)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    if no_eps:
        eps = 0.0
    std = np.sqrt(var) + eps if eps_on_std else np.sqrt(var + eps)
    return gamma * (x - mean) / std + beta, None, new_mean, new_var


def _train_variant(**changes):
    eps_default = changes.pop("eps", 1e-5)

    def forward(x, gamma, beta, eps=eps_default):
        d = x.shape[1]
        out, _, _, _ = _variant(x, gamma, beta, np.zeros(d, x.dtype), np.ones(d, x.dtype), eps=eps, **changes)
        return out, None

    return forward


def _full_variant(**changes):
    defaults = {"momentum": changes.pop("momentum", 0.1), "eps": changes.pop("eps", 1e-5)}

    def forward(x, gamma, beta, running_mean, running_var, *, train=True, **kwargs):
        return _variant(x, gamma, beta, running_mean, running_var, train=train, **{**defaults, **kwargs}, **changes)

    return forward


UNBIASED_NORMALISATION = (
    "Normalise the batch with the biased variance, dividing by N as in the notes' equation 2 "
    "(and torch). The unbiased N-1 version only enters the running variance."
)
KERAS_EPS = "torch's (and this course's) default is eps=1e-5; Keras's epsilon defaults to 1e-3."
NO_EPS = (
    "Normalise with sqrt(var + eps), not sqrt(var): eps keeps a feature whose batch variance is "
    "close to 0 from being blown up (or divided by 0). Every float64 case has a feature of "
    "variance about 1e-6, whose output eps changes a lot."
)

TRAIN_FORWARD_CONVENTIONS = (
    Convention(
        "the unbiased variance in the normalisation",
        UNBIASED_NORMALISATION,
        {"batchnorm_train_forward": _train_variant(norm_ddof=1)},
    ),
    Convention(
        "eps added to the standard deviation",
        "eps goes inside the square root: (x - mu) / sqrt(var + eps).",
        {"batchnorm_train_forward": _train_variant(eps_on_std=True)},
    ),
    Convention("eps left out", NO_EPS, {"batchnorm_train_forward": _train_variant(no_eps=True)}),
    Convention("Keras's eps (1e-3)", KERAS_EPS, {"batchnorm_train_forward": _train_variant(eps=1e-3)}),
    Convention(
        "statistics over the features (axis=1)",
        "BatchNorm averages over the batch, axis=0: one mean and one variance per feature.",
        {"batchnorm_train_forward": _train_variant(axis=1)},
    ),
)


def _statistics_constant(dout, cache):
    x, mean, inv_std, gamma, _ = cache
    xhat = (x - mean) * inv_std
    return dout * gamma * inv_std, (dout * xhat).sum(0), dout.sum(0)


def _variance_constant(dout, cache):
    dx, dgamma, dbeta = _statistics_constant(dout, cache)
    return dx - cache.gamma * cache.inv_std * dout.mean(0), dgamma, dbeta


def _mean_constant(dout, cache):
    dx, dgamma, dbeta = _statistics_constant(dout, cache)
    xhat = (cache.x - cache.mean) * cache.inv_std
    return dx - cache.gamma * cache.inv_std * xhat * (dgamma / len(dout)), dgamma, dbeta


def _averaged_parameter_gradients(dout, cache):
    dx, dgamma, dbeta = ref.batchnorm_backward(dout, cache)
    return dx, dgamma / len(dout), dbeta / len(dout)


def _backward_conventions(role):
    return (
        Convention(
            "mu and sigma^2 treated as constants",
            "mu_B and sigma_B^2 are computed from the batch, so every x_i reaches the loss "
            "through them too: dx needs the terms -mean(dout*gamma) and -xhat*mean(dout*gamma*xhat), "
            "times 1/sqrt(var + eps).",
            {role: _statistics_constant},
        ),
        Convention(
            "sigma^2 treated as a constant",
            "You followed the path through mu_B but not the one through sigma_B^2: "
            "add -xhat * mean(dxhat * xhat) inside the bracket.",
            {role: _variance_constant},
        ),
        Convention(
            "mu treated as a constant",
            "You followed the path through sigma_B^2 but not the one through mu_B: "
            "subtract mean(dxhat) inside the bracket.",
            {role: _mean_constant},
        ),
        Convention(
            "dgamma and dbeta averaged over the batch",
            "gamma and beta are shared by all N examples, so their gradients are sums over the batch.",
            {role: _averaged_parameter_gradients},
        ),
    )


FULL_FORWARD_CONVENTIONS = (
    Convention(
        "the biased running variance",
        "torch updates the running variance with the unbiased batch variance, var * N/(N-1), "
        "so that it estimates the population variance (the batch itself is still normalised "
        "with the biased one).",
        {"batchnorm_forward": _full_variant(running_ddof=0)},
    ),
    Convention(
        "Keras's momentum convention (momentum weights the old statistic, like the notes' decay)",
        "Here momentum weights the NEW batch statistic, as in torch: "
        "running = (1 - momentum) * running + momentum * batch. The notes' decay (Keras's "
        "momentum) is 1 - momentum.",
        {"batchnorm_forward": _full_variant(keras_momentum=True)},
    ),
    Convention(
        "Keras's defaults (momentum=0.99 weighting the old statistic)",
        "Keras's momentum=0.99 is the notes' decay; torch's momentum=0.1 = 1 - decay weights "
        "the new statistic: running = 0.9 * running + 0.1 * batch by default.",
        {"batchnorm_forward": _full_variant(keras_momentum=True, momentum=0.99)},
    ),
    Convention(
        "Keras's momentum=0.99 as the default",
        "With torch's update, running = (1 - momentum) * running + momentum * batch, the "
        "default momentum is 0.1; 0.99 is Keras's default for its decay, 1 - momentum.",
        {"batchnorm_forward": _full_variant(momentum=0.99)},
    ),
    Convention(
        "the unbiased variance in the normalisation",
        UNBIASED_NORMALISATION,
        {"batchnorm_forward": _full_variant(norm_ddof=1)},
    ),
    Convention("Keras's eps (1e-3)", KERAS_EPS, {"batchnorm_forward": _full_variant(eps=1e-3)}),
    Convention("eps left out", NO_EPS, {"batchnorm_forward": _full_variant(no_eps=True)}),
    Convention(
        "the batch statistics at test time",
        "With train=False, normalise x with running_mean and running_var, not with x's own "
        "mean and variance: at test time a prediction must not depend on the other examples "
        "in the batch (there may be only one).",
        {"batchnorm_forward": _full_variant(batch_stats_at_test=True)},
    ),
    Convention(
        "batch statistics and an update at test time (train=False ignored)",
        "With train=False normalise with the running statistics and return them unchanged: the model is in test mode.",
        {"batchnorm_forward": _full_variant(ignore_train=True)},
    ),
)


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
            conventions=_backward_conventions(_role),
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
