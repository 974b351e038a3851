"""Static scan of a student's code for tampering with the grader.

Each finding is a short flag string, "kind: detail". Honest code (float32 arithmetic,
another correct formula, prints, warnings) raises none.
"""

import ast
import difflib
import inspect
import types
from collections.abc import Iterable, Sequence

from coursekit.grading.audit.extract import without_magics
from coursekit.grading.audit.scan_rules import (  # noqa: F401  (re-exported)
    ALLOWED_COURSEKIT,
    ARRAY_HOOKS,
    DANGEROUS_IMPORTS,
    DYNAMIC,
    GRADER_ATTRIBUTES,
    GRADER_INTERNALS,
    GUARD_SWITCHES,
    INTROSPECTION_ATTRS,
    INTROSPECTION_CALLS,
    IPYTHON_HOOKS,
    PROCESS,
    PROTECTED_MODULES,
    SETTINGS,
    THREAD_IMPORTS,
    TRACING,
    is_exercise_module,
)


def _dotted_resolved(node, paths):
    """``F.softmax`` as ``torch.nn.functional.softmax``: the call's root alias replaced by the
    module path it stands for (so the scan names a call as ``check`` does)."""
    dotted = _dotted(node)
    if not dotted:  # e.g. torch.as_tensor(z).softmax: named by the module it starts from
        root = _root_name(node)
        return f"{paths.get(root, root)}.{node.attr}" if root else getattr(node, "attr", "?")
    root, _, rest = dotted.partition(".")
    return f"{paths.get(root, root)}.{rest}" if rest else paths.get(root, root)


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, forbidden):
        # local name -> module it is bound to; the notebooks' setup cells import these
        self.aliases: dict[str | None, str] = {"np": "numpy", "F": "torch", "nn": "torch", "plt": "matplotlib"}
        self.paths: dict[str | None, str] = {
            "np": "numpy",
            "F": "torch.nn.functional",
            "nn": "torch.nn",
            "plt": "matplotlib.pyplot",
        }
        self.flags: list[str] = []
        self.forbidden = forbidden  # {(top-level module, function name)}, e.g. ("torch", "softmax")
        self.forbidden_torch_names = {name for module, name in forbidden if module == "torch"}
        self.grading: set[str] = set()  # local names bound to coursekit.grading

    def _resolved(self, node):
        return _dotted_resolved(node, self.paths)

    def flag(self, kind, detail):
        entry = f"{kind}: {detail}"
        if entry not in self.flags:
            self.flags.append(entry)

    def _module_of(self, node):
        root = _root_name(node)
        return self.aliases.get(root, root if root in PROTECTED_MODULES else None)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.startswith("coursekit.grading"):
                self.flag("grader-internals", f"imports {alias.name}")
            self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name.split(".")[0]
            self.paths[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
            self._check_import(alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for alias in node.names:
            full = f"{module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = module.split(".")[0]
            self.paths[alias.asname or alias.name] = full
            if alias.name in INTROSPECTION_CALLS and module in {"sys", "inspect", "gc", "traceback"}:
                self.flag("introspection", f"imports {full}")
            if full == "coursekit.grading":
                self.grading.add(alias.asname or alias.name)
            elif module.startswith("coursekit.grading") and alias.name != "check":
                self.flag("grader-internals", f"imports {full}")
            self._check_import(full if module in ("coursekit", "torch") else module)
            if is_exercise_module(full) and not is_exercise_module(module):
                self.flag("grader-internals", f"imports {full}")
            self._check_switch(alias.name, f"imports {full}")
        self.generic_visit(node)

    def _check_switch(self, name, detail):
        if name in GUARD_SWITCHES:
            self.flag("guard-tampering", detail)

    def _check_import(self, name):
        if is_exercise_module(name):
            self.flag("grader-internals", f"imports {name}")
        if name.startswith(("torch._C", "torch.utils._python_dispatch", "torch.overrides", "torch.library")):
            self.flag("guard-tampering", f"imports {name}")
        top = name.split(".")[0]
        if top in DANGEROUS_IMPORTS:
            self.flag("dynamic-code", f"imports {name}")
        if top in THREAD_IMPORTS:
            self.flag("threads", f"imports {name} (the call guard does not see threads started before it)")
        if top == "coursekit" and not any(
            name == a or name.startswith(a + ".") and a != "coursekit" for a in ALLOWED_COURSEKIT
        ):
            self.flag("calls-reference", f"imports {name}")

    def _assigned(self, target):
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            module = self._module_of(target)
            dotted = _dotted(target.value if isinstance(target, ast.Subscript) else target) or "?"
            if isinstance(target, ast.Subscript) and dotted.endswith("modules") and module == "sys":
                self.flag("sys-modules", f"writes {dotted}[...]")
            elif module in PROTECTED_MODULES and not dotted.startswith(SETTINGS):
                self.flag("monkeypatch", f"assigns to {dotted}")
        elif isinstance(target, ast.Name) and target.id in {"check", "np", "numpy", "torch"}:
            self.flag("monkeypatch", f"rebinds {target.id}")
        elif isinstance(target, ast.Name):
            self.aliases.pop(target.id, None)  # a variable of the student's, not a module
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assigned(element)

    def visit_Assign(self, node):
        for target in node.targets:
            self._assigned(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._assigned(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._assigned(target)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name == "check":
            self.flag("monkeypatch", "defines its own check")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name in ARRAY_HOOKS:
                self.flag("custom-comparison", f"class {node.name} defines {item.name}")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in IPYTHON_HOOKS and _root_name(node) in {"get_ipython", "ip", "shell"} | {
            k for k, v in self.aliases.items() if v == "IPython"
        }:
            self.flag("ipython-hooks", f"uses {node.attr}")
        if node.attr in {"input_transformers_cleanup", "input_transformers_post", "ast_transformers"}:
            self.flag("ipython-hooks", f"uses {node.attr}")
        if node.attr == "modules" and self._module_of(node) == "sys":
            self.flag("sys-modules", "uses sys.modules")
        if node.attr in {"__globals__", "__code__", "__builtins__", "__subclasses__"} or (
            node.attr == "__dict__" and self._module_of(node) in PROTECTED_MODULES
        ):
            self.flag("dynamic-code", f"uses {node.attr}")
        if node.attr == "_C" and self._module_of(node) == "torch":
            self.flag("guard-tampering", f"uses {_dotted(node) or 'torch._C'}")
        self._check_switch(node.attr, f"uses {_dotted(node) or node.attr}")
        if node.attr in INTROSPECTION_ATTRS:
            self.flag("introspection", f"uses {node.attr}")
        dotted = _dotted(node) or ""
        if (
            (_root_name(node) in self.grading or dotted.startswith("coursekit.grading."))
            and node.attr != "check"
            or node.attr in GRADER_ATTRIBUTES
            or is_exercise_module(_dotted_resolved(node, self.paths))
        ):
            self.flag("grader-internals", f"uses {dotted or node.attr}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id == "__builtins__":
            self.flag("dynamic-code", "uses __builtins__")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and any(s in node.value for s in GUARD_SWITCHES - {"overrides"}):
            self.flag("guard-tampering", "names a call-guard switch in a string")

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        protected_target = bool(node.args) and self._module_of(node.args[0]) in PROTECTED_MODULES
        if name in DYNAMIC - {"setattr", "delattr"} or (name in {"setattr", "delattr"} and protected_target):
            self.flag("dynamic-code", f"calls {name}")
        if name in {"getattr", "vars"} and (
            protected_target or name == "getattr" and len(node.args) > 1 and not isinstance(node.args[1], ast.Constant)
        ):
            self.flag("dynamic-code", f"calls {name} with a computed name" if name == "getattr" else "calls vars")
        if name == "get_ipython":
            self.flag("ipython-hooks", "calls get_ipython()")
        if name in {"setprofile", "settrace"}:
            self.flag("tracing", f"calls {name}")
        if isinstance(node.func, ast.Attribute):
            module = self._module_of(node.func)
            if (module, node.func.attr) in PROCESS:
                self.flag("process-control", f"calls {module}.{node.func.attr}")
            if (_root_name(node.func), node.func.attr) in TRACING:  # the call guard uses a profiler
                self.flag("tracing", f"calls {_root_name(node.func)}.{node.func.attr}")
            if (module, node.func.attr) in self.forbidden:
                self.flag("calls-builtin", f"calls {self._resolved(node.func)}")
            elif module is None and node.func.attr in self.forbidden_torch_names:
                self.flag("calls-builtin", f"calls torch.{node.func.attr} (as the tensor method .{node.func.attr}())")
            if node.func.attr in INTROSPECTION_CALLS and module in {None, "sys", "inspect", "gc", "traceback"}:
                self.flag("introspection", f"calls {_dotted(node.func) or node.func.attr}")
        elif (self.aliases.get(name), name) in self.forbidden:
            self.flag("calls-builtin", f"calls {self.paths.get(name, name)}")
        self.generic_visit(node)


def scan_source(source: str, forbidden: Iterable[Iterable[str]] = ()) -> list[str]:
    """Flags for one cell's source; a cell that does not parse is flagged as such."""
    try:
        tree = ast.parse(without_magics(source))
    except SyntaxError as err:
        return [f"syntax-error: line {err.lineno}"]
    scanner = _Scanner({tuple(f) for f in forbidden})
    scanner.visit(tree)
    return scanner.flags


def _normalised(source):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]  # (a node with a list body)
    return ast.unparse(tree)


def pasted_references(
    source: str, reference_functions: Sequence[types.FunctionType], threshold: float = 0.85, min_chars: int = 150
) -> list[str]:
    """Names of reference functions whose (docstring-free) body the source reproduces."""
    try:
        tree = ast.parse(without_magics(source))
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        mine = _normalised(ast.unparse(node))
        for ref in reference_functions:
            try:
                theirs = _normalised(inspect.getsource(ref))
            except (OSError, TypeError, SyntaxError):
                continue
            body = lambda text: text.split(":", 1)[1] if ":" in text else text  # noqa: E731
            if (
                len(body(theirs)) >= min_chars
                and difflib.SequenceMatcher(None, body(mine), body(theirs)).ratio() >= threshold
            ):
                found.append(f"{ref.__module__}.{ref.__name__}")
    return found
