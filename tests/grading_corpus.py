"""A corpus of submissions: cheats, crashes and honest variants, of a small assignment.

The assignment is coursekit.grading.synthetic's 99_mini: three exercises of 00_backprop
(dense_forward, softmax, softmax_cross_entropy, 2 points each) and nothing slow.
Each variant is a function that turns the solution notebook (a dict) into that student's
submission; "stub" means an exercise is left as released (NotImplementedError).
"""

import copy
import inspect
import json

from coursekit.grading.synthetic import ASSIGNMENT, MAX_SCORE, SOURCE  # noqa: F401  (re-exported)

STUB = "    raise NotImplementedError()\n"

SOLUTION_IDS = ["dense_forward", "softmax", "softmax_cross_entropy"]


def _cells(nb):
    return {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in nb["cells"]}


def _set(nb, grade_id, source):
    _cells(nb)[grade_id]["source"] = source


def _stub_all(nb, release):
    for gid in SOLUTION_IDS:
        _set(nb, gid, _cells(release)[gid]["source"])


def _only(nb, release, grade_id, source):
    """Every exercise left blank but ``grade_id``, which gets ``source``."""
    _stub_all(nb, release)
    _set(nb, grade_id, source)


def _prepend(nb, grade_id, code):
    cell = _cells(nb)[grade_id]
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    cell["source"] = code + "\n" + src


# ----- cheats ---------------------------------------------------------------------------


def patch_np_testing(nb, release):
    _stub_all(nb, release)
    _prepend(nb, "dense_forward", "np.testing.assert_allclose = lambda *a, **k: None")


def always_equal(nb, release):
    _set(
        nb,
        "dense_forward",
        (
            "class AlwaysEqual(np.ndarray):\n"
            "    def __eq__(self, other):\n"
            "        return True\n\n"
            "def dense_forward(x, w, b):\n"
            "    return np.zeros((x.shape[0], w.shape[1])).view(AlwaysEqual), (x, w, b)\n"
        ),
    )


def blank_later_cells(nb, release):
    _stub_all(nb, release)
    _prepend(nb, "dense_forward", "get_ipython().input_transformers_cleanup.append(lambda lines: [])")


def ast_transformer(nb, release):
    _stub_all(nb, release)
    _prepend(
        nb,
        "dense_forward",
        (
            "import ast\n"
            "class DropChecks(ast.NodeTransformer):\n"
            "    def visit_Expr(self, node):\n"
            "        return None if 'check' in ast.dump(node) else node\n"
            "get_ipython().ast_transformers.append(DropChecks())"
        ),
    )


def rebind_check(nb, release):
    _stub_all(nb, release)
    _prepend(nb, "dense_forward", "def check(name, *a, **k):\n    print(f'✓ {name}: all cases pass')")


def tampered_test_cells(nb, release):
    """Deletes the first test cell and blanks the others."""
    _stub_all(nb, release)
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    nb["cells"].remove(tests[0])
    for c in tests[1:]:
        c["source"] = "pass"


def calls_reference(nb, release):
    _set(nb, "softmax", "from coursekit.layers.numpy_ref import softmax\n")
    _set(
        nb,
        "dense_forward",
        (
            "import coursekit.layers.numpy_ref as ref\n\n"
            "def dense_forward(x, w, b):\n    return ref.dense_forward(x, w, b)\n"
        ),
    )


def pasted_reference(nb, release):
    from coursekit.layers import numpy_ref

    source = inspect.getsource(numpy_ref.softmax_cross_entropy)
    source = source.replace('    v.float_array("logits", logits, backend="numpy", ndim=2)\n', "")
    source = source.replace('    v.integer_labels("y", y, n, c)\n', "")
    _set(nb, "softmax_cross_entropy", source)


def infinite_loop(nb, release):
    _prepend(nb, "softmax", "while True:\n    pass")


def sys_exit(nb, release):
    _prepend(nb, "softmax", "import sys\nsys.exit('bye')")


def os_exit(nb, release):
    _prepend(nb, "softmax", "import os\nos._exit(0)")


def memory_hog(nb, release):
    _prepend(nb, "softmax", "hog = [np.ones(25 * 10**6) for _ in range(1000)]  # 200 MB at a time")


# ----- honest variants ------------------------------------------------------------------


def solution(nb, release):
    pass


def float32_arithmetic(nb, release):
    _set(
        nb,
        "dense_forward",
        (
            "def dense_forward(x, w, b):\n"
            "    f = np.float32\n"
            "    out = x.astype(f) @ w.astype(f) + b.astype(f)\n"
            "    return out.astype(x.dtype), (x, w, b)\n"
        ),
    )
    _set(
        nb,
        "softmax",
        (
            "def softmax(z):\n"
            "    z32 = (z - z.max(axis=1, keepdims=True)).astype(np.float32)\n"
            "    e = np.exp(z32)\n"
            "    return (e / e.sum(axis=1, keepdims=True)).astype(z.dtype)\n"
        ),
    )


def other_formulas(nb, release):
    _set(
        nb,
        "dense_forward",
        "def dense_forward(x, w, b):\n    return np.einsum('nd,dm->nm', x, w) + b, {'x': x, 'w': w}\n",
    )
    _set(
        nb,
        "softmax",
        (
            "def softmax(z):\n"
            "    m = z.max(axis=1, keepdims=True)\n"
            "    return np.exp(z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True)))\n"
        ),
    )


def prints_and_warnings(nb, release):
    for gid in SOLUTION_IDS:
        cell = _cells(nb)[gid]
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = "import warnings\n" + src.replace(
            "### BEGIN SOLUTION", "### BEGIN SOLUTION\n    print('debug: called')\n    warnings.warn('is this right?')"
        )


CHEATS = [
    patch_np_testing,
    always_equal,
    blank_later_cells,
    ast_transformer,
    rebind_check,
    tampered_test_cells,
    calls_reference,
    pasted_reference,
]
CRASHES = [infinite_loop, sys_exit, os_exit, memory_hog]
HONEST = [solution, float32_arithmetic, other_formulas, prints_and_warnings]


def make(variant, solution_nb, release_nb):
    """The released notebook with the solution's answers, then changed by ``variant``."""
    nb = copy.deepcopy(release_nb)
    answers = _cells(solution_nb)
    for gid in SOLUTION_IDS:
        _set(nb, gid, answers[gid]["source"])
    variant(nb, release_nb)
    return json.dumps(nb, indent=1)
