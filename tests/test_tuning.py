"""Oracle tests for coursekit.tuning's samplers and searches.

Samplers are checked against SciPy's distributions and Optuna's own distribution objects,
grid search against scikit-learn's ParameterGrid, random search and successive halving
against hand-written loops. The Optuna glue and the digits objective are in
test_tuning_optuna.py, the figures in test_tuning_plots.py.
"""

import math

import numpy as np
import optuna
import pytest
from scipy import stats
from sklearn.model_selection import ParameterGrid

from coursekit import tuning
from coursekit.tuning import Choice, IntUniform, LogUniform, Uniform

# ----- samplers ------------------------------------------------------------------------


@pytest.mark.parametrize("low, high", [(1e-4, 1e-1), (3e-6, 0.7), (2.0, 5.0)])
def test_log_uniform_matches_scipy_loguniform(low, high):
    x = LogUniform(low, high).sample(np.random.default_rng(0), size=20_000)
    assert x.dtype == np.float64 and x.shape == (20_000,)
    assert low <= x.min() and x.max() <= high
    assert stats.kstest(x, stats.loguniform(low, high).cdf).pvalue > 1e-3
    # The test has power: uniform samples on the same range are rejected.
    linear = np.random.default_rng(0).uniform(low, high, 20_000)
    assert stats.kstest(linear, stats.loguniform(low, high).cdf).pvalue < 1e-6


def test_log_uniform_function_scalar_shape_and_bounds():
    rng = np.random.default_rng(1)
    assert isinstance(tuning.log_uniform(1e-3, 1.0, rng=rng), float)
    x = tuning.log_uniform(1e-3, 1.0, (40, 50), rng=rng)
    assert x.shape == (40, 50)
    # exp(log(high)) rounds above high; the sampler clips back into the range.
    assert tuning.log_uniform(0.1, 0.1 * (1 + 1e-15), 1000, rng=rng).max() <= 0.1 * (1 + 1e-15)


def test_uniform_matches_scipy_uniform():
    x = Uniform(-2.0, 3.0).sample(np.random.default_rng(2), size=20_000)
    assert stats.kstest(x, stats.uniform(loc=-2.0, scale=5.0).cdf).pvalue > 1e-3


def test_int_uniform_includes_both_ends_with_equal_frequencies():
    x = IntUniform(3, 7).sample(np.random.default_rng(3), size=50_000)
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == [3, 4, 5, 6, 7]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_log_int_uniform_follows_the_floor_of_a_log_uniform():
    # P(k) = log((k+1)/k) / log((high+1)/low), the closed form of floor(LogUniform(low, high+1)).
    low, high = 1, 20
    x = IntUniform(low, high, log=True).sample(np.random.default_rng(4), size=100_000)
    k = np.arange(low, high + 1)
    expected = np.log((k + 1) / k) / math.log((high + 1) / low)
    counts = np.array([(x == v).sum() for v in k])
    assert counts.sum() == len(x)
    assert stats.chisquare(counts, expected * len(x)).pvalue > 1e-3


def test_choice_is_uniform_over_options():
    options = ["relu", "elu", "tanh"]
    x = Choice(options).sample(np.random.default_rng(5), size=30_000)
    counts = [int(np.sum(x == o)) for o in options]
    assert sum(counts) == 30_000 and stats.chisquare(counts).pvalue > 1e-3
    assert Choice(options).sample(np.random.default_rng(5)) in options


def test_samplers_are_reproducible_from_the_seed():
    space = {"a": LogUniform(1e-3, 1.0), "b": IntUniform(1, 9), "c": Choice([1, 2]), "d": Uniform(0, 1)}
    first = tuning.sample_configs(space, 5, rng=np.random.default_rng(6))
    assert first == tuning.sample_configs(space, 5, rng=np.random.default_rng(6))
    assert first != tuning.sample_configs(space, 5, rng=np.random.default_rng(7))


def test_suggest_asks_optuna_for_the_same_distribution():
    FD, ID, CD = (
        optuna.distributions.FloatDistribution,
        optuna.distributions.IntDistribution,
        optuna.distributions.CategoricalDistribution,
    )
    space = {
        "lr": LogUniform(1e-4, 1e-1),
        "p": Uniform(0.0, 0.5),
        "h": IntUniform(16, 64),
        "b": IntUniform(8, 512, log=True),
        "act": Choice(["relu", "tanh"]),
    }
    expected = {
        "lr": FD(1e-4, 1e-1, log=True),
        "p": FD(0.0, 0.5),
        "h": ID(16, 64),
        "b": ID(8, 512, log=True),
        "act": CD(("relu", "tanh")),
    }
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    for name, sampler in space.items():
        value = sampler.suggest(trial, name)
        assert sampler.contains(value)
    assert trial.distributions == expected


def test_grids_are_evenly_spaced_on_their_scale():
    log_grid = np.array(LogUniform(1e-4, 1.0).grid(5))
    assert log_grid[0] == 1e-4 and log_grid[-1] == 1.0
    np.testing.assert_allclose(np.diff(np.log10(log_grid)), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.diff(Uniform(0.0, 1.0).grid(5)), 0.25, rtol=1e-12)
    assert IntUniform(16, 64).grid(4) == [16, 32, 48, 64]
    assert Choice(["a", "b", "c"]).grid() == ["a", "b", "c"]
    assert Choice(["a", "b", "c"]).grid(2) == ["a", "c"]


def test_contains():
    assert LogUniform(1e-3, 1.0).contains(0.5) and not LogUniform(1e-3, 1.0).contains(2.0)
    assert IntUniform(1, 3).contains(3) and not IntUniform(1, 3).contains(2.5)
    assert not IntUniform(0, 3).contains(True)
    assert Choice([1, "a"]).contains("a") and not Choice([1, 2]).contains(True)
    assert not Uniform(0, 1).contains(np.array([0.5]))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: LogUniform(0.0, 1.0), ValueError, "log scale needs low > 0"),
        (lambda: LogUniform(-1.0, 1.0), ValueError, "log scale needs low > 0"),
        (lambda: Uniform(1.0, 1.0), ValueError, "low must be < high"),
        (lambda: Uniform(2.0, 1.0), ValueError, "low must be < high"),
        (lambda: Uniform(0.0, math.inf), ValueError, "high must be a finite real number"),
        (lambda: IntUniform(1.5, 3), TypeError, "low must be an integer"),
        (lambda: IntUniform(0, 3, log=True), ValueError, "log scale needs low > 0"),
        (lambda: Choice([]), ValueError, "options must not be empty"),
        (lambda: Choice("abc"), TypeError, "options must be a list"),
        (
            lambda: tuning.log_uniform(1e-3, 1.0, 5, rng=np.random.RandomState(0)),
            TypeError,
            "rng must be a numpy.random.Generator",
        ),
        (lambda: LogUniform(1e-3, 1.0).grid(0), ValueError, "n must be an integer >= 1"),
    ],
)
def test_sampler_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ----- grid search, random search, successive halving ---------------------------------


def _recorder(calls):
    def objective(params):
        value = sum((float(v) - 1.0) ** 2 if not isinstance(v, str) else len(v) for v in params.values())
        calls.append((dict(params), value))
        return value

    return objective


def test_grid_search_evaluates_sklearn_parameter_grid():
    grid = {"a": [0.1, 1.0, 3.0], "b": [1, 2], "c": ["x", "yy"]}
    calls = []
    result = tuning.grid_search(_recorder(calls), grid, progress=False)
    as_set = lambda points: sorted(tuple(sorted(p.items())) for p in points)  # noqa: E731
    assert as_set(p for p, _ in calls) == as_set(ParameterGrid(grid))
    assert len(result) == 12 and result.best_value == min(v for _, v in calls)


def test_grid_search_from_a_space_of_samplers():
    space = {"lr": LogUniform(1e-3, 1.0), "h": IntUniform(1, 4)}
    result = tuning.grid_search(lambda p: p["lr"] * p["h"], space, n=4, progress=False)
    assert len(result) == 16
    assert sorted(set(result.column("lr"))) == pytest.approx([1e-3, 1e-2, 1e-1, 1.0])
    assert result.best_params == {"lr": 1e-3, "h": 1}
    with pytest.raises(ValueError, match="give n, the points per axis"):
        tuning.grid_points(space)


def test_random_search_against_a_hand_written_loop():
    space = {"lr": LogUniform(1e-4, 1.0), "h": IntUniform(2, 9), "act": Choice(["a", "bb"])}
    calls = []
    result = tuning.random_search(_recorder(calls), space, 25, rng=np.random.default_rng(8), progress=False)
    assert [tuple(t) for t in result.trials] == calls
    assert all(space[k].contains(v) for params, _ in calls for k, v in params.items())
    values = [v for _, v in calls]
    assert result.best == calls[int(np.argmin(values))]
    np.testing.assert_array_equal(result.best_so_far(), np.minimum.accumulate(values))
    again = tuning.random_search(_recorder([]), space, 25, rng=np.random.default_rng(8), progress=False)
    other = tuning.random_search(_recorder([]), space, 25, rng=np.random.default_rng(9), progress=False)
    assert again.trials == result.trials and other.trials != result.trials


def test_search_result_ignores_nan_values():
    result = tuning.SearchResult([tuning.Trial({"x": 1}, float("nan")), tuning.Trial({"x": 2}, 3.0)])
    assert result.best.params == {"x": 2}
    assert result.best_so_far().tolist() == [math.inf, 3.0]


def test_successive_halving_keeps_the_best_third_and_triples_the_budget():
    rng = np.random.default_rng(10)
    quality = rng.permutation(9)
    configs = [{"i": i} for i in range(9)]
    calls = []

    def objective(params, budget):
        calls.append((params["i"], budget))
        return float(quality[params["i"]]) + 1.0 / budget

    result = tuning.successive_halving(objective, configs, min_budget=1, eta=3, progress=False)
    assert [r.budget for r in result.rungs] == [1, 3, 9]
    assert [len(r.trials) for r in result.rungs] == [9, 3, 1]
    survivors = sorted(range(9), key=lambda i: quality[i])[:3]
    assert sorted(p["i"] for p, _ in result.rungs[1].trials) == sorted(survivors)
    assert result.best.params == {"i": survivors[0]}
    assert result.total_budget == 27 == sum(b for _, b in calls)
    capped = tuning.successive_halving(objective, configs, min_budget=1, eta=3, max_budget=3, progress=False)
    assert [r.budget for r in capped.rungs] == [1, 3]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: tuning.random_search(lambda p: 0.0, {"x": Uniform(0, 1)}, 0, rng=np.random.default_rng()),
            ValueError,
            "n_trials must be >= 1",
        ),
        (
            lambda: tuning.random_search(lambda p: 0.0, {"x": Uniform(0, 1)}, 2.5, rng=np.random.default_rng()),
            TypeError,
            "n_trials must be an integer",
        ),
        (
            lambda: tuning.random_search(lambda p: 0.0, {"x": (0, 1)}, 2, rng=np.random.default_rng()),
            TypeError,
            r"space\['x'\] must be a sampler",
        ),
        (
            lambda: tuning.random_search(
                lambda p: "bad", {"x": Uniform(0, 1)}, 2, rng=np.random.default_rng(), progress=False
            ),
            TypeError,
            "objective must return a number",
        ),
        (
            lambda: tuning.random_search(None, {"x": Uniform(0, 1)}, 2, rng=np.random.default_rng()),
            TypeError,
            "objective must be callable",
        ),
        (lambda: tuning.grid_search(lambda p: 0.0, {"x": []}), ValueError, r"grid\['x'\] has no values"),
        (lambda: tuning.successive_halving(lambda p, b: 0.0, [{"x": 1}], eta=1), ValueError, "eta must be >= 2"),
        (lambda: tuning.successive_halving(lambda p, b: 0.0, [], eta=3), ValueError, "configs must be a non-empty"),
        (
            lambda: tuning.successive_halving(lambda p, b: 0.0, [{"x": 1}], min_budget=0),
            ValueError,
            "min_budget must be > 0",
        ),
        (
            lambda: tuning.optuna_search(lambda p: 0.0, {"x": Uniform(0, 1)}, 2, sampler="cmaes", seed=0),
            ValueError,
            "unknown sampler 'cmaes'",
        ),
        (
            lambda: tuning.optuna_search(lambda p: 0.0, {"x": Uniform(0, 1)}, 0, seed=0),
            ValueError,
            "n_trials must be >= 1",
        ),
        (
            lambda: tuning.run_workers(lambda p: 0.0, {"x": Uniform(0, 1)}, 2, storage=None, study_name="s", seed=0),
            ValueError,
            "storage must be an RDB URL",
        ),
    ],
)
def test_search_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
