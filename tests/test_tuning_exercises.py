"""The graded exercises of 07_hyperparameter_tuning: independently written correct answers
pass the visible and hidden cases, wrong ones fail, and each known convention is named."""

import re

import numpy as np
import pytest
from scipy import stats

from coursekit.grading import GradingFailure, check
from coursekit.tuning import LogUniform, log_uniform

# ----- correct answers, written differently from the references ------------------------


def random_search_all_first(objective, space, n_trials, *, rng):
    configs = []
    for _ in range(n_trials):
        configs.append({name: space[name].sample(rng) for name in space})
    values = [objective(params) for params in configs]
    best = int(np.argmin(values))
    return configs[best], values[best], list(zip(configs, values))


def random_search_running_best(objective, space, n_trials, *, rng):
    trials, best = [], None
    for _ in range(n_trials):
        params = dict((name, sampler.sample(rng)) for name, sampler in space.items())
        value = objective(params)
        trials.append((params, value))
        if best is None or value < best[1]:
            best = (params, value)
    return best[0], best[1], trials


def log_uniform_power(low, high, size, *, rng):
    return low * (high / low) ** rng.random(size)


def log_uniform_base_ten(low, high, size, *, rng):
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size)


def log_uniform_affine_exponent(low, high, size, *, rng):
    return np.exp(np.log(low) + np.log(high / low) * rng.random(size))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("answer", [random_search_all_first, random_search_running_best])
def test_correct_random_search_passes(answer, hidden, capsys):
    check("tuning.random_search", answer, hidden=hidden)
    out, err = capsys.readouterr()
    assert "cases pass" in out and err == ""


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("answer", [log_uniform_power, log_uniform_base_ten, log_uniform_affine_exponent])
def test_correct_log_uniform_passes(answer, hidden, capsys):
    check("tuning.log_uniform", answer, hidden=hidden)
    out, err = capsys.readouterr()
    assert "cases pass" in out and err == ""


# ----- random search: wrong answers and the conventions they match --------------------


def _keeping(pick):
    def answer(objective, space, n_trials, *, rng):
        trials = []
        for _ in range(n_trials):
            params = {name: space[name].sample(rng) for name in space}
            trials.append((params, objective(params)))
        chosen = pick(trials)
        return chosen[0], chosen[1], trials

    return answer


def sampled_once(objective, space, n_trials, *, rng):
    params = {name: space[name].sample(rng) for name in space}
    value = objective(params)
    trials = [(params, value)] + [(params, objective(params)) for _ in range(n_trials - 1)]
    return params, value, trials


def evaluated_twice(objective, space, n_trials, *, rng):
    trials, best_params, best_value = [], None, np.inf
    for _ in range(n_trials):
        params = {name: space[name].sample(rng) for name in space}
        trials.append((params, objective(params)))
        if objective(params) < best_value:
            best_params, best_value = params, trials[-1][1]
    return best_params, best_value, trials


def own_generator(objective, space, n_trials, *, rng):
    return random_search_running_best(objective, space, n_trials, rng=np.random.default_rng())


@pytest.mark.parametrize(
    "answer, convention",
    [
        (_keeping(lambda t: max(t, key=lambda pair: pair[1])), "the worst trial (max instead of min)"),
        (_keeping(lambda t: t[-1]), "the last trial instead of the best"),
        (sampled_once, "parameters sampled once, before the loop"),
        (evaluated_twice, "the objective called twice per trial"),
        (own_generator, "a search that ignores its rng argument"),
    ],
)
def test_random_search_conventions_are_named(answer, convention):
    with pytest.raises(GradingFailure, match=re.escape(f"Your answer matches {convention}.")):
        check("tuning.random_search", answer)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda objective, space, n_trials, *, rng: None, r"should return \(best_params, best_value, trials\)"),
        (
            lambda objective, space, n_trials, *, rng: (
                objective(**{k: s.sample(rng) for k, s in space.items()}),
                0,
                [],
            ),
            "objective.. got an unexpected keyword argument",
        ),
        (
            lambda objective, space, n_trials, *, rng: ({}, objective({k: 0.0 for k in space}), []),
            "which space.* cannot produce",
        ),
        (_keeping(lambda t: ({"lr": 1.0}, t[0][1])), "best_params .* are not the parameters that gave best_value"),
        (_keeping(lambda t: (t[0][0], -1.0)), "best_value -1.0 is not a value that the objective returned"),
        (
            lambda objective, space, n_trials, *, rng: random_search_running_best(
                objective, space, n_trials - 1, rng=rng
            ),
            "objective evaluations: largest error 1;",
        ),
    ],
)
def test_wrong_random_search_fails_with_a_reason(answer, message):
    with pytest.raises(GradingFailure, match=message):
        check("tuning.random_search", answer)


def test_random_search_may_not_call_the_library():
    from coursekit import tuning

    def borrowed(objective, space, n_trials, *, rng):
        result = tuning.random_search(objective, space, n_trials, rng=rng, progress=False)
        return result.best_params, result.best_value, result.trials

    refused = "calls .*coursekit.tuning.search.random_search.*write it yourself"
    with pytest.raises(GradingFailure, match=refused):
        check("tuning.random_search", borrowed)


# ----- log-uniform: wrong answers and the conventions they match ---------------------


@pytest.mark.parametrize(
    "answer, convention",
    [
        (lambda low, high, size, *, rng: low + (high - low) * rng.random(size), "uniform on the linear scale"),
        (
            lambda low, high, size, *, rng: np.exp(rng.uniform(low, high, size)),
            "an exponent drawn between low and high",
        ),
        (
            lambda low, high, size, *, rng: np.exp(np.random.default_rng().uniform(np.log(low), np.log(high), size)),
            "a sampler that ignores its rng argument",
        ),
    ],
)
def test_log_uniform_conventions_are_named(answer, convention):
    with pytest.raises(GradingFailure, match=re.escape(f"Your answer matches {convention}.")):
        check("tuning.log_uniform", answer)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda low, high, size, *, rng: np.exp(rng.uniform(np.log(low), np.log(high), 10)), r"returned shape \(10,\)"),
        (lambda low, high, size, *, rng: rng.uniform(-high, high, size), "non-positive samples"),
        (
            lambda low, high, size, *, rng: list(log_uniform_power(low, high, size, rng=rng)),
            "should return a float numpy array",
        ),
        # A log-normal centred on the range: the right scale, the wrong shape of distribution.
        (
            lambda low, high, size, *, rng: np.clip(
                np.exp(rng.normal((np.log(low) + np.log(high)) / 2, np.log(high / low) / 6, size)), low, high
            ),
            "standard deviation of u",
        ),
        # Whole powers of ten only.
        (
            lambda low, high, size, *, rng: (
                10.0 ** rng.integers(int(np.ceil(np.log10(low))), int(np.floor(np.log10(high))) + 1, size)
            ),
            "KS distance",
        ),
    ],
)
def test_wrong_log_uniform_fails_with_a_reason(answer, message):
    with pytest.raises(GradingFailure, match=message):
        check("tuning.log_uniform", answer)


def test_log_uniform_may_not_call_the_reference_or_scipy():
    with pytest.raises(GradingFailure, match="calls coursekit.tuning.samplers"):
        check("tuning.log_uniform", lambda low, high, size, *, rng: LogUniform(low, high).sample(rng, size))
    with pytest.raises(GradingFailure, match="calls scipy.stats._distn_infrastructure"):
        check(
            "tuning.log_uniform",
            lambda low, high, size, *, rng: stats.loguniform(low, high).rvs(size=size, random_state=rng),
        )


def test_reference_passes_its_own_checks_and_matches_scipy():
    # The reference (run through the grader's statistics) must look log-uniform to SciPy too.
    x = log_uniform(1e-4, 1e-1, 20_000, rng=np.random.default_rng(0))
    assert stats.kstest(x, stats.loguniform(1e-4, 1e-1).cdf).pvalue > 1e-3
