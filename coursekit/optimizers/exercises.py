"""Graded exercises of 05_optimizers: the six ``<name>_init`` / ``<name>_step`` pairs.

A case is a starting point ``w``, a sequence of gradients and the hyperparameters. The
answer's ``init`` and ``step`` run the whole short trajectory, feeding each step the state
the previous one returned, so state handling is graded too: the weights after every step
are compared with the reference's. The answer must not change ``w``, ``dw`` or the state
it is given. Known alternative conventions (eps inside the root, EMA momentum, the notes'
Adam typo, ...) are recognised and named. Every other case is float32, which the weights
must keep.
"""

import functools
import sys

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.optimizers import numpy_ref as ref
from coursekit.optimizers.cases import CASES, HYPERPARAMETERS

REFERENCE_MODULES = (
    "coursekit.optimizers.numpy_ref",
    "coursekit.optimizers.torch_ref",
    "coursekit.optimizers.torch_optim",
)


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
            make_case=CASES[f"optimizers.{_name}_step"].make_case,
            run=CASES[f"optimizers.{_name}_step"].run,
            reference={f"{_name}_init": getattr(ref, f"{_name}_init"), f"{_name}_step": getattr(ref, f"{_name}_step")},
            conventions=CONVENTIONS[_name],
            forbidden=functools.partial(_torch_optim_internals, _name),
            reference_modules=REFERENCE_MODULES,
            hidden_cases=6,
            answers_use=("coursekit.optimizers.state",),  # SGDState, AdamState, ...
        )
    )
