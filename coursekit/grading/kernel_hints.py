"""In a notebook's kernel: a test cell that fails only because an answer cell did not run says
which cell to fix, instead of a bare ``NameError``.

``import coursekit.grading`` (every notebook's setup cell) installs two IPython hooks: after
each cell, the names it defines (``def``, ``class``, assignments at the top level) are
remembered as broken if the cell had a syntax error, and as fine once it runs; a
``NameError`` for a broken name then says where the syntax error is.
"""

import re

_DEFINES = re.compile(r"^(?:def|class)\s+(\w+)|^(\w+)\s*=[^=]", re.M)
_broken: dict[str, str] = {}  # name -> why it is not defined


def install() -> None:
    """Install the hooks in the running IPython shell, once; nothing outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_coursekit_hints", False):
        return
    shell._coursekit_hints = True
    shell.events.register("post_run_cell", _after_cell)
    shell.set_custom_exc((NameError,), _on_name_error)


def _after_cell(result):
    error = result.error_before_exec or result.error_in_exec
    names = {a or b for a, b in _DEFINES.findall(getattr(result.info, "raw_cell", "") or "")}
    for name in names:
        if isinstance(error, SyntaxError):
            _broken[name] = f"the cell that defines {name} has a SyntaxError on line {error.lineno}: {error.msg}"
        elif error is None:
            _broken.pop(name, None)


def _on_name_error(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for a NameError: it shows the traceback itself (IPython ignores
    what a custom handler returns)."""
    name = getattr(value, "name", None)
    if name in _broken:
        stb = [
            f"NameError: {name} is not defined because {_broken[name]}. Fix that cell, run it, then run this one again."
        ]
    else:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    shell._showtraceback(etype, value, stb)
    return stb
