"""The exercise registry: what an exercise is, its seeded cases, and where they come from.

Each topic's ``coursekit/<topic>/exercises*.py`` (listed in :data:`EXERCISE_MODULES`, from
which :func:`exercise` loads them) registers :class:`Exercise` objects; the functions that
make and run their cases live apart, in the topic's ``cases*.py`` (:mod:`.case_side`). Visible
cases come from a public seed (a student's ``check`` and the grader draw the same ones).
Hidden cases come from a secret: the key the grader passes to the kernel it grades in
(``COURSEKIT_HIDDEN_KEY``, derived from the course secret, see :mod:`coursekit.grading.secret`),
or, where there is no key (a student's own machine), fresh random draws on every run, so
that no table of hidden cases can be computed in advance.
"""

import contextlib
import dataclasses
import hashlib
import hmac
import importlib
import os
import secrets
import sys
import types
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coursekit.grading.case_side import (  # noqa: F401  (re-exported)
    DEFAULT_TOLERANCES,
    StudentError,
    StudentSide,
    unpack,
)

HIDDEN_KEY_ENV = "COURSEKIT_HIDDEN_KEY"


@dataclass(frozen=True)
class Convention:
    """A known alternative convention: its name, why it differs, and an implementation."""

    name: str
    explanation: str
    functions: Mapping[str, Callable]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    Attributes:
        name: "topic.function", e.g. "layers.dense_forward".
        roles: names of the student functions ``check`` takes, in order.
        make_case: ``make_case(rng, hidden) -> dict`` of inputs.
        run: ``run(functions, case) -> dict`` of named outputs; ``functions`` maps roles
            to callables.
        reference: role -> reference implementation.
        conventions: known alternatives, named in the feedback when an answer matches one.
        forbidden: zero-argument callable returning the functions an answer may not call.
        reference_modules: modules none of whose functions an answer may call; by default
            the topic's ``numpy_ref`` and ``torch_ref``. The audit's sandbox hides them.
        tolerances: dtype name -> (rtol, atol). The float64 default (1e-5, 1e-6) accepts an
            answer that computes in float32 internally; tighten it where a convention differs
            by less.
        checked_first: output -> (role, exercise) for an output of an earlier function (the
            forward pass a backward exercise runs): when it is wrong, the feedback says to fix
            that function first, instead of listing the errors that follow from it.
        answers_use: coursekit modules an answer may use besides numpy (types such as the
            optimizers' states); the audit's sandbox keeps them.
        packages: the third-party packages an answer may use besides NumPy, from
            :data:`OPTIONAL_PACKAGES` (e.g. ``("torch",)``). The others are refused: ``check``
            counts any call into them as a forbidden call, and the audit runs the answer where
            they cannot be imported at all (see :mod:`coursekit.grading.audit.sandboxed`).
        torch_ops: with "torch" in ``packages``, the ATen operators the answer (and the
            exercise's own ``run``) may reach; any other operator is a forbidden call, however
            it is spelled (an allowlist, not a list of names to refuse).
    """

    name: str
    roles: tuple
    make_case: Callable
    run: Callable
    reference: Mapping[str, Callable]
    conventions: tuple = ()
    forbidden: Callable = lambda: ()
    reference_modules: tuple = ()
    visible_cases: int = 3
    hidden_cases: int = 6
    tolerances: Mapping[str, tuple] = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))
    checked_first: Mapping[str, tuple] = field(default_factory=dict)
    answers_use: tuple = ()
    packages: tuple = ()
    torch_ops: frozenset = frozenset()


# Packages an answer may use only where its exercise lists them (Exercise.packages), with the
# top-level modules each brings.
OPTIONAL_PACKAGES = {"torch": ("torch", "functorch", "torchgen"), "scipy": ("scipy",), "sklearn": ("sklearn",)}


# Where the exercises are registered: topic -> its parent-side modules, loaded in this order by
# :func:`exercise` the first time one of the topic's exercises is asked for.
EXERCISE_MODULES = {
    "activations": ("exercises",),
    "batchnorm": ("exercises",),
    "beyond": ("exercises_activations", "exercises_adamw", "exercises_layernorm", "exercises_max_norm"),
    "gradcheck": ("exercises",),
    "init": ("exercises",),
    "layers": ("exercises",),
    "optimizers": ("exercises",),
    "regularization": ("exercises", "exercises_dropout", "exercises_noise"),
    "schedules": ("exercises", "exercises_clip"),
    "training": ("exercises", "exercises_ablation"),
    "tuning": ("exercises", "exercises_log_uniform"),
    "unstable_gradients": ("exercises",),
}

_REGISTRY: dict[str, Exercise] = {}
_LOADED_TOPICS: set[str] = set()


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (called by the modules of :data:`EXERCISE_MODULES`)."""
    unknown = set(exercise.packages) - set(OPTIONAL_PACKAGES)
    if unknown:
        raise ValueError(f"packages: {sorted(unknown)} of {exercise.name} are not among {sorted(OPTIONAL_PACKAGES)}")
    if not exercise.reference_modules:
        topic = exercise.name.split(".", 1)[0]
        modules = (f"coursekit.{topic}.numpy_ref", f"coursekit.{topic}.torch_ref")
        exercise = dataclasses.replace(exercise, reference_modules=modules)
    _REGISTRY[exercise.name] = exercise
    return exercise


def load_topic(topic: str) -> None:
    """Import the modules that register ``topic``'s exercises (an import error surfaces)."""
    if topic in _LOADED_TOPICS:
        return
    for module in EXERCISE_MODULES[topic]:
        importlib.import_module(f"coursekit.{topic}.{module}")
    _LOADED_TOPICS.add(topic)


def exercise(name: str) -> Exercise:
    """Look up a registered exercise by "topic.function", loading its topic's modules."""
    topic = name.split(".", 1)[0]
    if name not in _REGISTRY and topic in EXERCISE_MODULES:
        load_topic(topic)
    if name not in _REGISTRY:
        if topic in EXERCISE_MODULES:
            known = sorted(n for n in _REGISTRY if n.startswith(topic + "."))
            raise KeyError(f"unknown exercise {name!r}; {topic}'s exercises are {known}")
        raise KeyError(
            f"unknown exercise {name!r}: no topic {topic!r} among {sorted(EXERCISE_MODULES)}"
            f" (registered besides: {sorted(n for n in _REGISTRY if n.split('.', 1)[0] not in EXERCISE_MODULES)})"
        )
    return _REGISTRY[name]


def registered() -> Mapping[str, Exercise]:
    """A read-only view of every exercise, name -> :class:`Exercise` (each topic loaded)."""
    for topic in EXERCISE_MODULES:
        load_topic(topic)
    return types.MappingProxyType(_REGISTRY)


@contextlib.contextmanager
def substituted(replacement: Exercise) -> Iterator[Exercise]:
    """Register ``replacement`` in place of the exercise of its name while the block runs
    (for tests: the same exercise with another tolerance or no forbidden list)."""
    exercise(replacement.name)
    saved = _REGISTRY[replacement.name]
    _REGISTRY[replacement.name] = replacement
    try:
        yield replacement
    finally:
        _REGISTRY[replacement.name] = saved


def seed_for(name: str, hidden: bool = False) -> int:
    """The public seed of an exercise's visible cases (hidden=False).

    For hidden cases use :func:`hidden_seed`; ``seed_for(name, True)`` is kept only as the
    seed a student without the grader's key could compute, which the grader never uses.
    """
    return zlib.crc32(f"{name}:{'hidden' if hidden else 'visible'}".encode())


def keyed_seed(key: object, *parts: object) -> int:
    """A 63-bit seed from a secret key and labels (HMAC-SHA256)."""
    digest = hmac.new(str(key).encode(), ":".join(map(str, parts)).encode(), hashlib.sha256)
    return int.from_bytes(digest.digest()[:8], "big") >> 1


def hidden_seed(name: str) -> int:
    """The seed of an exercise's hidden cases: from the grader's key, else fresh each call."""
    key = os.environ.get(HIDDEN_KEY_ENV)
    return keyed_seed(key, name, "hidden") if key else secrets.randbits(63)


def cases(ex: Exercise | StudentSide, hidden: bool, seed: int | None = None) -> list[dict[str, Any]]:
    """The exercise's visible or hidden cases; ``seed`` overrides where they come from."""
    if seed is None:
        seed = hidden_seed(ex.name) if hidden else seed_for(ex.name)
    rng = np.random.default_rng(seed)
    count = ex.hidden_cases if hidden else ex.visible_cases
    return [ex.make_case(rng, hidden) for _ in range(count)]


def imported_torch() -> Any:
    """torch, if it has been imported, and is torch (not the audit's stand-in for a package
    that is not there, which has no file)."""
    torch = sys.modules.get("torch")
    return torch if getattr(torch, "__file__", None) else None


def torch_functions(*names: str) -> list[Callable]:
    """The torch functions with these dotted names ("softmax", "nn.functional.elu"), for an
    exercise's ``forbidden``. Empty while torch is not imported: code that has not imported
    torch cannot be calling it."""
    torch = imported_torch()
    if torch is None:
        return []
    found = []
    for name in names:
        obj = torch
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            found.append(obj)
    return found


def scipy_functions(*names: str) -> list[Callable]:
    """The SciPy functions with these dotted names ("special.softmax"), for an exercise's
    ``forbidden``; empty where SciPy is not installed."""
    return functions_at(*(f"scipy.{name}" for name in names))


def functions_at(*paths: str) -> list[Callable]:
    """The functions at these full dotted paths ("sklearn.utils.extmath.softmax"), for an
    exercise's ``forbidden``; a path whose package is not installed gives nothing."""
    import importlib

    found = []
    for path in paths:
        module_name, _, attr = path.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module_name), attr, None)
        except ImportError:
            obj = None
        if obj is not None:
            found.append(obj)
    return found
