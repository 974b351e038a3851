"""The student side of 09_learning_rate_schedules' schedules (see
:mod:`coursekit.schedules.exercises`): a learning rate, a number of steps and the schedule's
hyperparameters per case, and the answer's rates (one per step) checked for their count."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.grading.exercise_tools import IndexedCases


def sig(x):
    return float(f"{x:.3g}")


def _log_uniform(rng, low, high):
    return sig(float(np.exp(rng.uniform(np.log(low), np.log(high)))))


def _length(rng, hidden):
    return int(rng.integers(60, 400)) if hidden else int(rng.integers(12, 40))


def _rates_of(name, value, n):
    """The answer's rates, or a StudentError saying what one rate per step means."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) != n:
        raise StudentError(
            f"returned {name} with {len(value)} rates for n_steps={n}: return one rate per step, "
            f"{name}[0] for step 0 up to {name}[n_steps - 1] for the last step"
        )
    return value


def _runner(role, hyper, *, pair=False, first="lr0"):
    def run(fns, case):
        n = case["n_steps"]
        out = fns[role](case[first], n, **{k: case[k] for k in hyper})
        if pair:
            lrs, momenta = unpack(out, 2, "(lrs, momenta)")
            return {"lrs": _rates_of("lrs", lrs, n), "momenta": _rates_of("momenta", momenta, n)}
        return {"lrs": _rates_of("lrs", out, n)}

    return run


def _exponential_case(rng, hidden):
    gamma = sig(rng.uniform(0.95, 0.999) if hidden else rng.uniform(0.8, 0.97))
    return {"lr0": _log_uniform(rng, 0.01, 1.0), "n_steps": _length(rng, hidden), "gamma": gamma}


def _power_case(rng, hidden):
    n = _length(rng, hidden)
    return {
        "lr0": _log_uniform(rng, 0.01, 1.0),
        "n_steps": n,
        "s": sig(rng.uniform(2, n / 2)),
        "c": sig(rng.uniform(1.3, 2.5) if rng.random() < 0.5 else rng.uniform(0.3, 0.8)),
    }


def _warmup_case(rng, hidden):
    n = _length(rng, hidden)
    lr0 = _log_uniform(rng, 0.01, 1.0)
    return {
        "lr0": lr0,
        "n_steps": n,
        "warmup_steps": int(rng.integers(2, max(3, n // 3))),
        "start_factor": sig(rng.uniform(0.05, 0.5)),
        "eta_min": 0.0 if rng.random() < 0.5 else sig(lr0 * rng.uniform(0.01, 0.1)),
    }


def _one_cycle_case(rng, hidden, index):
    """The case's index picks the annealing and the phases in turn: the six hidden cases hold
    all four pairs."""
    n = _length(rng, hidden)
    options = [("cos", False), ("linear", False), ("cos", True), ("linear", True)]
    anneal, three = options[index % 4]
    return {
        "max_lr": _log_uniform(rng, 0.01, 1.0),
        "n_steps": n,
        "pct_start": sig(rng.uniform(0.2, 0.45)),
        "div_factor": sig(rng.uniform(5, 40)),
        "final_div_factor": sig(10 ** rng.uniform(1, 4)),
        "anneal_strategy": anneal,
        "three_phase": three,
    }


CASES = {
    "schedules.exponential_decay": Cases(_exponential_case, _runner("exponential_decay", ("gamma",))),
    "schedules.power_decay": Cases(_power_case, _runner("power_decay", ("s", "c"))),
    "schedules.warmup_cosine": Cases(
        _warmup_case, _runner("warmup_cosine", ("warmup_steps", "start_factor", "eta_min"))
    ),
    "schedules.one_cycle": Cases(
        IndexedCases(_one_cycle_case),
        _runner(
            "one_cycle",
            ("pct_start", "div_factor", "final_div_factor", "anneal_strategy", "three_phase"),
            pair=True,
            first="max_lr",
        ),
    ),
}
