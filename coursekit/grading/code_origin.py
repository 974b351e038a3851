"""Where the code in a frame comes from, in the audit: code that existed before any student
code ran, or code the student made.

Just before the first student cell, the audit's worker calls :func:`freeze_code`, which
records every function's code object then existing, by identity. From then on
(:func:`known`) a frame runs known code only if its code is one of those objects, or equals,
value for value, code compiled from a file of the installation or of coursekit (a library
imported since). Anything else (a notebook cell's code, a function forged with
``types.FunctionType`` or ``code.replace``, code compiled from a file the answer wrote) is the
student's, whatever module name its namespace gives; and a frame that names a coursekit module
must run in that module's own namespace (:func:`genuine_namespace`). The call guard
(:mod:`coursekit.grading.guard`) asks these questions. Outside the audit nothing is frozen,
and every answer is "known" (``check`` in the student's own kernel runs after the notebook's
code, and tells coursekit's frames by their module names).
"""

import sys
import types

# The code objects that existed when the audit's worker froze them (:func:`freeze_code`), by
# identity, before any student code ran. Empty outside the audit (``check`` in the student's
# own kernel runs after the notebook's code, and tells coursekit's frames by their names).
_FROZEN: dict[int, types.CodeType] = {}


def freeze_code() -> int:
    """Record every function's code object that exists now (and the code nested in it), by
    identity: code made later (a notebook cell's, or one forged with ``code.replace`` or
    ``types.FunctionType`` to pass for coursekit's) is then told apart whatever names it
    gives itself. Returns how many were recorded."""
    import gc

    def add(code):
        if id(code) not in _FROZEN:
            _FROZEN[id(code)] = code
            for const in code.co_consts:
                if isinstance(const, types.CodeType):
                    add(const)

    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            add(obj.__code__)
    return len(_FROZEN)


_COMPILED: dict[str, set[types.CodeType]] = {}


def _installed_roots():
    """The folders of the Python installation and of coursekit (read-only in the sandbox), as
    real paths, taken when the guard is imported, before any student code."""
    import os
    import sysconfig

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(__file__)}
    folders |= set(sysconfig.get_paths().values())
    folders.add(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))  # the folder holding coursekit
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders if f and os.path.realpath(f) != "/")


_INSTALLED = _installed_roots()


def _compiled_from(filename):
    """Every code object compiled from the file ``filename`` (by value; empty when it is no
    readable Python file of the installation or of coursekit: never a file an answer wrote)."""
    import os

    if filename not in _COMPILED:
        found: set[types.CodeType] = set()
        try:
            if not (os.path.isabs(filename) and os.path.realpath(filename).startswith(_INSTALLED)):
                raise OSError(f"{filename} is not a file of the installation")  # (one an answer wrote)
            with open(filename, encoding="utf-8") as handle:
                stack = [compile(handle.read(), filename, "exec", dont_inherit=True)]
        except (OSError, ValueError, SyntaxError, UnicodeDecodeError):
            stack = []
        while stack:
            code = stack.pop()
            found.add(code)
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        _COMPILED[filename] = found
    return _COMPILED[filename]


def known(frame: types.FrameType) -> bool:
    """Whether the frame runs code that was there before the student's (see :func:`freeze_code`),
    or code equal, value for value, to code compiled from the file it names (a module imported
    since): not code a notebook cell made, nor one forged with ``code.replace``. Always true
    outside the audit."""
    code = frame.f_code
    return not _FROZEN or _FROZEN.get(id(code)) is code or code in _compiled_from(code.co_filename)


def names_coursekit(frame: types.FrameType) -> bool:
    name = frame.f_globals.get("__name__") or ""
    return name == "coursekit" or name.startswith("coursekit.")


def genuine_namespace(frame: types.FrameType) -> bool:
    """Whether a frame that names a coursekit module runs in that module's own namespace
    (always true outside the audit)."""
    module = sys.modules.get(frame.f_globals.get("__name__") or "")
    return not _FROZEN or getattr(module, "__dict__", None) is frame.f_globals


def forged_into_coursekit(frame: types.FrameType) -> bool:
    """Whether code the student made runs as if it were coursekit's: in the audit, code that
    names a coursekit module but is not known code (see :func:`known`) or does not run in that
    module's own namespace."""
    return bool(_FROZEN) and names_coursekit(frame) and not (known(frame) and genuine_namespace(frame))


def called_by_student(frame: types.FrameType) -> bool:
    """Whether student code made this call, directly or through library wrappers (functools,
    any frame outside coursekit and the notebook): the first caller that is coursekit's or
    the notebook's decides. In the audit, code made after the freeze is the student's,
    whatever module its namespace names."""
    caller = frame.f_back
    for _ in range(50):
        if caller is None:
            return False
        if not known(caller):  # code a notebook cell made, or forged: the student's
            return True
        if names_coursekit(caller) and not genuine_namespace(caller):
            return True
        name = caller.f_globals.get("__name__") or ""
        if name == "__main__":
            return True
        if name == "coursekit" or name.startswith("coursekit."):
            return False
        caller = caller.f_back
    return False
