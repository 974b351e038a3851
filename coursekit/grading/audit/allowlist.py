"""Which of coursekit's modules the audit's sandbox keeps.

It keeps what the exercises need to make and run their cases: the modules that define each
exercise's ``make_case`` and ``run``, the modules its answers may use (``Exercise.answers_use``,
such as the optimizers' state types), the coursekit modules those import (found in their
source, imports inside functions included), without going into the reference modules; the
grading package; and every package's ``__init__``. Every other module is served as a stub
(see :mod:`coursekit.grading.audit.runner`): the references, and any helper that computes what
an exercise asks for (training's fast kernels, experiments, plots, other topics), so that
none of it can answer for the student.
"""

import ast
import importlib
from pathlib import Path

from coursekit.grading import sandbox

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


def module_files(package=None):
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


def imports_of(path, modules):
    """The coursekit modules that the source at ``path`` imports (anywhere in it)."""
    found = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules}


def _defining_modules(ex):
    """The modules the runner imports for an exercise: its topic's ``exercises`` (which
    registers it), where its cases are made and run, and what its answers may use."""
    functions = [ex.run, getattr(ex.make_case, "build", ex.make_case)]
    found = {getattr(f, "__module__", None) for f in functions} - {None}
    return found | {f"coursekit.{ex.name.split('.', 1)[0]}.exercises"} | set(ex.answers_use)


def kept(exercises, package=None):
    """Names of the modules the sandbox keeps for these exercises."""
    modules = module_files(package)
    references = {m for ex in exercises for m in ex.reference_modules}
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    keep = {m for m in modules if m.startswith("coursekit.grading")} | set(ALWAYS_KEPT) | packages
    todo = [m for ex in exercises for m in _defining_modules(ex) if m in modules]
    while todo:
        name = todo.pop()
        if name in keep or name in references:
            continue
        keep.add(name)
        todo += sorted(imports_of(modules[name], modules) - keep - references)
    return keep - references


def hidden(exercises, package=None):
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
