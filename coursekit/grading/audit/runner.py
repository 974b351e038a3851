"""The audit's process in the sandbox: run a student's functions on the cases, nothing else.

Started by :mod:`coursekit.grading.audit.sandboxed` as
``python -m coursekit.grading.audit.runner RESULT_FD`` inside the sandbox. On stdin come two
frames (:mod:`.frames`): the setup (cells, calls, which modules are stubs, each exercise's
student side as :func:`coursekit.grading.case_side.spec` describes it), then the seeds. Its
coursekit is a copy without the reference modules nor the exercises' parent side: importing
one gives a stub whose functions raise (:class:`.stubs.StubModules`); the exercises come from
their ``cases`` modules (:func:`coursekit.grading.case_side.student_side`). The packages the
exercises do not list are not in the sandbox at all (:class:`.stubs.Unavailable` stands in
for their import).

It reads the setup, does every import, and forks. The child, the worker (:mod:`.worker`),
forbids itself new processes and runs the student's code; it never sees the seeds, which
the parent reads only after the fork, nor the result's descriptor. The parent, the collector
(:mod:`.collector`), draws each case, asks the worker for its outputs, checks each reply as
untrusted bytes, and writes the result: the ready marker, then one ``.npz`` of plain arrays
(no pickles; the errors as JSON inside) to ``RESULT_FD``. The grading process reads that with
``allow_pickle=False`` and compares it with the references in its own process.
"""

import importlib
import json
import os
import sys
import warnings

from coursekit.grading.audit import frames, no_processes
from coursekit.grading.audit.collector import ERRORS_KEY, READY  # noqa: F401  (the result's markers)
from coursekit.grading.audit.stubs import StubModules, Unavailable

MAX_JOB_BYTES = 64 * 2**20
MAX_RESULT_BYTES = 64 * 2**20  # the outputs of every case; honest ones take a few MB


def main(result_fd: int) -> None:
    setup = json.loads(frames.read(0, MAX_JOB_BYTES))
    result = os.fdopen(os.dup(result_fd), "wb")
    os.close(result_fd)
    sys.meta_path[:0] = [Unavailable(setup["refused"]), StubModules(setup["hidden_modules"])]
    import numpy  # noqa: F401

    from coursekit.grading import case_side

    for spec in setup["exercises"].values():  # each exercise's student side, from its cases module
        case_side.student_side(spec["student_side"])
    for module in setup.get("preload", []):
        importlib.import_module(module)
    import coursekit.grading.guard  # noqa: F401  (takes its own references to the profiler first)
    from coursekit.grading.audit import collector, worker

    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (fork with library threads: the worker starts none)
        pid = os.fork()
    if pid == 0:
        result.close()
        os.close(requests_write)
        os.close(replies_read)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the seeds are still in the stdin pipe: the worker lets go of it
        os.close(devnull)
        worker.serve(setup, requests_read, replies_write)
    os.close(requests_read)
    os.close(replies_write)
    no_processes.not_dumpable()  # before the seeds: no ptrace or /proc/<pid>/mem from the worker
    secret = json.loads(frames.read(0, MAX_JOB_BYTES))
    collector.run(setup, secret, pid, requests_write, replies_read, result, MAX_RESULT_BYTES)


if __name__ == "__main__":
    main(int(sys.argv[1]))
