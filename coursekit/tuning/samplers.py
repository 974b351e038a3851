"""Samplers of one hyperparameter each: a search space is a dict ``name -> sampler``.

Every sampler has the same four methods:

- ``sample(rng, size=None)``: random values from a ``numpy.random.Generator`` (a Python
  scalar when ``size`` is None, else an array of that shape);
- ``grid(n)``: ``n`` evenly spaced values, for grid search (on a log scale for log samplers);
- ``suggest(trial, name)``: the same distribution asked of an Optuna trial, so one search
  space drives both coursekit's searches and an Optuna study;
- ``contains(value)``: whether a value lies in the sampler's range.

Conventions: both bounds are included for ``IntUniform``, as in Optuna's ``suggest_int``
(NumPy's ``rng.integers(low, high)`` leaves ``high`` out). ``LogUniform`` is uniform in
``log(x)``, which is what Optuna's ``suggest_float(..., log=True)`` and SciPy's
``loguniform`` sample; "uniform between low and high" on the linear scale is ``Uniform``.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from coursekit.tuning.checks import check_bounds, check_rng


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def _scalar_or_array(values, size):
    if size is None:
        return values.item()
    return values


@dataclass(frozen=True)
class Uniform:
    """Real values uniform on ``[low, high]`` (the linear scale)."""

    low: float
    high: float

    def __post_init__(self):
        check_bounds(self.low, self.high)

    def sample(self, rng, size=None):
        check_rng(rng)
        return _scalar_or_array(np.asarray(rng.uniform(self.low, self.high, size)), size)

    def grid(self, n):
        n = _check_n(n)
        values = np.linspace(self.low, self.high, n) if n > 1 else [(self.low + self.high) / 2]
        return [float(v) for v in values]

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.low, self.high)

    def contains(self, value):
        return _is_real(value) and self.low <= value <= self.high


@dataclass(frozen=True)
class LogUniform:
    """Real values whose logarithm is uniform between ``log(low)`` and ``log(high)``."""

    low: float
    high: float

    def __post_init__(self):
        check_bounds(self.low, self.high, log=True)

    def sample(self, rng, size=None):
        """Values whose logarithm is uniform: ``exp(uniform(log(low), log(high)))``.

        Each decade (1e-4..1e-3, 1e-3..1e-2, ...) gets the same share of the samples, the
        density being ``1 / (x log(high/low))`` on ``[low, high]`` (SciPy's ``loguniform``).
        Returns a float, or a float64 array of shape ``size``, within ``[low, high]``.
        """
        check_rng(rng)
        exponents = rng.uniform(math.log(self.low), math.log(self.high), size)
        # exp(log(high)) can exceed high by one rounding step; keep the promise of the range.
        values = np.clip(np.exp(exponents), self.low, self.high)
        return _scalar_or_array(np.asarray(values, dtype=np.float64), size)

    def grid(self, n):
        n = _check_n(n)
        values = np.geomspace(self.low, self.high, n) if n > 1 else [math.sqrt(self.low * self.high)]
        return [float(np.clip(v, self.low, self.high)) for v in values]

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.low, self.high, log=True)

    def contains(self, value):
        return _is_real(value) and self.low <= value <= self.high


@dataclass(frozen=True)
class IntUniform:
    """Integers from ``low`` to ``high``, both included; ``log=True`` for a log scale."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self):
        check_bounds(self.low, self.high, log=self.log, integer=True)

    def sample(self, rng, size=None):
        check_rng(rng)
        if self.log:
            # floor of a log-uniform real on [low, high + 1): P(k) is proportional to log((k+1)/k)
            real = LogUniform(self.low, self.high + 1).sample(rng, size)
            values = np.minimum(np.floor(real), self.high)
        else:
            values = rng.integers(self.low, self.high + 1, size)
        return _scalar_or_array(np.asarray(values, dtype=np.int64), size)

    def grid(self, n):
        n = _check_n(n)
        spaced = np.geomspace if self.log else np.linspace
        values = spaced(self.low, self.high, n) if n > 1 else [spaced(self.low, self.high, 3)[1]]
        return sorted({int(round(v)) for v in values})

    def suggest(self, trial, name):
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def contains(self, value):
        return _is_integer(value) and self.low <= value <= self.high


@dataclass(frozen=True)
class Choice:
    """One of a list of options, each equally likely (Optuna's ``suggest_categorical``)."""

    options: tuple

    def __post_init__(self):
        if isinstance(self.options, (str, bytes)) or not hasattr(self.options, "__len__"):
            raise TypeError(f"options must be a list or tuple, got {type(self.options).__name__}")
        if len(self.options) == 0:
            raise ValueError("options must not be empty")
        object.__setattr__(self, "options", tuple(self.options))

    def sample(self, rng, size=None):
        check_rng(rng)
        index = rng.integers(len(self.options), size=size)
        if size is None:
            return self.options[int(index)]
        picked = np.empty(np.shape(index), dtype=object)
        for where, i in np.ndenumerate(index):
            picked[where] = self.options[i]
        return picked

    def grid(self, n=None):
        """All options, or ``n`` of them evenly spread through the list."""
        if n is None or _check_n(n) >= len(self.options):
            return list(self.options)
        return [self.options[int(round(i))] for i in np.linspace(0, len(self.options) - 1, n)]

    def suggest(self, trial, name):
        return trial.suggest_categorical(name, list(self.options))

    def contains(self, value):
        for option in self.options:
            try:
                if bool(value == option) and isinstance(value, bool) == isinstance(option, bool):
                    return True
            except (TypeError, ValueError):  # e.g. an array compared with a scalar
                return False
        return False


def _is_real(value):
    return (
        isinstance(value, (numbers.Real, np.floating, np.integer))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _is_integer(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def sample_params(space, rng):
    """One parameter dict: each sampler of ``space`` sampled once, in the dict's order."""
    return {name: sampler.sample(rng) for name, sampler in space.items()}
