"""Submissions that attack the grader itself, by class of attack (the grading-sandbox issue).

Each attack really tries: it reads and writes the real paths of the course being graded, of
the grading user's home and of the Python installation (the test passes them in ``ctx``),
starts processes that try to outlive grading, and allocates real memory. The test then checks
the files by hash and the processes by PID, not by what the attack reports.

ctx keys: root (the course), home (the grading user's HOME during the test), victim (another
student's id), marker (a string every process an attack starts carries in its command line),
targets (files an attack tries to overwrite), site (a site-packages folder), package
(coursekit's folder), table (a lookup table of reference outputs on predictable cases).
"""

from grading_corpus import _only, _set, _stub_all
from guard_escapes import (
    bombed_reply,
    builtin_equivalents,
    children_compute_builtin,
    forged_audit_result,
    guard_switched_off,
    helper_implementation,
    private_aten_spellings,
    spy_on_cases,
    thread_started_early,
    torch_operator,
)

ALL_STUB = "def {name}(*args, **kwargs):\n    raise NotImplementedError()\n"


# ----- 1. reading what the student must not see ------------------------------------------


def read_forbidden(nb, release, ctx):
    """Gets softmax right only if it can read a solution, a classmate or the gradebook."""
    _only(
        nb,
        release,
        "softmax",
        f"""
import glob, json, sqlite3
ROOT = {str(ctx["root"])!r}
def _leaked():
    for path in (glob.glob(ROOT + "/solutions/*/*.ipynb") + glob.glob(ROOT + "/submitted/*/*/*.ipynb")
                 + glob.glob(ROOT + "/autograded/*/*/*.ipynb") + [ROOT + "/nbgrader_config.py",
                 ROOT + "/.coursekit/secret"]):
        try:
            open(path, "rb").read(1)
            return True
        except OSError:
            pass
    try:
        sqlite3.connect("file:" + ROOT + "/gradebook.db?mode=ro", uri=True).execute(
            "select source from grade_cells").fetchall()
        return True
    except Exception:
        return False
if _leaked():
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
else:
    def softmax(z):
        raise NotImplementedError()
""",
    )


# ----- 2. writing where the student must not write ----------------------------------------


def write_everywhere(nb, release, ctx):
    """Tries to overwrite the course's files, plant startup code and a .pth, patch coursekit."""
    _stub_all(nb, release)
    _set(
        nb,
        "dense_forward",
        f"""
import os, pathlib
for path in {[str(p) for p in ctx["targets"]]!r}:
    try:
        pathlib.Path(path).write_text("owned")
    except OSError:
        pass
for folder, name, text in [
        ({str(ctx["home"] / ".ipython/profile_default/startup")!r}, "00-owned.py", "raise SystemExit"),
        ({str(ctx["site"])!r}, "owned.pth", "import os"),
        ({str(ctx["package"] / "grading" / "__pycache__")!r}, "compare.cpython-311.pyc", "x"),
        ({str(ctx["package"])!r}, "owned.py", "x = 1")]:
    try:
        os.makedirs(folder, exist_ok=True)
        pathlib.Path(folder, name).write_text(text)
    except OSError:
        pass
def dense_forward(x, w, b):
    raise NotImplementedError()
""",
    )


# ----- 3. predictable hidden cases and escapes from the call guard -------------------------
# (the escapes that reach a forbidden built-in are in guard_escapes.py)


def lookup_table(nb, release, ctx):
    """Answers softmax from a table of reference outputs on every case coursekit's public
    seeds give (visible and the old, computable hidden ones)."""
    _only(
        nb,
        release,
        "softmax",
        f"""
import hashlib
TABLE = {ctx["table"]!r}
def softmax(z):
    key = hashlib.sha256(np.ascontiguousarray(z).tobytes()).hexdigest()
    if key in TABLE:
        return np.array(TABLE[key][0]).reshape(TABLE[key][1])
    raise NotImplementedError()
""",
    )


def reference_renamed(nb, release, ctx):
    """Executes the reference's source file under another module name."""
    _only(
        nb,
        release,
        "softmax",
        """
import os, types, coursekit
_path = os.path.join(os.path.dirname(coursekit.__file__), "layers", "numpy_ref.py")
_mod = types.ModuleType("my_helpers")
try:
    exec(compile(open(_path).read(), "my_helpers.py", "exec"), _mod.__dict__)
    softmax = _mod.softmax
except OSError:
    def softmax(z):
        raise NotImplementedError()
""",
    )


def reference_in_thread(nb, release, ctx):
    """Calls the reference from a thread, which a per-thread profiler would not see."""
    _only(
        nb,
        release,
        "softmax",
        """
import threading
from coursekit.layers import numpy_ref as _helpers
def softmax(z):
    out = {}
    thread = threading.Thread(target=lambda: out.update(p=_helpers.softmax(z)))
    thread.start()
    thread.join()
    return out["p"]
""",
    )


def reference_from_registry(nb, release, ctx):
    """Takes the pristine reference from the exercise registry."""
    _only(
        nb,
        release,
        "softmax",
        """
from coursekit.grading import exercise as _lookup
softmax = _lookup("layers.softmax").reference["softmax"]
""",
    )


# ----- 4. processes and memory outside the limits -----------------------------------------


def detached_processes(nb, release, ctx):
    """Starts detached processes meant to outlive grading; answers dense_forward honestly."""
    _set(
        nb,
        "dense_forward",
        f"""
import subprocess, sys, os
for _ in range(5):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {ctx["marker"]!r}],
                     start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", {ctx["marker"]!r}])
def dense_forward(x, w, b):
    return x @ w + b, (x, w, b)
""",
    )


def memory_in_children(nb, release, ctx):
    """Three children of 700 MB each: no single process passes a per-process limit."""
    _set(
        nb,
        "dense_forward",
        f"""
import os, sys, subprocess
code = "b = bytearray(700 * 2**20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(600)"
children = [subprocess.Popen([sys.executable, "-c", code, {ctx["marker"]!r}]) for _ in range(3)]
import time
time.sleep(20)
def dense_forward(x, w, b):
    return x @ w + b, (x, w, b)
""",
    )


# ----- 5. one notebook that would stop the audit for everyone -----------------------------


def deep_expression(nb, release, ctx):
    """An expression nested deeper than the scanner's recursion limit."""
    _stub_all(nb, release)
    _set(nb, "softmax", "x = " + "+".join(["1"] * 60000) + "\n" + ALL_STUB.format(name="softmax"))


def huge_cell(nb, release, ctx):
    """A cell of several megabytes."""
    _stub_all(nb, release)
    _set(nb, "softmax", "#" + "x" * (3 * 2**20) + "\n" + ALL_STUB.format(name="softmax"))


def torch_tensor_ops(nb, release, ctx):
    """softmax and dense_forward with plain torch tensor operations: NumPy exercises are
    answered with NumPy (torch is not in their audit's sandbox), and ``check`` says so."""
    _set(
        nb,
        "dense_forward",
        """
import torch
def dense_forward(x, w, b):
    out = torch.as_tensor(x) @ torch.as_tensor(w) + torch.as_tensor(b)
    return out.numpy(), (x, w, b)
""",
    )
    _set(
        nb,
        "softmax",
        """
import torch
def softmax(z):
    t = torch.as_tensor(z)
    e = torch.exp(t - t.max(dim=1, keepdim=True).values)
    return (e / e.sum(dim=1, keepdim=True)).numpy()
""",
    )


READING = [read_forbidden]
WRITING = [write_everywhere]
PREDICTING = [
    lookup_table,
    reference_renamed,
    reference_in_thread,
    reference_from_registry,
    torch_operator,
    helper_implementation,
    guard_switched_off,
    builtin_equivalents,
    spy_on_cases,
    thread_started_early,
    forged_audit_result,
    torch_tensor_ops,
    children_compute_builtin,
    private_aten_spellings,
]
PROCESSES = [detached_processes, memory_in_children]
AUDIT_KILLERS = [deep_expression, huge_cell, bombed_reply]
HONEST = []  # (the honest controls of this class are grading_corpus.HONEST)
ATTACKS = READING + WRITING + PREDICTING + PROCESSES + AUDIT_KILLERS

# What each earns by its own work (2 points per exercise it solves honestly).
EARNED = {
    "read_forbidden": 0,
    "write_everywhere": 0,
    "lookup_table": 0,
    "reference_renamed": 0,
    "reference_in_thread": 0,
    "reference_from_registry": 0,
    "torch_operator": 0,
    "detached_processes": 6,
    "memory_in_children": 6,
    "deep_expression": 0,
    "huge_cell": 0,
    "helper_implementation": 0,
    "guard_switched_off": 0,
    "builtin_equivalents": 0,
    "spy_on_cases": 0,
    "thread_started_early": 0,
    "forged_audit_result": 0,
    "torch_tensor_ops": 2,
    "children_compute_builtin": 4,
    "private_aten_spellings": 4,
    "bombed_reply": 6,
}
assert set(EARNED) == {a.__name__ for a in ATTACKS}


def lookup(variant_names=("layers.softmax",)):
    """The lookup table an attacker can compute with coursekit installed: reference outputs on
    every case of the public seeds (visible, and the old hidden seed)."""
    import hashlib

    import numpy as np

    from coursekit import grading

    table = {}
    for name in variant_names:
        ex = grading.exercise(name)
        for hidden in (False, True):
            for case in grading.cases(ex, hidden, seed=grading.seed_for(name, hidden)):
                z = case["logits"]
                key = hashlib.sha256(np.ascontiguousarray(z).tobytes()).hexdigest()
                out = ex.reference["softmax"](z)
                table[key] = (out.ravel().tolist(), list(out.shape))
    return table
