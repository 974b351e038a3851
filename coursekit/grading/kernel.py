"""nbgrader's kernel, in the sandbox.

nbgrader itself (trusted: it holds the gradebook and the hidden tests) runs outside; only the
kernel that executes the notebook runs in the sandbox. The kernel talks to nbgrader over
ZeroMQ on Unix sockets in its own private, size-limited ``/tmp`` (reached from outside through
``/proc/<pid>/root``), so it needs no network and no folder of the host is writable to it. It
sees a private copy of its own notebook in its working folder and, as ``COURSEKIT_HIDDEN_KEY``,
the key its hidden cases are drawn from.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from typing import Any

from jupyter_client.client import KernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Unicode

from coursekit.grading import sandbox
from coursekit.grading.errors import GraderError
from coursekit.grading.exercises import HIDDEN_KEY_ENV
from coursekit.headless import QuietWidgets

SOCKETS = "/tmp/.coursekit-kernel"  # inside the sandbox, in its private, size-limited /tmp
PREFLIGHT = "import coursekit.grading, numpy"
GRADER_ERROR_FILE: str | None = None  # where the unit records a failure of the grader (see submission.py)
OUTPUT_NOTE_FILE: str | None = None  # where it records outputs cut at their cap (a flag on the student)
MAX_CELL_OUTPUT = 5 * 2**20  # bytes of output one cell may leave in the graded notebook
MAX_NOTEBOOK_OUTPUT = 20 * 2**20  # and all cells together
OUTPUT_MESSAGES = ("stream", "display_data", "execute_result", "update_display_data")


def record_grader_error(message: str) -> None:
    if GRADER_ERROR_FILE:
        with open(GRADER_ERROR_FILE, "w") as handle:
            handle.write(message)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start under bubblewrap and talk over Unix sockets.

    The sockets live in the sandbox's own private, size-limited ``/tmp``; this side reaches
    them through ``/proc/<sandbox pid>/root``, a short path whatever ``TMPDIR`` is (a Unix
    socket's path has at most 107 bytes), so no folder of the host is writable to the kernel.
    """

    hidden_key = Unicode("", help="key of the hidden cases, passed to the kernel").tag(config=True)
    notebook_file = Unicode("", help="host path of the notebook shown to the kernel").tag(config=True)
    work_dir = Unicode(f"{sandbox.HOME}/work", help="the kernel's working folder").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._host_dir = tempfile.mkdtemp(prefix="coursekit-kernel-")
        self.transport = "ipc"
        self.ip = f"{SOCKETS}/kernel"  # as the kernel sees it; this side's path after launch
        self.connection_file = os.path.join(self._host_dir, "connection.json")
        self._fds: dict[str, int] = {}
        self._info: tuple[int, ...] | None = None  # (read end, write end) of the pid pipe

    def _policy(self):
        env = {"NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde")}
        if self.hidden_key:
            env[HIDDEN_KEY_ENV] = self.hidden_key
        files = {f"{SOCKETS}/connection.json": self.connection_file}
        if self.notebook_file:
            files[f"{self.work_dir}/{os.path.basename(self.notebook_file)}"] = self.notebook_file
        return sandbox.Policy(env=env, files=files, cwd=self.work_dir, private_dirs=(SOCKETS,))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        # A signal to the sandbox's process group does not reach the kernel (it runs in a
        # new session): interrupt it with a message on its control channel instead.
        assert self.kernel_spec is not None  # (as AsyncKernelManager's own format_kernel_cmd asserts)
        self.kernel_spec.interrupt_mode = "message"
        argv = [
            f"{SOCKETS}/connection.json" if arg == self.connection_file else arg
            for arg in super().format_kernel_cmd(extra_arguments)
        ]
        policy = self._policy()
        self._close_fds()
        self._fds = {inside: os.open(host, os.O_RDONLY) for inside, host in policy.files.items()}
        self._info = os.pipe()
        return sandbox.command(policy, argv, self._fds, info_fd=self._info[1])

    async def _async_launch_kernel(self, kernel_cmd, **kwargs):
        assert self._info is not None  # the pid pipe, made by format_kernel_cmd
        kwargs["pass_fds"] = (*self._fds.values(), self._info[1])
        # The kernel's own stdout and stderr (not the notebook's outputs, which travel over
        # ZeroMQ) go nowhere: it must not write to nbgrader's log or to any file of ours.
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL
        try:
            await super()._async_launch_kernel(kernel_cmd, **kwargs)
        except Exception as err:
            record_grader_error(f"the kernel's sandbox could not be launched ({type(err).__name__}: {err})")
            raise
        finally:
            self._close_fds()
        pid = sandbox.read_pid(self._info[0])
        if pid is None:
            message = "the sandbox around the kernel did not start (bubblewrap gave no pid)"
            record_grader_error(message)
            raise GraderError(message)
        sandbox.limit_ipc(pid)  # before any cell runs
        self.ip = f"/proc/{pid}/root{SOCKETS}/kernel"

    def _close_fds(self):
        for fd in (*self._fds.values(), *(self._info[1:] if self._info else ())):
            os.close(fd)
        self._fds = {}
        if self._info:
            self._info = (self._info[0],)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._host_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(QuietWidgets, Execute):
    """nbgrader's Execute preprocessor, with its kernel in the sandbox (and the client that
    cannot stall on an Output widget, see :mod:`coursekit.headless`).

    Before the first cell, the kernel imports what every notebook's setup imports. If the
    kernel does not start or that fails, no student code has run: that is the grader's
    failure (:class:`GraderError`, recorded for the unit), never a student's crash."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)

    async def async_start_new_kernel_client(self) -> KernelClient:
        try:
            client = await super().async_start_new_kernel_client()
            reply = await client.execute_interactive(
                PREFLIGHT, silent=True, store_history=False, timeout=self.startup_timeout
            )
        except Exception as err:
            message = f"the sandboxed kernel did not start ({type(err).__name__}: {err})"
            record_grader_error(message)
            raise GraderError(message) from err
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            message = (
                f"inside the sandbox, the kernel could not run `{PREFLIGHT}` "
                f"({content.get('ename')}: {content.get('evalue')})"
            )
            record_grader_error(message)
            raise GraderError(message)
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # nbconvert calls this one

    def process_message(self, msg: dict[str, Any], cell: NotebookNode, cell_index: int) -> NotebookNode | None:
        """Outputs are capped in bytes as they arrive, per cell and per notebook: past a cap,
        they are dropped and the cell says where it was cut (nbgrader's own limit counts
        lines, and a line can be megabytes)."""
        if msg.get("msg_type") == "error":  # never dropped (a failed test must stay failed), only trimmed
            content = msg.get("content") or {}
            content["traceback"] = [str(line)[:2000] for line in (content.get("traceback") or [])[-50:]]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
        elif msg.get("msg_type") in OUTPUT_MESSAGES:
            size = _size(msg.get("content"))
            counts = self.__dict__.setdefault("_output_bytes", {"total": 0})
            counts[cell_index] = counts.get(cell_index, 0) + size
            counts["total"] += size
            if counts[cell_index] > MAX_CELL_OUTPUT or counts["total"] > MAX_NOTEBOOK_OUTPUT:
                if not counts.get(("cut", cell_index)):
                    counts[("cut", cell_index)] = True
                    cap = MAX_CELL_OUTPUT if counts[cell_index] > MAX_CELL_OUTPUT else MAX_NOTEBOOK_OUTPUT
                    note = f"output cut here: over {cap >> 20} MB (coursekit's grading cap)"
                    cell.setdefault("outputs", []).append(new_output("stream", name="stdout", text=f"\n[{note}]\n"))
                    _note_output(f"cell {cell_index}: {note}")
                return None
        return super().process_message(msg, cell, cell_index)


def sandboxed_preprocessors(preprocessors: Iterable[type]) -> list[type]:
    """An autograde preprocessor list with nbgrader's Execute (or a subclass named so, such as
    :func:`coursekit.headless.nbgrader_execute`'s) replaced by the sandboxed one."""
    return [SandboxedExecute if step.__name__ == "Execute" else step for step in preprocessors]


def _size(value, depth=0):
    """Bytes of text and data in a message's content (bounded depth)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if depth > 20:
        return 0
    if isinstance(value, dict):
        return sum(_size(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_size(v, depth + 1) for v in value)
    return 8


def _note_output(text):
    if OUTPUT_NOTE_FILE:
        with open(OUTPUT_NOTE_FILE, "a") as handle:
            handle.write(text + "\n")
