"""Watching sandboxed work from outside: time, memory, processes, threads and disk.

Memory is that of the whole process tree: its proportional set size (shared pages split
between the processes that share them, so a forked child is not counted twice) plus the
in-memory files it holds open and no folder shows (``memfd_create``, deleted files). The
cheap resident size is read several times a second, the full figure twice a second and
whenever the resident size passes the limit. Address space is never limited (``import
torch`` maps several GB it never touches, so an address-space limit kills honest kernels).
When a limit is passed the whole tree is killed, and the outcome names the limit and the
figure.
"""

import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

from coursekit.grading import defaults
from coursekit.grading.outcomes import Status, Watched


@dataclass(frozen=True)
class Limits:
    """Limits of one watched unit of work."""

    timeout: float = float(defaults.GRADE_TIMEOUT)  # wall-clock seconds
    memory_mb: int = defaults.GRADE_MEMORY_MB  # memory of the whole tree (see the module docstring)
    max_processes: int = 256  # processes in the tree at once
    max_threads: int = 2048  # threads in the tree at once
    disk_mb: int = 256  # what the unit writes into its own host folder
    poll: float = 0.05  # seconds between quick looks
    deep: float = 0.5  # seconds between full measurements

    def __post_init__(self) -> None:
        for name in ("timeout", "memory_mb", "max_processes", "max_threads", "disk_mb", "poll", "deep"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")


def family(pid: int) -> list[psutil.Process]:
    """The process and all its descendants (psutil.Process objects); [] once it is gone."""
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _sum(processes, measure):
    total = 0
    for proc in processes:
        try:
            total += measure(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, FileNotFoundError, ProcessLookupError):
            pass
    return total


def resident_mb(processes: list[psutil.Process]) -> float:
    return _sum(processes, lambda p: p.memory_info().rss) / 2**20


def _hidden_files(pid, seen):
    """Bytes of in-memory or deleted files the process holds open (each file counted once)."""
    total = 0
    folder = f"/proc/{pid}/fd"
    for fd in os.listdir(folder):
        try:
            target = os.readlink(f"{folder}/{fd}")
            if target.startswith("/memfd:") or target.endswith("(deleted)"):
                info = os.stat(f"{folder}/{fd}")
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_size
        except OSError:
            pass
    return total


def memory_mb(processes: list[psutil.Process]) -> float:
    """Proportional set size of the processes plus the hidden files they hold, in MB."""
    seen: set[tuple[int, int]] = set()
    pss = _sum(processes, lambda p: getattr(p.memory_full_info(), "pss", None) or p.memory_info().rss)
    return (pss + _sum(processes, lambda p: _hidden_files(p.pid, seen))) / 2**20


def threads(processes: list[psutil.Process]) -> int:
    return _sum(processes, lambda p: p.num_threads())


def folder_mb(folder: str | os.PathLike, cap: int = 20000) -> float:
    """Disk used below ``folder``: iterative (any depth), never following a link, and at most
    ``cap`` entries (files and folders) looked at."""
    total, count, stack = 0, 0, [str(folder)]
    while stack and count <= cap:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            count += 1
            try:
                total += entry.stat(follow_symlinks=False).st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                pass
    return total / 2**20


def kill_tree(pid: int, known: Iterable[psutil.Process] = ()) -> None:
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
        folder: the unit's own host folder, whose size counts against ``limits.disk_mb``.
    """

    def __init__(
        self,
        pid: int,
        limits: Limits,
        *,
        reap: Callable[[], int | None] | None = None,
        folder: str | os.PathLike | None = None,
    ) -> None:
        self.pid, self.limits, self.folder = pid, limits, folder
        self.reap = reap or (lambda: _waitpid(pid))
        self.start, self.peak = time.monotonic(), 0.0
        self.processes: list[psutil.Process] = []
        self.next_deep = self.start

    def poll(self) -> Watched | None:
        """None while the child runs within its limits, else a :class:`Watched`."""
        code = self.reap()
        elapsed = time.monotonic() - self.start
        if code is not None:
            kill_tree(self.pid, self.processes[1:])
            return Watched(Status.OK, code, self.peak, elapsed)
        self.processes = family(self.pid)
        verdict = self._verdict(elapsed)
        if verdict is None:
            return None
        kill_tree(self.pid, self.processes)
        deadline = time.monotonic() + 10
        while (code := self.reap()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return Watched(verdict[0], code, self.peak, elapsed, verdict[1])

    def _verdict(self, elapsed):
        limits, count = self.limits, len(self.processes)
        if elapsed > limits.timeout:
            return Status.TIMEOUT, f"took longer than {limits.timeout:g} s"
        if count > limits.max_processes:
            return Status.PROCESSES, f"ran {count} processes at once, over the limit of {limits.max_processes}"
        quick = resident_mb(self.processes)
        if quick <= limits.memory_mb and time.monotonic() < self.next_deep:
            return None
        self.next_deep = time.monotonic() + limits.deep
        used = memory_mb(self.processes)
        self.peak = max(self.peak, used)
        if used > limits.memory_mb:
            return Status.MEMORY, f"used {used:.0f} MB of memory, over the limit of {limits.memory_mb} MB"
        running = threads(self.processes)
        if running > limits.max_threads:
            return Status.THREADS, f"ran {running} threads at once, over the limit of {limits.max_threads}"
        if self.folder and (disk := folder_mb(self.folder)) > limits.disk_mb:
            return Status.DISK, f"wrote {disk:.0f} MB to disk, over the limit of {limits.disk_mb} MB"
        return None


def watch(
    pid: int,
    limits: Limits,
    *,
    reap: Callable[[], int | None] | None = None,
    folder: str | os.PathLike | None = None,
) -> Watched:
    """Watch a child until it ends or passes a limit; returns a :class:`Watched`."""
    watcher = Watcher(pid, limits, reap=reap, folder=folder)
    while (result := watcher.poll()) is None:
        time.sleep(limits.poll)
    return result


def remove(folder: str | os.PathLike) -> None:
    """Delete a folder the sandboxed work wrote into, whatever it left there: any depth
    (iterative, no recursion limit), any permissions on its folders, and never through a link
    (a link is removed, not followed, and no chmod goes through one)."""
    import stat

    stack = [(os.fspath(folder), False)]
    while stack:
        path, emptied = stack.pop()
        try:
            info = os.lstat(path)
        except OSError:
            continue
        try:
            if not stat.S_ISDIR(info.st_mode):
                os.unlink(path)
            elif emptied:
                os.rmdir(path)
            else:
                os.chmod(path, stat.S_IRWXU)  # (a real folder: lstat said so)
                stack.append((path, True))
                stack.extend((entry.path, False) for entry in os.scandir(path))
        except OSError:
            pass
