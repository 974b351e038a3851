"""References of the two exercises of 07_hyperparameter_tuning, with the students' signatures.

- :func:`random_search` returns ``(best_params, best_value, trials)``; the library's
  :func:`coursekit.tuning.random_search` wraps it with a progress bar and a SearchResult.
- :func:`log_uniform` is :class:`coursekit.tuning.LogUniform`'s sampler as a function.

Tuning has no torch counterpart: the searches call an objective, whatever it trains with.
"""

from coursekit.tuning.checks import check_count, check_objective, check_rng, check_space
from coursekit.tuning.samplers import LogUniform


def log_uniform(low, high, size=None, *, rng):
    """Samples whose logarithm is uniform between log(low) and log(high).

    Each decade gets the same share of the samples: ``exp(uniform(log(low), log(high)))``,
    the density ``1 / (x log(high/low))`` on ``[low, high]`` (SciPy's ``loguniform``).
    Uniform on the linear scale, ``rng.uniform(low, high)``, is a different distribution
    (:class:`coursekit.tuning.Uniform`).

    Args:
        low, high: bounds, ``0 < low < high``.
        size: None for one Python float, else an int or tuple shape.
        rng: numpy.random.Generator.

    Returns:
        float, or float64 array of shape ``size``; every value lies in ``[low, high]``.
    """
    return LogUniform(low, high).sample(rng, size)


def random_search(objective, space, n_trials, *, rng):
    """Minimise ``objective`` over ``n_trials`` configurations drawn from ``space``.

    Args:
        objective: ``objective(params) -> float``, called once per trial.
        space: dict name -> sampler; each trial draws ``space[name].sample(rng)`` for every
            name, in the dict's order.
        n_trials: number of trials, >= 1.
        rng: numpy.random.Generator; the same seed gives the same trials.

    Returns:
        (best_params, best_value, trials): the configuration with the lowest value (the
        first of equals; NaN never wins unless every value is NaN), its value, and the list
        of ``(params, value)`` pairs in the order they ran.
    """
    check_objective(objective)
    check_space(space)
    check_count("n_trials", n_trials)
    check_rng(rng)
    trials, best = [], None
    for _ in range(n_trials):
        params = {name: sampler.sample(rng) for name, sampler in space.items()}
        value = objective(params)
        trials.append((params, value))
        if best is None or value < best[1] or (_is_nan(best[1]) and not _is_nan(value)):
            best = (params, value)
    return best[0], best[1], trials


def _is_nan(value):
    return value != value
