"""The known slips of 1cycle, as schedules, for the conventions of
:mod:`coursekit.schedules.exercises`: the phases ending a step late, fixed hyperparameters,
the last rate taken from max_lr.
"""

import math

import numpy as np

from coursekit.schedules import numpy_ref as ref


def one_cycle_without_offsets(
    max_lr, n_steps, *, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal_strategy="cos", three_phase=False
):
    """The phases ending at pct_start n_steps (and 2 pct_start n_steps, n_steps), not torch's
    pct_start n_steps - 1 (and - 2, n_steps - 1)."""
    initial, m_base, m_max = max_lr / div_factor, 0.85, 0.95
    ends = [pct_start * n_steps, 2 * pct_start * n_steps, n_steps] if three_phase else [pct_start * n_steps, n_steps]
    lows = (
        [(initial, max_lr), (max_lr, initial), (initial, initial / final_div_factor)]
        if three_phase
        else [(initial, max_lr), (max_lr, initial / final_div_factor)]
    )
    moms = [(m_max, m_base), (m_base, m_max), (m_max, m_max)] if three_phase else [(m_max, m_base), (m_base, m_max)]
    lrs, momenta = [], []
    for t in range(n_steps):
        i = next((j for j, end in enumerate(ends) if t <= end), len(ends) - 1)
        start = ends[i - 1] if i else 0.0
        pct = (t - start) / (ends[i] - start)
        shape = (1 + math.cos(math.pi * pct)) / 2 if anneal_strategy == "cos" else 1 - pct
        lrs.append(lows[i][1] + (lows[i][0] - lows[i][1]) * shape)
        momenta.append(moms[i][1] + (moms[i][0] - moms[i][1]) * shape)
    return np.array(lrs), np.array(momenta)


def one_cycle_with(**fixed):
    """The reference with the hyperparameters in ``fixed`` fixed, whatever the case asks."""

    def schedule(max_lr, n_steps, **hyper):
        return ref.one_cycle(max_lr, n_steps, **{**hyper, **fixed})

    return schedule


def one_cycle_min_from_max(max_lr, n_steps, *, div_factor=25.0, final_div_factor=1e4, **hyper):
    """The last rate max_lr / final_div_factor: the reference with final_div_factor / div_factor."""
    return ref.one_cycle(
        max_lr, n_steps, div_factor=div_factor, final_div_factor=final_div_factor / div_factor, **hyper
    )
