"""What a red-team pass got through the audit, kept as attacks that must now fail.

Each is the reproducer from an answer cell: the grader's own helpers and conventions handed
in or called, SciPy from the base interpreter's site-packages, a thread started in a cell,
ptrace and ``/proc/<pid>/mem`` of the collector, a custom torch operator, a dispatch key
excluded, an oversized output, the worker's alarm cancelled. Each ends with no points for
that exercise and, where the attack needs the grader's machinery, a flag.
"""

import os

import pytest

from coursekit.grading import audit, sandbox

from honest_network import NETWORK, NETWORK_SETUP
from test_audit_construction import HONEST_SOFTMAX, _notebook, _plan, outputs_rewritten

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]


def _audit(name, role, source, setup=None, **options):
    plan, release = _plan(name, role, setup)
    return audit.audit_notebook(_notebook(release, source), plan, student="s", seed=99, **options)


def _softmax(source, **options):
    return _audit("layers.softmax", "softmax", source, **options)


def test_a_helper_of_the_cases_module_is_the_graders_own_code():
    result = _softmax(
        "import coursekit\ndef softmax(z):\n"
        "    coursekit.layers.cases._run_softmax({'softmax': lambda q: q}, {'logits': z})\n    return z\n"
    )
    assert result.audit_score == 0 and "the grader's own code" in result.failures[0], result.failures


def test_the_exercises_parent_side_is_not_in_the_sandbox():
    result = _softmax(
        "import coursekit.layers.exercises as e\ndef softmax(z):\n    return e._columnwise_softmax(z.T).T\n"
    )
    assert result.audit_score == 0, result.failures
    assert "coursekit.layers.exercises._columnwise_softmax is not available" in result.failures[0], result.failures


def test_a_convention_cannot_be_reached_in_the_sandbox():
    source = (
        "from coursekit import grading\n"
        "softmax = grading.exercise('layers.softmax').conventions[1].functions['softmax']\n"
    )
    result = _softmax(source)
    assert result.audit_score == 0, result.failures
    assert "unknown exercise 'layers.softmax'" in result.failures[0], result.failures


@pytest.mark.parametrize(
    "source",
    [
        "import builtins as b, numpy as np\n_ns = {'np': np}\n"
        "b.exec(b.__import__('coursekit.grading.synthetic', fromlist=['x']).VARIANTS['softmax']['right'][0], _ns)\n"
        "softmax = _ns['softmax']\n",
    ],
    ids=["exec of the synthetic class's answer"],
)
def test_an_answer_not_written_in_the_notebook_scores_nothing(source):
    result = _softmax(source)
    assert result.audit_score == 0, result.failures
    assert "is not defined in your notebook" in result.failures[0], result.failures


def test_a_helper_behind_a_library_wrapper_is_still_the_graders_own_code():
    source = (
        "import functools, coursekit\n_h = functools.singledispatch(coursekit.layers.cases._run_softmax)\n"
        "def softmax(z):\n    _h({'softmax': lambda q: q}, {'logits': z})\n    return z\n"
    )
    result = _softmax(source)
    assert result.audit_score == 0 and "the grader's own code" in result.failures[0], result.failures


def test_an_answer_execd_with_the_notebooks_name_is_still_not_written_in_the_notebook():
    source = (
        "import builtins as b, numpy as np\n"
        "_ns = {'np': np, '__name__': '__main__'}\n"
        "b.exec(b.__import__('coursekit.grading.synthetic', fromlist=['x']).VARIANTS['softmax']['right'][0], _ns)\n"
        "softmax = _ns['softmax']\n"
    )
    result = _softmax(source)
    assert result.audit_score == 0 and "is not defined in your notebook" in result.failures[0], result.failures


def test_a_thread_that_starts_and_ends_within_a_case_is_a_flag():
    source = HONEST_SOFTMAX.replace(
        "def softmax(z):",
        """import logging, time
_start = logging.threading._start_new_thread
_honest = None
def softmax(z):
    box = []
    _start(lambda: box.append(_honest(z)), ())
    while not box:
        time.sleep(0.001)
    time.sleep(0.05)  # the thread has ended before the reply
    return box[0]
def _honest(z):""",
    )
    result = _softmax(source)
    assert result.audit_score == 0
    assert any("thread(s) during a case" in f for f in result.flags), result.flags


@pytest.mark.parametrize(
    "source",
    [
        "import functools\nimport numpy as np\ndef _softmax(z, axis):\n"
        "    e = np.exp(z - z.max(axis=axis, keepdims=True))\n    return e / e.sum(axis=axis, keepdims=True)\n"
        "softmax = functools.partial(_softmax, axis=1)\n",
        HONEST_SOFTMAX.replace("def softmax(z):", "@np.errstate(over='ignore')\ndef softmax(z):"),
    ],
    ids=["functools.partial", "a decorator"],
)
def test_honest_answers_behind_a_partial_or_a_decorator_keep_full_marks(source):
    result = _softmax(source)
    assert (result.audit_score, result.flags, result.failures) == (2.0, [], [])


def test_the_base_interpreters_site_packages_hold_no_refused_package():
    source = HONEST_SOFTMAX.replace(
        "def softmax(z):",
        """import importlib, site, sys
def softmax(z):
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ not in ("Unavailable", "StubModules")]
    sys.path += site.getsitepackages([sys.base_prefix]) + ["/usr/lib/python3/dist-packages"]
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("scipy", "sklearn", "torch")]:
        del sys.modules[loaded]
    found = []
    for name in ("scipy.special", "sklearn.utils.extmath", "torch.nn.functional"):
        try:
            importlib.import_module(name)
            found.append(name)
        except ImportError:
            pass
    raise RuntimeError(f"importable: {found}")
def _unused(z):""",
    )
    assert "importable: []" in _softmax(source).failures[0]


def test_a_thread_started_in_a_cell_is_a_flag():
    source = (
        HONEST_SOFTMAX
        + "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    )
    result = _softmax(source)
    assert result.audit_score == 0
    assert any("started 1 thread(s)" in f for f in result.flags), result.flags


def test_the_worker_cannot_ptrace_or_read_the_collector():
    source = HONEST_SOFTMAX.replace(
        "def softmax(z):",
        """import ctypes, os
def softmax(z):
    libc = ctypes.CDLL(None, use_errno=True)
    attach = libc.ptrace(16, os.getppid(), 0, 0)
    errno_attach = ctypes.get_errno()
    try:
        with open(f"/proc/{os.getppid()}/mem", "rb") as mem:
            read = "read"
    except OSError as err:
        read = err.strerror
    raise RuntimeError(f"ptrace {attach} (errno {errno_attach}); /proc/ppid/mem: {read}")
def _unused(z):""",
    )
    failure = _softmax(source).failures[0]
    assert "ptrace -1 (errno 1); /proc/ppid/mem: Permission denied" in failure, failure


def test_a_large_output_is_refused_before_it_is_read():
    source = outputs_rewritten('"probabilities": np.ones(10 * 2**20)')
    result = _softmax(source)
    assert result.audit_score == 0
    assert any("budget" in f for f in result.flags), result.flags


def test_a_cancelled_alarm_does_not_hold_the_audit():
    source = HONEST_SOFTMAX.replace(
        "def softmax(z):",
        "import signal\ndef softmax(z):\n    signal.alarm(0)\n    while True:\n        pass\ndef _unused(z):",
    )
    result = _softmax(source, cell_seconds=3)
    assert result.audit_score == 0 and any("no reply within 13 s" in f for f in result.flags), result.flags


@pytest.mark.parametrize(
    "extra, expected",
    [
        (
            "lib = torch.library.custom_op('sneak::twice', mutates_args=())(lambda x: x * 2)\n"
            "    lib.register_fake(lambda x: x)\n    lib(torch.ones(2))",
            "sneak::twice",
        ),
        (
            "from torch import _C\n    with _C._ExcludeDispatchKeyGuard(_C.DispatchKeySet(_C.DispatchKey.Python)):\n"
            "        torch.ops.aten._masked_softmax(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.bool))",
            "guard-tampering",
        ),
    ],
    ids=["custom operator", "dispatch key excluded"],
)
def test_a_torch_exercise_sees_custom_operators_and_excluded_dispatch_keys(extra, expected):
    result = _audit("training.default_network", "default_network", NETWORK.replace("EXTRA", extra), NETWORK_SETUP)
    assert result.audit_score == 0 or any(f.startswith(expected) for f in result.flags), result
    assert expected in " ".join(result.failures + result.flags), result


def test_no_attack_left_a_process_behind():
    mine = os.getpid()
    import psutil

    strays = [
        p for p in psutil.Process(mine).children(recursive=True) if "coursekit.grading.audit" in " ".join(p.cmdline())
    ]
    assert strays == []
