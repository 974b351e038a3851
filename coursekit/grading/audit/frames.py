"""Length-prefixed frames on a pipe between the audit's collector and its worker."""

import os
import struct

_LENGTH = struct.Struct(">Q")


class FrameError(ValueError):
    """A frame cut short, or none: the writer ended."""


class FrameTooLarge(FrameError):
    """A frame whose declared length is over what the reader accepts (nothing of it is read)."""


def pack(payload: bytes) -> bytes:
    return _LENGTH.pack(len(payload)) + payload


def write(fd: int, payload: bytes) -> None:
    data = pack(payload)
    while data:
        data = data[os.write(fd, data) :]


def _read_exactly(fd, n):
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise FrameError(f"the pipe closed {n - left} bytes into a {n}-byte frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read(fd: int, cap: int) -> bytes:
    """The next frame's bytes; its declared length is checked against ``cap`` before any of
    it is read. ``FrameError`` if the length is over the cap or the pipe ends first."""
    header = _read_exactly(fd, _LENGTH.size)
    (size,) = _LENGTH.unpack(header)
    if size > cap:
        raise FrameTooLarge(f"a frame of {size} bytes, over the {cap}-byte budget left")
    return _read_exactly(fd, size)
