"""The audit's collector: asks the worker for each case's outputs and writes the one result.

It is the runner's process after the fork (:mod:`coursekit.grading.audit.runner`). No student
code ever runs in it. It reads the seeds only after the worker has been forked, so the worker
never holds them; it draws each case itself and sends it to the worker when it asks for that
case's outputs; it accepts a reply only as one uncompressed archive of plain arrays under
names of the form the exercises use, within the byte budget left, checked before anything is
decoded (:mod:`.result_archive`); a reply it did not ask for, or a malformed one, ends the
audit with a flag and never becomes data. Only it holds the result's descriptor.
"""

import json
import os
import pickle
import re
import select
from typing import Any

import numpy as np

from coursekit.grading.audit import frames, result_archive
from coursekit.grading.audit.result_archive import ForgedResult
from coursekit.grading.audit.worker import ERROR_KEY

ERRORS_KEY = "__errors__"
READY = b"coursekit-runner-ready\n"  # written once the worker is about to run student code
OUTPUT_NAME = re.compile(r"^[^\x00]{1,300}$", re.S)


class WorkerFailed(Exception):
    """The worker ended, or stopped answering as it should."""


def _pending(fd):
    """Whether the worker has written something nobody asked for yet."""
    return bool(select.select([fd], [], [], 0)[0])


def _decode_errors(array, allowed):
    errors = json.loads(array.tobytes().decode())
    if not isinstance(errors, dict) or not all(
        isinstance(k, str) and allowed(k) and isinstance(v, str) for k, v in errors.items()
    ):
        raise ForgedResult("the cells' errors are not the worker's")
    return {k: v[:300] for k, v in errors.items()}


def _threads(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def _last_pid():
    """The last pid handed out in the sandbox's pid namespace: every thread or process that
    starts, however briefly, takes the next one (-1 where it cannot be read)."""
    try:
        with open("/proc/sys/kernel/ns_last_pid") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return -1


class Collector:
    def __init__(self, requests_fd: int, replies_fd: int, budget: int, seconds: float, worker_pid: int) -> None:
        self.requests_fd, self.replies_fd, self.left = requests_fd, replies_fd, budget
        self.seconds = seconds  # a reply's time limit (the worker's own alarm can be cancelled)
        self.worker_pid, self.threads = worker_pid, _threads(worker_pid)  # its imports' pools
        self.asked = None  # the last pid handed out when the current case was asked for

    def reply(self, keys: Any = None) -> dict[str, np.ndarray]:
        """The worker's next frame as arrays (``keys``: the names it may hold, else outputs)."""
        if not select.select([self.replies_fd], [], [], self.seconds)[0]:
            raise WorkerFailed(f"no reply within {self.seconds} s")
        try:
            data = frames.read(self.replies_fd, self.left)
        except frames.FrameTooLarge as err:
            raise ForgedResult(str(err)) from err
        except frames.FrameError as err:
            raise WorkerFailed(str(err)) from err
        self.left -= len(data)
        arrays = result_archive.load(data, self.left + len(data), keys=keys or OUTPUT_NAME)
        if _pending(self.replies_fd):
            raise ForgedResult("a second reply to one request")
        started = _threads(self.worker_pid) - self.threads
        if started > 0:
            raise ForgedResult(f"the answer started {started} thread(s), which the call guard does not watch")
        tasks = _last_pid() - self.asked if self.asked is not None and self.asked >= 0 else 0
        if tasks > 0:  # (a thread started and ended within the case is counted here)
            raise ForgedResult(
                f"the answer started {tasks} thread(s) during a case, which the call guard does not watch"
            )
        return arrays

    def ask(self, request: Any) -> None:
        self.asked = _last_pid()
        frames.write(self.requests_fd, pickle.dumps(request))


def collect(
    setup: dict[str, Any],
    secret: dict[str, Any],
    collector: Collector,
    errors: dict[str, str],
    arrays: dict[str, Any],
    cells: dict[str, Any],
) -> None:
    """Ask for every case of every call; fills ``errors`` and ``arrays`` (keys "call/case/name")."""
    from coursekit import grading
    from coursekit.grading import wording
    from coursekit.grading.case_side import student_side

    errors.update(_decode_errors(cells[ERRORS_KEY], lambda k: re.fullmatch(r"cell \d+", k)))
    for call_index, (name, _) in enumerate(setup["calls"]):
        ex, seeds = student_side(setup["exercises"][name]["student_side"]), secret[name]
        all_cases = grading.cases(ex, False, seed=seeds["visible_seed"]) + grading.cases(
            ex, True, seed=seeds["hidden_seed"]
        )
        for case_index, case in enumerate(all_cases):
            collector.ask((call_index, case))
            got = collector.reply()
            key = wording.case_key(call_index, case_index)
            if ERROR_KEY in got:
                errors[key] = got.pop(ERROR_KEY).tobytes().decode(errors="replace")[:300]
            arrays.update({wording.output_key(call_index, case_index, out): value for out, value in got.items()})
    collector.ask(None)


def finish(worker_pid: int, collector: Collector, errors: dict[str, str]) -> None:
    """Wait for the worker; anything it wrote after its last reply, or an unclean end, is a
    flag (``errors["sandbox"]``)."""
    extra = b""
    try:
        extra = os.read(collector.replies_fd, 1)  # EOF once the worker has exited
    except OSError:
        pass
    _, status = os.waitpid(worker_pid, 0)
    if extra and "sandbox" not in errors:
        errors["sandbox"] = "the audit's result was refused (data after the worker's last reply)"
    elif os.waitstatus_to_exitcode(status) != 0 and "sandbox" not in errors:
        errors["sandbox"] = f"the audit's worker ended with status {os.waitstatus_to_exitcode(status)}"


def run(
    setup: dict[str, Any],
    secret: dict[str, Any],
    worker_pid: int,
    requests_fd: int,
    replies_fd: int,
    result: Any,  # the file the result is written to
    budget: int,
) -> None:
    """The collector's whole life: wait for the worker's ready frame, collect, write, exit."""
    seconds = sum(setup["cell_seconds"] for _ in setup["cells"]) + 30  # the cells run before the first reply
    errors: dict[str, str] = {}
    arrays: dict[str, np.ndarray] = {}
    try:
        if frames.read(replies_fd, 16) != b"ready":
            raise WorkerFailed("no ready frame")
    except (frames.FrameError, WorkerFailed):
        os.waitpid(worker_pid, 0)
        os._exit(3)  # the worker never reached student code: the grader's failure
    collector = Collector(requests_fd, replies_fd, budget, seconds, worker_pid)  # (counts its threads)
    result.write(READY)
    result.flush()
    try:
        frames.write(requests_fd, b"go")
        cells = collector.reply({ERRORS_KEY})
        collector.seconds = setup["cell_seconds"] + 10
        collect(setup, secret, collector, errors, arrays, cells)
    except (ForgedResult, WorkerFailed, BrokenPipeError) as err:
        kind = "refused" if isinstance(err, ForgedResult) else "cut short"
        errors["sandbox"] = f"the audit's result was {kind} ({err})"[:300]
        os.kill(worker_pid, 9)
    finish(worker_pid, collector, errors)
    arrays[ERRORS_KEY] = np.frombuffer(json.dumps(errors).encode(), dtype=np.uint8)
    np.savez(result, **arrays)  # type: ignore[arg-type]  # numpy's stubs read **arrays as allow_pickle
    result.flush()
    os._exit(0)
