"""The audit's child process: run a student's code on hidden cases, nothing else.

Started by :mod:`coursekit.audit` as ``python -m coursekit.audit.sandbox JOB OUT``, with
resource limits set by the parent. Before any student code runs it:

1. imports the exercises and generates their hidden and visible cases;
2. replaces every function of the reference modules, and every built-in the exercises
   forbid, with a stub that raises, so the student's code cannot call them;
3. keeps private handles on what it needs to write results.

Each case then runs under the exercise's own call guard (the one ``check`` uses), which
catches what a module-level stub cannot: a forbidden method such as ``LogUniform.sample``,
which other exercises of the same notebook may use honestly.

Then it executes the student's setup and solution cells (each in its own try, with an
alarm), runs each exercise's ``run`` with the student's functions and writes plain arrays to
an ``.npz`` file, which the parent reads with ``allow_pickle=False`` and compares with the
references in its own, untouched process.
"""

import builtins
import io
import json
import os
import signal
import sys
import types
import warnings


class Blocked(Exception):
    pass


def _stub(qualified):
    def blocked(*args, **kwargs):
        raise Blocked(f"{qualified} is not available to the answer being audited")
    blocked.__name__ = qualified.rsplit(".", 1)[-1]
    return blocked


def block_references(exercises):
    """Stub out reference modules' functions and the exercises' forbidden built-ins."""
    for ex in exercises:
        for module_name in ex.reference_modules:
            module = sys.modules.get(module_name)
            for attr, value in list(vars(module).items()) if module else []:
                if isinstance(value, types.FunctionType) and value.__module__ == module_name:
                    setattr(module, attr, _stub(f"{module_name}.{attr}"))
        forbidden = list(ex.forbidden())
        for module in [m for name, m in list(sys.modules.items()) if name.startswith(("torch", "scipy"))]:
            for attr, value in list(getattr(module, "__dict__", {}).items()):
                if any(value is f for f in forbidden):
                    try:
                        setattr(module, attr, _stub(f"{module.__name__}.{attr}"))
                    except (AttributeError, TypeError):
                        pass
    # Packages re-export their numpy reference (coursekit.layers.softmax): stub those too.
    for ex in exercises:
        package = sys.modules.get(f"coursekit.{ex.name.split('.', 1)[0]}")
        for attr, value in list(vars(package).items()) if package else []:
            if isinstance(value, types.FunctionType) and value.__module__ in ex.reference_modules:
                setattr(package, attr, _stub(f"{package.__name__}.{attr}"))


class _Alarm(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Alarm()


def main(job_path, out_path):
    import numpy as np

    from coursekit import grading

    job = json.loads(open(job_path).read())
    exercises = {name: grading.exercise(name) for name in job["exercises"]}
    all_cases = {name: grading.cases(ex, False) + grading.cases(ex, True) for name, ex in exercises.items()}
    if "torch" in job.get("preload", []):
        import torch  # noqa: F401  (so that torch built-ins can be blocked before student code)
    forbidden = {name: (tuple(ex.forbidden()), ex.reference_modules) for name, ex in exercises.items()}
    block_references(exercises.values())

    save, plain, dumps = np.savez, np.array, json.dumps
    errors_file = open(out_path + ".errors.json", "w")
    real_exit = os._exit
    os._exit = _stub("os._exit")  # a student's os._exit must not kill the audit
    signal.signal(signal.SIGALRM, _on_alarm)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    errors, arrays = {}, {}
    out_buffer = io.StringIO()
    stdout = sys.stdout
    for i, source in enumerate(job["cells"]):
        sys.stdout = out_buffer
        signal.alarm(job["cell_seconds"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, f"<cell {i}>", "exec"), namespace)
        except (Exception, SystemExit, _Alarm) as err:
            errors[f"cell {i}"] = f"{type(err).__name__}: {err}"[:300]
        finally:
            signal.alarm(0)
            sys.stdout = stdout
    for call_index, (name, names) in enumerate(job["calls"]):
        ex = exercises[name]
        missing = [n for n in names if n not in namespace]
        if missing:
            errors[f"{call_index}"] = f"not defined: {', '.join(missing)}"
            continue
        functions = dict(zip(ex.roles, (namespace[n] for n in names)))
        for case_index, case in enumerate(all_cases[name]):
            key = f"{call_index}/{case_index}"
            sys.stdout = out_buffer
            signal.alarm(job["cell_seconds"])
            try:
                guard = grading._CallGuard(*forbidden[name])
                with warnings.catch_warnings(), np.errstate(all="ignore"), guard:
                    warnings.simplefilter("ignore")
                    outputs = ex.run(functions, case)
                if guard.hits:
                    raise Blocked(f"called {guard.hits[0]}, which this exercise forbids")
                for out_name, value in outputs.items():
                    if hasattr(value, "detach"):
                        value = value.detach().cpu().numpy()
                    arrays[f"{key}/{out_name}"] = plain(value, copy=True, subok=False)
            except (Exception, SystemExit, _Alarm) as err:
                errors[key] = f"{type(err).__name__}: {err}"[:300]
            finally:
                signal.alarm(0)
                sys.stdout = stdout
    arrays = {k: v for k, v in arrays.items() if v.dtype != object}
    save(out_path, **arrays)
    errors_file.write(dumps(errors))
    errors_file.close()
    sys.stdout.flush()
    real_exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
