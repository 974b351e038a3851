"""Helpers that the notebooks' test cells call.

A test cell runs ``check("layers.dense_forward", dense_forward)``. The exercise named there
is looked up in ``coursekit/<topic>/exercises.py``, which registers an :class:`Exercise`:
how to make a seeded random case, how to run the functions on it, and the reference.
Visible and hidden cases come from different seeds. On a wrong answer the feedback names
the case, the shape or dtype mismatch, the largest error and where it is, and the known
alternative convention the answer matches, if any. An answer that calls the reference, or
the built-in the exercise re-implements, earns nothing and is told why.

Adding a topic only adds an ``exercises.py``; nothing here changes.
"""

import copy
import dataclasses
import importlib
import numbers
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

# Taken once at import, so that a student cell that patches numpy later cannot change the
# comparison (the notebook imports this module in its first, locked cell).
_abs, _max, _argmax, _isfinite, _asarray = np.abs, np.max, np.argmax, np.isfinite, np.array
_unravel = np.unravel_index


class GradingFailure(AssertionError):
    """A failed check. IPython shows only its message, not a traceback."""

    def _render_traceback_(self):
        return str(self).splitlines()


class StudentError(Exception):
    """Raised by an exercise's ``run`` when the student's functions misbehave."""


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
            the topic's ``numpy_ref`` and ``torch_ref``.
        tolerances: dtype name -> (rtol, atol). The float64 default (1e-5, 1e-6) accepts an
            answer that computes in float32 internally; tighten it where a convention differs
            by less.
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
    tolerances: Mapping[str, tuple] = field(
        default_factory=lambda: {"float64": (1e-5, 1e-6), "float32": (1e-4, 1e-5)}
    )


_REGISTRY = {}


def register(exercise):
    """Add an exercise to the registry (called by each topic's ``exercises.py``)."""
    if not exercise.reference_modules:
        topic = exercise.name.split(".", 1)[0]
        modules = (f"coursekit.{topic}.numpy_ref", f"coursekit.{topic}.torch_ref")
        exercise = dataclasses.replace(exercise, reference_modules=modules)
    _REGISTRY[exercise.name] = exercise
    return exercise


def exercise(name):
    """Look up a registered exercise by "topic.function", importing its topic module."""
    if name not in _REGISTRY and "." in name:
        topic = name.split(".", 1)[0]
        try:
            importlib.import_module(f"coursekit.{topic}.exercises")
        except ModuleNotFoundError:
            pass
    if name not in _REGISTRY:
        raise KeyError(f"unknown exercise {name!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def seed_for(name, hidden):
    """The seed of an exercise's visible or hidden cases (they never coincide)."""
    return zlib.crc32(f"{name}:{'hidden' if hidden else 'visible'}".encode())


def cases(ex, hidden):
    rng = np.random.default_rng(seed_for(ex.name, hidden))
    count = ex.hidden_cases if hidden else ex.visible_cases
    return [ex.make_case(rng, hidden) for _ in range(count)]


def describe(case):
    """Short text for a case: each array's shape and dtype, each scalar's value."""
    parts = []
    for key, value in case.items():
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            parts.append(f"{key}: {tuple(value.shape)} {str(value.dtype).replace('torch.', '')}")
        elif isinstance(value, (numbers.Number, str, bool)) or value is None:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


# ----- comparing one output ------------------------------------------------------------


def _as_plain_array(name, value, expected):
    """The student's value as a plain ndarray, or a message saying why it is not one."""
    if hasattr(value, "detach") and hasattr(value, "cpu") and type(value).__name__ == "Tensor":
        value = value.detach().cpu().numpy()
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if not isinstance(value, np.ndarray):
            return None, f"{name} should be a numpy.ndarray, got {type(value).__name__}"
    elif not isinstance(value, (numbers.Real, np.ndarray, np.generic)) or isinstance(value, bool):
        return None, f"{name} should be a number, got {type(value).__name__}"
    plain = _asarray(value, copy=True, subok=False)
    if plain.dtype == object:
        return None, f"{name} holds Python objects (dtype=object), not numbers"
    return plain, None


def _index(flat, shape):
    return tuple(int(i) for i in _unravel(int(flat), shape)) if shape else ()


def compare(name, got, expected, tolerances):
    """None if ``got`` matches ``expected``, else a message naming the problem."""
    expected = _asarray(expected, copy=True, subok=False)
    got, problem = _as_plain_array(name, got, expected)
    if problem:
        return problem
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if got.dtype != expected.dtype and expected.ndim > 0:
        return f"{name} has dtype {got.dtype}, expected {expected.dtype} (keep the inputs' dtype)"
    if got.size == 0:
        return None
    if not _isfinite(got).all() and _isfinite(expected).all():
        where = _index(_argmax(~_isfinite(got)), got.shape)
        return f"{name} is not finite at index {where}: got {got[where]}"
    rtol, atol = tolerances.get(str(expected.dtype), tolerances["float64"])
    err = _abs(got.astype(np.float64) - expected.astype(np.float64))
    excess = err - (atol + rtol * _abs(expected.astype(np.float64)))
    if not (excess > 0).any():
        return None
    where = _index(_argmax(excess), got.shape)
    return (
        f"{name}: largest error {float(_max(err)):.3g}; at index {where} expected "
        f"{expected[where]:.6g}, got {got[where]:.6g} (tolerance rtol={rtol:g}, atol={atol:g})"
    )


def compare_outputs(got, expected, tolerances):
    problems = [compare(k, got.get(k), v, tolerances) for k, v in expected.items()]
    return [p for p in problems if p]


# ----- calling student code ------------------------------------------------------------


class _CallGuard:
    """Records calls to forbidden functions while student code runs (via sys.setprofile).

    Python functions are recognised by their code object or by the module they live in
    (so ``from coursekit.layers.numpy_ref import softmax as s`` is caught too); C functions
    such as ``torch.softmax`` by identity.
    """

    def __init__(self, forbidden, modules):
        self.codes = {f.__code__: f for f in forbidden if hasattr(f, "__code__")}
        self.builtins = [f for f in forbidden if not hasattr(f, "__code__")]
        self.modules = frozenset(modules)
        self.hits = []

    def _profile(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code in self.codes:
                self.hits.append(_qualname(self.codes[code]))
            elif frame.f_globals.get("__name__") in self.modules:
                self.hits.append(f"{frame.f_globals['__name__']}.{code.co_name}")
        elif event == "c_call" and any(arg is f for f in self.builtins):
            self.hits.append(_qualname(arg))

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)
        return False


def _qualname(f):
    module = getattr(f, "__module__", None) or ""
    return f"{module}.{getattr(f, '__qualname__', getattr(f, '__name__', repr(f)))}".lstrip(".")


def _run_student(ex, functions, case):
    """Run student functions on a case; returns (outputs, problem).

    A call to a forbidden function is reported first, even when the run then failed.
    """
    guard = _CallGuard(ex.forbidden(), ex.reference_modules)
    outputs, problem = None, None
    try:
        with guard:
            outputs = ex.run(functions, copy.deepcopy(case))
    except NotImplementedError:
        problem = "is not implemented yet (it raises NotImplementedError)"
    except StudentError as err:
        problem = str(err)
    except Exception as err:  # the student's code raised: report it, do not crash the cell
        problem = f"raised {type(err).__name__}: {err}"
    if guard.hits:
        names = ", ".join(sorted(set(guard.hits)))
        return None, f"calls {names}; this exercise asks you to write it yourself"
    return outputs, problem


def matching_convention(ex, got, case, tolerances):
    for convention in ex.conventions:
        functions = {**ex.reference, **convention.functions}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                alt = ex.run(functions, copy.deepcopy(case))
        except Exception:
            continue
        if not compare_outputs(got, alt, tolerances):
            return convention
    return None


def check(name, *student_functions, hidden=False):
    """Grade student functions on an exercise's visible (or hidden) random cases.

    Args:
        name: registered exercise, e.g. "layers.dense_forward".
        *student_functions: the student's functions, in the exercise's ``roles`` order.
        hidden: use the hidden cases (the hidden test cells set this).

    Raises:
        GradingFailure: with feedback naming the case and what is wrong.
    """
    ex = exercise(name)
    if len(student_functions) != len(ex.roles):
        raise TypeError(f"check({name!r}, ...) takes {len(ex.roles)} function(s): {', '.join(ex.roles)}")
    functions = dict(zip(ex.roles, student_functions))
    for role, fn in functions.items():
        if not callable(fn):
            raise GradingFailure(f"{role} should be a function, got {type(fn).__name__}")
    kind = "hidden" if hidden else "visible"
    all_cases = cases(ex, hidden)
    for i, case in enumerate(all_cases, 1):
        where = f"{ex.name}, {kind} case {i} of {len(all_cases)} ({describe(case)})"
        got, problem = _run_student(ex, functions, case)
        if problem:
            raise GradingFailure(f"✗ {where}:\n  {' / '.join(ex.roles)} {problem}")
        expected = ex.run(ex.reference, copy.deepcopy(case))
        tolerances = ex.tolerances
        problems = compare_outputs(got, expected, tolerances)
        if problems:
            lines = [f"✗ {where}:"] + [f"  {p}" for p in problems]
            convention = matching_convention(ex, got, case, tolerances)
            if convention:
                lines.append(f"  Your answer matches {convention.name}. {convention.explanation}")
            raise GradingFailure("\n".join(lines))
    print(f"✓ {ex.name}: all {len(all_cases)} {kind} cases pass")


def torch_functions(*names):
    """The torch functions with these dotted names ("softmax", "nn.functional.elu"), for an
    exercise's ``forbidden``. Empty while torch is not imported: code that has not imported
    torch cannot be calling it."""
    torch = sys.modules.get("torch")
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


def unpack(result, n, what):
    """Unpack a student's returned tuple, or raise StudentError saying what was expected."""
    if not isinstance(result, tuple) or len(result) != n:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise StudentError(f"should return {what}, got {got}")
    return result
