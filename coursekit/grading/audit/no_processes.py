"""A seccomp filter that stops a process from starting another process, and from reaching
into another process's memory.

The audit's worker installs it after its imports and before the first student cell
(:func:`forbid`). From then on the kernel refuses, whatever library or spelling asks:
``fork``, ``vfork`` and every ``clone`` but a thread's (so ``os.fork``, ``os.system``,
``os.popen``, ``subprocess``, ``multiprocessing`` and ``posix_spawn`` fail), ``execve`` and
``execveat``, and ``ptrace``, ``process_vm_readv``/``writev``, ``kcmp`` and ``pidfd_getfd``
(the collector's memory and descriptors), each with ``EPERM``; ``clone3``, whose flags a
filter cannot read, answers ``ENOSYS``, on which the C library falls back to ``clone`` for
threads, which the worker then refuses too (``threads=False``): a thread would run outside
the call guard, so the worker starts the libraries' thread pools before it installs the
filter, and the collector also counts the worker's threads. A system call of another ABI (32-bit,
x32) is refused too. The filter applies to every thread of the process at once
(``SECCOMP_FILTER_FLAG_TSYNC``) and cannot be removed; ``no_new_privs`` is set first, as the
kernel asks of an unprivileged process.
"""

import ctypes
import errno
import platform
import struct

# struct sock_filter: u16 code, u8 jt, u8 jf, u32 k
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (little-endian low word of args[0])
CLONE_THREAD = 0x00010000

# machine: (audit arch, the seccomp syscall, refused syscalls, clone, clone3, first number of another ABI)
_ABI = {
    "x86_64": (
        0xC000003E,
        317,
        {
            "fork": 57,
            "vfork": 58,
            "execve": 59,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "kcmp": 312,
            "execveat": 322,
            "pidfd_getfd": 438,
        },
        56,
        435,
        0x40000000,
    ),
    "aarch64": (
        0xC00000B7,
        277,
        {
            "ptrace": 117,
            "execve": 221,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "kcmp": 272,
            "execveat": 281,
            "pidfd_getfd": 438,
        },
        220,
        435,
        None,
    ),
}


def _insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None, threads: bool = False) -> bytes:
    """The filter's BPF instructions (bytes) for this machine; ``ValueError`` where unknown.
    ``threads``: whether a new thread is allowed (the audit's worker allows none)."""
    machine = machine or platform.machine()
    if machine not in _ABI:
        raise ValueError(f"machine: no seccomp filter for {machine!r} (known: {sorted(_ABI)})")
    arch, _, refused, clone, clone3, other_abi = _ABI[machine]
    deny, nosys = _insn(_RET_K, _ERRNO | errno.EPERM), _insn(_RET_K, _ERRNO | errno.ENOSYS)
    tests = ([(_JGE_K, other_abi)] if other_abi is not None else []) + [(_JEQ_K, nr) for nr in refused.values()]
    n = len(tests)
    # [0] arch  [1] another arch: to deny  [2] nr  [3..3+n) refused: to deny
    # [3+n] clone3: to nosys  [4+n] clone: to the flags check  [5+n] allow
    # [6+n] load the flags  [7+n] CLONE_THREAD?  [8+n] a thread: ``threads``  [9+n] deny  [10+n] nosys
    out = [_insn(_LD_W_ABS, _ARCH), _insn(_JEQ_K, arch, 0, n + 7), _insn(_LD_W_ABS, _NR)]
    out += [_insn(code, k, n - i + 5, 0) for i, (code, k) in enumerate(tests)]
    out += [
        _insn(_JEQ_K, clone3, 6, 0),
        _insn(_JEQ_K, clone, 1, 0),
        _insn(_RET_K, _ALLOW),
        _insn(_LD_W_ABS, _ARG0),
        _insn(_JSET_K, CLONE_THREAD, 0, 1),
        _insn(_RET_K, _ALLOW) if threads else deny,
        deny,
        nosys,
    ]
    return b"".join(out)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def forbid(threads: bool = False) -> None:
    """Install the filter in this process, every thread. Raises OSError if the kernel refuses."""
    code = program(threads=threads)
    seccomp_nr = _ABI[platform.machine()][1]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _Fprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog)
    if libc.syscall(ctypes.c_long(seccomp_nr), ctypes.c_uint(1), ctypes.c_uint(1), ctypes.byref(fprog)) != 0:
        raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER) failed")


def not_dumpable() -> None:
    """Make this process undumpable: no process without CAP_SYS_PTRACE may ptrace it or read
    its memory through ``/proc/<pid>/mem`` (the collector, against its worker)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")
