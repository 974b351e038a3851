"""Graded exercise of 10_beyond_the_notes: AdamW as ``adamw_init`` / ``adamw_step``.

A case is a short trajectory, as in topic 05's optimizer exercises (whose runner this
reuses: the answer's state is fed back step after step, and w, dw and the state must not be
changed in place). The decay conventions are recognised and named: the paper's decay not
scaled by the learning rate, an L2 penalty through Adam (torch.optim.Adam's weight_decay),
and the decay applied after the Adam step instead of before it.
"""

import functools
import sys

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.optimizers import numpy_ref as ref
from coursekit.optimizers.exercises import HYPERPARAMETERS, _runner

REFERENCE_MODULES = (
    "coursekit.optimizers.numpy_ref",
    "coursekit.optimizers.torch_ref",
    "coursekit.optimizers.torch_optim",
    "coursekit.optimizers.numpy_adam_variants",
    "coursekit.optimizers.torch_adam_variants",
)


def _hyperparameters(rng):
    """Adam's random hyperparameters (topic 05's), lr large enough and a decay strong enough
    that every convention below moves the weights by more than the tolerance."""
    hyper = HYPERPARAMETERS["adam"](rng)
    hyper["lr"] = float(f"{rng.uniform(0.05, 0.3):.3g}")
    hyper["weight_decay"] = float(f"{rng.uniform(0.1, 0.5):.3g}")
    return hyper


def _make_case(rng, hidden):
    if hidden:
        ndim = int(rng.integers(1, 3))
        shape = tuple(int(s) for s in rng.integers(1, 8 if ndim == 1 else 5, size=ndim))
        dtype = np.float32 if rng.random() < 1 / 3 else np.float64
        steps, scale = 8, float(rng.choice([0.1, 0.3, 1.0]))
    else:
        shape, dtype, steps, scale = (int(rng.integers(2, 6)),), np.float64, 5, 1.0
    w = (rng.standard_normal(shape) * 2).astype(dtype)
    grads = (scale * rng.standard_normal((steps, *shape))).astype(dtype)
    return {"w": w, "grads": grads, **_hyperparameters(rng)}


def _adam_builtins():
    """torch.optim's Adam/AdamW kernels (AdamW runs Adam's), if torch.optim.adam is loaded."""
    module = sys.modules.get("torch.optim.adam")
    found = (
        [getattr(module, f"{p}_adam", None) for p in ("_single_tensor", "_multi_tensor", "_fused")] if module else []
    )
    return [f for f in found if callable(f)]


def _l2_through_adam(w, dw, state, *, lr, beta1, beta2, eps, weight_decay):
    return ref.adam_step(w, dw + weight_decay * w, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps)


def _decay_after_the_step(w, dw, state, *, lr, beta1, beta2, eps, weight_decay):
    w_new, state = ref.adam_step(w, dw, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return w_new * (1 - lr * weight_decay), state


CONVENTIONS = (
    Convention(
        "the decay not scaled by the learning rate, w <- w (1 - weight_decay) (the paper's "
        "λ with a schedule multiplier of 1)",
        "torch (and this exercise) multiply the decay by the learning rate: w <- w (1 - lr * "
        "weight_decay). Loshchilov & Hutter's λ is scaled by the schedule multiplier eta_t "
        "instead, so their λ is torch's lr * weight_decay.",
        {"adamw_step": functools.partial(ref.adamw_step, schedule_multiplier=1.0)},
    ),
    Convention(
        "an L2 penalty through Adam (torch.optim.Adam's weight_decay): dw + weight_decay * w goes into the moments",
        "That is not decoupled: Adam then divides the decay by sqrt(nu), so weights with large "
        "gradients are hardly decayed. AdamW keeps the moments for the loss's gradient alone and "
        "shrinks w separately: w <- w (1 - lr * weight_decay), then Adam's step with dw.",
        {"adamw_step": _l2_through_adam},
    ),
    Convention(
        "the decay applied after the Adam step, w_new = (w - step) (1 - lr * weight_decay)",
        "torch decays the weights the step starts from: w_new = w (1 - lr * weight_decay) - step.",
        {"adamw_step": _decay_after_the_step},
    ),
)


register(
    Exercise(
        name="beyond.adamw_step",
        roles=("adamw_init", "adamw_step"),
        make_case=_make_case,
        run=_runner("adamw"),
        reference={"adamw_init": ref.adamw_init, "adamw_step": ref.adamw_step},
        conventions=CONVENTIONS,
        forbidden=_adam_builtins,
        reference_modules=REFERENCE_MODULES,
        answers_use=("coursekit.optimizers.state",),  # AdamState
    )
)
