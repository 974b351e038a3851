"""Defences of the audit that hold by construction, each attacked for real from an answer cell.

- The worker that runs student code cannot start a process (seccomp): ``os.fork``,
  ``os.system``, ``os.popen`` and ``subprocess`` fail, and no process is left, checked by PID.
- torch, SciPy and scikit-learn are not in a NumPy exercise's sandbox: with the stand-in
  import hooks taken away, importing them still fails.
- The worker never holds the seeds of the hidden cases nor the result: a reply nobody asked
  for, a frame that declares 10 GB, an object array are flags, never data.
- A torch exercise allows its own ATen operators only: ``_masked_softmax``, ``_safe_softmax``
  and attention are refused however they are reached.
Honest answers keep full marks with no flag in every class.
"""

import json
import os

import psutil
import pytest

from coursekit.grading import audit, sandbox
from coursekit.grading.audit import extract

from honest_network import NETWORK, NETWORK_SETUP

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]

HONEST_SOFTMAX = """
import numpy as np
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
"""
MARKER = f"coursekit-construction-{os.getpid()}"
CHILDREN = HONEST_SOFTMAX.replace(
    "def softmax(z):",
    f"""import os, subprocess, sys
SLEEP = [sys.executable, "-c", "import time; time.sleep(120)", {MARKER!r}]
def softmax(z):
    tried = []
    for name, start in [("fork", os.fork), ("system", lambda: os.system(" ".join(SLEEP) + " &")),
                        ("popen", lambda: os.popen(" ".join(SLEEP) + " &").read()),
                        ("subprocess", lambda: subprocess.Popen(SLEEP))]:
        try:
            pid = start()
            if pid == 0:
                os._exit(0)
            tried.append(f"{{name}} started ({{pid}})")
        except OSError as err:
            tried.append(f"{{name}}: {{err.strerror}}")
    raise RuntimeError("; ".join(tried))
def _unused(z):""",
)
IMPORTS = HONEST_SOFTMAX.replace(
    "def softmax(z):",
    """import importlib, sys
def softmax(z):
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ not in ("Unavailable", "StubModules")]
    outcomes = []
    for name in ("torch.nn.functional", "scipy.special", "sklearn.utils.extmath"):
        for loaded in [m for m in sys.modules if m.split(".")[0] == name.split(".")[0]]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
            outcomes.append(f"{name} imported")
        except ImportError as err:
            outcomes.append(f"{name}: {type(err).__name__}")
    import ctypes, glob
    libraries = [p for d in sys.path for p in glob.glob(f"{d}/torch/lib/libtorch*.so")]
    outcomes.append(f"torch's libraries: {len(libraries)}")
    raise RuntimeError("; ".join(outcomes))
def _unused(z):""",
)
SEEDS = HONEST_SOFTMAX.replace(
    "def softmax(z):",
    """import gc
def softmax(z):
    found = [o for o in gc.get_objects() if isinstance(o, dict)
             and any(isinstance(o.get(k), int) for k in ("hidden_seed", "visible_seed"))]
    raise RuntimeError(f"seeds found: {len(found)}")
def _unused(z):""",
)
FORGE = (
    HONEST_SOFTMAX
    + """
import io, os, stat, struct
def _frame(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return struct.pack(">Q", len(buffer.getvalue())) + buffer.getvalue()
_honest = softmax
def softmax(z):
    out = _honest(z)
    forged = {FORGED}
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, forged)
        except OSError:
            pass
    return out
"""
)
FORGERIES = {
    "a reply nobody asked for": "_frame(probabilities=out)",
    "10 GB declared": 'struct.pack(">Q", 10 * 2**30) + b"x" * 4096',
    "an object array": "_frame(probabilities=np.array([object()] * 3, dtype=object))",
}


def outputs_rewritten(extra):
    """An honest softmax whose outputs the answer cell rewrites in the worker (by replacing the
    exercise's student side, which the worker keeps in ``case_side``), adding ``extra`` (source
    of a dict display's items): what an answer can do in its own process, for the collector
    and the grading process to refuse."""
    return (
        HONEST_SOFTMAX
        + """
import dataclasses
import coursekit.grading.case_side as _side
for _name, _record in list(_side._LOADED.items()):
    _side._LOADED[_name] = dataclasses.replace(
        _record, run=lambda fns, case: {"probabilities": fns["softmax"](case["logits"]), EXTRA}
    )
""".replace("EXTRA", extra)
    )


EXTRA_OUTPUT = outputs_rewritten('"an output nobody asked for": np.zeros(3)')


def _plan(name, role, setup=None):
    """The audit's plan for one exercise, and a release notebook: its setup cell (locked), if
    any, and its test cell."""
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
    if setup:
        release["cells"].insert(
            0,
            {
                "cell_type": "code",
                "id": "setup",
                "source": setup,
                "metadata": {"nbgrader": {"locked": True, "grade_id": "setup"}},
            },
        )
    return audit.plan_for([extract.TestCell("test_0", 2.0, "", [(name, [role])])], release), release


def _notebook(release, source):
    cells = [
        *release["cells"][:-1],
        {
            "cell_type": "code",
            "id": "answer",
            "source": source,
            "metadata": {"nbgrader": {"solution": True, "grade_id": "answer"}},
        },
        release["cells"][-1],
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture(scope="module")
def softmax_audit():
    plan, release = _plan("layers.softmax", "softmax")
    return lambda source: audit.audit_notebook(_notebook(release, source), plan, student="s", seed=99)


def _marked():
    return [p.pid for p in psutil.process_iter(["cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]


def test_honest_numpy_answer_keeps_full_marks_and_no_flag(softmax_audit):
    result = softmax_audit(HONEST_SOFTMAX)
    assert (result.audit_score, result.flags, result.failures) == (2.0, [], [])


def test_student_code_in_the_audit_cannot_start_a_process(softmax_audit):
    result = softmax_audit(CHILDREN)
    assert result.audit_score == 0
    failure = result.failures[0]
    for attempt in (
        "fork: Operation not permitted",
        "popen: Operation not permitted",
        "subprocess: Operation not permitted",
    ):
        assert attempt in failure, failure
    assert "system started (32512)" in failure  # system()'s shell could not be executed: status 127
    assert _marked() == []


def test_torch_scipy_and_sklearn_are_not_in_a_numpy_exercises_sandbox(softmax_audit):
    failure = softmax_audit(IMPORTS).failures[0]
    assert (
        "torch.nn.functional: ModuleNotFoundError; scipy.special: ModuleNotFoundError; "
        "sklearn.utils.extmath: ModuleNotFoundError; torch's libraries: 0"
    ) in failure, failure


def test_the_worker_never_holds_the_seeds(softmax_audit):
    failure = softmax_audit(SEEDS).failures[0]
    assert "seeds found: 0" in failure, failure


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_reply_is_a_flag_never_data(softmax_audit, forgery):
    parent = psutil.Process()
    result = softmax_audit(FORGE.replace("{FORGED}", FORGERIES[forgery]))
    assert result.audit_score == 0
    assert any(f.startswith("audit-ok: the audit's result was refused") for f in result.flags), result.flags
    assert parent.memory_info().rss < 2 * 2**30  # nothing of the declared 10 GB was read


def test_an_output_the_case_does_not_have_is_a_flag_never_data(softmax_audit):
    result = softmax_audit(EXTRA_OUTPUT)
    assert result.audit_score == 0
    assert any("outputs it did not ask for" in f for f in result.flags), result.flags


@pytest.fixture(scope="module")
def network_audit():
    plan, release = _plan("training.default_network", "default_network", NETWORK_SETUP)
    return lambda source: audit.audit_notebook(_notebook(release, source), plan, student="s", seed=5)


@pytest.mark.parametrize(
    "extra, operator",
    [
        ("x = torch.ones(2, 3)", None),
        ("torch.ops.aten._masked_softmax(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.bool))", "_masked_softmax"),
        ("torch.ops.aten._safe_softmax(torch.ones(2, 3), 1)", "_safe_softmax"),
        ("x = torch.ones(1, 2, 3); torch.nn.functional.scaled_dot_product_attention(x, x, x)", "attention"),
    ],
    ids=["honest", "_masked_softmax", "_safe_softmax", "attention"],
)
def test_a_torch_exercise_allows_its_own_operators_only(network_audit, extra, operator):
    result = network_audit(NETWORK.replace("EXTRA", extra))
    if operator is None:
        assert (result.audit_score, result.flags, result.failures) == (2.0, [], [])
    else:
        assert result.audit_score == 0 and operator in result.failures[0], result.failures


GELU = """
import math
import numpy as np
from scipy.special import erfc


def gelu(z, approximate="none"):
    if approximate == "tanh":
        a = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        return (0.5 * z * (1 + np.tanh(a))).astype(z.dtype)
    return (z * 0.5 * erfc(-z / math.sqrt(2))).astype(z.dtype)


def gelu_grad(z, approximate="none"):
    if approximate == "tanh":
        a = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        da = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * z * z)
        return (0.5 * (1 + np.tanh(a)) + 0.5 * z * (1 - np.tanh(a) ** 2) * da).astype(z.dtype)
    density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return (0.5 * erfc(-z / math.sqrt(2)) + z * density).astype(z.dtype)
"""


def test_a_scipy_exercise_is_audited_from_its_student_side():
    _, release = _plan("beyond.gelu", "gelu")
    plan = audit.plan_for([extract.TestCell("test_0", 2.0, "", [("beyond.gelu", ["gelu", "gelu_grad"])])], release)
    assert plan.packages == ("scipy",)
    assert "coursekit.beyond.exercises_activations" in plan.hidden  # the parent side is a stub there
    result = audit.audit_notebook(_notebook(release, GELU), plan, student="s", seed=3)
    assert (result.audit_score, result.flags, result.failures) == (2.0, [], []), result
