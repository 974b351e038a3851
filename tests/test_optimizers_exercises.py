"""The graded optimizer exercises: independent correct answers pass, wrong ones fail and
are told why, and every known alternative convention is named.

The answers here are written independently of the references, in other (equivalent)
forms: the notes' momentum, Bengio's Nesterov, Keras's folded Adam step size, ...
"""

import numpy as np
import pytest
import torch

from coursekit.grading import GradingFailure, check


def _zeros(w):
    return np.zeros(w.shape, dtype=w.dtype)


# ----- correct answers, in other forms than the references ------------------------------


def sgd_init(w):
    return ()


def sgd_step(w, dw, state, *, lr=0.001):
    return w + (-lr) * dw, state


def notes_momentum_init(w):
    return {"m": _zeros(w)}


def notes_momentum_step(w, dw, state, *, lr=0.001, momentum=0.9):
    m = momentum * state["m"] + lr * dw  # the notes' form: lr inside the buffer
    return w - m, {"m": m}


def bengio_nesterov_init(w):
    return [_zeros(w)]


def bengio_nesterov_step(w, dw, state, *, lr=0.001, momentum=0.9):
    (v_old,) = state  # v = -lr * torch's buffer
    v = momentum * v_old - lr * dw
    return w + momentum**2 * v_old - (1 + momentum) * lr * dw, [v]


def adagrad_init(w):
    return _zeros(w)


def adagrad_step(w, dw, s, *, lr=0.01, eps=1e-10):
    s = s + np.square(dw)
    return w - lr * dw * np.reciprocal(np.sqrt(s) + eps), s


def rmsprop_init(w):
    return (_zeros(w),)


def rmsprop_step(w, dw, state, *, lr=0.01, alpha=0.99, eps=1e-8):
    s = state[0] + (1 - alpha) * (np.square(dw) - state[0])  # the same average, lerp form
    return w - lr * dw / (np.sqrt(s) + eps), (s,)


def adam_init(w):
    return {"t": 0, "m": _zeros(w), "v": _zeros(w)}


def adam_step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = st["t"] + 1
    m = beta1 * st["m"] + (1 - beta1) * dw
    v = beta2 * st["v"] + (1 - beta2) * dw**2
    root2 = (
        1 - beta2**t
    ) ** 0.5  # a Python float (np.sqrt would upcast float32); torch's step with the corrections folded into lr
    step = lr * root2 / (1 - beta1**t) * m / (np.sqrt(v) + eps * root2)
    return w - step, {"t": t, "m": m, "v": v}


CORRECT = {
    "optimizers.sgd_step": (sgd_init, sgd_step),
    "optimizers.momentum_step": (notes_momentum_init, notes_momentum_step),
    "optimizers.nesterov_step": (bengio_nesterov_init, bengio_nesterov_step),
    "optimizers.adagrad_step": (adagrad_init, adagrad_step),
    "optimizers.rmsprop_step": (rmsprop_init, rmsprop_step),
    "optimizers.adam_step": (adam_init, adam_step),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, *CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


def _failure(name, *functions, hidden=False):
    with pytest.raises(GradingFailure) as info:
        check(name, *functions, hidden=hidden)
    return str(info.value)


# ----- each known convention is named -----------------------------------------------------


def ascent_step(w, dw, state, *, lr=0.001):
    return w + lr * dw, state


def ema_momentum_step(w, dw, state, *, lr=0.001, momentum=0.9):
    v = momentum * state["m"] + (1 - momentum) * dw
    return w - lr * v, {"m": v}


def nesterov_as_momentum_step(w, dw, state, *, lr=0.001, momentum=0.9):
    v = momentum * state[0] + dw
    return w - lr * (dw + momentum * v), [v]


def heavy_ball_step(w, dw, state, *, lr=0.001, momentum=0.9):
    v = momentum * state[0] + dw
    return w - lr * v, [v]


def adagrad_eps_inside_step(w, dw, s, *, lr=0.01, eps=1e-10):
    s = s + dw * dw
    return w - lr * dw / np.sqrt(s + eps), s


def rmsprop_eps_inside_step(w, dw, state, *, lr=0.01, alpha=0.99, eps=1e-8):
    s = alpha * state[0] + (1 - alpha) * dw * dw
    return w - lr * dw / np.sqrt(s + eps), (s,)


def rmsprop_swapped_step(w, dw, state, *, lr=0.01, alpha=0.99, eps=1e-8):
    s = (1 - alpha) * state[0] + alpha * dw * dw
    return w - lr * dw / (np.sqrt(s) + eps), (s,)


def _adam_variant(variant):
    def step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        t = st["t"] + 1
        m = beta1 * st["m"] + (1 - beta1) * dw
        v = (beta1 if variant == "typo" else beta2) * st["v"] + (1 - beta2) * dw**2
        if variant == "no bias correction":
            w_new = w - lr * m / (np.sqrt(v) + eps)
        elif variant == "keras":
            w_new = w - lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t) * m / (np.sqrt(v) + eps)
        else:
            w_new = w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return w_new, {"t": t, "m": m, "v": v}

    return step


CONVENTIONS = [
    ("optimizers.sgd_step", (sgd_init, ascent_step), "gradient ascent"),
    ("optimizers.momentum_step", (notes_momentum_init, ema_momentum_step), "the EMA form of momentum"),
    ("optimizers.momentum_step", (bengio_nesterov_init, nesterov_as_momentum_step), "Nesterov momentum"),
    (
        "optimizers.nesterov_step",
        (bengio_nesterov_init, heavy_ball_step),
        "plain momentum (Nesterov written as heavy-ball momentum)",
    ),
    ("optimizers.adagrad_step", (adagrad_init, adagrad_eps_inside_step), "eps inside the square root"),
    ("optimizers.rmsprop_step", (rmsprop_init, rmsprop_eps_inside_step), "eps inside the square root"),
    ("optimizers.rmsprop_step", (rmsprop_init, rmsprop_swapped_step), "alpha as the weight of the new"),
    ("optimizers.adam_step", (adam_init, _adam_variant("typo")), "the notes' typo"),
    ("optimizers.adam_step", (adam_init, _adam_variant("no bias correction")), "Adam without bias correction"),
    ("optimizers.adam_step", (adam_init, _adam_variant("keras")), "Keras's 'epsilon hat'"),
]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize(
    "name, functions, convention", CONVENTIONS, ids=[f"{c[0].split('.')[1]}-{c[2][:24]}" for c in CONVENTIONS]
)
def test_known_conventions_fail_and_are_named(name, functions, convention, hidden):
    message = _failure(name, *functions, hidden=hidden)
    assert f"Your answer matches {convention}" in message, message


def test_rmsprop_feedback_names_keras_and_torch():
    message = _failure("optimizers.rmsprop_step", rmsprop_init, rmsprop_eps_inside_step)
    assert "the notes' and Keras's convention" in message and "torch's convention" in message


def test_adagrad_feedback_names_keras_3_not_the_notes():
    # The notes give no AdaGrad formula: only their RMSProp puts eps inside the root.
    message = _failure("optimizers.adagrad_step", adagrad_init, adagrad_eps_inside_step)
    assert "Keras 3's convention" in message and "the notes'" not in message and "torch's convention" in message


# ----- other wrong answers -------------------------------------------------------------


def forgetful_momentum_step(w, dw, state, *, lr=0.001, momentum=0.9):
    v = momentum * _zeros(w) + dw  # ignores the state it is given
    return w - lr * v, [v]


def test_a_step_that_ignores_its_state_fails_from_step_two():
    message = _failure("optimizers.momentum_step", bengio_nesterov_init, forgetful_momentum_step)
    assert "w after step 2" in message and "w after step 1:" not in message
    assert "Your answer matches" not in message


def test_changing_w_in_place_is_reported():
    def step(w, dw, state, *, lr=0.001):
        w -= lr * dw
        return w, state

    assert "changed w in place at step 1" in _failure("optimizers.sgd_step", sgd_init, step)


def test_changing_the_state_in_place_is_reported():
    def step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        w_new, new = adam_step(w, dw, st, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        st["m"][...] = new["m"]  # the cs231n habit: also update the old moment in place
        return w_new, new

    assert "changed the state it was given at step 1" in _failure("optimizers.adam_step", adam_init, step)


def test_float64_state_for_float32_weights_is_reported_in_hidden_cases():
    def init(w):
        return (np.zeros(w.shape),)  # float64 whatever w is

    message = _failure("optimizers.rmsprop_step", init, rmsprop_step, hidden=True)
    assert "dtype float64" in message and "expected float32" in message and "zeros_like" in message


def test_numpy_float64_scalars_that_upcast_float32_are_explained():
    def step(w, dw, st, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        w_new, new = adam_step(w, dw, st, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        return w_new * np.sqrt(1.0), new  # np.sqrt of a Python float is a float64 scalar

    message = _failure("optimizers.adam_step", adam_init, step, hidden=True)
    assert "expected float32" in message and "math.sqrt" in message


def test_wrong_return_shape_and_missing_answers():
    assert "should return (w_new, state_new)" in _failure(
        "optimizers.sgd_step", sgd_init, lambda w, dw, state, *, lr: w - lr * dw
    )

    def blank(*args, **kwargs):
        raise NotImplementedError()

    assert "is not implemented yet" in _failure("optimizers.adam_step", blank, blank)


# ----- calling the reference or torch.optim earns nothing ---------------------------------


def test_calling_the_reference_is_refused():
    from coursekit.optimizers import adam_init as ref_init
    from coursekit.optimizers import adam_step as ref_step

    message = _failure("optimizers.adam_step", ref_init, ref_step)
    assert "calls coursekit.optimizers.numpy_ref.adam_init" in message


@pytest.mark.parametrize("foreach", [False, True])
def test_calling_torch_optim_is_refused(foreach):
    def init(w):
        p = torch.tensor(w, requires_grad=False)
        return p, torch.optim.Adam([p], foreach=foreach)

    def step(w, dw, state, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        p, opt = state
        opt.param_groups[0].update(lr=lr, betas=(beta1, beta2), eps=eps)
        p.grad = torch.tensor(dw)
        opt.step()
        return p.numpy().copy(), state

    message = _failure("optimizers.adam_step", init, step)
    assert "calls torch.optim.adam._" in message and "write it yourself" in message
