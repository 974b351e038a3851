"""Reading what a student handed in: the submission folder is untrusted input.

Files are opened without following symbolic links and without blocking (a FIFO would stall
the grader), only regular files are accepted, and only up to a size cap; folders on the way
that are links are refused. Only the notebook, ``timestamp.txt`` and ``submission_secret.txt`` are ever read.
"""

import os
import stat
from pathlib import Path

MAX_TIMESTAMP_BYTES = 200
# what nbgrader's exchange keeps beside the notebook, and nbgrader needs later (release_feedback
# names the feedback after the submission's secret); nothing else handed in is copied anywhere
ALLOWED_EXTRAS = ("timestamp.txt", "submission_secret.txt")


class Refused(ValueError):
    """A submitted path that is not a plain file or folder of the student's own."""


def read_regular(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``limit``), else :class:`Refused`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        if Path(path).is_symlink():
            raise Refused(f"{Path(path).name} is a symbolic link, not a file you handed in") from err
        raise Refused(f"{Path(path).name} cannot be read ({err.strerror})") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{Path(path).name} is not a regular file")
        if info.st_size > limit:
            raise Refused(f"{Path(path).name} is larger than {limit >> 20 or limit} {'MB' if limit >> 20 else 'bytes'}")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:
                raise Refused(f"{Path(path).name} grew past {limit} bytes while it was read")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_folder(folder: str | Path, base: str | Path) -> None:
    """Refuse a submission folder that is, or lies under, a link below ``base``."""
    folder, base = Path(folder), Path(base)
    for part in [folder, *folder.parents]:
        if part == base:
            return
        if part.is_symlink():
            raise Refused(f"{part.relative_to(base)} is a symbolic link, not a folder handed in")


def timestamp(folder: str | Path) -> str | None:
    """The submission's timestamp.txt as text, or None (missing, not a plain file, too long)."""
    try:
        return read_regular(Path(folder) / "timestamp.txt", MAX_TIMESTAMP_BYTES).decode("utf-8", "replace").strip()
    except Refused:
        return None


def copy_allowed(folder: str | Path, target: str | Path) -> None:
    """Copy :data:`ALLOWED_EXTRAS` that are small regular files from ``folder`` to ``target``."""
    for name in ALLOWED_EXTRAS:
        try:
            data = read_regular(Path(folder) / name, MAX_TIMESTAMP_BYTES)
        except Refused:
            continue
        (Path(target) / name).write_bytes(data)
