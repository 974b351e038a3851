"""The known alternatives the exercises of :mod:`coursekit.batchnorm.exercises` tell apart
from the reference, as answers: BatchNorm with one convention changed (Keras's momentum and
eps, eps left out, a biased running variance, the unbiased variance in the normalisation,
statistics over the wrong axis, the batch statistics at test time), and backward passes that
treat the batch statistics as constants or average the parameter gradients.
"""

import numpy as np

from coursekit.batchnorm import numpy_ref as ref
from coursekit.grading import Convention


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


def backward_conventions(role):
    """The backward pass's known slips, as answers to ``role``."""
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
