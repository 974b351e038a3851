"""Watching sandboxed work from outside: wall-clock time, resident memory, process count.

Memory is the resident memory (RSS) of the whole process tree, summed, polled a few times a
second; address space is never limited (``import torch`` maps several GB it never touches,
so an address-space limit kills honest kernels). When a limit is passed the whole tree is
killed, and the outcome names the limit and the figure.
"""

import os
import signal
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Limits:
    """Limits of one watched unit of work."""

    timeout: float = 900.0       # wall-clock seconds
    memory_mb: int = 4096        # resident memory of the whole tree
    max_processes: int = 256     # processes in the tree at once
    poll: float = 0.05           # seconds between looks

    def __post_init__(self):
        for name in ("timeout", "memory_mb", "max_processes", "poll"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")


@dataclass
class Watched:
    """How a watched unit ended: status ``ok`` (it exited by itself), ``timeout``,
    ``memory`` or ``processes``; the exit code; peak memory and the time it took."""

    status: str
    exitcode: int = None
    peak_mb: float = 0.0
    seconds: float = 0.0
    message: str = ""


def family(pid):
    """The process and all its descendants (psutil.Process objects); [] once it is gone."""
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def resident_mb(processes):
    total = 0
    for proc in processes:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 2**20


def kill_tree(pid, known=()):
    """SIGKILL a process, every descendant, and any of ``known`` still alive; a sandbox's PID
    namespace dies with its first process."""
    processes = family(pid)
    for proc in list(known) + processes:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=5)


def _waitpid(pid):
    """Exit code of a finished child, or None while it runs (or once already reaped)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status) if done else None


class Watcher:
    """Watches one child ``pid`` (and its descendants); :meth:`poll` until it returns a result.

    Whatever the child leaves running when it ends is killed too.

    Args:
        pid: a child of this process.
        limits: :class:`Limits`.
        reap: returns the exit code once the child has finished, else None (default:
            ``os.waitpid``; pass ``popen.poll`` for a subprocess.Popen).
    """

    def __init__(self, pid, limits, *, reap=None):
        self.pid, self.limits = pid, limits
        self.reap = reap or (lambda: _waitpid(pid))
        self.start, self.peak, self.processes = time.monotonic(), 0.0, []

    def poll(self):
        """None while the child runs within its limits, else a :class:`Watched`."""
        code = self.reap()
        elapsed = time.monotonic() - self.start
        if code is not None:
            kill_tree(self.pid, self.processes[1:])
            return Watched("ok", code, self.peak, elapsed)
        self.processes = family(self.pid)
        used = resident_mb(self.processes)
        self.peak = max(self.peak, used)
        verdict = self._verdict(elapsed, used, len(self.processes))
        if verdict is None:
            return None
        kill_tree(self.pid, self.processes)
        deadline = time.monotonic() + 10
        while (code := self.reap()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return Watched(verdict[0], code, self.peak, elapsed, verdict[1])

    def _verdict(self, elapsed, used, count):
        limits = self.limits
        if elapsed > limits.timeout:
            return "timeout", f"took longer than {limits.timeout:g} s"
        if used > limits.memory_mb:
            return "memory", (f"used {used:.0f} MB of resident memory, over the limit of "
                              f"{limits.memory_mb} MB")
        if count > limits.max_processes:
            return "processes", f"ran {count} processes at once, over the limit of {limits.max_processes}"
        return None


def watch(pid, limits, *, reap=None):
    """Watch a child until it ends or passes a limit; returns a :class:`Watched`."""
    watcher = Watcher(pid, limits, reap=reap)
    while (result := watcher.poll()) is None:
        time.sleep(limits.poll)
    return result
