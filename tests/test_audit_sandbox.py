"""The audit's sandbox on its own: forbidden methods are caught per exercise, honest code
passes, and the static scan flags tampering with the profiler the call guard relies on."""

import types

import pytest

from coursekit.audit import run_sandbox, score_calls
from coursekit.audit.scan import scan_source

HONEST_SEARCH = '''
def random_search(objective, space, n_trials, *, rng):
    trials, best = [], None
    for _ in range(n_trials):
        params = {name: sampler.sample(rng) for name, sampler in space.items()}
        value = objective(params)
        trials.append((params, value))
        if best is None or value < best[1] or (best[1] != best[1] and value == value):
            best = (params, value)
    return best[0], best[1], trials
'''
HONEST_LOG_UNIFORM = '''
import numpy as np

def log_uniform(low, high, size=None, *, rng):
    x = np.exp(rng.uniform(np.log(low), np.log(high), size))
    return float(x) if size is None else x
'''
LOG_UNIFORM_BY_METHOD = '''
from coursekit.tuning import LogUniform

def log_uniform(low, high, size=None, *, rng):
    draw = LogUniform.sample  # an alias: a stub on the name would not see through it
    return draw(LogUniform(low, high), rng, size)
'''
CALLS = [("tuning.log_uniform", ["log_uniform"]), ("tuning.random_search", ["random_search"])]
TEST_CELLS = [types.SimpleNamespace(calls=[call], points=1.0) for call in CALLS]


def audit(log_uniform_source):
    arrays, errors = run_sandbox([log_uniform_source, HONEST_SEARCH], CALLS, timeout=120)
    score, failures = score_calls(TEST_CELLS, CALLS, arrays, errors)
    return score, failures, errors


def test_a_forbidden_method_scores_nothing_and_other_exercises_may_use_it():
    score, failures, errors = audit(LOG_UNIFORM_BY_METHOD)
    assert score == 1.0, failures  # random search (which calls sampler.sample) keeps its point
    assert len(failures) == 1 and failures[0].startswith("tuning.log_uniform case 1")
    assert "LogUniform.sample" in failures[0] and "forbids" in failures[0]
    assert not [key for key in errors if key.startswith("1/")]


def test_honest_answers_get_full_marks():
    score, failures, errors = audit(HONEST_LOG_UNIFORM)
    assert (score, failures, errors) == (2.0, [], {})


@pytest.mark.parametrize("source", [
    "import sys\nsys.setprofile(None)",
    "from sys import settrace\nsettrace(None)",
    "import threading\nthreading.setprofile(None)",
])
def test_scan_flags_tampering_with_the_profiler(source):
    assert any(flag.startswith("tracing:") for flag in scan_source(source))


def test_scan_leaves_honest_code_alone():
    assert scan_source(HONEST_LOG_UNIFORM) == [] and scan_source(HONEST_SEARCH) == []
