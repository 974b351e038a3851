"""The graded exercises of 10_beyond_the_notes: independent correct answers pass (visible and
hidden cases), each recognised mistake fails and is named, and other wrong answers fail.

The correct answers here are written independently of the references, in other forms
(AdamW with the corrections folded into the step size, LayerNorm's backward through the
computation graph, GELU through math.erf, Mish through log1p, max-norm with np.minimum).
"""

import math

import numpy as np
import pytest
import torch

from coursekit.grading import GradingFailure, check

# ----- correct answers, in other forms than the references ----------------------------------


def adamw_init(w):
    return {"t": 0, "m": np.zeros_like(w), "v": np.zeros_like(w)}


def adamw_step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    t = st["t"] + 1
    m = beta1 * st["m"] + (1 - beta1) * dw
    v = beta2 * st["v"] + (1 - beta2) * dw * dw
    root2 = math.sqrt(1 - beta2**t)
    w_decayed = w - lr * weight_decay * w
    return w_decayed - lr * root2 / (1 - beta1**t) * m / (np.sqrt(v) + eps * root2), {"t": t, "m": m, "v": v}


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.var(x, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return xhat * gamma + beta, (xhat, var, eps, gamma)


def layernorm_backward(dout, cache):
    """Step by step back through the graph of the forward pass."""
    xhat, var, eps, gamma = cache
    d = xhat.shape[-1]
    leading = tuple(range(xhat.ndim - 1))
    dgamma, dbeta = np.sum(dout * xhat, axis=leading), np.sum(dout, axis=leading)
    dxhat = dout * gamma
    std = np.sqrt(var + eps)
    centred = xhat * std
    dvar = np.sum(dxhat * centred, axis=-1, keepdims=True) * -0.5 / std**3
    dmu = -np.sum(dxhat, axis=-1, keepdims=True) / std - dvar * 2 * np.mean(centred, axis=-1, keepdims=True)
    return dxhat / std + dvar * 2 * centred / d + dmu / d, dgamma, dbeta


_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(z, approximate="none"):
    if approximate == "tanh":
        return (0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))).astype(z.dtype)
    return (0.5 * z * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)


def gelu_grad(z, approximate="none"):
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        t = np.tanh(inner)
        return (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * z**2)).astype(
            z.dtype
        )
    return (0.5 * (1 + _erf(z / math.sqrt(2))) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)).astype(z.dtype)


def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def silu(z):
    return z * _sigmoid(z)


def silu_grad(z):
    s = _sigmoid(z)
    return s + z * s * (1 - s)


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def mish(z):
    return z * np.tanh(_softplus(z))


def mish_grad(z):
    t = np.tanh(_softplus(z))
    return t + z * (1 - t * t) * _sigmoid(z)


def max_norm(w, max_value, *, axis=0):
    norms = np.linalg.norm(w, axis=axis, keepdims=True)
    return w * np.minimum(1, max_value / np.maximum(norms, 1e-300)).astype(w.dtype)


CORRECT = {
    "beyond.adamw_step": (adamw_init, adamw_step),
    "beyond.layernorm_forward": (layernorm_forward,),
    "beyond.layernorm_backward": (layernorm_forward, layernorm_backward),
    "beyond.gelu": (gelu, gelu_grad),
    "beyond.silu": (silu, silu_grad),
    "beyond.mish": (mish, mish_grad),
    "beyond.max_norm": (max_norm,),
}


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


def _failure(name, *functions, hidden=False):
    with pytest.raises(GradingFailure) as info:
        check(name, *functions, hidden=hidden)
    return str(info.value)


# ----- each recognised mistake fails and is named --------------------------------------------


def _adam(w, dw, st, lr, beta1, beta2, eps):
    t = st["t"] + 1
    m, v = beta1 * st["m"] + (1 - beta1) * dw, beta2 * st["v"] + (1 - beta2) * dw * dw
    return lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), {"t": t, "m": m, "v": v}


def adamw_paper_step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    step, st = _adam(w, dw, st, lr, beta1, beta2, eps)
    return w * (1 - weight_decay) - step, st


def adam_l2_step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    step, st = _adam(w, dw + weight_decay * w, st, lr, beta1, beta2, eps)
    return w - step, st


def adamw_decay_after_step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    step, st = _adam(w, dw, st, lr, beta1, beta2, eps)
    return (w - step) * (1 - lr * weight_decay), st


def layernorm_keras(x, gamma, beta, eps=1e-5):
    return layernorm_forward(x, gamma, beta, 1e-3)


def layernorm_unbiased(x, gamma, beta, eps=1e-5):
    xhat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + eps)
    return gamma * xhat + beta, None


def layernorm_eps_outside(x, gamma, beta, eps=1e-5):
    xhat = (x - x.mean(-1, keepdims=True)) / (x.std(-1, keepdims=True) + eps)
    return gamma * xhat + beta, None


def layernorm_over_batch(x, gamma, beta, eps=1e-5):
    xhat = (x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + eps)
    return gamma * xhat + beta, None


def layernorm_backward_constant_statistics(dout, cache):
    xhat, var, eps, gamma = cache
    leading = tuple(range(xhat.ndim - 1))
    return dout * gamma / np.sqrt(var + eps), np.sum(dout * xhat, axis=leading), np.sum(dout, axis=leading)


def layernorm_backward_without_variance(dout, cache):
    dx, dgamma, dbeta = layernorm_backward_constant_statistics(dout, cache)
    return dx - dx.mean(-1, keepdims=True), dgamma, dbeta


def gelu_always_tanh(z, approximate="none"):
    return gelu(z, "tanh")


def gelu_grad_always_tanh(z, approximate="none"):
    return gelu_grad(z, "tanh")


def gelu_sigmoid(z, approximate="none"):
    return z * _sigmoid(1.702 * z)


def gelu_sigmoid_grad(z, approximate="none"):
    s = _sigmoid(1.702 * z)
    return s + 1.702 * z * s * (1 - s)


def gelu_grad_cdf_only(z, approximate="none"):
    if approximate == "tanh":
        return 0.5 * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
    return (0.5 * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)


def max_norm_other_axis(w, max_value, *, axis=0):
    return max_norm(w, max_value, axis=1 - axis)


def max_norm_clip(w, max_value, *, axis=0):
    return np.clip(w, -max_value, max_value)


def max_norm_normalise(w, max_value, *, axis=0):
    return w * max_value / np.linalg.norm(w, axis=axis, keepdims=True)


def max_norm_whole(w, max_value, *, axis=0):
    return w * min(1.0, max_value / np.linalg.norm(w))


MISTAKES = [
    ("beyond.adamw_step", (adamw_init, adamw_paper_step), "not scaled by the learning rate", True),
    ("beyond.adamw_step", (adamw_init, adam_l2_step), "an L2 penalty through Adam", True),
    ("beyond.adamw_step", (adamw_init, adamw_decay_after_step), "the decay applied after the Adam step", True),
    ("beyond.layernorm_forward", (layernorm_keras,), "Keras's epsilon = 1e-3", True),
    ("beyond.layernorm_forward", (layernorm_unbiased,), "the unbiased variance", False),
    ("beyond.layernorm_forward", (layernorm_eps_outside,), "eps added to the standard deviation", True),
    ("beyond.layernorm_forward", (layernorm_over_batch,), "statistics over the batch axis", False),
    (
        "beyond.layernorm_backward",
        (layernorm_forward, layernorm_backward_constant_statistics),
        "treated as constants",
        False,
    ),
    (
        "beyond.layernorm_backward",
        (layernorm_forward, layernorm_backward_without_variance),
        "the path through the variance left out",
        False,
    ),
    ("beyond.gelu", (gelu_always_tanh, gelu_grad_always_tanh), "the tanh approximation where the exact", False),
    ("beyond.gelu", (gelu_sigmoid, gelu_sigmoid_grad), "the sigmoid approximation", False),
    ("beyond.gelu", (gelu, gelu_grad_cdf_only), "without the product rule, gelu_grad = Phi(z)", False),
    ("beyond.silu", (silu, _sigmoid), "silu_grad = sigmoid(z)", False),
    ("beyond.mish", (mish, lambda z: np.tanh(_softplus(z))), "mish_grad = tanh(softplus(z))", False),
    ("beyond.max_norm", (max_norm_other_axis,), "the norm over the other axis", False),
    ("beyond.max_norm", (max_norm_clip,), "each weight clipped", False),
    ("beyond.max_norm", (max_norm_normalise,), "every slice rescaled to norm max_value", False),
    ("beyond.max_norm", (max_norm_whole,), "one norm for the whole matrix", False),
]


@pytest.mark.parametrize(
    "name, functions, named, hidden_only", MISTAKES, ids=[f"{m[0].split('.')[1]}-{m[2][:30]}" for m in MISTAKES]
)
def test_each_recognised_mistake_fails_and_is_named(name, functions, named, hidden_only):
    message = _failure(name, *functions, hidden=True)
    assert "Your answer matches" in message and named in message.split("Your answer matches", 1)[1], message
    if not hidden_only:
        assert named in _failure(name, *functions).split("Your answer matches", 1)[1]


# ----- other wrong answers fail, with what is wrong ------------------------------------------


def test_adamw_that_changes_the_state_in_place_is_told():
    def step(w, dw, st, **hyper):
        new_w, new_st = adamw_step(w, dw, st, **hyper)
        st["m"] *= 0.0
        return new_w, new_st

    assert "changed the state it was given" in _failure("beyond.adamw_step", adamw_init, step)


def test_adamw_float32_upcast_is_told():
    def step(w, dw, st, **hyper):
        new_w, new_st = adamw_step(w, dw, st, **hyper)
        return new_w.astype(np.float64), new_st

    assert "dtype float64" in _failure("beyond.adamw_step", adamw_init, step, hidden=True)


def test_layernorm_with_a_wrong_dgamma_shape_is_told():
    def backward(dout, cache):
        dx, dgamma, dbeta = layernorm_backward(dout, cache)
        return dx, dout * cache[0], dbeta  # not summed over the examples

    message = _failure("beyond.layernorm_backward", layernorm_forward, backward)
    assert "dgamma has shape" in message


def test_layernorm_forward_that_overwrites_x_is_told():
    def forward(x, gamma, beta, eps=1e-5):
        x -= x.mean(-1, keepdims=True)
        return layernorm_forward(x, gamma, beta, eps)

    assert "changed x in place" in _failure("beyond.layernorm_forward", forward)


def test_naive_softplus_overflows_on_large_inputs_and_is_told():
    def mish_naive(z):
        with np.errstate(over="ignore"):
            return z * np.tanh(np.log(1 + np.exp(z)))

    def mish_grad_naive(z):
        with np.errstate(over="ignore", invalid="ignore"):
            t = np.tanh(np.log(1 + np.exp(z)))
            return t + z * (1 - t * t) * np.exp(z) / (1 + np.exp(z))

    assert "is not finite" in _failure("beyond.mish", mish_naive, mish_grad_naive, hidden=True)


def test_calling_torch_builtins_earns_nothing():
    import torch.nn.functional as F

    def gelu_torch(z, approximate="none"):
        return F.gelu(torch.from_numpy(z), approximate=approximate).numpy()

    assert "calls" in _failure("beyond.gelu", gelu_torch, gelu_grad)

    def max_norm_torch(w, max_value, *, axis=0):
        return torch.renorm(torch.from_numpy(w), 2, 1 - axis, max_value).numpy()

    assert "calls torch" in _failure("beyond.max_norm", max_norm_torch)

    def layernorm_torch(x, gamma, beta, eps=1e-5):
        t = torch.from_numpy
        return F.layer_norm(t(x), (x.shape[-1],), t(gamma), t(beta), eps).numpy(), None

    assert "calls" in _failure("beyond.layernorm_forward", layernorm_torch)


def test_calling_the_references_earns_nothing():
    from coursekit.optimizers import numpy_ref

    message = _failure(
        "beyond.adamw_step",
        numpy_ref.adam_init,
        lambda w, dw, st, weight_decay, lr, **h: numpy_ref.adam_step(w * (1 - lr * weight_decay), dw, st, lr=lr, **h),
    )
    assert "coursekit.optimizers.numpy_ref.adam_step" in message
