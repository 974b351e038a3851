"""The audit's worker: the only process that runs student code, and the one that holds least.

Forked by :mod:`coursekit.grading.audit.runner` once the imports are done, it

- installs a seccomp filter (:mod:`.no_processes`): from here on it cannot start a process
  or a thread, nor reach into another process;
- never holds the seeds of the cases nor the result: it runs the setup, answer and added cells,
  then answers the collector's requests, one case at a time, each under the exercise's call
  guard, with a frame of that case's outputs (an ``.npz`` of plain arrays) on its pipe;
- holds no descriptor but its two pipes and stderr (stdin is closed before any student code).
"""

import builtins
import functools
import io
import json
import linecache
import os
import pickle
import resource
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any, NoReturn

from coursekit.grading.audit import frames, no_processes
from coursekit.grading.audit.stubs import Blocked, on_alarm, stub, take_away_the_switches
from coursekit.grading.exercises import imported_torch

ERROR_KEY = "__error__"
MAX_REQUEST_BYTES = 64 * 2**20
MAX_OPEN_FILES = 256  # (pipes the worker could fill sit in kernel memory no watchdog sees)


class Alarm(BaseException):
    pass


def cell_files(setup: dict[str, Any]) -> set[str]:
    """The file names the cells' code is compiled under (see :func:`run_cells`)."""
    labels = setup.get("labels") or []
    return {f"<{labels[i] if i < len(labels) else f'cell {i}'}>" for i in range(len(setup["cells"]))}


def run_cells(
    cells: list[str], seconds: int, errors: dict[str, str], labels: list[str] | None = None
) -> dict[str, Any]:
    """Run the cells in one namespace; each failure is recorded under ``cell i``, naming the
    cell (``labels``, e.g. "the answer cell softmax") and the line of it that failed."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for i, source in enumerate(cells):
        label = labels[i] if labels and i < len(labels) else f"cell {i}"
        filename = f"<{label}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        signal.alarm(seconds)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, filename, "exec"), namespace)
        except SyntaxError as err:
            errors[f"cell {i}"] = f"{label} has a SyntaxError on line {err.lineno}: {err.msg}"[:300]
        except (Exception, SystemExit, Alarm) as err:
            where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
            at = f" (line {where.lineno}: `{(where.line or '').strip()}`)" if where else ""
            errors[f"cell {i}"] = f"{label} raised {type(err).__name__}: {err}{at}"[:300]
        finally:
            signal.alarm(0)
    return namespace


def _resolve(paths):
    """The forbidden functions ("module:qualname") whose modules the answer has imported."""
    found = []
    for path in paths:
        module_name, _, qualname = path.partition(":")
        obj = sys.modules.get(module_name)
        for part in qualname.split(".") if obj else ():
            obj = getattr(obj, part, None)
        if obj is not None:
            found.append(obj)
    return found


def _unwrapped(fn):
    """The function under ``functools.partial`` and ``__wrapped__`` layers (decorators)."""
    for _ in range(100):
        inner = getattr(fn, "func", None) if isinstance(fn, functools.partial) else getattr(fn, "__wrapped__", None)
        if inner is None:
            return fn
        fn = inner
    return fn


def _written_here(fn, cell_files):
    """Whether ``fn`` is the student's own: its code (under any partial or decorator) was
    compiled from one of the notebook's cells, not from a module or an ``exec`` string."""
    fn = _unwrapped(fn)
    code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__func__", None), "__code__", None)
    if code is None and not isinstance(fn, type):
        code = getattr(vars(type(fn)).get("__call__"), "__code__", None)  # an object of the notebook's class
    if code is None and isinstance(fn, type):
        code = getattr(getattr(fn, "__init__", None), "__code__", None)
    return code is not None and code.co_filename in cell_files


def _origin(fn):
    fn = _unwrapped(fn)
    code = getattr(fn, "__code__", None)
    where = code.co_filename if code is not None else getattr(fn, "__module__", None) or "elsewhere"
    return f"{getattr(fn, '__qualname__', type(fn).__name__)} from {where}"


def run_case(
    setup: dict[str, Any],
    namespace: dict[str, Any],
    cell_errors: dict[str, str],
    call_index: int,
    case: dict[str, Any],
    *,
    run_student: Callable[..., tuple[Any, str | None]],
) -> tuple[dict[str, Any], str | None]:
    """({output: array}, error or None) of one case of one ``check`` call, run under
    ``run_student`` (the guard's, taken before any student code ran: a cell that rebinds
    ``coursekit.grading.guard.run_student`` changes nothing here)."""
    import numpy as np

    from coursekit.grading.case_side import student_side

    name, names = setup["calls"][call_index]
    spec = setup["exercises"][name]
    ex = student_side(spec["student_side"])
    missing = [n for n in names if n not in namespace]
    if missing:
        stopped = [v for k, v in cell_errors.items() if k.startswith("cell ")]
        return {}, f"not defined: {', '.join(missing)}" + (f" ({stopped[0]})" if stopped else "")
    foreign = [n for n in names if not _written_here(namespace[n], cell_files(setup))]
    if foreign:  # e.g. a convention or helper taken from coursekit and handed in as the answer
        return {}, (
            f"{', '.join(foreign)} is not defined in your notebook (it is "
            f"{_origin(namespace[foreign[0]])}); this exercise asks you to write it yourself"
        )
    functions = dict(zip(ex.roles, (namespace[n] for n in names)))
    arrays = {}
    signal.alarm(setup["cell_seconds"])
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            outputs, problem = run_student(
                ex, functions, case, forbidden=_resolve(spec["forbidden"]), torch_names=spec["torch_names"]
            )
        if problem:
            raise Blocked(problem)
        for out_name, value in outputs.items():
            if hasattr(value, "detach"):
                value = value.detach().cpu().numpy()
            array = np.array(value, copy=True, subok=False)
            if array.dtype != object:
                arrays[out_name] = array
    except (Exception, SystemExit, Alarm) as err:
        return {}, (str(err) if isinstance(err, Blocked) else f"{type(err).__name__}: {err}")[:300]
    finally:
        signal.alarm(0)
    return arrays, None


def _freeze(setup):
    """Load every exercise's student side and what its answers may use, then record the code
    that exists (see :func:`coursekit.grading.guard.freeze_code`): all that runs later and was
    not there is the student's."""
    import importlib

    from coursekit.grading.case_side import student_side
    from coursekit.grading.code_origin import freeze_code

    for spec in setup["exercises"].values():
        student_side(spec["student_side"])
        for module in spec["student_side"].get("answers_use", ()):
            importlib.import_module(module)
    freeze_code()


def _start_the_pools():
    """The libraries' thread pools, started now (the collector counts the worker's threads
    from here: a thread started later is the answer's): BLAS through a product large enough to
    use them, SciPy's own BLAS where SciPy is there; torch computes on one thread."""
    import numpy as np

    block = np.ones((256, 256))
    block @ block
    try:
        import scipy.linalg.blas as blas
    except ImportError:
        blas = None
    if getattr(blas, "__file__", None):  # (not the stand-in of a package this sandbox lacks)
        blas.dgemm(1.0, block, block)
    torch = imported_torch()
    if torch is not None:
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set (or used) in this process
            pass


def serve(setup: dict[str, Any], requests_fd: int, replies_fd: int) -> NoReturn:
    """Run the student's cells, then answer the collector's requests; never returns."""
    import numpy as np

    from coursekit.grading.guard import run_student

    real_exit, savez, dumps, loads, send = os._exit, np.savez, json.dumps, pickle.loads, frames.write
    read = frames.read

    def pack(arrays):
        buffer = io.BytesIO()
        savez(buffer, **arrays)
        return buffer.getvalue()

    try:
        _start_the_pools()
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        limit = MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(MAX_OPEN_FILES, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        no_processes.forbid(threads=True)  # (BLAS pools resize; the collector sees new tasks)
    except (OSError, ValueError) as err:
        sys.stderr.write(f"coursekit audit: the worker could not forbid new processes: {err}\n")
        real_exit(3)
    _freeze(setup)
    take_away_the_switches()
    os._exit = stub("os._exit")  # a student's os._exit must not end the audit early
    signal.signal(signal.SIGALRM, on_alarm(Alarm))
    sys.stdout = io.StringIO()
    send(replies_fd, b"ready")
    read(requests_fd, 16)  # the collector has counted this process's threads: student code may run
    errors: dict[str, str] = {}
    namespace = run_cells(setup["cells"], setup["cell_seconds"], errors, setup.get("labels"))
    send(replies_fd, pack({"__errors__": np.frombuffer(dumps(errors).encode(), dtype=np.uint8)}))
    while (request := loads(read(requests_fd, MAX_REQUEST_BYTES))) is not None:
        arrays, error = run_case(setup, namespace, errors, *request, run_student=run_student)
        if error is not None:
            arrays = {ERROR_KEY: np.frombuffer(error.encode(), dtype=np.uint8)}
        send(replies_fd, pack(arrays))
    real_exit(0)
