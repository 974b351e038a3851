"""The audit's process in the sandbox: run a student's functions on the cases, nothing else.

Started by :mod:`coursekit.grading.audit` as
``python -m coursekit.grading.audit.runner RESULT_FD`` inside the sandbox, with the job (JSON)
on stdin. Its coursekit is a copy without the reference modules: importing one gives a stub
whose functions raise, so neither the student's code nor anything it reaches can compute a
reference answer, and the registry holds only stubs.

It executes the student's setup and solution cells (each with an alarm), draws each
exercise's cases from the seeds in the job, runs each case under the exercise's call guard,
and writes the outputs as one ``.npz`` (plain arrays, no pickles; the errors as JSON inside)
to ``RESULT_FD``. The parent reads it with ``allow_pickle=False`` and compares it with the
references in its own process.
"""

import builtins
import importlib.abc
import importlib.machinery
import io
import json
import os
import signal
import sys
import traceback
import warnings

ERRORS_KEY = "__errors__"
READY = b"coursekit-runner-ready\n"  # written before any student code runs


class Blocked(Exception):
    pass


def _stub(qualified):
    def blocked(*args, **kwargs):
        raise Blocked(f"{qualified} is not available to the answer being audited")
    blocked.__name__ = qualified.rsplit(".", 1)[-1]
    return blocked


def _stub_class(qualified):
    def blocked(self, *args, **kwargs):
        raise Blocked(f"{qualified} is not available to the answer being audited")
    return type(qualified.rsplit(".", 1)[-1], (), {"__init__": blocked, "__module__": "stub"})


def rebuild(description):
    """A stand-in from :func:`coursekit.grading.audit.sandboxed.describe`'s description."""
    if "const" in description:
        return description["const"]
    if "class" in description:
        return _stub_class(description["class"])
    if "dict" in description:
        return {k: rebuild(v) for k, v in description["dict"].items()}
    if "seq" in description:
        items = [rebuild(v) for v in description["seq"]]
        return tuple(items) if description["tuple"] else items
    return _stub(description["function"])


class StubModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the hidden reference modules as stubs: their constants, and functions and
    classes that raise when used."""

    def __init__(self, hidden):
        self.hidden = hidden  # {module name: {attribute: description}}

    def find_spec(self, name, path=None, target=None):
        if name in self.hidden:
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        attributes = self.hidden[module.__name__]
        for attr, description in attributes.items():
            setattr(module, attr, rebuild(description))
        module.__all__ = [a for a in attributes if not a.startswith("_")]


def take_away_the_switches():
    """Student code gets no ``sys.setprofile`` to replace the call guard's profiler with (the
    guard keeps its own references, taken when it was imported). Other routes (a C profiler,
    ctypes) would leave the guard's hook replaced, which it checks after every case, and the
    scan flags the imports they need; blocking those modules outright broke honest code
    (torch imports cProfile, threadpoolctl ctypes)."""
    import threading

    for module, name in ((sys, "setprofile"), (sys, "settrace"), (threading, "setprofile"),
                         (threading, "settrace")):
        setattr(module, name, _stub(f"{module.__name__}.{name}"))


class _Alarm(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Alarm()


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


def _run_cells(cells, seconds, errors, labels=None):
    """Run the cells in one namespace; each failure is recorded under ``cell i``, naming the
    cell (``labels``, e.g. "the answer cell softmax") and the line of it that failed."""
    import linecache

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
        except (Exception, SystemExit, _Alarm) as err:
            where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
            at = f" (line {where.lineno}: `{(where.line or '').strip()}`)" if where else ""
            errors[f"cell {i}"] = f"{label} raised {type(err).__name__}: {err}{at}"[:300]
        finally:
            signal.alarm(0)
    return namespace


def _run_calls(job, namespace, errors, arrays):
    import numpy as np

    from coursekit import grading
    from coursekit.grading.guard import run_student

    for call_index, (name, names) in enumerate(job["calls"]):
        ex = grading.exercise(name)
        spec = job["exercises"][name]
        missing = [n for n in names if n not in namespace]
        if missing:
            stopped = [v for k, v in errors.items() if k.startswith("cell ")]
            why = f" ({stopped[0]})" if stopped else ""
            errors[f"{call_index}"] = f"not defined: {', '.join(missing)}{why}"
            continue
        functions = dict(zip(ex.roles, (namespace[n] for n in names)))
        all_cases = (grading.cases(ex, False, seed=spec["visible_seed"])
                     + grading.cases(ex, True, seed=spec["hidden_seed"]))
        for case_index, case in enumerate(all_cases):
            key = f"{call_index}/{case_index}"
            signal.alarm(job["cell_seconds"])
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    outputs, problem = run_student(ex, functions, case,
                                                   forbidden=_resolve(spec["forbidden"]),
                                                   torch_names=spec["torch_names"])
                if problem:
                    raise Blocked(problem)
                for out_name, value in outputs.items():
                    if hasattr(value, "detach"):
                        value = value.detach().cpu().numpy()
                    array = np.array(value, copy=True, subok=False)
                    if array.dtype != object:
                        arrays[f"{key}/{out_name}"] = array
            except (Exception, SystemExit, _Alarm) as err:
                errors[key] = (str(err) if isinstance(err, Blocked) else f"{type(err).__name__}: {err}")[:300]
            finally:
                signal.alarm(0)


def main(result_fd):
    job = json.loads(sys.stdin.read())
    result = os.fdopen(os.dup(result_fd), "wb")
    os.close(result_fd)
    sys.meta_path.insert(0, StubModules(job["hidden_modules"]))
    import numpy as np

    from coursekit import grading

    for name in job["exercises"]:
        grading.exercise(name)  # the exercises import (as stubs) what they reference
    for module in job.get("preload", []):
        importlib.import_module(module)
    import coursekit.grading.guard  # noqa: F401  (takes its own references to the profiler first)

    take_away_the_switches()
    real_exit, save, dumps = os._exit, np.savez, json.dumps
    os._exit = _stub("os._exit")  # a student's os._exit must not end the audit early
    signal.signal(signal.SIGALRM, _on_alarm)
    errors, arrays = {}, {}
    stdout = sys.stdout
    sys.stdout = io.StringIO()
    result.write(READY)
    result.flush()
    try:
        namespace = _run_cells(job["cells"], job["cell_seconds"], errors, job.get("labels"))
        _run_calls(job, namespace, errors, arrays)
    finally:
        sys.stdout = stdout
    arrays[ERRORS_KEY] = np.frombuffer(dumps(errors).encode(), dtype=np.uint8)
    save(result, **arrays)
    result.flush()
    real_exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
