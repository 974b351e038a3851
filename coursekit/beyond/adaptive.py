"""NAdam and AdaMax, measured with coursekit's NumPy references (no training needed).

- :func:`bowl_race`: Adam, NAdam (with and without its momentum schedule) and AdaMax on the
  elongated bowl of topic 05, summarised by :func:`coursekit.optimizers.landscapes.path_summary`.
- :func:`spike_response`: a weight whose gradient is small noise with a rare large spike;
  the length of each step in units of lr. Adam's step is bounded by
  ``lr (1 - beta1) / sqrt(1 - beta2)`` (about 3.2 lr at the defaults), AdaMax's by about lr.
"""

import numpy as np

from coursekit.optimizers import landscapes
from coursekit.optimizers import numpy_ref as ref

RACERS = {
    "Adam": ("adam", {}),
    "NAdam (torch's momentum schedule)": ("nadam", {}),
    "NAdam, constant momentum beta1": ("nadam", {"momentum_decay": 1e3}),
    "AdaMax": ("adamax", {}),
}
"""label -> (optimizer name, extra hyperparameters). ``momentum_decay=1e3`` makes
``mu_t = beta1 (1 - 0.5 * 0.96**(1000 t))`` equal beta1 from the first step."""


def pair(name):
    """``(init, step)`` of a NumPy reference optimizer by name ("adam", "nadam", ...)."""
    return getattr(ref, f"{name}_init"), getattr(ref, f"{name}_step")


def bowl_race(*, lr=0.3, steps=300, racers=RACERS):
    """Paths on the elongated bowl, all at the same lr.

    Returns:
        (surface, paths, summaries): paths and summaries are dicts keyed by label.
    """
    surface = landscapes.quadratic_bowl()
    paths = {
        label: landscapes.trajectory(*pair(name), surface, steps=steps, lr=lr, **extra)
        for label, (name, extra) in racers.items()
    }
    return surface, paths, {label: landscapes.path_summary(surface, p) for label, p in paths.items()}


def spike_gradients(n_steps=3000, *, spike_every=1000, spike=10.0, noise=0.01, seed=0):
    """Small Gaussian noise with a spike of ``spike`` every ``spike_every`` steps, (n_steps,)."""
    grads = noise * np.random.default_rng(seed).standard_normal(n_steps)
    grads[spike_every - 1 :: spike_every] = spike
    return grads


def spike_response(name, grads, *, lr=0.002):
    """Run an optimizer on one weight fed ``grads``; returns each step's length over lr, (n,)."""
    init, step = pair(name)
    w = np.zeros(1)
    state, lengths = init(w), []
    for g in grads:
        w_new, state = step(w, np.array([g]), state, lr=lr)
        lengths.append(abs(float(w_new[0] - w[0])) / lr)
        w = w_new
    return np.array(lengths)


def adam_step_bound(beta1=0.9, beta2=0.999):
    """Kingma & Ba's bound on Adam's step in units of lr, ``(1 - beta1) / sqrt(1 - beta2)``
    when that exceeds 1 (the sparse case), else 1."""
    return max(1.0, (1 - beta1) / np.sqrt(1 - beta2))
