"""Cosine-shaped schedules: cosine annealing, SGDR's warm restarts, linear warm-up then
cosine, and 1cycle, each equal to its ``torch.optim.lr_scheduler`` counterpart stepped once
per step (chained where torch chains: see :mod:`coursekit.schedules.rates`)."""

import math

from coursekit import _validate as v
from coursekit.schedules import _checks as check
from coursekit.schedules.rates import as_rates, linear_rates


def _cosine_next(lr, k, base, t_max, eta_min):
    """``CosineAnnealingLR``'s chained step to ``last_epoch = k`` (k >= 1) from rate ``lr``."""
    if (k - 1 - t_max) % (2 * t_max) == 0:  # from the minimum: the ratio below would be 0/0
        return lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
    ratio = (1 + math.cos(math.pi * k / t_max)) / (1 + math.cos(math.pi * (k - 1) / t_max))
    return ratio * (lr - eta_min) + eta_min


def cosine_annealing(lr0, n_steps, *, t_max, eta_min=0.0):
    """``eta_min + (lr0 - eta_min) (1 + cos(pi t / t_max)) / 2``: ``CosineAnnealingLR``.

    Chained, as stepping torch's scheduler is: each rate is the previous one times a ratio
    of cosines (out of the minimum, the previous one plus a cosine step). That equals the
    closed form above to rounding up to t_max, but past it the two drift apart by up to
    1e-10 relative, and torch's stepped rates are the chained ones (see
    :mod:`coursekit.schedules.rates`). Past ``t_max`` the rate climbs back (period
    ``2 t_max``), as torch's does; for restarts from the top see :func:`cosine_warm_restarts`.

    Args:
        t_max: steps from lr0 down to eta_min (int >= 1). eta_min: the lowest rate (>= 0).
    """
    lr, n = v.non_negative("lr0", lr0), check.n_steps(n_steps)
    t_max, eta_min = check.integer("t_max", t_max, minimum=1), v.non_negative("eta_min", eta_min)
    rates, base = [lr], lr
    for k in range(1, n):
        lr = _cosine_next(lr, k, base, t_max, eta_min)
        rates.append(lr)
    return as_rates(rates)


def cosine_warm_restarts(lr0, n_steps, *, t_0, t_mult=1, eta_min=0.0):
    """SGDR: cosine from lr0 to eta_min over ``t_0`` steps, then a restart at lr0 with a
    period ``t_mult`` times longer: ``CosineAnnealingWarmRestarts`` (closed form per step).

    Args:
        t_0: steps of the first period (int >= 1). t_mult: growth of the period (int >= 1).
    """
    lr0, n = v.non_negative("lr0", lr0), check.n_steps(n_steps)
    t_i = check.integer("t_0", t_0, minimum=1)
    t_mult, eta_min = check.integer("t_mult", t_mult, minimum=1), v.non_negative("eta_min", eta_min)
    rates, t_cur = [], 0
    for _ in range(n):
        rates.append(eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i = t_cur % t_i, t_i * t_mult
    return as_rates(rates)


def warmup_cosine(lr0, n_steps, *, warmup_steps, start_factor=1 / 3, eta_min=0.0):
    """Linear warm-up, then cosine annealing: ``LinearLR(start_factor, total_iters=warmup_steps)``
    and ``CosineAnnealingLR(t_max=n_steps - warmup_steps, eta_min)`` chained by
    ``SequentialLR(milestones=[warmup_steps])``.

    Step t < warmup_steps has ``lr0 (start_factor + (1 - start_factor) t / warmup_steps)``;
    step warmup_steps has lr0 (``SequentialLR`` restarts the cosine there with its closed
    form, so the peak is exact), and the cosine then decays over the remaining steps,
    chained. The last step is still above eta_min: the cosine would reach it one step later.

    Args:
        warmup_steps: steps of the warm-up (int, 0 <= warmup_steps < n_steps).
        start_factor: the first step's fraction of lr0, in (0, 1].
        eta_min: the rate the cosine decays towards (>= 0).
    """
    lr0, n = v.non_negative("lr0", lr0), check.n_steps(n_steps)
    warmup = check.integer("warmup_steps", warmup_steps, minimum=0)
    if warmup >= n:
        raise ValueError(
            f"warmup_steps must be < n_steps: a warm-up of {warmup} steps leaves no "
            f"step of a {n}-step run for the cosine"
        )
    start = check.in_range("start_factor", start_factor, 0, 1, low_open=True)
    eta_min = v.non_negative("eta_min", eta_min)
    t_max = n - warmup
    if warmup == 0:
        rates = [lr0]
    else:
        rates = linear_rates(lr0, warmup, start, 1.0, warmup)
        rates.append(eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * 0 / t_max)) / 2)
    lr = rates[-1]
    for k in range(1, n - warmup):
        lr = _cosine_next(lr, k, lr0, t_max, eta_min)
        rates.append(lr)
    return as_rates(rates)


def _anneal(start, end, pct, strategy):
    """From ``start`` (pct = 0) to ``end`` (pct = 1), half a cosine or a straight line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _one_cycle_phases(n, pct_start, three_phase, rates, momenta):
    """(end_step, (lr from, lr to), (momentum from, momentum to)) of each phase, as torch."""
    initial, peak, lowest = rates
    base_m, max_m = momenta
    if three_phase:
        return [
            (float(pct_start * n) - 1, (initial, peak), (max_m, base_m)),
            (float(2 * pct_start * n) - 2, (peak, initial), (base_m, max_m)),
            (n - 1, (initial, lowest), (max_m, max_m)),
        ]
    return [(float(pct_start * n) - 1, (initial, peak), (max_m, base_m)), (n - 1, (peak, lowest), (base_m, max_m))]


def one_cycle(
    max_lr,
    n_steps,
    *,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal_strategy="cos",
    three_phase=False,
    base_momentum=0.85,
    max_momentum=0.95,
):
    """Smith's 1cycle policy: ``OneCycleLR(total_steps=n_steps)``, its rates and its momentum.

    The rate climbs from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of the run, then falls to ``max_lr / div_factor / final_div_factor``; the
    momentum (SGD's ``momentum`` or Adam's beta1) moves the other way, from max_momentum
    down to base_momentum at the peak rate and back. With ``three_phase`` the fall has two
    parts, back to the start rate over another ``pct_start`` (symmetric, as in Smith's
    paper) and then to the minimum; the default two phases are fastai's. Each phase ends
    where torch ends it, at step ``pct_start * n_steps - 1`` (and ``2 pct_start n_steps -
    2``, and ``n_steps - 1``), so the peak falls on a step only when ``pct_start *
    n_steps`` is an integer.

    Args:
        max_lr: the peak rate (> 0). n_steps: torch's total_steps (int >= 1).
        pct_start: fraction of the run spent climbing, in [0, 1] (at most 0.5 with
            three_phase).
        div_factor: the start rate is max_lr / div_factor (> 0).
        final_div_factor: the last rate is the start rate / final_div_factor (> 0).
        anneal_strategy: "cos" or "linear".
        three_phase: Smith's three phases instead of fastai's two.
        base_momentum, max_momentum: the momentum at the peak and at the ends, in [0, 1].

    Returns:
        (lrs, momenta): two (n_steps,) float64 arrays.

    Raises:
        ValueError: a bad argument, or a pct_start that leaves a phase without any step
            (torch divides by zero there).
    """
    peak, n = v.positive_number("max_lr", max_lr), check.n_steps(n_steps)
    three_phase = v.flag("three_phase", three_phase)
    pct_start = check.in_range("pct_start", pct_start, 0, 0.5 if three_phase else 1)
    initial = peak / v.positive_number("div_factor", div_factor)
    lowest = initial / v.positive_number("final_div_factor", final_div_factor)
    strategy = v.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    momenta = (check.in_range("base_momentum", base_momentum, 0, 1), check.in_range("max_momentum", max_momentum, 0, 1))
    phases = _one_cycle_phases(n, pct_start, three_phase, (initial, peak, lowest), momenta)
    rates, moments = [], []
    for t in range(n):
        start_step = 0.0
        for i, (end_step, lr_ends, momentum_ends) in enumerate(phases):
            if t <= end_step or i == len(phases) - 1:
                if end_step == start_step:
                    raise ValueError(
                        f"pct_start={pct_start} with n_steps={n} leaves phase {i + 1} of the "
                        "cycle without a step; choose pct_start so that pct_start * n_steps > 1"
                    )
                pct = (t - start_step) / (end_step - start_step)
                rates.append(_anneal(*lr_ends, pct, strategy))
                moments.append(_anneal(*momentum_ends, pct, strategy))
                break
            start_step = end_step
    return as_rates(rates), as_rates(moments)
