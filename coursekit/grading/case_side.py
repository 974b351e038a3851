"""The student side of the exercise registry: what makes and runs an exercise's cases.

Each topic's ``coursekit/<topic>/cases*.py`` holds the functions that make and run its
exercises' cases, and declares them in a module-level ``CASES``: exercise name ->
:class:`Cases`. Those modules are safe to run beside student code: they import no reference
(see :func:`coursekit.grading.audit.allowlist.student_side_violations`, checked by
``tests/test_student_side.py``). The parent side, each topic's ``exercises*.py``, builds the
:class:`coursekit.grading.exercises.Exercise` (references, conventions, tolerances) around them.

The audit's sandbox never imports a parent-side module: the grading process sends it each
exercise's :func:`spec` (plain JSON), and :func:`student_side` rebuilds from it, and from the
``CASES`` of the cases module it names, the :class:`StudentSide` record the sandbox needs.
"""

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# Every topic's student-side modules (``coursekit/<topic>/<name>.py``). Those with a ``CASES``
# declare exercises; the others hold helpers they share. The audit's sandbox keeps them all.
CASE_MODULES = {
    "activations": ("cases",),
    "batchnorm": ("cases",),
    "beyond": ("cases_activations", "cases_adamw", "cases_layernorm", "cases_max_norm"),
    "gradcheck": ("cases",),
    "init": ("cases",),
    "layers": ("cases",),
    "optimizers": ("cases",),
    "regularization": ("cases", "cases_dropout", "cases_noise", "cases_statistics"),
    "schedules": ("cases", "cases_clip"),
    "training": ("cases", "cases_ablation"),
    "tuning": ("cases", "cases_log_uniform"),
    "unstable_gradients": ("cases",),
}

DEFAULT_TOLERANCES = {"float64": (1e-5, 1e-6), "float32": (1e-4, 1e-5)}


class StudentError(Exception):
    """Raised by an exercise's ``run`` when the student's functions misbehave."""


def unpack(result: Any, n: int, what: str) -> tuple:
    """Unpack a student's returned tuple, or raise StudentError saying what was expected."""
    if not isinstance(result, tuple) or len(result) != n:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise StudentError(f"should return {what}, got {got}")
    return result


@dataclass(frozen=True)
class Cases:
    """An exercise's student side, as its cases module declares it in ``CASES``.

    Attributes:
        make_case: ``make_case(rng, hidden) -> dict`` of inputs.
        run: ``run(functions, case) -> dict`` of named outputs.
    """

    make_case: Callable
    run: Callable


@dataclass(frozen=True)
class StudentSide:
    """What the audit's sandbox knows of an exercise: enough to make its cases and run the
    student's functions on them under the call guard, nothing that computes an answer."""

    name: str
    roles: tuple
    make_case: Callable
    run: Callable
    reference_modules: tuple = ()
    visible_cases: int = 3
    hidden_cases: int = 6
    packages: tuple = ()
    torch_ops: frozenset = frozenset()
    forbidden: Callable = field(default=lambda: ())


class Declared(Protocol):
    """What :func:`spec` reads of an exercise (a :class:`coursekit.grading.Exercise`)."""

    @property
    def name(self) -> str: ...
    @property
    def roles(self) -> tuple: ...
    @property
    def make_case(self) -> Callable: ...
    @property
    def run(self) -> Callable: ...
    @property
    def reference_modules(self) -> tuple: ...
    @property
    def visible_cases(self) -> int: ...
    @property
    def hidden_cases(self) -> int: ...
    @property
    def packages(self) -> tuple: ...
    @property
    def torch_ops(self) -> frozenset: ...
    @property
    def answers_use(self) -> tuple: ...


def cases_module(ex: Declared) -> str:
    """The name of the cases module (of :data:`CASE_MODULES`) whose ``CASES`` declares
    exercise ``ex``'s ``make_case`` and ``run``; ValueError when there is none."""
    topic = ex.name.split(".", 1)[0]
    for name in CASE_MODULES.get(topic, ()):
        module = importlib.import_module(f"coursekit.{topic}.{name}")
        declared = getattr(module, "CASES", {}).get(ex.name)
        if declared is not None and declared.make_case is ex.make_case and declared.run is ex.run:
            return module.__name__
    raise ValueError(f"the make_case and run of {ex.name} are not declared in the CASES of a cases module")


def spec(ex: Declared) -> dict[str, Any]:
    """The plain (JSON) description of exercise ``ex``'s student side, for :func:`student_side`."""
    return {
        "name": ex.name,
        "cases": cases_module(ex),
        "roles": list(ex.roles),
        "reference_modules": list(ex.reference_modules),
        "visible_cases": ex.visible_cases,
        "hidden_cases": ex.hidden_cases,
        "packages": list(ex.packages),
        "torch_ops": sorted(ex.torch_ops),
        "answers_use": list(ex.answers_use),
    }


_LOADED: dict[str, StudentSide] = {}


def student_side(description: Mapping[str, Any]) -> StudentSide:
    """The :class:`StudentSide` of a :func:`spec`, its cases from the cases module it names
    (the same record on every call for one exercise)."""
    name, module = description["name"], description["cases"]
    topic, _, rest = module.removeprefix("coursekit.").partition(".")
    if not module.startswith("coursekit.") or rest not in CASE_MODULES.get(topic, ()):
        raise ValueError(f"{module} is not a student-side module (see CASE_MODULES)")
    if name not in _LOADED:
        declared = importlib.import_module(module).CASES[name]
        _LOADED[name] = StudentSide(
            name=name,
            roles=tuple(description["roles"]),
            make_case=declared.make_case,
            run=declared.run,
            reference_modules=tuple(description["reference_modules"]),
            visible_cases=description["visible_cases"],
            hidden_cases=description["hidden_cases"],
            packages=tuple(description["packages"]),
            torch_ops=frozenset(description["torch_ops"]),
        )
    return _LOADED[name]
