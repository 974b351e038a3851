"""The grading package is typed: mypy passes on it with pyproject.toml's configuration
([tool.mypy]), and every public function and method of ``coursekit/grading`` says the types
of its parameters and what it returns.

Public: a module-level function, or a method of a class, whose name does not start with
``_`` (``__init__`` counts too), in a class whose own name does not start with ``_``;
``self`` and ``cls`` need no annotation. Nested functions are not looked at.

Every file of the package is held to both; none is excused.
"""

import ast
import importlib.util
import subprocess
import sys

import pytest

from conftest import ROOT

GRADING = ROOT / "coursekit" / "grading"


needs_mypy = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not installed: pip install -e '.[dev]' (README.md) brings it",
)


def _public_functions(body, in_class=False, prefix=""):
    """(qualified name, node, is a method) of the public functions and methods in ``body``."""
    for node in body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from _public_functions(node.body, True, f"{prefix}{node.name}.")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name == "__init__" or not node.name.startswith("_"):
                yield f"{prefix}{node.name}", node, in_class


def _is_static(node):
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def unannotated(source):
    """'name (line N): missing ...' for each public function or method of ``source`` that
    lacks an annotation on a parameter (but ``self``/``cls``) or on its return."""
    found = []
    for name, node, is_method in _public_functions(ast.parse(source).body):
        args = node.args
        params = [*args.posonlyargs, *args.args]
        if is_method and not _is_static(node) and params:
            params = params[1:]  # self or cls
        params += [*args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a is not None)]
        missing = [p.arg for p in params if p.annotation is None]
        if node.returns is None:
            missing.append("the return")
        if missing:
            found.append(f"{name} (line {node.lineno}): missing {', '.join(missing)}")
    return found


def _grading_files():
    return sorted(p.relative_to(GRADING).as_posix() for p in GRADING.rglob("*.py"))


@needs_mypy
def test_mypy_passes_on_the_grading_package(tmp_path_factory):
    """mypy with pyproject.toml's [tool.mypy] (files = coursekit/grading), its cache in a
    folder of this test's own (so parallel runs share nothing)."""
    cache = tmp_path_factory.mktemp("mypy-cache")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_mypy
def test_mypy_fails_on_a_type_error(tmp_path):
    """The run above can fail: with the same configuration, mypy rejects a wrong return type."""
    (tmp_path / "wrong.py").write_text("def f(x: int) -> str:\n    return x\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(tmp_path / "wrong.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[return-value]" in result.stdout


@pytest.mark.parametrize("relative", _grading_files())
def test_public_functions_are_annotated(relative):
    missing = unannotated((GRADING / relative).read_text())
    assert not missing, f"coursekit/grading/{relative}: " + "; ".join(missing)


def test_the_checker_finds_a_missing_annotation():
    source = """
def typed(x: int, *rest: str, flag: bool = False, **more: float) -> int:
    return x

def no_return(x: int):
    return x

def bare(x, y: int) -> None:
    pass

def _private(x):
    pass

class Public:
    def __init__(self, n):
        self.n = n

    def method(self, k: int) -> int:
        return k

    @classmethod
    def make(cls, n: int) -> "Public":
        return cls(n)

    @staticmethod
    def helper(a) -> None:
        pass

    def _hidden(self, z):
        pass

    async def fetch(self, *args) -> None:
        pass

class _Private:
    def run(self, x):
        pass

def outer(x: int) -> int:
    def inner(y):
        return y
    return inner(x)
"""
    assert unannotated(source) == [
        "no_return (line 5): missing the return",
        "bare (line 8): missing x",
        "Public.__init__ (line 15): missing n, the return",
        "Public.helper (line 26): missing a",
        "Public.fetch (line 32): missing args",
    ]


def test_a_fully_annotated_file_passes():
    assert unannotated("class A:\n    def __init__(self, x: int) -> None:\n        self.x = x\n") == []
