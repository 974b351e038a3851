"""Graded exercises of 09_learning_rate_schedules: exponential and power decay, warm-up then
cosine, and 1cycle (clipping by global norm is in :mod:`coursekit.schedules.exercises_clip`; the cases of both
in ``cases`` and ``cases_clip``).

A case is a learning rate, a number of steps and the schedule's hyperparameters; the
answer returns the rate of every step as a float64 array (step 0 first), compared with the
reference, which equals torch's scheduler. The known slips are recognised and named: the
step count off by one, Keras's and Hugging Face's variants, the cosine's phase in degrees
instead of a fraction of a half turn, 1cycle's phase boundaries.
"""

import math

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.schedules import numpy_ref as ref
from coursekit.schedules.cases import CASES
from coursekit.schedules.exercises_one_cycle import one_cycle_min_from_max, one_cycle_with, one_cycle_without_offsets

REFERENCE_MODULES = (
    "coursekit.schedules.numpy_ref",
    "coursekit.schedules.torch_ref",
    "coursekit.schedules.rates",
    "coursekit.schedules.cosine",
    "coursekit.schedules.plateau",
    "coursekit.schedules.runs",
    "torch.optim.lr_scheduler",
)


def _register(name, reference, conventions):
    register(
        Exercise(
            name=f"schedules.{name}",
            roles=(name,),
            make_case=CASES[f"schedules.{name}"].make_case,
            run=CASES[f"schedules.{name}"].run,
            reference={name: reference},
            conventions=conventions,
            reference_modules=REFERENCE_MODULES,
        )
    )


# ----- exponential and power decay ------------------------------------------------------------


def _exponential_from_step_one(lr0, n_steps, *, gamma):
    return lr0 * gamma ** np.arange(1, n_steps + 1)


def _exponential_one_minus(lr0, n_steps, *, gamma):
    return lr0 * (1 - gamma) ** np.arange(n_steps)


_OFF_BY_ONE = (
    "Step 0 is the first step and gets lr0 itself (torch's schedulers set the rate "
    "before the first step): use t = 0, 1, ..., n_steps - 1."
)

_register(
    "exponential_decay",
    ref.exponential_decay,
    (
        Convention(
            "the step count off by one (the first step already decayed: gamma ** (t + 1))",
            _OFF_BY_ONE,
            {"exponential_decay": _exponential_from_step_one},
        ),
        Convention(
            "gamma as the fraction lost per step, lr0 (1 - gamma) ** t",
            "gamma is the factor kept per step, as torch's ExponentialLR: lr0 * gamma ** t.",
            {"exponential_decay": _exponential_one_minus},
        ),
    ),
)


def _power_from_step_one(lr0, n_steps, *, s, c=1.0):
    return lr0 / (1 + np.arange(1, n_steps + 1) / s) ** c


def _inverse_time(lr0, n_steps, *, s, c=1.0):
    return lr0 / (1 + np.arange(n_steps) / s)


_register(
    "power_decay",
    ref.power_decay,
    (
        Convention("the step count off by one (t starting at 1)", _OFF_BY_ONE, {"power_decay": _power_from_step_one}),
        Convention(
            "the power c left out: lr0 / (1 + t / s), Keras's InverseTimeDecay",
            "Géron's power scheduling raises the denominator to the power c: lr0 / (1 + t / s) ** c; "
            "Keras's InverseTimeDecay is the special case c = 1.",
            {"power_decay": _inverse_time},
        ),
    ),
)


# ----- warm-up, then cosine ------------------------------------------------------------------


def _warmup_variant(*, ramp_end=0, ramp_from_zero=False, degrees=False, t_max_shift=0, whole_run=False):
    """warmup_cosine with one slip: the ramp's end off by one, a ramp from 0, the cosine's
    phase in degrees, t_max off by one, or the cosine counted over the whole run."""

    def schedule(lr0, n_steps, *, warmup_steps, start_factor=1 / 3, eta_min=0.0):
        t = np.arange(n_steps, dtype=np.float64)
        start = 0.0 if ramp_from_zero else start_factor
        ramp = lr0 * (start + (1 - start) * np.minimum(t / (warmup_steps - ramp_end), 1.0))
        k, t_max = (t, n_steps) if whole_run else (t - warmup_steps, n_steps - warmup_steps + t_max_shift)
        phase = 180.0 * k / t_max if degrees else math.pi * k / t_max
        cosine = eta_min + (lr0 - eta_min) * (1 + np.cos(phase)) / 2
        return np.where(t < warmup_steps, ramp, cosine)

    return schedule


_register(
    "warmup_cosine",
    ref.warmup_cosine,
    (
        Convention(
            "the cosine's phase in degrees, cos(180 k / t_max), where cos takes radians",
            "The phase is the fraction k / t_max of half a turn, in radians: cos(pi * k / t_max).",
            {"warmup_cosine": _warmup_variant(degrees=True)},
        ),
        Convention(
            "a warm-up from 0 (Hugging Face's get_cosine_schedule_with_warmup: lr0 * t / warmup_steps)",
            "torch's LinearLR starts at start_factor * lr0: lr0 (start_factor + (1 - start_factor) t / warmup_steps).",
            {"warmup_cosine": _warmup_variant(ramp_from_zero=True)},
        ),
        Convention(
            "a warm-up that peaks one step early (lr0 at step warmup_steps - 1)",
            "The ramp reaches lr0 at step warmup_steps, the first step of the cosine: divide by "
            "warmup_steps, not warmup_steps - 1.",
            {"warmup_cosine": _warmup_variant(ramp_end=1)},
        ),
        Convention(
            "a cosine that reaches eta_min at the last step (t_max = n_steps - warmup_steps - 1)",
            "torch's CosineAnnealingLR gets t_max = n_steps - warmup_steps; its last step is one short of eta_min.",
            {"warmup_cosine": _warmup_variant(t_max_shift=-1)},
        ),
        Convention(
            "a cosine counted from step 0 over the whole run (k = t, t_max = n_steps)",
            "The cosine starts after the warm-up: k = t - warmup_steps, t_max = n_steps - warmup_steps.",
            {"warmup_cosine": _warmup_variant(whole_run=True)},
        ),
    ),
)


# ----- 1cycle ----------------------------------------------------------------------------


_register(
    "one_cycle",
    ref.one_cycle,
    (
        Convention(
            "phases that end at pct_start * n_steps (torch ends the climb one step earlier)",
            "torch's OneCycleLR ends the climb at step pct_start * n_steps - 1 (the second phase "
            "of three at 2 * pct_start * n_steps - 2) and the cycle at n_steps - 1.",
            {"one_cycle": one_cycle_without_offsets},
        ),
        Convention(
            "the momentum moving with the rate (up while the rate climbs)",
            "The momentum moves against the rate: from max_momentum down to base_momentum at the peak, and back up.",
            {"one_cycle": one_cycle_with(base_momentum=0.95, max_momentum=0.85)},
        ),
        Convention(
            "the last rate max_lr / final_div_factor",
            "final_div_factor divides the start rate: the last rate is max_lr / div_factor / final_div_factor.",
            {"one_cycle": one_cycle_min_from_max},
        ),
        Convention(
            "two phases where three_phase=True asks for three",
            "With three_phase the rate comes back down to the start rate over another "
            "pct_start of the run, then falls to the minimum.",
            {"one_cycle": one_cycle_with(three_phase=False)},
        ),
        Convention(
            "a cosine where anneal_strategy='linear' asks for straight lines",
            "anneal_strategy='linear' interpolates linearly: start + (end - start) * pct.",
            {"one_cycle": one_cycle_with(anneal_strategy="cos")},
        ),
    ),
)
