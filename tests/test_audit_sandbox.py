"""The audit on its own: its sandbox holds no reference code, forbidden methods are caught per
exercise, honest code passes, and the static scan flags tampering with the call guard."""

import json

import pytest

from coursekit.grading import audit, sandbox
from coursekit.grading.audit import extract
from coursekit.grading.audit.scan import scan_source
from coursekit.grading.outcomes import ExerciseResult

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]

HONEST_SEARCH = """
def random_search(objective, space, n_trials, *, rng):
    trials, best = [], None
    for _ in range(n_trials):
        params = {name: sampler.sample(rng) for name, sampler in space.items()}
        value = objective(params)
        trials.append((params, value))
        if best is None or value < best[1] or (best[1] != best[1] and value == value):
            best = (params, value)
    return best[0], best[1], trials
"""
HONEST_LOG_UNIFORM = """
import numpy as np

def log_uniform(low, high, size=None, *, rng):
    x = np.exp(rng.uniform(np.log(low), np.log(high), size))
    return float(x) if size is None else x
"""
LOG_UNIFORM_BY_METHOD = """
from coursekit.tuning import LogUniform

def log_uniform(low, high, size=None, *, rng):
    draw = LogUniform.sample  # an alias: a stub on the name would not see through it
    return draw(LogUniform(low, high), rng, size)
"""
READS_THE_REFERENCE = """
import os, coursekit
HERE = os.path.dirname(coursekit.__file__)
FOUND = [n for n in ("tuning/numpy_ref.py", "tuning/search.py") if os.path.exists(os.path.join(HERE, n))]

def log_uniform(low, high, size=None, *, rng):
    raise RuntimeError(f"reference files visible: {FOUND}") if FOUND else NotImplementedError()
"""
CALLS = [("tuning.log_uniform", ["log_uniform"]), ("tuning.random_search", ["random_search"])]


RELEASE = {
    "cells": [
        {
            "cell_type": "code",
            "id": f"test_{i}",
            "source": "",
            "metadata": {"nbgrader": {"grade": True, "grade_id": f"test_{i}"}},
        }
        for i in range(len(CALLS))
    ]
}


def notebook(*sources):
    cells = [
        {
            "cell_type": "code",
            "id": f"answer{i}",
            "source": src,
            "metadata": {"nbgrader": {"solution": True, "grade_id": f"answer{i}"}},
        }
        for i, src in enumerate(sources)
    ]
    cells += RELEASE["cells"]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture(scope="module")
def tuning_plan():
    cells = [extract.TestCell(f"test_{i}", 1.0, "", [call]) for i, call in enumerate(CALLS)]
    return audit.plan_for(cells, RELEASE)


def run(plan, *sources):
    return audit.audit_notebook(notebook(*sources), plan, student="someone", seed=1234)


def test_a_forbidden_method_scores_nothing_and_other_exercises_may_use_it(tuning_plan):
    result = run(tuning_plan, LOG_UNIFORM_BY_METHOD, HONEST_SEARCH)
    assert result.audit_score == 1.0, result.failures  # random search (sampler.sample) keeps its point
    assert result.exercises["tuning.random_search"] == ExerciseResult(visible=True, hidden=True)
    failure = result.exercises["tuning.log_uniform"].failure
    assert failure.startswith("tuning.log_uniform visible case 1") and "LogUniform.sample" in failure


def test_honest_answers_get_full_marks(tuning_plan):
    result = run(tuning_plan, HONEST_LOG_UNIFORM, HONEST_SEARCH)
    assert (result.audit_score, result.failures, result.flags) == (2.0, [], [])


def test_a_setup_that_imports_the_plots_is_audited_as_usual(tuning_plan):
    # coursekit.plots applies its palette when imported: the audit's sandbox keeps it working
    setup = "from coursekit.plots import caption\nfrom coursekit.plots import tuning as tuning_plots\n"
    result = run(tuning_plan, setup + HONEST_LOG_UNIFORM, HONEST_SEARCH)
    assert (result.audit_score, result.failures, result.flags) == (2.0, [], [])


def test_the_sandbox_has_no_reference_files(tuning_plan):
    result = run(tuning_plan, READS_THE_REFERENCE, HONEST_SEARCH)
    failure = result.exercises["tuning.log_uniform"].failure
    assert "not implemented yet" in failure and "reference files visible" not in failure
    assert "coursekit.tuning.numpy_ref" in tuning_plan.hidden


def test_hidden_cases_change_with_the_audit_seed(tuning_plan):
    specs = [audit.exercise_specs(tuning_plan, seed, "someone") for seed in (1, 2)]
    name = "tuning.log_uniform"
    assert specs[0][name]["visible_seed"] == specs[1][name]["visible_seed"]
    assert specs[0][name]["hidden_seed"] != specs[1][name]["hidden_seed"]


@pytest.mark.parametrize(
    "source",
    [
        "import sys\nsys.setprofile(None)",
        "from sys import settrace\nsettrace(None)",
        "import threading\nthreading.setprofile(None)",
    ],
)
def test_scan_flags_tampering_with_the_profiler(source):
    assert any(flag.startswith("tracing:") for flag in scan_source(source))


def test_scan_leaves_honest_code_alone():
    assert scan_source(HONEST_LOG_UNIFORM) == [] and scan_source(HONEST_SEARCH) == []


@pytest.mark.parametrize(
    "source",
    [
        "from sys import setprofile as quiet\nquiet(None)",
        "from torch._C import DisableTorchFunction",
        "from torch.utils._python_dispatch import _disable_current_modes as off",
        "import torch\nwith torch._C._DisableTorchDispatch():\n    pass",
        "import torch\nname = '_disable_current_modes'",
    ],
)
def test_scan_flags_switching_the_call_guard_off(source):
    assert any(flag.startswith("guard-tampering") for flag in scan_source(source)), scan_source(source)


@pytest.mark.parametrize(
    "source",
    [
        'import os\nos.environ["OMP_NUM_THREADS"] = "1"',
        "import torch\ntorch.backends.cudnn.deterministic = True",
        "F = np.zeros((3, 3))\nF[0] = 1",
        "class Config:\n    def __init__(self, **kw):\n        self.__dict__.update(kw)\n        setattr(self, 'x', 1)",
        "import gc\ngc.collect()",
        "import inspect\nprint(inspect.signature(np.exp))",
    ],
)
def test_scan_leaves_honest_settings_and_helpers_alone(source):
    assert scan_source(source) == []


def test_scan_flags_computed_getattr_on_anything():
    assert any(f.startswith("dynamic-code") for f in scan_source("import torch\nf = getattr(torch, '_' + 'C')"))
