"""The call guard: an answer may not call the reference, or the built-in it re-implements.

While student code runs, three hooks watch it:

- a profiler on every Python thread (``sys.setprofile`` and ``threading.setprofile``, so a
  thread the answer starts is watched too) sees calls of the reference modules' functions,
  whatever name or alias reaches them, and of forbidden C functions by identity;
- a ``TorchFunctionMode`` sees torch's Python API by name, so ``Tensor.softmax``,
  ``torch.softmax`` and ``F.softmax`` all count;
- a ``TorchDispatchMode`` sees the ATen operators underneath and holds them against the
  exercise's allowlist (``Exercise.torch_ops``; empty for a NumPy exercise), so
  ``torch.ops.aten._softmax``, ``_masked_softmax``, attention or any other route to a kernel
  the exercise does not list counts, however it is spelled.

A package the exercise does not list (``Exercise.packages``: torch, SciPy, scikit-learn) is
refused as a whole: any call into it counts. The audit goes further and runs the answer where
those packages cannot be imported at all.

Student code runs in the same process, so it could try to switch the guard off. Calls that
would (``sys.setprofile``, torch's helpers that pop or disable modes) count as forbidden calls
when student code makes them, and at the end of each case the guard checks that its hooks are
all still in place; the audit's runner also takes ``sys.setprofile`` and friends away from
student code entirely. The guard is the in-notebook layer. The audit adds the stronger one:
its sandbox contains no reference code at all (see :mod:`coursekit.grading.audit`).
"""

import copy
import sys
import threading
import types
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from coursekit.grading import blame, code_origin
from coursekit.grading.exercises import OPTIONAL_PACKAGES, Exercise, StudentError, StudentSide, imported_torch
from coursekit.grading.refusals import PACKAGE_HIT, refusal

# Taken at import, before any student code runs: the audit's runner replaces the public ones.
_set_profile, _set_thread_profile, _get_profile = sys.setprofile, threading.setprofile, sys.getprofile
_TAMPERING_PYTHON = (
    "torch.utils._python_dispatch:_disable_current_modes",
    "torch.utils._python_dispatch:_pop_mode",
    "torch.utils._python_dispatch:_pop_mode_temporarily",
    "torch.overrides:_pop_mode",
    "torch.overrides:_pop_mode_temporarily",
)
_TAMPERING_BUILTINS = (
    "setprofile",
    "settrace",
    "_pop_torch_function_stack",
    "_pop_torch_dispatch_stack",
    "_unset_dispatch_mode",
)


def forbidden_torch_names(forbidden: Iterable[Callable[..., Any]]) -> set[str]:
    """Names of the torch functions among ``forbidden`` (e.g. {"softmax", "linear"})."""
    names = set()
    for f in forbidden:
        module = getattr(f, "__module__", None) or ""
        name = getattr(f, "__name__", "")
        if name and module.startswith("torch"):
            names.add(name)
    return names


def _torch_modes(torch_names, allowed_ops, hits):
    """A function mode that records forbidden torch functions by name, and a dispatch mode
    that records every ATen operator outside ``allowed_ops``; () while torch is not imported
    (a call into it would then import it, which the profiler sees)."""
    torch = imported_torch()
    if torch is None:
        return ()
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode

    api, refused = set(torch_names), set()

    class FunctionWatch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if name in api:
                hits.append(f"torch {name}")
            return func(*args, **(kwargs or {}))

    class OperatorWatch(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            namespace, _, name = func._schema.name.partition("::")
            name = name if namespace == "aten" else func._schema.name  # a custom operator: never allowed
            if name not in allowed_ops and name not in refused:
                refused.add(name)
                hits.append(f"aten.{name}")
            return func(*args, **(kwargs or {}))

    return (FunctionWatch(), OperatorWatch())


def _tampering():
    """(code objects, builtins) that switch the guard off, among the modules imported so far."""
    codes: set[types.CodeType] = set()
    builtins: list[Any] = []
    for path in _TAMPERING_PYTHON:
        module, _, name = path.partition(":")
        f = getattr(sys.modules.get(module), name, None)
        code = getattr(getattr(f, "__wrapped__", f), "__code__", None)
        if code is not None:
            codes.add(code)
    for holder in (sys, threading, getattr(imported_torch(), "_C", None)):
        builtins += [getattr(holder, n) for n in _TAMPERING_BUILTINS if holder is not None and hasattr(holder, n)]
    return codes, builtins


def _grader_codes():
    """The code of the module-level functions of the grader's own modules imported so far
    (the exercises' helpers and their cases', whose conventions can compute an answer, and grading's): no
    answer calls them. (Functions an exercise hands to an answer, such as an objective, are
    made inside its ``run`` or ``make_case``, not at module level.)"""
    codes: set[types.CodeType] = set()
    handed: set[types.CodeType | None] = set()
    for name, module in list(sys.modules.items()):
        if name.startswith("coursekit.") and (
            name.startswith("coursekit.grading") or ".exercises" in name or ".cases" in name
        ):
            for value in vars(module).values():
                if isinstance(value, types.FunctionType) and value.__code__.co_filename == getattr(
                    module, "__file__", ""
                ):
                    codes.add(value.__code__)  # (not a decorator's shared wrapper, e.g. contextlib's)
                elif isinstance(value, dict):  # a table of functions a case names ({"sigmoid": _sig})
                    handed.update(getattr(v, "__code__", None) for v in value.values())
    return codes - handed


def _from_student(frame):
    """Whether student code made this call (directly, or through ``with``: contextlib skipped)."""
    caller = frame.f_back
    while caller is not None and caller.f_code.co_filename.endswith("contextlib.py"):
        caller = caller.f_back
    return caller is not None and caller.f_globals.get("__name__") == "__main__"


class CallGuard:
    """Records calls to forbidden functions while student code runs.

    Python functions are recognised by their code object or by the module they live in (so
    ``from coursekit.layers.numpy_ref import softmax as s`` is caught too); C functions by
    identity; torch functions and operators by name (see the module docstring).
    """

    def __init__(
        self,
        forbidden: Iterable[Callable[..., Any]],
        modules: Iterable[str],
        torch_names: Iterable[str] | None = None,
        packages: Collection[str] = tuple(OPTIONAL_PACKAGES),
        torch_ops: Iterable[str] = (),
    ) -> None:
        forbidden = list(forbidden)
        self.codes = {f.__code__: f for f in forbidden if hasattr(f, "__code__")}
        self.builtins = [f for f in forbidden if not hasattr(f, "__code__")]
        self.modules = frozenset(modules)
        self.torch_names = forbidden_torch_names(forbidden) if torch_names is None else set(torch_names)
        self.refused = frozenset(m for p, tops in OPTIONAL_PACKAGES.items() if p not in packages for m in tops)
        self.allowed_ops = frozenset(torch_ops) if "torch" in packages else frozenset()
        self.hits: list[str] = []
        self._refused_seen: set[str | None] = set()
        self._modes: tuple[Any, ...] = ()
        self._tamper_codes, self._tamper_builtins = _tampering()
        self._grader_codes = _grader_codes()

    def _refused(self, module, caller):
        """Record a call into a package the exercise does not allow (once per module) from
        outside it: the package's own calls and the guard's torch modes do not count."""
        if (
            (module or "").partition(".")[0] in self.refused
            and module not in self._refused_seen
            and (caller or "").partition(".")[0] not in self.refused
            and caller != __name__
        ):
            self._refused_seen.add(module)
            self.hits.append(f"{PACKAGE_HIT}{module}")

    def hand_in(self, case: Any) -> None:
        """The functions a case hands to the answer (an activation ``f``) are the answer's to call."""
        values = list(case.values()) if isinstance(case, dict) else []
        for value in values + [v for c in values if isinstance(c, (list, tuple)) for v in c]:
            self._grader_codes.discard(getattr(value, "__code__", None))

    def _profile(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code in self.codes:
                self.hits.append(_qualname(self.codes[code]))
            elif frame.f_globals.get("__name__") in self.modules:
                self.hits.append(f"{frame.f_globals['__name__']}.{code.co_name}")
            elif code in self._tamper_codes and _from_student(frame):
                self.hits.append(f"{code.co_name} (which switches the call guard off)")
            elif code in self._grader_codes and code_origin.called_by_student(frame):
                self.hits.append(f"{frame.f_globals['__name__']}.{code.co_name} (the grader's own code)")
            elif code_origin.forged_into_coursekit(frame):
                self.hits.append(f"{frame.f_globals['__name__']}.{code.co_name} (code made at run time as coursekit's)")
            else:
                caller = frame.f_back.f_globals.get("__name__") if frame.f_back else None
                self._refused(frame.f_globals.get("__name__"), caller)
        elif event == "c_call":
            if any(arg is f for f in self.builtins):
                self.hits.append(_qualname(arg))
            elif any(arg is f for f in self._tamper_builtins) and frame.f_globals.get("__name__") == "__main__":
                self.hits.append(f"{_qualname(arg)} (which switches the call guard off)")
            else:
                self._refused(getattr(arg, "__module__", None), frame.f_globals.get("__name__"))

    def __enter__(self):
        self._previous = _get_profile()
        _set_thread_profile(self._profile)
        _set_profile(self._profile)
        self._modes = _torch_modes(self.torch_names, self.allowed_ops, self.hits)
        for mode in self._modes:
            mode.__enter__()
        return self

    def intact(self) -> bool:
        """Whether every hook of the guard is still in place."""
        if _get_profile() != self._profile:
            return False
        torch = imported_torch()
        if not self._modes or torch is None:
            return True
        from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

        functions = [torch._C._get_function_stack_at(i) for i in range(torch._C._len_torch_function_stack())]
        return self._modes[0] in functions and self._modes[1] in _get_current_dispatch_mode_stack()

    def __exit__(self, *exc):
        if not self.intact():
            self.hits.append("something that switched the call guard off")
        _set_profile(self._previous)
        _set_thread_profile(None)
        for mode in reversed(self._modes):
            try:
                mode.__exit__(None, None, None)
            except Exception:  # the student's code already popped it
                pass
        return False


def _qualname(f):
    module = getattr(f, "__module__", None) or ""
    return f"{module}.{getattr(f, '__qualname__', getattr(f, '__name__', repr(f)))}".lstrip(".")


def run_student(
    ex: Exercise | StudentSide,
    functions: Mapping[str, Callable[..., Any]],
    case: Any,
    *,
    forbidden: Iterable[Callable[..., Any]] | None = None,
    torch_names: Iterable[str] | None = None,
) -> tuple[Any, str | None]:
    """Run student functions on a case under the exercise's guard; returns (outputs, problem).

    A call to a forbidden function is reported first, even when the run then failed.
    """
    forbidden = ex.forbidden() if forbidden is None else forbidden
    guard = CallGuard(forbidden, ex.reference_modules, torch_names, ex.packages, ex.torch_ops)
    guard.hand_in(case)
    outputs, problem = None, None
    try:
        with guard:
            outputs = ex.run(functions, copy.deepcopy(case))
    except NotImplementedError as err:
        problem = f"{blame.subject(ex.roles, functions, err)} is not implemented yet (it raises NotImplementedError)"
    except StudentError as err:
        problem = f"{' / '.join(ex.roles)} {err}"
    except Exception as err:  # the student's code raised: report it, do not crash the cell
        where = blame.student_line(err)
        problem = f"{blame.subject(ex.roles, functions, err)} raised {type(err).__name__}: {err}" + (
            f" (at {where})" if where else ""
        )
    if guard.hits:
        return None, refusal(ex, guard.hits)
    return outputs, problem
