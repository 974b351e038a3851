"""Attacks on the audit after the exercises' split into a student side (``cases*``) and a
parent side (``exercises*``), from a red-team pass: each tries, from an answer cell, to earn
points with the grader's own code or to reach what the sandbox withholds, and each must fail
(no points, or a flag)."""

import json

import pytest

from coursekit.grading import audit, sandbox
from coursekit.grading.audit import extract

from conftest import ROOT
from test_audit_construction import HONEST_SOFTMAX, _notebook

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]


def _audit(name, roles, source):
    release = {
        "cells": [
            {
                "cell_type": "code",
                "id": "test_0",
                "source": "",
                "metadata": {"nbgrader": {"grade": True, "grade_id": "test_0"}},
            }
        ]
    }
    plan = audit.plan_for([extract.TestCell("test_0", 2.0, "", [(name, list(roles))])], release)
    result = audit.audit_notebook(_notebook(release, source), plan, student="s", seed=99)
    return result


def _blocked(result):
    return result.audit_score == 0 or bool(result.flags)


# 1. a helper of another topic's cases module listed in a module-level dict: _grader_codes
#    drops every function found as a dict value ("handed"), so logistic is callable.
SIGMOID_VIA_LOGISTIC = """
import numpy as np
import pkgutil
_f = pkgutil.resolve_name("coursekit.unstable_gradients.cases:logistic")
def sigmoid(z):
    return _f(z)
def sigmoid_grad(z):
    s = _f(z)
    return s * (1 - s)
"""


def test_sigmoid_from_unstable_gradients_logistic():
    assert _blocked(_audit("activations.sigmoid", ("sigmoid", "sigmoid_grad"), SIGMOID_VIA_LOGISTIC))


RELU_VIA_FUNCTIONS_DICT = """
import numpy as np
import pkgutil
_table = pkgutil.resolve_name("coursekit.unstable_gradients.cases:_FUNCTIONS")
def relu(z):
    return _table["relu"](z)
def relu_grad(z):
    return (z > 0).astype(z.dtype)
"""


def test_relu_from_the_functions_table():
    assert _blocked(_audit("activations.relu", ("relu", "relu_grad"), RELU_VIA_FUNCTIONS_DICT))


# 2. a guarded module-level helper (schedules.cases_clip.p_norm) called through a function
#    whose globals say "coursekit.*": the walk over its callers stopped at it.
CLIP_VIA_P_NORM = """
import types, math
import numpy as np
import pkgutil
_pn = pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")
def _norm(values, p):
    return helper(values, p)
_norm = types.FunctionType(getattr(_norm, "__code__"), {"__name__": "coursekit.mine", "helper": _pn})
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _norm(flat, norm_type)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""


def test_clip_grad_norm_through_p_norm():
    assert _blocked(_audit("schedules.clip_grad_norm", ("clip_grad_norm",), CLIP_VIA_P_NORM))


# 2b. every frame of the answer forged to pass for a library's: code a notebook cell made is
#     the student's, whatever module its namespace names.
CLIP_ALL_FORGED = CLIP_VIA_P_NORM.replace('"coursekit.mine"', '"numpy.mine"') + (
    "clip_grad_norm = types.FunctionType(clip_grad_norm.__code__, "
    '{**globals(), "__name__": "numpy.mine"}, "clip_grad_norm")\n'
)


def test_clip_grad_norm_with_every_frame_forged():
    assert _blocked(_audit("schedules.clip_grad_norm", ("clip_grad_norm",), CLIP_ALL_FORGED))


# 3. direct call of p_norm (control: should be refused as the grader's own code)
CLIP_DIRECT = CLIP_VIA_P_NORM.replace(
    '_norm = types.FunctionType(getattr(_norm, "__code__"), {"__name__": "coursekit.mine", "helper": _pn})',
    "helper = _pn",
)


def test_clip_grad_norm_direct_p_norm():
    assert _blocked(_audit("schedules.clip_grad_norm", ("clip_grad_norm",), CLIP_DIRECT))


# 4. reading a hidden module's source from disk and running it with runpy (not flagged import)
READ_REFERENCE = """
import os, runpy, numpy as np
import coursekit
_found = None
_base = os.path.dirname(coursekit.__file__)
for _p in [_base + "/layers/numpy_ref.py", "ROOT/coursekit/layers/numpy_ref.py"]:
    try:
        _found = runpy.run_path(_p)["softmax"]
        break
    except Exception:
        pass
def softmax(z):
    return _found(z)
"""


def test_reference_file_from_disk():
    assert _blocked(_audit("layers.softmax", ("softmax",), READ_REFERENCE.replace("ROOT", str(ROOT))))


# 5. the stubbed parent-side module via importlib / pkgutil / sys.modules
IMPORTLIB_PARENT = """
import pkgutil, numpy as np
_m = pkgutil.resolve_name("coursekit.layers.numpy_ref")
def softmax(z):
    return _m.softmax(z)
"""


def test_parent_side_via_pkgutil():
    assert _blocked(_audit("layers.softmax", ("softmax",), IMPORTLIB_PARENT))


# 6. _LOADED poisoning: a run that fills the outputs without calling the answer at all,
#    and the record's run replaced by one from the notebook
LOADED_POISON = HONEST_SOFTMAX.replace(
    "def softmax(z):",
    """import dataclasses
import pkgutil
_L = pkgutil.resolve_name("coursekit.grading.case_side:_LOADED")
for _k, _v in list(_L.items()):
    _L[_k] = dataclasses.replace(_v, run=lambda fns, case: {"probabilities": fns["softmax"](case["logits"]) * 0 + 1})
def softmax(z):""",
)


def test_loaded_poisoning():
    r = _audit("layers.softmax", ("softmax",), LOADED_POISON)
    assert _blocked(r)


def _audit_many(entries, source):
    """One notebook, one answer cell, one test cell per (exercise, roles)."""
    release = {
        "cells": [
            {
                "cell_type": "code",
                "id": f"test_{i}",
                "source": "",
                "metadata": {"nbgrader": {"grade": True, "grade_id": f"test_{i}"}},
            }
            for i in range(len(entries))
        ]
    }
    plan = audit.plan_for(
        [extract.TestCell(f"test_{i}", 2.0, "", [(n, list(r))]) for i, (n, r) in enumerate(entries)], release
    )
    cells = [
        {
            "cell_type": "code",
            "id": "answer",
            "source": source,
            "metadata": {"nbgrader": {"solution": True, "grade_id": "answer"}},
        },
        *release["cells"],
    ]
    nb = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    result = audit.audit_notebook(nb, plan, student="s", seed=99)
    return result


# 7. the forbidden LogUniform.sample (kept: random_search's answers_use), its code copied under
#    another co_name: the guard matches forbidden functions by code equality.
LOG_UNIFORM_COPY = """
import types, pkgutil, numpy as np
_LU = pkgutil.resolve_name("coursekit.tuning.samplers:LogUniform")
_s = _LU.sample
_draw = types.FunctionType(getattr(_s, "__code__").replace(co_name="draw"), getattr(_s, "__globals__"))
def log_uniform(low, high, size=None, rng=None):
    return np.asarray(_draw(_LU(low, high), rng, size), dtype=np.float64)
"""

LOG_UNIFORM_DIRECT = """
import pkgutil, numpy as np
_LU = pkgutil.resolve_name("coursekit.tuning.samplers:LogUniform")
def log_uniform(low, high, size=None, rng=None):
    return np.asarray(_LU(low, high).sample(rng, size), dtype=np.float64)
"""


@pytest.mark.parametrize("source", [LOG_UNIFORM_COPY, LOG_UNIFORM_DIRECT], ids=["code-copy", "direct"])
def test_log_uniform_from_the_samplers(source):
    r = _audit_many([("tuning.log_uniform", ("log_uniform",)), ("tuning.random_search", ("random_search",))], source)
    assert r.exercises["tuning.log_uniform"].visible is False or r.flags
