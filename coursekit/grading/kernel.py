"""nbgrader's kernel, in the sandbox.

nbgrader itself (trusted: it holds the gradebook and the hidden tests) runs outside; only the
kernel that executes the notebook runs in the sandbox. The kernel talks to nbgrader over
ZeroMQ on Unix sockets in a private folder, the one folder it can write outside its own
memory, so it needs no network. It sees a private copy of its own notebook in its working
folder and, as ``COURSEKIT_HIDDEN_KEY``, the key its hidden cases are drawn from.
"""

import os
import shutil
import subprocess
import tempfile

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Unicode

from coursekit.grading import sandbox
from coursekit.grading.exercises import HIDDEN_KEY_ENV
from coursekit.headless import QuietWidgets


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start under bubblewrap and talk over Unix sockets."""

    hidden_key = Unicode("", help="key of the hidden cases, passed to the kernel").tag(config=True)
    notebook_file = Unicode("", help="host path of the notebook shown to the kernel").tag(config=True)
    work_dir = Unicode(f"{sandbox.HOME}/work", help="the kernel's working folder").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="coursekit-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._socket_dir, "kernel")
        self.connection_file = os.path.join(self._socket_dir, "connection.json")
        self._fds = {}

    def _policy(self):
        env = {"NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde")}
        if self.hidden_key:
            env[HIDDEN_KEY_ENV] = self.hidden_key
        files = {}
        if self.notebook_file:
            files[f"{self.work_dir}/{os.path.basename(self.notebook_file)}"] = self.notebook_file
        return sandbox.Policy(env=env, writable=(self._socket_dir,), files=files, cwd=self.work_dir)

    def format_kernel_cmd(self, extra_arguments=None):
        # A signal to the sandbox's process group does not reach the kernel (it runs in a
        # new session): interrupt it with a message on its control channel instead.
        self.kernel_spec.interrupt_mode = "message"
        argv = super().format_kernel_cmd(extra_arguments)
        policy = self._policy()
        self._close_fds()
        self._fds = {inside: os.open(host, os.O_RDONLY) for inside, host in policy.files.items()}
        return sandbox.command(policy, argv, self._fds)

    async def _async_launch_kernel(self, kernel_cmd, **kwargs):
        kwargs["pass_fds"] = tuple(self._fds.values())
        # The kernel's own stdout and stderr (not the notebook's outputs, which travel over
        # ZeroMQ) go nowhere: it must not write to nbgrader's log or to any file of ours.
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL
        try:
            await super()._async_launch_kernel(kernel_cmd, **kwargs)
        finally:
            self._close_fds()

    def _close_fds(self):
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(QuietWidgets, Execute):
    """nbgrader's Execute preprocessor, with its kernel in the sandbox (and the client that
    cannot stall on an Output widget, see :mod:`coursekit.headless`)."""

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)


def sandboxed_preprocessors(preprocessors):
    """An autograde preprocessor list with nbgrader's Execute (or a subclass named so, such as
    :func:`coursekit.headless.nbgrader_execute`'s) replaced by the sandboxed one."""
    return [SandboxedExecute if step.__name__ == "Execute" else step for step in preprocessors]
