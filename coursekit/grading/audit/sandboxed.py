"""Starting the audit's runner in the sandbox, with a coursekit that has no references.

The runner's view of coursekit is a copy of the package without the files of the reference
modules (and without any ``__pycache__``), mounted read only where the package lives, so that
no path, name or import reaches reference code. The runner serves those modules as stubs
(:class:`coursekit.grading.audit.stubs.StubModules`) from :func:`hidden_module_info`.

The packages that none of the notebook's exercises lists (``Exercise.packages``: torch, SciPy,
scikit-learn) are not in the sandbox at all: an empty read-only file system covers each of
their folders (:func:`coursekit.grading.sandbox.package_dirs`).
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.grading import defaults, sandbox, watchdog
from coursekit.grading.audit import frames, result_archive
from coursekit.grading.audit.collector import ERRORS_KEY, READY
from coursekit.grading.audit.result_archive import ForgedResult
from coursekit.grading.audit.runner import MAX_RESULT_BYTES as RUNNER_BUDGET
from coursekit.grading.exercises import OPTIONAL_PACKAGES

MAX_RESULT_BYTES = RUNNER_BUDGET + 16 * 2**20  # the outputs, and the archive's own headers
AUDIT_LIMITS = watchdog.Limits(timeout=defaults.AUDIT_TIMEOUT, memory_mb=defaults.AUDIT_MEMORY_MB)
CELL_SECONDS = defaults.CELL_TIMEOUT  # as nbgrader's cell timeout in nbgrader_config.py
_VIEWS: dict[tuple[str, ...], Path] = {}


def _plain(value):
    """``value`` if it survives JSON unchanged as a constant, else None."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        return items if all(i is not None or v is None for i, v in zip(items, value)) else None
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        fields = {k: _plain(v) for k, v in value.items()}
        return fields if all(fields[k] is not None or value[k] is None for k in value) else None
    return None


def describe(value: Any, qualified: str) -> dict[str, Any]:
    """What the runner's stub of ``value`` is made of: a JSON constant kept as it is, a class
    or function replaced by one that raises, containers rebuilt from their items."""
    plain = _plain(value)
    if plain is not None or value is None:
        return {"const": plain}
    if isinstance(value, type):
        return {"class": qualified}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: describe(v, f"{qualified}[{k!r}]") for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {
            "seq": [describe(v, f"{qualified}[{i}]") for i, v in enumerate(value)],
            "tuple": isinstance(value, tuple),
        }
    return {"function": qualified}


def hidden_module_info(module_names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{module: {attribute: description}} of the modules the runner serves as stubs."""
    import importlib

    info: dict[str, dict[str, Any]] = {}
    for name in module_names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # a topic without this reference (e.g. no torch_ref)
                continue
            raise
        info[name] = {
            attr: describe(value, f"{name}.{attr}") for attr, value in vars(module).items() if not attr.startswith("__")
        }
    return info


def coursekit_view(hidden: Iterable[str]) -> Path:
    """A folder holding coursekit without the ``hidden`` modules' files (made once per set)."""
    key = tuple(sorted(hidden))
    if key in _VIEWS and Path(_VIEWS[key]).exists():
        return _VIEWS[key]
    package = sandbox.coursekit_dir()
    view = Path(tempfile.mkdtemp(prefix="coursekit-audit-view-")) / "coursekit"
    atexit.register(watchdog.remove, view.parent)  # (forked units leave with os._exit: not theirs)
    shutil.copytree(package, view, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in key:
        relative = Path(*name.split(".")[1:])
        for path in (view / relative.with_suffix(".py"), view / relative):
            if path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
    _VIEWS[key] = view
    return view


def _reader(fd, cap, keep_tail=False):
    """Read ``fd`` to its end in a thread; at most ``cap`` bytes are kept (the first ones, or
    the last ones with ``keep_tail``), and ``box["overflow"]`` says whether more came."""
    box: dict[str, Any] = {"chunks": [], "size": 0, "overflow": False}

    def read():
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(65536):
                box["chunks"].append(chunk)
                box["size"] += len(chunk)
                while box["size"] > cap and box["chunks"]:
                    box["overflow"] = True
                    dropped = box["chunks"].pop(0 if keep_tail else -1)
                    box["size"] -= len(dropped)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, box


def _data(box):
    return b"".join(box["chunks"])


def refused_modules(packages: Collection[str]) -> list[str]:
    """The top-level modules of the optional packages that ``packages`` does not name."""
    return sorted(m for p, tops in OPTIONAL_PACKAGES.items() if p not in packages for m in tops)


def _command(result_fd, hidden, sandboxed, info_fd, refused):
    argv = [sys.executable, "-m", "coursekit.grading.audit.runner", str(result_fd)]
    if not sandboxed:
        env = {**os.environ, "PYTHONPATH": str(coursekit_view(hidden).parent)}
        return argv, env
    policy = sandbox.Policy(
        coursekit_view=coursekit_view(hidden),
        cwd=f"{sandbox.HOME}/work",
        hidden_dirs=tuple(sandbox.package_dirs(refused)),
    )
    return sandbox.command(policy, argv, info_fd=info_fd), None


def _job(cells, calls, specs, hidden, cell_seconds, labels, packages):
    """The runner's stdin: the setup frame, then the seeds' frame (read after the fork)."""
    refused = refused_modules(packages)
    uses_torch = any("torch" in c for c in cells) or any(s["torch_names"] for s in specs.values())
    setup = {
        "cells": cells,
        "calls": calls,
        "hidden_modules": hidden,
        "cell_seconds": cell_seconds,
        "labels": labels,
        "refused": refused,
        "preload": ["torch"] if uses_torch and "torch" not in refused else [],
        "exercises": {
            n: {"forbidden": s["forbidden"], "torch_names": s["torch_names"], "student_side": s["student_side"]}
            for n, s in specs.items()
        },
    }
    secret = {n: {"visible_seed": s["visible_seed"], "hidden_seed": s["hidden_seed"]} for n, s in specs.items()}
    return frames.pack(json.dumps(setup).encode()) + frames.pack(json.dumps(secret).encode()), refused


def run_runner(
    cells: list[str],
    calls: list[tuple[str, list[str]]],
    specs: dict[str, dict[str, Any]],
    hidden: dict[str, Any],
    *,
    limits: watchdog.Limits | None = None,
    cell_seconds: float = CELL_SECONDS,
    sandboxed: bool = True,
    labels: list[str] | None = None,
    packages: Collection[str] = (),
) -> tuple[dict[str, np.ndarray], dict[str, str], watchdog.Watched]:
    """Run the student's cells and the exercises' cases in the runner.

    ``packages``: the optional packages the exercises list (``Exercise.packages``); the others
    are not in the sandbox.

    Returns:
        (arrays, errors, watched): outputs by "call/case/output", error messages by key, and
        how the runner ended (:class:`coursekit.grading.watchdog.Watched`).
    """
    limits = limits or AUDIT_LIMITS
    job, refused = _job(cells, calls, specs, hidden, cell_seconds, labels, packages)
    result_read, result_write = os.pipe()
    info_read, info_write = os.pipe()
    command, env = _command(result_write, hidden, sandboxed, info_write, refused)
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=(result_write, info_write),
        env=env,
        cwd=tempfile.gettempdir(),
    )
    os.close(result_write)
    os.close(info_write)
    if sandboxed:  # before the job (and so any student code) reaches it
        pid = sandbox.read_pid(info_read)
        if pid is not None:
            sandbox.limit_ipc(pid)
    else:
        os.close(info_read)
    results, result_box = _reader(result_read, MAX_RESULT_BYTES)
    assert process.stderr is not None  # stderr=subprocess.PIPE
    errs, err_box = _reader(os.dup(process.stderr.fileno()), 65536, keep_tail=True)
    process.stderr.close()
    threading.Thread(target=_feed, args=(process.stdin, job), daemon=True).start()
    watched = watchdog.watch(process.pid, limits, reap=process.poll)
    results.join(timeout=10)
    errs.join(timeout=2)
    data = _data(result_box)
    if not data.startswith(READY) and not result_box["overflow"]:
        tail = (_data(err_box).decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        reason = watched.message or f"exited with status {watched.exitcode}: {tail[:300]}"
        return {}, {"grader": f"the audit's runner did not start ({reason})"}, watched
    if result_box["overflow"]:
        return {}, {"sandbox": f"its output was larger than {MAX_RESULT_BYTES >> 20} MB"}, watched
    try:
        if watched.exitcode != 0:
            raise ForgedResult(f"the runner exited with status {watched.exitcode}")
        arrays = result_archive.load(data[len(READY) :], MAX_RESULT_BYTES)
        errors = json.loads(arrays.pop(ERRORS_KEY).tobytes().decode())
    except ForgedResult as forged:  # not the one archive the runner writes: a flag, never data
        return {}, {"sandbox": f"the audit's result was refused ({forged})"}, watched
    except Exception:  # no result, or not ours: the runner died, or student code wrote it
        tail = (_data(err_box).decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        reason = watched.message or f"exited with status {watched.exitcode}: {tail[:200]}"
        return {}, {"sandbox": f"the audit's run gave no result ({reason})"}, watched
    return arrays, errors, watched


def _feed(stdin, data):
    try:
        stdin.write(data)
        stdin.close()
    except (BrokenPipeError, OSError):
        pass
