"""coursekit's imports run one way: down the layers, in no circle, with no private name
taken from another module.

Every module of the package is parsed with ``ast``; every import in it counts, at the top
of the file or inside a function (a lazy import is still a dependency). ``import a.b.c``
and ``from a.b import c`` (c a module) point at ``a.b.c``; ``from a.b import name`` points
at ``a.b``. Importing ``a.b.c`` also runs ``a/b/__init__.py``, so it points at ``a.b`` too,
unless ``a.b`` is a package of the importer itself. Imports made by ``importlib`` (the
exercise registry loads the modules of ``EXERCISE_MODULES`` by name) are not seen.

The layers, lowest first; a module may import its own layer and the layers below it:

1. foundation: ``coursekit`` itself (``device``), :mod:`coursekit._validate` (the argument
   checks every reference shares: ``choice``, ``positive_number``, ``real``...) and
   :mod:`coursekit.data`.
2. references: each topic's NumPy and torch references with their helpers (``_checks``,
   ``state``, the schedules' ``rates``/``cosine``/``plateau``/``runs``, the optimizers'
   ``landscapes``): layers, gradcheck, activations, init, batchnorm, layernorm,
   regularization, optimizers, schedules, unstable_gradients. These folders hold no code
   that trains: that is what keeps ``training`` above every reference it assembles.
3. training: MLP builders and training loops, assembled from the references.
4. experiments: what trains, measures and compares: :mod:`coursekit.experiments` (one
   module per topic), :mod:`coursekit.tuning` (its searches train on digits) and
   :mod:`coursekit.beyond` (topic 10).
5. presentation: :mod:`coursekit.plots` and :mod:`coursekit.widgets`.

Apart: grading (:mod:`coursekit.grading`, :mod:`coursekit.term`), the course's tooling
(``cli``, ``course``, ``headless``, ``lab``, ``jupyter_settings``, ``claims``) and every
topic's ``exercises*.py`` (the exercises' parent side) and ``cases*.py`` (their student side,
``regularization.cases_statistics`` included). They may import any layer; no layer may
import them.

A private name (``_name``) is not imported from another module, and a private module is
imported only from inside the package that holds it (``coursekit._validate`` is private to
``coursekit``: every module here may use it).

``KNOWN_CIRCLES`` and ``KNOWN_PRIVATE`` list what is left and why: each can only be mended
by reshaping grading or by editing an exercises module beyond its imports. Mend one, and
its entry must go (the last test says so).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "coursekit"

LAYERS = (
    ("foundation", ("coursekit", "coursekit._validate", "coursekit.data")),
    (
        "references",
        (
            "coursekit.layers",
            "coursekit.gradcheck",
            "coursekit.activations",
            "coursekit.init",
            "coursekit.batchnorm",
            "coursekit.layernorm",
            "coursekit.regularization",
            "coursekit.optimizers",
            "coursekit.schedules",
            "coursekit.unstable_gradients",
        ),
    ),
    ("training", ("coursekit.training",)),
    ("experiments", ("coursekit.experiments", "coursekit.tuning", "coursekit.beyond")),
    ("presentation", ("coursekit.plots", "coursekit.widgets")),
)
APART = (
    "coursekit.grading",
    "coursekit.term",
    "coursekit.cli",
    "coursekit.course",
    "coursekit.headless",
    "coursekit.lab",
    "coursekit.jupyter_settings",
    "coursekit.claims",
)

KNOWN_CIRCLES = set()
KNOWN_PRIVATE = set()


def _modules():
    """module name -> (path, is a package)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _imports(name):
    """(imported module, name taken from it or None) for every import in module ``name``."""
    path, is_package = MODULES[name]
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield (submodule, None) if submodule in MODULES else (source, alias.name)


def _ancestors(name):
    parts = name.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


def _graph():
    """module -> {imported module: names taken}, coursekit's modules only."""
    graph = {name: {} for name in MODULES}
    for name in MODULES:
        for target, taken in _imports(name):
            if target not in MODULES or target == name:
                continue
            graph[name].setdefault(target, set()).add(taken)
            for package in _ancestors(target) - _ancestors(name) - {name}:
                graph[name].setdefault(package, set())
    return graph


GRAPH = _graph()


def _is_apart(name):
    return any(name == a or name.startswith(a + ".") for a in APART) or any(
        part.startswith(("exercises", "cases")) for part in name.split(".")[2:]
    )


def layer_of(name):
    """The index of ``name``'s layer in LAYERS; len(LAYERS) when it is apart."""
    if _is_apart(name):
        return len(LAYERS)
    for index, (_, members) in enumerate(LAYERS):
        if name in members or any(name.startswith(m + ".") for m in members if m != "coursekit"):
            return index
    raise AssertionError(f"{name} is on no layer: add it to LAYERS or APART in {__file__}")


def circles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return set(found)


def upward_imports(graph):
    return {(a, b) for a, targets in graph.items() for b in targets if layer_of(a) < layer_of(b)}


def _private_module_outside(importer, target):
    """True where ``target`` is, or lies in, a private module of a package ``importer`` is not in."""
    parts = target.split(".")
    for n, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            holder = ".".join(parts[:n])
            return not (importer == holder or importer.startswith(holder + "."))
    return False


def private_imports():
    found = set()
    for name in MODULES:
        for target, taken in _imports(name):
            if not target.startswith("coursekit") or target == name:
                continue
            if taken and taken.startswith("_") and not taken.startswith("__"):
                found.add((name, target, taken))
            elif _private_module_outside(name, target):
                found.add((name, target, None))
    return found


def test_every_module_is_on_a_layer():
    assert len(MODULES) > 100
    for name in MODULES:
        layer_of(name)


def test_no_circles_between_modules():
    new = circles(GRAPH) - KNOWN_CIRCLES
    assert not new, "modules that import each other in a circle:\n" + "\n".join(" <-> ".join(sorted(c)) for c in new)


def test_imports_run_down_the_layers():
    up = upward_imports(GRAPH)
    assert not up, "imports from a lower layer to a higher one:\n" + "\n".join(
        f"{a} ({LAYERS[layer_of(a)][0]}) -> {b} ({'apart' if _is_apart(b) else LAYERS[layer_of(b)][0]})"
        for a, b in sorted(up)
    )


def test_no_private_name_is_imported_across_modules():
    new = private_imports() - KNOWN_PRIVATE
    assert not new, "private names imported from another module:\n" + "\n".join(
        f"{a}: from {b} import {n}" if n else f"{a}: import {b}, private to another package"
        for a, b, n in sorted(new, key=str)
    )


@pytest.mark.parametrize(
    "known, found", [(KNOWN_CIRCLES, circles), (KNOWN_PRIVATE, lambda _: private_imports())], ids=["circles", "private"]
)
def test_what_is_left_is_still_there(known, found):
    mended = known - found(GRAPH)
    assert not mended, f"mended, so remove from {__file__}'s known list: {sorted(map(sorted, mended))}"


def test_the_checks_find_what_they_look_for():
    graph = {"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}, "d": {"a": set()}}
    assert circles(graph) == {frozenset("abc")}
    assert (
        layer_of("coursekit._validate")
        < layer_of("coursekit.layers.numpy_ref")
        < layer_of("coursekit.training.torch_mlp")
        < layer_of("coursekit.experiments")
        < layer_of("coursekit.widgets.tuning")
    )
    assert layer_of("coursekit.batchnorm.exercises") == layer_of("coursekit.grading.check") == len(LAYERS)
    assert layer_of("coursekit.schedules.cases_clip") == layer_of("coursekit.layers.cases") == len(LAYERS)
    assert upward_imports({"coursekit.layers.numpy_ref": {"coursekit.training": set()}, "coursekit.training": {}}) == {
        ("coursekit.layers.numpy_ref", "coursekit.training")
    }
    assert _private_module_outside("coursekit.schedules._checks", "coursekit.optimizers._checks")
    assert not _private_module_outside("coursekit.optimizers.numpy_ref", "coursekit.optimizers._checks")
    assert not _private_module_outside("coursekit.layers.numpy_ref", "coursekit._validate")
