"""The exercises' student side (``coursekit/<topic>/cases*.py``) imports nothing that could
answer for the student: the rule is checked on every student-side module's source with
``ast`` (no sandbox needed), and the checker is shown to catch what it must."""

import importlib
from pathlib import Path

import pytest

from coursekit.grading import case_side
from coursekit.grading.audit import allowlist
from coursekit.grading.exercises import EXERCISE_MODULES, registered

PACKAGE = Path(__file__).resolve().parents[1] / "coursekit"


def _path(module):
    return PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")


def _topic_rules(topic):
    """(answers_use, packages) of the topic's registered exercises."""
    exercises = [ex for name, ex in registered().items() if name.split(".", 1)[0] == topic]
    return (
        tuple(sorted({m for ex in exercises for m in ex.answers_use})),
        tuple(sorted({p for ex in exercises for p in ex.packages})),
    )


def test_every_cases_file_is_a_listed_student_side_module():
    on_disk = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in PACKAGE.glob("*/cases*.py")}
    assert on_disk == set(allowlist.student_side_modules())
    assert set(case_side.CASE_MODULES) == set(EXERCISE_MODULES)


@pytest.mark.parametrize("module", allowlist.student_side_modules())
def test_a_student_side_module_imports_only_what_it_may(module):
    answers_use, packages = _topic_rules(module.split(".")[1])
    source = _path(module).read_text()
    assert allowlist.student_side_violations(source, answers_use=answers_use, packages=packages) == []


def test_every_exercise_is_declared_by_a_student_side_module():
    declared = set()
    for module in allowlist.student_side_modules():
        for name, cases in getattr(importlib.import_module(module), "CASES", {}).items():
            ex = registered()[name]
            assert (ex.make_case, ex.run) == (cases.make_case, cases.run), name
            assert case_side.cases_module(ex) == module
            declared.add(name)
    # (other tests register copies of exercises, "topic.function.float32", and exercises of
    # made-up topics: the course's own are "topic.function" of a listed topic)
    course = {n for n in registered() if n.count(".") == 1 and n.split(".")[0] in case_side.CASE_MODULES}
    assert declared == course


@pytest.mark.parametrize(
    "line, forbidden",
    [
        ("from coursekit.layers import numpy_ref as ref", "coursekit.layers"),
        ("import coursekit.activations.torch_ref", "coursekit.activations.torch_ref"),
        ("from coursekit.training import defaults", "coursekit.training"),
        ("from coursekit.experiments import layers", "coursekit.experiments"),
        ("from coursekit.plots import training", "coursekit.plots"),
        ("from coursekit.layers.exercises import _naive_softmax", "coursekit.layers.exercises"),
        ("from coursekit.grading import unpack", "coursekit.grading"),
        ("from coursekit.grading.exercises import Exercise", "coursekit.grading.exercises"),
        ("import torch", "torch"),
        ("from scipy.special import erf", "scipy.special"),
        ("from . import numpy_ref", "."),
        ("from coursekit.tuning import numpy_ref, samplers", "coursekit.tuning"),
    ],
)
def test_the_rule_catches_a_forbidden_import(line, forbidden):
    source = f"import math\n\nimport numpy as np\n\n\ndef run(fns, case):\n    {line}\n    return {{}}\n"
    assert allowlist.student_side_violations(source) == [f"line 7: imports {forbidden}"]


def test_the_rule_allows_the_student_side_and_what_the_topic_lists():
    source = (
        "import copy\nimport numpy as np\nimport torch\nfrom scipy import special\n"
        "from coursekit._validate import real\nfrom coursekit.grading.case_side import Cases\n"
        "from coursekit.grading.exercise_tools import Float32Cases\nfrom coursekit.optimizers.cases import runner\n"
        "from coursekit.optimizers.state import AdamState\n"
    )
    assert allowlist.student_side_violations(source, answers_use=("coursekit.optimizers.state",)) == [
        "line 3: imports torch",
        "line 4: imports scipy",
    ]
    assert allowlist.student_side_violations(source, packages=("torch", "scipy")) == [
        "line 9: imports coursekit.optimizers.state"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import coursekit\nx = coursekit.layers.cases._run_softmax\n",
        "from coursekit.training import cases_ablation\n",
        "from coursekit.training import exercises\n",
        "import coursekit.layers.cases as c\nm = c.CASES['layers.softmax'].make_case\n",
        "from coursekit.layers.cases import CASES\n",
        "from coursekit.grading.case_side import student_side\n",
        "from coursekit import grading\nall_of_them = grading.registered()\n",
        "from coursekit import grading\nwith grading.substituted(None):\n    pass\n",
    ],
)
def test_the_scan_flags_the_registry_and_the_exercises_modules(source):
    from coursekit.grading.audit.scan import scan_source

    assert any(flag.startswith("grader-internals") for flag in scan_source(source)), scan_source(source)


def test_the_scan_leaves_an_honest_answer_alone():
    from coursekit.grading.audit.scan import scan_source

    source = (
        "import numpy as np\ndef softmax(z):\n"
        "    e = np.exp(z - z.max(1, keepdims=True))\n    return e / e.sum(1, keepdims=True)\n"
    )
    assert scan_source(source) == []


def test_the_sandbox_rebuilds_the_student_side_from_the_spec_alone():
    ex = registered()["schedules.one_cycle"]
    description = case_side.spec(ex)
    side = case_side.student_side(description)
    assert (side.make_case, side.run, side.roles, side.visible_cases, side.hidden_cases) == (
        ex.make_case,
        ex.run,
        ex.roles,
        ex.visible_cases,
        ex.hidden_cases,
    )
    with pytest.raises(ValueError, match="not a student-side module"):
        case_side.student_side({**description, "cases": "coursekit.schedules.exercises"})
