"""Which of coursekit's modules the audit's sandbox keeps, and what those may import.

The list follows from the split of every exercise into a student side and a parent side
(:mod:`coursekit.grading.case_side`): the sandbox keeps every package's ``__init__``, the
modules of :data:`ALWAYS_KEPT`, the grading package, every student-side module
(:data:`coursekit.grading.case_side.CASE_MODULES`, which make and run the cases) and the
modules the exercises' answers may use (``Exercise.answers_use``, such as the optimizers'
state types). Every other module is served as a stub (see :mod:`coursekit.grading.audit.runner`):
the exercises' parent side (``exercises*.py``: references, conventions), the references, and
any helper that computes what an exercise asks for (training's fast kernels, experiments,
plots), so that none of it can answer for the student.

That the student side imports nothing else is the rule :func:`student_side_violations`
checks on its source (``tests/test_student_side.py``): a student-side module may import the
standard library, NumPy, :mod:`coursekit._validate`, the other student-side modules, the
student-side grading tools (:data:`STUDENT_SIDE_GRADING`), its topic's ``answers_use``
modules, and torch or SciPy only where its topic's exercises list them in ``Exercise.packages``.
"""

import ast
import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coursekit.grading import sandbox
from coursekit.grading.case_side import CASE_MODULES
from coursekit.grading.exercises import OPTIONAL_PACKAGES

# The plots' palette and descriptions compute nothing an exercise asks for; coursekit.plots'
# __init__ (kept, like every package's) applies the palette when imported.
ALWAYS_KEPT = (
    "coursekit",
    "coursekit._validate",
    "coursekit.data",
    "coursekit.headless",
    "coursekit.plots.palette",
    "coursekit.plots.describe",
    "coursekit.plots.describe_panel",
)

# The grading modules a student-side module may import: the registry's student side and the
# helpers the cases share.
STUDENT_SIDE_GRADING = ("coursekit.grading.case_side", "coursekit.grading.exercise_tools")


def student_side_modules() -> tuple[str, ...]:
    """The names of every student-side module (``coursekit.<topic>.cases*``)."""
    return tuple(f"coursekit.{topic}.{name}" for topic, names in CASE_MODULES.items() for name in names)


def module_files(package: str | Path | None = None) -> dict[str, Path]:
    """{module name: source path} of every module of the package."""
    package = Path(package or sandbox.coursekit_dir())
    found = {}
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def plan_student_side(exercises: Iterable[Any], package: str | Path | None = None) -> set[str]:
    """The student-side modules of these exercises: the cases module that declares each one,
    and the student-side modules those import (a cases module may import another). The other
    topics' cases modules are not among them: their helpers are no answer's to call."""
    from coursekit.grading.case_side import cases_module

    modules, every = module_files(package), set(student_side_modules())
    todo, found = [cases_module(ex) for ex in exercises], set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        tree = ast.parse(Path(modules[name]).read_text())
        imported = {m for _, module, names in _imported(tree) for m in [module, *(f"{module}.{n}" for n in names)]}
        todo += sorted(imported & every)
    return found


def kept(exercises: Iterable[Any], package: str | Path | None = None) -> set[str]:
    """Names of the modules the sandbox keeps for these exercises."""
    exercises = list(exercises)
    modules = module_files(package)
    references = {m for ex in exercises for m in ex.reference_modules}
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    student_side = plan_student_side(exercises, package) | {m for ex in exercises for m in ex.answers_use}
    missing = sorted(student_side - set(modules))
    if missing:
        raise ValueError(f"the student side lists modules that are not in coursekit: {missing}")
    keep = {m for m in modules if m.startswith("coursekit.grading")} | set(ALWAYS_KEPT) | packages | student_side
    return keep - references


def hidden(exercises: Iterable[Any], package: str | Path | None = None) -> list[str]:
    """Names of the modules the sandbox serves as stubs (importable here, in the parent)."""
    names = sorted(set(module_files(package)) - kept(exercises, package))
    available = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # an optional dependency missing here: the sandbox lacks it too
            continue
        available.append(name)
    return available


def _imported(tree):
    """(line, module, names) of every import in the tree (inside functions too): ``names``
    are those ``from module import names`` takes (each may be a submodule); a relative import
    gives its dots as the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, "." * node.level + (node.module or ""), tuple(a.name for a in node.names)


def _allows(name, allowed_modules, packages):
    top = name.partition(".")[0]
    if top == "numpy" or (top in sys.stdlib_module_names and top not in OPTIONAL_PACKAGES):
        return True
    if any(top in OPTIONAL_PACKAGES[p] for p in packages if p in OPTIONAL_PACKAGES):
        return True
    return name in allowed_modules


def student_side_violations(source: str, *, answers_use: Iterable[str] = (), packages: Iterable[str] = ()) -> list[str]:
    """What the student-side module with this source imports beyond what it may.

    Args:
        source: the module's source.
        answers_use: the coursekit modules its topic's answers may use (``Exercise.answers_use``).
        packages: the optional packages its topic's exercises list (``Exercise.packages``).

    Returns:
        One "line N: imports X" for each import it may not make.
    """
    allowed = {"coursekit._validate", *STUDENT_SIDE_GRADING, *student_side_modules(), *answers_use}
    found = []
    for line, module, names in _imported(ast.parse(source)):
        if _allows(module, allowed, packages):
            continue
        if names and all(_allows(f"{module}.{name}", allowed, packages) for name in names):
            continue  # (from coursekit.tuning import samplers: a submodule it may import)
        found.append(f"line {line}: imports {module}")
    return found
