"""Mutated copies of a reference function, for :mod:`coursekit.term.validate`.

Each mutant changes one place of the function's source: an arithmetic operator (``+`` and
``-``, ``*`` and ``/``, ``**`` to ``*``), a comparison (``<`` and ``<=``, ``>`` and ``>=``,
``==`` and ``!=``), a sign (``-x`` to ``x``), a constant (an integer plus one, 0 and 1
swapped, a float doubled or 0.0 made 1.0, True and False swapped: this covers ``axis=``,
``keepdims=`` and ``eps=``), or a reduction (``sum`` and ``mean``, ``max`` and ``min``,
``argmax`` and ``argmin``, ``maximum`` and ``minimum``). Argument checks are left alone: no
mutant touches an ``assert``, a ``raise``, the test of an ``if`` whose body raises, a call whose
result is unused or a call of a ``_checks``/``_validate`` helper, nor the
docstring or an f-string (messages); nor the signature's defaults (the released template
gives them) or a ``copy=`` flag.
"""

import ast
import copy
import inspect
import textwrap
from dataclasses import dataclass

_BINOPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Mult,
}
_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_COMPARES = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_REDUCTIONS = {
    "sum": "mean",
    "mean": "sum",
    "max": "min",
    "min": "max",
    "amax": "amin",
    "amin": "amax",
    "argmax": "argmin",
    "argmin": "argmax",
    "maximum": "minimum",
    "minimum": "maximum",
}


@dataclass
class Mutant:
    line: int  # in the function's source file
    what: str  # e.g. "+ -> -", "sum -> mean", "1 -> 0"
    source: str  # the mutated statement
    function: object = None  # the mutated function


def _callee(node, namespace):
    """The object a call's function expression names in ``namespace``, or None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        return getattr(_callee(node.value, namespace), node.attr, None)
    return None


def is_check(call, namespace):
    """A call of an argument-checking helper: a function of a ``_checks`` or ``_validate``
    module."""
    module = getattr(_callee(call.func, namespace), "__module__", None) or ""
    return module.rsplit(".", 1)[-1] in ("_checks", "_validate")


def _guarded(tree, namespace):
    """ids of the nodes no mutant may touch (argument checks, docstrings, messages)."""
    skip = set()
    for node in ast.walk(tree):
        roots = []
        if isinstance(node, (ast.Assert, ast.Raise, ast.JoinedStr)):
            roots = [node]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            roots = [node]  # a call whose result is unused: a check (or a side effect)
        elif isinstance(node, ast.Call) and is_check(node, namespace):
            roots = [node]
        elif isinstance(node, ast.If) and any(isinstance(n, ast.Raise) for s in node.body for n in ast.walk(s)):
            roots = [node.test, *node.body]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # the signature (defaults included) is the released template's, not the answer's
            roots = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            if ast.get_docstring(node) is not None:
                roots.append(node.body[0])
        elif isinstance(node, ast.keyword) and node.arg == "copy":
            roots = [node.value]  # astype(..., copy=False): how, not what
        for root in roots:
            skip.update(id(n) for n in ast.walk(root))
    return skip


def _changes(node):
    """[(what, apply)] for one node; ``apply(node)`` mutates it in place."""

    def setter(attr, value):
        return lambda n: setattr(n, attr, value)

    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOPS:
        new = _BINOPS[type(node.op)]
        return [(f"{_SYMBOLS[type(node.op)]} -> {_SYMBOLS[new]}", setter("op", new()))]
    if isinstance(node, ast.Compare):
        return [
            (
                f"{_SYMBOLS[type(op)]} -> {_SYMBOLS[_COMPARES[type(op)]]}",
                lambda n, i=i: n.ops.__setitem__(i, _COMPARES[type(n.ops[i])]()),
            )
            for i, op in enumerate(node.ops)
            if type(op) in _COMPARES
        ]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [("-x -> x", setter("op", ast.UAdd()))]
    if isinstance(node, ast.Constant) and type(node.value) in (bool, int, float):
        value = node.value
        if isinstance(value, bool):
            new = not value
        elif isinstance(value, int):
            new = {0: 1, 1: 0}.get(value, value + 1)
        else:
            new = value * 2 if value else 1.0
        return [(f"{value!r} -> {new!r}", setter("value", new))]
    if isinstance(node, ast.Attribute) and node.attr in _REDUCTIONS:
        return [(f"{node.attr} -> {_REDUCTIONS[node.attr]}", setter("attr", _REDUCTIONS[node.attr]))]
    if isinstance(node, ast.Name) and node.id in _REDUCTIONS and isinstance(node.ctx, ast.Load):
        return [(f"{node.id} -> {_REDUCTIONS[node.id]}", setter("id", _REDUCTIONS[node.id]))]
    return []


def _parse(function):
    try:
        source = textwrap.dedent(inspect.getsource(function))
        _, first_line = inspect.getsourcelines(function)
    except (OSError, TypeError) as err:
        raise ValueError(f"{getattr(function, '__qualname__', function)} has no source to mutate ({err})") from None
    tree = ast.parse(source)
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        raise ValueError(f"{function.__qualname__} is not a plain function (a lambda or a class?)")
    tree.body[0].decorator_list = []
    return tree, first_line


def _sites(tree, namespace):
    skip = _guarded(tree, namespace)
    sites = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) not in skip:
            sites += [(index, what, apply) for what, apply in _changes(node)]
    return sites


def _statement(tree, target):
    """The innermost statement holding ``target``, as a line of source."""
    found = None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.stmt)
            and not isinstance(node, ast.FunctionDef)
            and any(n is target for n in ast.walk(node))
        ):
            found = node  # ast.walk goes outside in: the last one found is the innermost
    if found is None:
        return ast.unparse(target)
    if isinstance(found, (ast.If, ast.For, ast.While, ast.With)):
        return ast.unparse(found).splitlines()[0]
    return ast.unparse(found).splitlines()[0]


def mutants(function):
    """Every mutant of ``function`` (see the module's docstring), compiled in its globals."""
    tree, first_line = _parse(function)
    result = []
    for index, what, apply in _sites(tree, function.__globals__):
        copied = copy.deepcopy(tree)
        node = next(n for i, n in enumerate(ast.walk(copied)) if i == index)
        apply(node)
        ast.fix_missing_locations(copied)
        namespace = dict(function.__globals__)
        exec(compile(copied, inspect.getsourcefile(function) or "<mutant>", "exec"), namespace)  # noqa: S102
        result.append(
            Mutant(
                first_line + getattr(node, "lineno", 1) - 1,
                what,
                _statement(copied, node),
                namespace[copied.body[0].name],
            )
        )
    return result
