"""The sandbox and the watchdog on their own, probed from inside by real code: what a sandboxed
process can see and write, and which of its resources the watchdog counts."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coursekit.grading import sandbox, watchdog

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]

PROBE = r"""
import json, os, socket
from pathlib import Path
report = {}
secret = Path(SECRET)
try:
    secret.read_bytes(); report["secret"] = "read"
except OSError as err:
    report["secret"] = type(err).__name__
home = Path(HOME)
report["home"] = sorted(str(p) for p in home.iterdir()) if home.exists() else []
for name, path in (("dev", "/dev/owned"), ("coursekit", PACKAGE + "/owned.py"), ("tmp", "/tmp/ok")):
    try:
        Path(path).write_text("x"); report[name] = "written"
    except OSError as err:
        report[name] = type(err).__name__
try:
    Path("/dev/shm/big").write_bytes(b"x" * (100 * 2**20)); report["shm"] = "written"
except OSError as err:
    report["shm"] = type(err).__name__
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); report["network"] = "connected"
except OSError as err:
    report["network"] = type(err).__name__
report["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(json.dumps(report))
"""


def probe(tmp_path):
    secret = tmp_path / "course" / ".coursekit" / "secret"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(os.urandom(32))
    code = f"SECRET, HOME, PACKAGE = {str(secret)!r}, {str(Path.home())!r}, {str(sandbox.coursekit_dir())!r}\n" + PROBE
    process = sandbox.popen(
        sandbox.Policy(), [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


def test_a_sandboxed_process_sees_and_writes_only_what_it_should(tmp_path):
    report = probe(tmp_path)
    assert report["secret"] in ("FileNotFoundError", "PermissionError")
    python = {str(p) for p in sandbox.python_dirs()}
    assert all(any(seen == p or p.startswith(seen + "/") for p in python) for seen in report["home"]), report["home"]
    assert report["dev"] != "written" and report["coursekit"] != "written" and report["tmp"] == "written"
    assert report["shm"] != "written"  # /dev/shm is 64 MB
    assert report["network"] != "connected"
    assert report["processes"] == [1, 2]  # its own PID namespace: bwrap's init and itself
    assert not (sandbox.coursekit_dir() / "owned.py").exists()


def _watched(code, limits, folder=None):
    process = sandbox.popen(
        sandbox.Policy(), [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return watchdog.watch(process.pid, limits, reap=process.poll, folder=folder)


def test_memory_in_a_memfd_counts():
    code = (
        "import os, time\nfd = os.memfd_create('hidden')\n"
        "for _ in range(6): os.write(fd, b'x' * 100 * 2**20)\ntime.sleep(60)"
    )
    watched = _watched(code, watchdog.Limits(timeout=60, memory_mb=400))
    assert watched.status == "memory" and watched.peak_mb > 400, watched


def test_threads_count():
    code = (
        "import threading, time\n"
        "for _ in range(400): threading.Thread(target=time.sleep, args=(60,)).start()\n"
        "time.sleep(60)"
    )
    watched = _watched(code, watchdog.Limits(timeout=60, max_threads=200))
    assert watched.status == "threads", watched


def test_disk_written_into_the_units_folder_counts(tmp_path):
    folder = tmp_path / "unit"
    folder.mkdir()
    code = f"import time\nopen({str(folder / 'big')!r}, 'wb').write(b'x' * 300 * 2**20)\ntime.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code])
    watched = watchdog.watch(process.pid, watchdog.Limits(timeout=60, disk_mb=100), reap=process.poll, folder=folder)
    assert watched.status == "disk", watched
    watchdog.remove(folder)
    assert not folder.exists()


def test_remove_deletes_what_the_work_locked(tmp_path):
    folder = tmp_path / "unit"
    (folder / "locked" / "deeper").mkdir(parents=True)
    (folder / "locked" / "deeper" / "file").write_text("x")
    os.chmod(folder / "locked" / "deeper", 0)
    os.chmod(folder / "locked", 0)
    watchdog.remove(folder)
    assert not folder.exists()


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="memory_mb must be positive"):
        watchdog.Limits(memory_mb=0)


def test_the_kernel_holds_no_file_of_ours(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    from coursekit.grading.kernel import SandboxedKernelManager

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os\ntargets = set()\nfor f in os.listdir('/proc/self/fd'):\n"
                "    try:\n        targets.add(os.readlink('/proc/self/fd/' + f))\n"
                "    except OSError:\n        pass\nprint(sorted(targets))"
            )
        ]
    )
    config = Config()
    config.SandboxedKernelManager.hidden_key = "k"
    with tempfile.TemporaryDirectory() as folder:
        NotebookClient(
            nb,
            kernel_manager_class=SandboxedKernelManager,
            timeout=120,
            config=config,
            resources={"metadata": {"path": folder}},
        ).execute()
    targets = eval(nb.cells[0].outputs[0]["text"])  # noqa: S307  (our own kernel's printout)
    files = [t for t in targets if t.startswith("/") and t != "/dev/null"]
    assert not [t for t in files if not t.startswith(("/proc", "/tmp/coursekit-kernel-"))], targets


SHM_PROBE = r"""
import ctypes, sys
sys.stdin.read()  # wait until the grader has set the limits, as the kernel and runner do
libc = ctypes.CDLL(None, use_errno=True)
made = 0
while made < 20 and libc.shmget(0, ctypes.c_size_t(256 * 2**20), 0o1600) >= 0:
    made += 1
print(made)
"""


def test_system_v_shared_memory_is_capped_inside_the_sandbox():
    """5 GB of System V segments (invisible to a memory watchdog once detached) cannot be made:
    the grader sets the sandbox's own IPC limits from outside before any student code runs."""
    read, write = os.pipe()
    process = subprocess.Popen(
        sandbox.command(sandbox.Policy(), [sys.executable, "-c", SHM_PROBE], info_fd=write),
        pass_fds=(write,),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    os.close(write)
    pid = sandbox.read_pid(read)
    assert pid is not None
    limited = sandbox.limit_ipc(pid)
    out, _ = process.communicate("go", timeout=60)
    if not limited:
        pytest.skip("System V limits are set with nsenter, which needs root (CAP_SYS_ADMIN)")
    assert int(out) == 0  # not one 256 MB segment: the cap is 64 MB
