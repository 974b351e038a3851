"""What the audit's runner serves in place of what the answer may not reach.

- :class:`StubModules`: the hidden reference modules (and any helper that computes what an
  exercise asks for), as stubs: their constants, and functions and classes that raise.
- :class:`Unavailable`: the packages the notebook's exercises do not list (torch, SciPy,
  scikit-learn; see ``Exercise.packages``). Their files are not in the sandbox at all; the
  stand-in only lets a setup cell's ``import torch`` pass, and raises when anything of it is
  used, saying what the exercise is answered with.
"""

import functools
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn


class Blocked(Exception):
    pass


def stub(qualified: str) -> Callable[..., NoReturn]:
    def blocked(*args: Any, **kwargs: Any) -> NoReturn:
        raise Blocked(f"{qualified} is not available to the answer being audited")

    blocked.__name__ = qualified.rsplit(".", 1)[-1]
    return blocked


def stub_class(qualified: str) -> type:
    def blocked(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise Blocked(f"{qualified} is not available to the answer being audited")

    return type(qualified.rsplit(".", 1)[-1], (), {"__init__": blocked, "__module__": "stub"})


def rebuild(description: dict[str, Any]) -> Any:
    """A stand-in from :func:`coursekit.grading.audit.sandboxed.describe`'s description."""
    if "const" in description:
        return description["const"]
    if "class" in description:
        return stub_class(description["class"])
    if "dict" in description:
        return {k: rebuild(v) for k, v in description["dict"].items()}
    if "seq" in description:
        items = [rebuild(v) for v in description["seq"]]
        return tuple(items) if description["tuple"] else items
    return stub(description["function"])


class StubModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the hidden reference modules as stubs: their constants, and functions and
    classes that raise when used."""

    def __init__(self, hidden: dict[str, dict[str, Any]]) -> None:
        self.hidden = hidden  # {module name: {attribute: description}}

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name in self.hidden:
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        attributes = self.hidden[module.__name__]
        for attr, description in attributes.items():
            setattr(module, attr, rebuild(description))
        module.__all__ = [a for a in attributes if not a.startswith("_")]  # type: ignore[attr-defined]


def take_away_the_switches() -> None:
    """Student code gets no ``sys.setprofile`` to replace the call guard's profiler with (the
    guard keeps its own references, taken when it was imported). Other routes (a C profiler,
    ctypes) would leave the guard's hook replaced, which it checks after every case, and the
    scan flags the imports they need; blocking those modules outright broke honest code
    (torch imports cProfile, threadpoolctl ctypes)."""
    import threading

    for module in (sys, threading):  # get*: the guard's hook, and through it its record of hits
        for name in ("setprofile", "settrace", "getprofile", "gettrace"):
            if hasattr(module, name):
                setattr(module, name, stub(f"{module.__name__}.{name}"))


class _Missing(type):
    """A name of an unavailable package: any attribute is another, any call raises."""

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return missing(f"{cls.qualified}.{name}")

    def __call__(cls, *args, **kwargs):
        raise Blocked(
            f"{cls.qualified} is not available: {cls.qualified.partition('.')[0]} cannot be "
            f"imported where this exercise is audited (it is answered with NumPy)"
        )


def _missing_attribute(module, attr):
    if attr.startswith("__"):  # (no __file__, __version__...: nothing mistakes it for the package)
        raise AttributeError(attr)
    return missing(f"{module}.{attr}")


def missing(qualified: str) -> type:
    return _Missing(qualified.rsplit(".", 1)[-1], (), {"qualified": qualified})


class Unavailable(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``import torch`` (and its submodules) as a stand-in whose names raise when used."""

    def __init__(self, top_level: Iterable[str]) -> None:
        self.top_level = frozenset(top_level)

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name.partition(".")[0] in self.top_level:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        # a module's own __getattr__ (PEP 562), not a method
        module.__getattr__ = functools.partial(_missing_attribute, spec.name)  # type: ignore[method-assign]
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def on_alarm(exception: type[BaseException]) -> Callable[[int, types.FrameType | None], NoReturn]:
    """A SIGALRM handler that raises ``exception``."""

    def handler(signum: int, frame: types.FrameType | None) -> NoReturn:
        raise exception()

    return handler
