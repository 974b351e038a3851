"""System V IPC limits inside a sandbox's own IPC namespace, and the sandbox's pid as
bubblewrap reports it (see :mod:`coursekit.grading.sandbox`)."""

import os
import shutil
import subprocess

IPC_LIMITS_MB = 64  # System V shared memory in one sandbox (like /dev/shm); honest code uses none


def limit_ipc(pid: int) -> bool:
    """Cap System V IPC inside the sandbox's own IPC namespace (shared memory to
    :data:`IPC_LIMITS_MB`, few segments and message queues), which no watchdog can see from
    outside. The sandbox is joined with ``nsenter``, which takes CAP_SYS_ADMIN: it works when
    grading as root; returns whether the limits are in force."""
    page = os.sysconf("SC_PAGE_SIZE")
    settings = {
        "shmmax": IPC_LIMITS_MB * 2**20,
        "shmall": IPC_LIMITS_MB * 2**20 // page,
        "shmmni": 16,
        "msgmni": 16,
        "msgmnb": 65536,
    }
    script = " && ".join(f"echo {value} > /proc/sys/kernel/{name}" for name, value in settings.items())
    nsenter = shutil.which("nsenter")
    if nsenter is None:
        return False
    try:
        done = subprocess.run(
            [nsenter, f"--ipc=/proc/{int(pid)}/ns/ipc", "--", "/bin/sh", "-c", script], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def read_pid(fd: int, seconds: float = 60) -> int | None:
    """The sandbox's pid (in this pid namespace), as bubblewrap writes it to its info fd."""
    import json
    import select
    import time

    data, deadline = b"", time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
        return int(json.loads(data.decode())["child-pid"])
    except (ValueError, KeyError, OSError):
        return None
    finally:
        os.close(fd)
