"""Grading on a Dask cluster, for a class that outgrows one machine.

Each task carries one submission's grading as data: the notebook's bytes, its hidden-case
key and the assignment (scattered once to every worker: the course's nbgrader configuration,
an assignment-only gradebook, the instructor and release notebooks, the limits, the audit's
seed and the instructor's coursekit manifest). No filesystem is shared. A worker grades the
submission exactly as ``coursekit grade`` does here, in a watched child process with the
sandbox, and sends back the result; only the instructor's process writes the gradebook.

A worker needs the same coursekit (it refuses a task if its files differ from the
instructor's), its dependencies, and a working sandbox (Linux with bubblewrap).
"""

import uuid
from collections.abc import Iterator
from typing import Any

from tqdm.auto import tqdm

from coursekit.grading import sandbox, submission
from coursekit.grading.outcomes import AutogradeResult, Status, UnitResult, Watched


def grade_remote(assignment: submission.Assignment, work: submission.Submission) -> str:
    """The task a worker runs: one submission, graded here; returns its result as JSON
    (:meth:`UnitResult.to_json`, as a unit on the instructor's machine writes it)."""
    from coursekit.grading.audit import integrity

    if assignment.manifest is not None:
        diff = integrity.differences(assignment.manifest, integrity.manifest())
        changed = [p for files in diff.values() for p in files]
        if changed:
            return _refused(
                work,
                "this worker's coursekit differs from the instructor's "
                f"({', '.join(changed[:5])}); install the same version",
            )
    if assignment.sandboxed and sandbox.unavailable_reason():
        return _refused(work, f"no sandbox on this worker: {sandbox.unavailable_reason()}")
    return submission.grade_here(assignment, work).to_json()


def _refused(work, message):
    refused = UnitResult(
        work.student,
        nbgrader=AutogradeResult(Status.GRADER_ERROR, message),
        grader_error=message,
        watched=Watched(Status.OK, message=message),
    )
    return refused.to_json()


def connect(address: str) -> Any:  # a distributed.Client (Dask is an optional dependency)
    """A dask.distributed Client for ``address`` (clear error when Dask is not installed)."""
    try:
        from distributed import Client
    except ImportError as err:
        raise RuntimeError("grading on a Dask cluster needs Dask: pip install -e '.[cluster]'") from err
    try:
        return Client(address, timeout="20s")
    except OSError as err:
        raise RuntimeError(f"could not reach the Dask scheduler at {address}: {err}") from err


def run_dask(
    address: str,
    assignment: submission.Assignment,
    todo: list[submission.Submission],
    *,
    progress: bool = True,
    client: Any = None,
) -> Iterator[UnitResult]:
    """Grade the submissions on the cluster; yields their results as they finish."""
    from distributed import as_completed

    own = client is None
    client = client or connect(address)
    run = uuid.uuid4().hex[:8]
    try:
        shared = client.scatter(assignment, broadcast=True)
        futures = [
            client.submit(
                grade_remote, shared, work, pure=False, key=f"coursekit-{assignment.assignment_id}-{work.student}-{run}"
            )
            for work in todo
        ]
        with tqdm(
            total=len(futures),
            desc=f"grading {assignment.assignment_id} on {address}",
            disable=not progress,
            mininterval=0,
            miniters=1,
        ) as bar:
            for future in as_completed(futures):
                bar.update()
                yield UnitResult.from_json(future.result())
    finally:
        if own:
            client.close()
