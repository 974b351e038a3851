"""A synthetic class, for tests and benchmarks of grading at class scale.

The assignment, ``99_mini``, holds three exercises of 00_backprop (dense_forward, softmax and
softmax_cross_entropy, 2 points each) and nothing slow, so a class grades quickly. Each
synthetic student answers each exercise with one variant: right (the solution, or another
correct formula), a typical mistake that the exercise recognises and names, or blank; a few
students crash their kernel. Every student's expected nbgrader score, audit score, status and
recognised conventions are known in advance.
"""

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.grading.outcomes import Status

ASSIGNMENT = "99_mini"
NOTEBOOK = "mini.ipynb"
POINTS = 2
EXERCISES = {
    "dense_forward": "layers.dense_forward",
    "softmax": "layers.softmax",
    "softmax_cross_entropy": "layers.softmax_cross_entropy",
}
MAX_SCORE = POINTS * len(EXERCISES)

SOURCE = """# %% [markdown]
# # A small assignment for testing the grader

# %% locked="setup"
import numpy as np
from coursekit.grading import check

# %% solution="dense_forward"
def dense_forward(x, w, b):
    ### BEGIN SOLUTION
    out = x @ w + b
    ### END SOLUTION
    return out, (x, w, b)

# %% tests="test_dense_forward" points=2
check("layers.dense_forward", dense_forward)
### BEGIN HIDDEN TESTS
check("layers.dense_forward", dense_forward, hidden=True)
### END HIDDEN TESTS

# %% solution="softmax"
def softmax(z):
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION

# %% tests="test_softmax" points=2
check("layers.softmax", softmax)
### BEGIN HIDDEN TESTS
check("layers.softmax", softmax, hidden=True)
### END HIDDEN TESTS

# %% solution="softmax_cross_entropy"
def softmax_cross_entropy(logits, y):
    ### BEGIN SOLUTION
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    return -log_probs[np.arange(n), y].mean(), dlogits / n
    ### END SOLUTION

# %% tests="test_softmax_cross_entropy" points=2
check("layers.softmax_cross_entropy", softmax_cross_entropy)
### BEGIN HIDDEN TESTS
check("layers.softmax_cross_entropy", softmax_cross_entropy, hidden=True)
### END HIDDEN TESTS

# %%
print("a demo cell that is not graded")
"""

_CE_BODY = """    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
"""

# exercise -> variant -> (source, right?, the convention the grader names, or None)
VARIANTS: dict[str, dict[str, tuple[str, bool, str | None]]] = {
    "dense_forward": {
        "right": ("def dense_forward(x, w, b):\n    return x @ w + b, (x, w, b)\n", True, None),
        "einsum": ("def dense_forward(x, w, b):\n    return np.einsum('nd,dm->nm', x, w) + b, (x, w)\n", True, None),
        "no_bias": ("def dense_forward(x, w, b):\n    return x @ w, (x, w, b)\n", False, None),
    },
    "softmax": {
        "right": (
            "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
            "    return e / e.sum(axis=1, keepdims=True)\n",
            True,
            None,
        ),
        "no_max": (
            "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=1, keepdims=True)\n",
            False,
            "softmax without subtracting the row maximum",
        ),
        "columns": (
            "def softmax(z):\n    e = np.exp(z - z.max(axis=0, keepdims=True))\n"
            "    return e / e.sum(axis=0, keepdims=True)\n",
            False,
            "a column-wise softmax",
        ),
    },
    "softmax_cross_entropy": {
        "right": (
            "def softmax_cross_entropy(logits, y):\n"
            + _CE_BODY
            + "    return -log_probs[np.arange(n), y].mean(), dlogits / n\n",
            True,
            None,
        ),
        "summed": (
            "def softmax_cross_entropy(logits, y):\n"
            + _CE_BODY
            + "    return -log_probs[np.arange(n), y].sum(), dlogits\n",
            False,
            "a loss summed over the batch",
        ),
        "unscaled": (
            "def softmax_cross_entropy(logits, y):\n"
            + _CE_BODY
            + "    return -log_probs[np.arange(n), y].mean(), dlogits\n",
            False,
            "a gradient not divided by N",
        ),
    },
}
BLANK = "blank"
CRASH = "import os\nos._exit(1)\n"


@dataclass
class Expected:
    """What grading one synthetic student must give."""

    score: float  # nbgrader's
    audit_score: float
    status: str
    answers: dict = field(default_factory=dict)  # exercise -> variant
    conventions: dict = field(default_factory=dict)  # registered exercise -> convention named

    @property
    def final_score(self) -> float:
        return min(self.score, self.audit_score)


def finished_notebook(source_root: str | Path, assignment_id: str) -> dict[str, Any]:
    """The released notebook of an assignment with every answer cell filled in from the
    solution, as a student who solved everything hands it in (a dict)."""
    from coursekit import course

    name = course.notebook_name(assignment_id)
    release = json.loads((Path(source_root) / "notebooks" / assignment_id / name).read_text())
    solution = json.loads((Path(source_root) / "solutions" / assignment_id / name).read_text())
    answers = {c["id"]: c["source"] for c in solution["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in release["cells"]:
        if cell["id"] in answers:
            cell["source"] = answers[cell["id"]]
    return release


def make_course(source_root: str | Path, target: str | Path) -> Path:
    """A copy of the course at ``target`` with the 99_mini assignment built and released."""
    from coursekit import course

    root = course.copy_course(source_root, target)
    (root / "solutions" / f"{ASSIGNMENT}.py").write_text(SOURCE)
    course.build(root, ASSIGNMENT)
    course.generate(root, ASSIGNMENT)
    return root


def _notebook(release, answers, crash):
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers and answers[grade_id] != BLANK:
            cell["source"] = VARIANTS[grade_id][answers[grade_id]][0]
        if crash and grade_id == "softmax":
            cell["source"] = CRASH + "".join(cell["source"])
    return nb


def make_class(
    root: str | Path, n: int, *, seed: int = 0, crash_rate: float = 0.05, blank_rate: float = 0.1
) -> dict[str, Expected]:
    """Write ``n`` submissions of 99_mini into ``root``/submitted; returns {student: Expected}."""
    rng = np.random.default_rng(seed)
    release = json.loads((Path(root) / "notebooks" / ASSIGNMENT / NOTEBOOK).read_text())
    expected = {}
    for i in range(n):
        student = f"student{i:04d}"
        answers, score, conventions = {}, 0.0, {}
        for exercise, variants in VARIANTS.items():
            if rng.random() < blank_rate:
                answers[exercise] = BLANK
                continue
            name = str(rng.choice(sorted(variants)))
            answers[exercise] = name
            _, right, convention = variants[name]
            score += POINTS if right else 0
            if convention:
                conventions[EXERCISES[exercise]] = convention
        crash = bool(rng.random() < crash_rate)
        folder = Path(root) / "submitted" / student / ASSIGNMENT
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text(json.dumps(_notebook(release, answers, crash)))
        # The audit runs the cells too, with os._exit disabled: the crashing cell stops before
        # it defines softmax, so only softmax's points are lost there.
        lost = POINTS if crash and VARIANTS["softmax"].get(answers["softmax"], ("", False))[1] else 0
        if crash:
            conventions.pop(EXERCISES["softmax"], None)
        expected[student] = Expected(
            0.0 if crash else score, score - lost, Status.CRASHED if crash else Status.OK, answers, conventions
        )
    return expected


def write_submission(root: str | Path, student: str, answers: Mapping[str, str], *, crash: bool = False) -> Path:
    """Hand in 99_mini for ``student`` with ``answers`` ({exercise: variant or BLANK}, every
    exercise of :data:`VARIANTS`); returns the notebook's path."""
    release = json.loads((Path(root) / "notebooks" / ASSIGNMENT / NOTEBOOK).read_text())
    folder = Path(root) / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NOTEBOOK
    path.write_text(json.dumps(_notebook(release, answers, crash)))
    return path
