"""A seccomp filter that stops a process from starting others: no fork, no exec, no clone
but a thread's.

The audit's runner installs it in the process that runs student code, after its imports and
before the first student cell (:func:`forbid`). From then on the kernel refuses, whatever
library or spelling asks: ``fork``, ``vfork`` and ``clone`` without ``CLONE_THREAD`` fail with
``EPERM`` (so ``os.fork``, ``os.system``, ``os.popen``, ``subprocess``, ``multiprocessing`` and
``posix_spawn`` all fail), ``execve`` and ``execveat`` too; ``clone3``, whose flags a filter
cannot read, answers ``ENOSYS``, on which the C library falls back to ``clone`` for threads,
which stay allowed. A system call of another ABI (32-bit, x32) is refused too. The filter is
applied to every thread of the process at once (``SECCOMP_FILTER_FLAG_TSYNC``) and cannot be
removed; ``no_new_privs`` is set first, as the kernel asks of an unprivileged process.
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

# machine: (audit arch, seccomp syscall, refused syscalls, clone, clone3, first number of another ABI)
_ABI = {
    "x86_64": (0xC000003E, 317, {"fork": 57, "vfork": 58, "execve": 59, "execveat": 322}, 56, 435, 0x40000000),
    "aarch64": (0xC00000B7, 277, {"execve": 221, "execveat": 281}, 220, 435, None),
}


def _insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine=None):
    """The filter's BPF instructions (bytes) for this machine; ``ValueError`` where unknown."""
    machine = machine or platform.machine()
    if machine not in _ABI:
        raise ValueError(f"machine: no seccomp filter for {machine!r} (known: {sorted(_ABI)})")
    arch, _, refused, clone, clone3, other_abi = _ABI[machine]
    deny, nosys = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
    body = [_insn(_LD_W_ABS, _ARCH), ("arch", arch), _insn(_LD_W_ABS, _NR)]
    if other_abi is not None:
        body.append(("ge", other_abi))
    body += [("eq", nr) for nr in refused.values()]
    body += [("eq3", clone3), ("eqclone", clone), _insn(_RET_K, _ALLOW),
             # clone: a thread (CLONE_THREAD set) is allowed, anything else refused
             _insn(_LD_W_ABS, _ARG0), _insn(_JSET_K, CLONE_THREAD, 0, 1), _insn(_RET_K, _ALLOW)]
    tail = [_insn(_RET_K, deny), _insn(_RET_K, nosys)]  # the jump targets, at the very end
    out = []
    for i, item in enumerate(body):
        if isinstance(item, bytes):
            out.append(item)
            continue
        kind, k = item
        to_end = len(body) - i - 1  # instructions between this one and the tail
        if kind == "arch":  # another ABI's arch: refuse
            out.append(_insn(_JEQ_K, k, 0, to_end))
        elif kind == "ge":
            out.append(_insn(_JGE_K, k, to_end, 0))
        elif kind == "eq":
            out.append(_insn(_JEQ_K, k, to_end, 0))
        elif kind == "eq3":
            out.append(_insn(_JEQ_K, k, to_end + 1, 0))
        else:  # "eqclone": on to the flags check after the ALLOW, else allow
            out.append(_insn(_JEQ_K, k, 1, 0))
    # the flags check falls through to the tail's first instruction (refuse) when unset
    return b"".join(out + tail)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def forbid():
    """Install the filter in this process, every thread. Raises OSError if the kernel refuses."""
    code = program()
    seccomp_nr = _ABI[platform.machine()][1]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _Fprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog)
    if libc.syscall(ctypes.c_long(seccomp_nr), ctypes.c_uint(1), ctypes.c_uint(1), ctypes.byref(fprog)) != 0:
        raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER) failed")
