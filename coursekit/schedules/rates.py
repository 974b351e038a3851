"""Learning-rate schedules as pure functions of the step, equal to ``torch.optim.lr_scheduler``.

Each function returns the learning rate of every step, ``lrs[t]`` for ``t = 0 ...
n_steps - 1``, as a float64 array: the rate an optimizer built with ``lr=lr0`` has at
step t when its scheduler is stepped once after every optimizer step. Nothing here depends
on NumPy's or torch's arrays: a schedule is a sequence of Python floats (torch keeps
``group["lr"]`` as one), so :mod:`~coursekit.schedules.numpy_ref` and
:mod:`~coursekit.schedules.torch_ref` share these functions.

**Chained or closed form.** Most torch schedulers compute the next rate from the current
one (the *chained* form: ``ExponentialLR`` multiplies by gamma, ``CosineAnnealingLR``
multiplies by a ratio of cosines); their docs also give a *closed form* in the step
number, which torch uses only through the deprecated ``step(epoch)`` and, inside
``SequentialLR``, at a milestone. The two agree in exact arithmetic when nothing else
changes the rate, and differ in two ways. Torch documents the first: the chained form
follows changes made from outside (another scheduler, a rate set by hand) while the closed
form ignores them. The second is rounding, and it matters: past ``t_max`` a cosine's chained
step climbs out of the minimum by a difference of nearly equal numbers, and from there on
the chained rates drift from the closed form by up to 1e-10 relative (t_max = 3000,
eta_min = lr0 / 3; tested), more than the 1e-12 promised here. Stepping a scheduler once
per step *is* the chained form, so these functions match it: they run the same
recurrences with the same operations in the same order, and equal torch's rates to the
last bit (tested). Schedulers without a chained form (``LambdaLR``, ``OneCycleLR``,
``CosineAnnealingWarmRestarts``) compute each rate from the step number, and so do we.
"""

from collections import Counter

import numpy as np

from coursekit import _validate as v
from coursekit.schedules import _checks as check


def as_rates(values):
    """A schedule's rates as the float64 array every schedule returns."""
    return np.array(values, dtype=np.float64)


def constant(lr0, n_steps):
    """The same rate at every step (no scheduler; the lecture notes' "schedule: none")."""
    return np.full(check.n_steps(n_steps), v.non_negative("lr0", lr0), dtype=np.float64)


def step_decay(lr0, n_steps, *, step_size, gamma=0.1):
    """``lr0 * gamma ** (t // step_size)``: ``StepLR``, chained (multiply at each multiple).

    Args:
        lr0: initial rate (>= 0). n_steps: number of steps (>= 1).
        step_size: steps between two decays (int >= 1). gamma: factor of each decay (> 0).

    Returns:
        (n_steps,) float64 array.
    """
    lr, n = v.non_negative("lr0", lr0), check.n_steps(n_steps)
    step_size, gamma = check.integer("step_size", step_size, minimum=1), v.positive_number("gamma", gamma)
    rates = []
    for t in range(n):
        if t > 0 and t % step_size == 0:
            lr = lr * gamma
        rates.append(lr)
    return as_rates(rates)


def multi_step_decay(lr0, n_steps, *, milestones, gamma=0.1):
    """Multiply by gamma at each milestone step: ``MultiStepLR`` (a repeated milestone counts
    once per repetition, as in torch; a milestone at 0 already lowers step 0).

    Args:
        milestones: iterable of step indices (ints >= 0), in any order.
    """
    lr, n, gamma = v.non_negative("lr0", lr0), check.n_steps(n_steps), v.positive_number("gamma", gamma)
    try:
        marks = [check.integer("milestones[]", m, minimum=0) for m in milestones]
    except TypeError as err:
        raise TypeError(f"milestones must be an iterable of ints: {err}") from None
    counts = Counter(marks)
    rates = []
    for t in range(n):
        if t in counts:
            lr = lr * gamma ** counts[t]
        rates.append(lr)
    return as_rates(rates)


def exponential_decay(lr0, n_steps, *, gamma):
    """``lr0 * gamma ** t``: ``ExponentialLR``, chained (one multiplication per step).

    Géron writes exponential scheduling as ``lr0 * 0.1 ** (t / s)``: the same schedule with
    ``gamma = 0.1 ** (1 / s)``. Keras's ``ExponentialDecay(lr0, decay_steps, decay_rate)``
    is ``gamma = decay_rate ** (1 / decay_steps)``.

    Args:
        gamma: factor per step (> 0; above 1 the rate grows, as in the range test).
    """
    lr, n, gamma = v.non_negative("lr0", lr0), check.n_steps(n_steps), v.positive_number("gamma", gamma)
    rates = [lr]
    for _ in range(1, n):
        lr = lr * gamma
        rates.append(lr)
    return as_rates(rates)


def power_decay(lr0, n_steps, *, s, c=1.0):
    """Géron's power scheduling, ``lr0 / (1 + t / s) ** c`` (``LambdaLR`` with that factor).

    Args:
        s: steps until the rate has fallen to ``lr0 / 2 ** c`` (> 0).
        c: the power (>= 0; Géron: typically 1). Keras's ``InverseTimeDecay`` is c = 1.
    """
    lr0, n = v.non_negative("lr0", lr0), check.n_steps(n_steps)
    s, power = v.positive_number("s", s), v.non_negative("c", c)
    t = np.arange(n, dtype=np.float64)
    return lr0 / (1.0 + t / s) ** power


def linear_rates(lr, n, start_factor, end_factor, total_iters):
    """``LinearLR``'s chained rates for steps 0 ... n-1 (lr is the base rate)."""
    rates, lr = [lr * start_factor], lr * start_factor
    slope = end_factor - start_factor
    for k in range(1, n):
        if k <= total_iters:
            lr = lr * (1.0 + slope / (total_iters * start_factor + (k - 1) * slope))
        rates.append(lr)
    return rates


def linear_anneal(lr0, n_steps, *, start_factor=1 / 3, end_factor=1.0, total_iters=5):
    """The rate moves linearly from ``start_factor * lr0`` to ``end_factor * lr0`` over
    ``total_iters`` steps, then stays: ``LinearLR`` (a warm-up, or with end_factor < 1 a
    linear decay), chained.

    Args:
        start_factor: in (0, 1], as torch requires. end_factor: in [0, 1].
        total_iters: steps of the ramp (int >= 1).
    """
    lr0, n = v.non_negative("lr0", lr0), check.n_steps(n_steps)
    start = check.in_range("start_factor", start_factor, 0, 1, low_open=True)
    end = check.in_range("end_factor", end_factor, 0, 1)
    total = check.integer("total_iters", total_iters, minimum=1)
    return as_rates(linear_rates(lr0, n, start, end, total))
