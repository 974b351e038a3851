"""Graded exercise of 10_beyond_the_notes: AdamW as ``adamw_init`` / ``adamw_step``.

A case is a short trajectory, as in topic 05's optimizer exercises (whose runner this
reuses: the answer's state is fed back step after step, and w, dw and the state must not be
changed in place). The decay conventions are recognised and named: the paper's decay not
scaled by the learning rate, an L2 penalty through Adam (torch.optim.Adam's weight_decay),
and the decay applied after the Adam step instead of before it.
"""

import functools
import sys

from coursekit.beyond.cases_adamw import CASES
from coursekit.grading import Convention, Exercise, register
from coursekit.optimizers import numpy_ref as ref

REFERENCE_MODULES = (
    "coursekit.optimizers.numpy_ref",
    "coursekit.optimizers.torch_ref",
    "coursekit.optimizers.torch_optim",
    "coursekit.optimizers.numpy_adam_variants",
    "coursekit.optimizers.torch_adam_variants",
)


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
        make_case=CASES["beyond.adamw_step"].make_case,
        run=CASES["beyond.adamw_step"].run,
        reference={"adamw_init": ref.adamw_init, "adamw_step": ref.adamw_step},
        conventions=CONVENTIONS,
        forbidden=_adam_builtins,
        reference_modules=REFERENCE_MODULES,
        answers_use=("coursekit.optimizers.state",),  # AdamState
    )
)
