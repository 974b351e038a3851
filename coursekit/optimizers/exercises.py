"""Graded exercises of 05_optimizers: the six ``<name>_init`` / ``<name>_step`` pairs.

A case is a starting point ``w``, a sequence of gradients and the hyperparameters. The
answer's ``init`` and ``step`` run the whole short trajectory, feeding each step the state
the previous one returned, so state handling is graded too: the weights after every step
are compared with the reference's. The answer must not change ``w``, ``dw`` or the state
it is given. Known alternative conventions (eps inside the root, EMA momentum, the notes'
Adam typo, ...) are recognised and named. Every other case is float32, which the weights
must keep.
"""

import copy
import functools
import sys

import numpy as np

from coursekit.grading import Convention, Exercise, StudentError, register, unpack
from coursekit.grading.exercise_tools import Float32Cases
from coursekit.optimizers import numpy_ref as ref

REFERENCE_MODULES = (
    "coursekit.optimizers.numpy_ref",
    "coursekit.optimizers.torch_ref",
    "coursekit.optimizers.torch_optim",
)


def _sig(x):
    """Round to three significant digits, so the feedback shows short hyperparameters."""
    return float(f"{x:.3g}")


def _log_uniform(rng, low, high):
    return _sig(float(np.exp(rng.uniform(np.log(low), np.log(high)))))


HYPERPARAMETERS = {
    "sgd": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5)},
    "momentum": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5), "momentum": _sig(rng.uniform(0.5, 0.95))},
    "nesterov": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5), "momentum": _sig(rng.uniform(0.5, 0.95))},
    "adagrad": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5), "eps": _log_uniform(rng, 0.01, 0.3)},
    "rmsprop": lambda rng: {
        "lr": _log_uniform(rng, 0.01, 0.3),
        "alpha": _sig(rng.uniform(0.8, 0.99)),
        "eps": _log_uniform(rng, 0.01, 0.3),
    },
    "adam": lambda rng: {
        "lr": _log_uniform(rng, 0.01, 0.3),
        "beta1": _sig(rng.uniform(0.7, 0.9)),
        "beta2": _sig(rng.uniform(0.95, 0.999)),
        "eps": _log_uniform(rng, 0.01, 0.3),
    },
}


def _make_case(name):
    def make_case(rng, hidden, dtype):
        if hidden:
            ndim = int(rng.integers(1, 3))
            shape = tuple(int(s) for s in rng.integers(1, 8 if ndim == 1 else 5, size=ndim))
            steps, scale = 8, float(rng.choice([0.1, 0.3, 1.0]))
        else:
            shape, steps, scale = (int(rng.integers(2, 6)),), 5, 1.0
        w = rng.standard_normal(shape).astype(dtype)
        grads = (scale * rng.standard_normal((steps, *shape))).astype(dtype)
        return {"w": w, "grads": grads, **HYPERPARAMETERS[name](rng)}

    return Float32Cases(make_case)


def _unchanged(before, after):
    """Whether a state (any nesting of tuples, lists, dicts, arrays, numbers) is as it was."""
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and np.array_equal(before, after, equal_nan=True)
        )
    if isinstance(before, (tuple, list)):
        return (
            type(before) is type(after)
            and len(before) == len(after)
            and all(_unchanged(b, a) for b, a in zip(before, after))
        )
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_unchanged(before[k], after[k]) for k in before)
    if isinstance(before, (int, float, np.generic)) or before is None:
        return before == after or (before != before and after != after)
    return True


def _check_new_weights(k, w_new, w):
    if not isinstance(w_new, np.ndarray):
        raise StudentError(f"should return w_new as a numpy.ndarray, got {type(w_new).__name__} at step {k}")
    if w_new.shape != w.shape:
        raise StudentError(f"returned w_new of shape {w_new.shape} at step {k}, expected {w.shape}")
    if w_new.dtype != w.dtype:
        raise StudentError(
            f"returned w_new of dtype {w_new.dtype} at step {k}, expected {w.dtype}: keep w's dtype. "
            "Make state arrays with np.zeros_like(w), and scalars as Python floats "
            "(math.sqrt(1 - beta2**t), not np.sqrt, whose float64 result upcasts float32 arrays)"
        )


def _runner(name):
    init_role, step_role = f"{name}_init", f"{name}_step"

    def run(fns, case):
        w = case["w"]
        hyper = {k: v for k, v in case.items() if k not in ("w", "grads")}
        w_before = w.copy()
        state = fns[init_role](w)
        if not np.array_equal(w, w_before):
            raise StudentError(f"{init_role} changed w in place; the state must be new arrays")
        outputs = {}
        for k, dw in enumerate(case["grads"], 1):
            w_before, dw_before, state_before = w.copy(), dw.copy(), copy.deepcopy(state)
            w_new, state_new = unpack(fns[step_role](w, dw, state, **hyper), 2, "(w_new, state_new)")
            for label, before, after in (("w", w_before, w), ("dw", dw_before, dw)):
                if not np.array_equal(before, after):
                    raise StudentError(
                        f"changed {label} in place at step {k}; return a new array (w_new = w - ..., not w -= ...)"
                    )
            if not _unchanged(state_before, state):
                raise StudentError(
                    f"changed the state it was given at step {k}; build the new state from new "
                    "arrays (m_new = beta * m + ..., not m *= beta)"
                )
            _check_new_weights(k, w_new, w)
            outputs[f"w after step {k}"] = np.array(w_new, copy=True)
            w, state = w_new, state_new
        return outputs

    return run


def _torch_optim_internals(name):
    """The torch functions any torch.optim optimizer of this kind runs (if torch is loaded)."""
    kind = {"momentum": "sgd", "nesterov": "sgd"}.get(name, name)
    module = sys.modules.get(f"torch.optim.{kind}")
    if module is None:
        return []
    found = [getattr(module, f"{prefix}_{kind}", None) for prefix in ("_single_tensor", "_multi_tensor", "_fused")]
    return [f for f in found if callable(f)]


# ----- known alternative conventions -------------------------------------------------------

_TORCH_ROOT = "This exercise uses torch's convention, sqrt(s) + eps: eps outside the root."
EPS_INSIDE = "eps inside the square root, sqrt(s + eps) (the notes' and Keras's convention)"
ADAGRAD_EPS_INSIDE = "eps inside the square root, sqrt(s + eps) (Keras 3's convention)"


def _sgd_ascent(w, dw, state, *, lr):
    return w + lr * dw, state


def _rmsprop_alpha_swapped(w, dw, state, *, lr, alpha, eps):
    square_avg = (1 - alpha) * state.square_avg + alpha * dw * dw
    return w - lr * dw / (np.sqrt(square_avg) + eps), type(state)(square_avg)


CONVENTIONS = {
    "sgd": (
        Convention(
            "gradient ascent (w + lr * dw)",
            "Step against the gradient: w_new = w - lr * dw.",
            {"sgd_step": _sgd_ascent},
        ),
    ),
    "momentum": (
        Convention(
            "the EMA form of momentum, v <- momentum * v + (1 - momentum) * dw",
            "torch (and this exercise) add the whole gradient: v <- momentum * v + dw, "
            "w <- w - lr * v. The EMA form takes steps (1 - momentum) times smaller.",
            {"momentum_step": functools.partial(ref.momentum_step, ema=True)},
        ),
        Convention(
            "Nesterov momentum",
            "This exercise asks for plain (heavy-ball) momentum: w <- w - lr * v.",
            {"momentum_step": ref.nesterov_step},
        ),
    ),
    "nesterov": (
        Convention(
            "plain momentum (Nesterov written as heavy-ball momentum)",
            "Nesterov's step adds momentum times the new velocity to the gradient: w <- w - lr * (dw + momentum * v).",
            {"nesterov_step": ref.momentum_step},
        ),
    ),
    "adagrad": (
        Convention(
            ADAGRAD_EPS_INSIDE, _TORCH_ROOT, {"adagrad_step": functools.partial(ref.adagrad_step, eps_inside=True)}
        ),
    ),
    "rmsprop": (
        Convention(EPS_INSIDE, _TORCH_ROOT, {"rmsprop_step": functools.partial(ref.rmsprop_step, eps_inside=True)}),
        Convention(
            "alpha as the weight of the new squared gradient, s <- (1 - alpha) s + alpha dw**2",
            "alpha is the decay of the old average: s <- alpha * s + (1 - alpha) * dw**2.",
            {"rmsprop_step": _rmsprop_alpha_swapped},
        ),
    ),
    "adam": (
        Convention(
            "the notes' typo: the second moment decays with beta1, nu <- beta1 nu + (1 - beta2) dw**2",
            "Kingma & Ba (and torch) use beta2 for both factors: nu <- beta2 nu + (1 - beta2) dw**2.",
            {"adam_step": functools.partial(ref.adam_step, second_moment_beta1=True)},
        ),
        Convention(
            "Adam without bias correction",
            "Divide the moments by 1 - beta1**t and 1 - beta2**t (t counts steps from 1); "
            "without it the first steps are far too small.",
            {"adam_step": functools.partial(ref.adam_step, bias_correction=False)},
        ),
        Convention(
            "Keras's 'epsilon hat': lr_t = lr sqrt(1 - beta2**t) / (1 - beta1**t), w -= lr_t mu / (sqrt(nu) + eps)",
            "This exercise uses torch's: w -= lr * mu_hat / (sqrt(nu_hat) + eps), with eps added "
            "after the bias-corrected root.",
            {"adam_step": functools.partial(ref.adam_step, eps_hat=True)},
        ),
    ),
}


for _name in HYPERPARAMETERS:
    register(
        Exercise(
            name=f"optimizers.{_name}_step",
            roles=(f"{_name}_init", f"{_name}_step"),
            make_case=_make_case(_name),
            run=_runner(_name),
            reference={f"{_name}_init": getattr(ref, f"{_name}_init"), f"{_name}_step": getattr(ref, f"{_name}_step")},
            conventions=CONVENTIONS[_name],
            forbidden=functools.partial(_torch_optim_internals, _name),
            reference_modules=REFERENCE_MODULES,
            hidden_cases=6,
            answers_use=("coursekit.optimizers.state",),  # SGDState, AdamState, ...
        )
    )
