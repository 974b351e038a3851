"""Learning-rate schedules, warm-up, 1cycle, performance scheduling and gradient clipping
(topic 09, beyond the lecture notes, whose default is "learning rate schedule: none").

Each schedule is a pure function of the step that returns every step's rate as a float64
array, equal to stepping the matching ``torch.optim.lr_scheduler`` once per step (see
:mod:`~coursekit.schedules.rates` for why the chained form is the one matched).
``numpy_ref`` and ``torch_ref`` expose the same names: the schedules, and gradient clipping
by global norm and by value over a list of arrays (tensors). The package re-exports the
NumPy reference, so ``from coursekit.schedules import one_cycle`` does not import torch.
:mod:`~coursekit.schedules.runs` sizes schedules to a training run (for the training
loops); the notebook's experiments are :mod:`coursekit.experiments.schedules`.
"""

from coursekit.schedules.numpy_ref import (
    PlateauState,
    clip_grad_norm,
    clip_grad_value,
    constant,
    cosine_annealing,
    cosine_warm_restarts,
    exponential_decay,
    linear_anneal,
    multi_step_decay,
    one_cycle,
    plateau_init,
    plateau_step,
    power_decay,
    reduce_on_plateau,
    step_decay,
    total_norm,
    warmup_cosine,
)

__all__ = [
    "constant",
    "step_decay",
    "multi_step_decay",
    "exponential_decay",
    "power_decay",
    "linear_anneal",
    "cosine_annealing",
    "cosine_warm_restarts",
    "warmup_cosine",
    "one_cycle",
    "reduce_on_plateau",
    "PlateauState",
    "plateau_init",
    "plateau_step",
    "clip_grad_norm",
    "clip_grad_value",
    "total_norm",
]
