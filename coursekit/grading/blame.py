"""Which of the student's functions failed, and on which line of the student's code.

A check runs several functions (``dense_forward`` then ``dense_backward``); when one raises,
the feedback names that one and the line of the student's code that raised, not the
grader's frames (the traceback cut to the student's own).
"""

import linecache
import os
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import coursekit


def _library_dirs():
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(coursekit.__file__).parent)}
    dirs |= {p for p in sysconfig.get_paths().values() if p}
    return tuple(os.path.realpath(d) + os.sep for d in dirs)


_LIBRARIES = _library_dirs()


def _is_students(filename):
    if filename.startswith("<frozen") or filename.startswith("<string"):
        return False
    return filename.startswith("<") or not os.path.realpath(filename).startswith(_LIBRARIES)


def culprit(functions: Mapping[str, Callable[..., Any]], err: BaseException) -> str | None:
    """The role of the innermost student function on ``err``'s traceback, or None.

    Args:
        functions: {role: the student's function}.
    """
    codes = {getattr(f, "__code__", None): role for role, f in functions.items()}
    found, tb = None, err.__traceback__
    while tb is not None:
        found = codes.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found


def student_line(err: BaseException) -> str:
    """'line N: `source`' of the innermost frame in the student's code, or ''."""
    found, tb = None, err.__traceback__
    while tb is not None:
        if _is_students(tb.tb_frame.f_code.co_filename):
            found = tb
        tb = tb.tb_next
    if found is None:
        return ""
    filename, lineno = found.tb_frame.f_code.co_filename, found.tb_lineno
    source = linecache.getline(filename, lineno).strip()
    return f"line {lineno}: `{source}`" if source else f"line {lineno}"


def subject(roles: Iterable[str], functions: Mapping[str, Callable[..., Any]], err: BaseException) -> str:
    """Who failed, for a message: the one function that raised, else all of them."""
    return culprit(functions, err) or " / ".join(roles)
