"""Schedules sized to a training run, for the training loops, the experiments and the widget.

A training loop knows its learning rate and its number of steps only once it starts, so it
takes a *run schedule*: a callable ``schedule(lr0, n_steps) -> (lrs, momenta)`` (momenta is
None unless the schedule cycles the momentum, as 1cycle does). :func:`make_schedule` builds
one by name, with its lengths given as fractions of the run:

    make_schedule("warmup_cosine", warmup=0.1)   # 10% of the steps warm up, then a cosine

The learning rate given to the training loop is lr0 (1cycle's max_lr).
"""

import math

from coursekit import _validate as v
from coursekit.schedules.cosine import cosine_annealing, cosine_warm_restarts, one_cycle, warmup_cosine
from coursekit.schedules.rates import constant, exponential_decay, power_decay, step_decay


def _step(lr0, n, *, drops, gamma):
    return step_decay(lr0, n, step_size=max(1, math.ceil(n / (drops + 1))), gamma=gamma)


def _exponential(lr0, n, *, final):
    return exponential_decay(lr0, n, gamma=final ** (1 / max(n - 1, 1)))


def _power(lr0, n, *, s, c):
    return power_decay(lr0, n, s=max(s * n, 1e-12), c=c)


def _cosine(lr0, n, *, eta_min):
    return cosine_annealing(lr0, n, t_max=n, eta_min=eta_min * lr0)


def _warmup_cosine(lr0, n, *, warmup, start_factor, eta_min):
    steps = min(round(warmup * n), n - 1)
    return warmup_cosine(lr0, n, warmup_steps=steps, start_factor=start_factor, eta_min=eta_min * lr0)


def _restarts(lr0, n, *, restarts, t_mult, eta_min):
    return cosine_warm_restarts(lr0, n, t_0=max(1, math.ceil(n / (restarts + 1))), t_mult=t_mult, eta_min=eta_min * lr0)


SCHEDULES = {
    "constant": (constant, {}),
    "step": (_step, {"drops": 2, "gamma": 0.1}),
    "exponential": (_exponential, {"final": 0.01}),
    "power": (_power, {"s": 0.1, "c": 1.0}),
    "cosine": (_cosine, {"eta_min": 0.0}),
    "warmup_cosine": (_warmup_cosine, {"warmup": 0.1, "start_factor": 1 / 3, "eta_min": 0.0}),
    "warm_restarts": (_restarts, {"restarts": 2, "t_mult": 1, "eta_min": 0.0}),
    "one_cycle": (
        one_cycle,
        {"pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4, "anneal_strategy": "cos", "three_phase": False},
    ),
}
"""name -> (builder, default settings). Lengths are fractions of the run: ``drops`` evenly
spaced decays by gamma; ``final`` the last step's fraction of lr0; ``s`` the fraction of the
run after which power scheduling has halved the rate (c = 1); ``warmup`` the warm-up's
fraction; ``restarts`` the number of warm restarts; ``eta_min`` as a fraction of lr0."""


def make_schedule(name, **settings):
    """A run schedule by name (a key of :data:`SCHEDULES`), with its settings overridden.

    Returns:
        ``schedule(lr0, n_steps) -> (lrs, momenta)``, with ``.name`` and ``.settings``;
        momenta is None except for "one_cycle".
    """
    v.choice("schedule", name, SCHEDULES)
    build, defaults = SCHEDULES[name]
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown setting(s) {', '.join(unknown)} for the {name!r} schedule; "
            f"it takes {', '.join(defaults) or 'none'}"
        )
    settings = {**defaults, **settings}

    def schedule(lr0, n_steps):
        rates = build(lr0, n_steps, **settings)
        return rates if isinstance(rates, tuple) else (rates, None)

    schedule.name, schedule.settings = name, settings
    return schedule


def resolve(schedule, lr0, n_steps):
    """The per-step (lrs, momenta) of a training loop's ``schedule`` argument.

    Args:
        schedule: None (a constant rate), a name of :data:`SCHEDULES`, a run schedule
            ``f(lr0, n_steps) -> lrs or (lrs, momenta)``, or a sequence of at least n_steps
            rates.

    Returns:
        (lrs, momenta): lists of n_steps Python floats; momenta is None unless cycled.
    """
    if schedule is None:
        return [float(lr0)] * n_steps, None
    if isinstance(schedule, str):
        schedule = make_schedule(schedule)
    if callable(schedule):
        out = schedule(lr0, n_steps)
        rates, momenta = out if isinstance(out, tuple) else (out, None)
    else:
        rates, momenta = schedule, None
    rates = [float(r) for r in rates]
    if len(rates) < n_steps or not all(math.isfinite(r) and r >= 0 for r in rates[:n_steps]):
        raise ValueError(
            f"schedule must give a finite rate >= 0 for each of the run's {n_steps} steps, got {len(rates)} rate(s)"
        )
    if momenta is not None:
        momenta = [float(m) for m in momenta][:n_steps]
    return rates[:n_steps], momenta
