"""Reading the audit runner's result: bytes that student code could have touched.

The runner writes one ``.npz`` (NumPy's uncompressed zip) after its ready marker. Before
anything is decoded, the archive must be exactly one, spanning the whole payload (a second
archive appended or written ahead of it is refused: zipfile would otherwise read the last
one); every entry must be stored uncompressed, within a byte cap and an entry cap (so no
decompression bomb); every key must be one the runner writes; nothing is unpickled.
"""

import io
import re
import zipfile

import numpy as np

MAX_ENTRIES = 20000
KEY = re.compile(r"^(__errors__|\d+/\d+/[^\x00]{1,300})\.npy$", re.S)  # names are free text


class ForgedResult(ValueError):
    """The result is not the one archive the runner writes."""


def load(
    payload: bytes, max_bytes: int, keys: re.Pattern[str] | set[str] | frozenset[str] = KEY
) -> dict[str, np.ndarray]:
    """{key: array} from the runner's ``.npz`` bytes, or :class:`ForgedResult`.

    ``keys``: the names the archive may hold, a set (without ``.npy``) or a pattern of them
    (with it, for :data:`KEY`)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise ForgedResult(f"not a zip archive ({err})") from err
    entries = archive.infolist()
    if not entries or len(entries) > MAX_ENTRIES:
        raise ForgedResult(f"{len(entries)} entries")
    if entries[0].header_offset != 0 or min(e.header_offset for e in entries) != 0:
        raise ForgedResult("data before the archive (a second archive written ahead of or after it)")
    if archive.comment or not payload.endswith(_end_record(payload)):
        raise ForgedResult("data after the archive")
    total = 0
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED:
            raise ForgedResult(f"{entry.filename!r} is compressed")
        if not _allowed(entry.filename, keys):
            raise ForgedResult(f"unexpected key {entry.filename[:80]!r}")
        total += entry.file_size
        if entry.file_size != entry.compress_size or total > max_bytes:
            raise ForgedResult(f"declared sizes over {max_bytes >> 20} MB")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:  # an object array, a bad header
        raise ForgedResult(f"an entry is not a plain array ({str(err)[:120]})") from err


def _allowed(filename, keys):
    if isinstance(keys, (set, frozenset)):
        return filename.endswith(".npy") and filename[:-4] in keys
    if keys is KEY:
        return bool(KEY.match(filename))
    return filename.endswith(".npy") and bool(keys.match(filename[:-4]))


def _end_record(payload):
    """The end-of-central-directory record at the very end of ``payload`` (b"" if none)."""
    at = payload.rfind(b"PK\x05\x06")
    return payload[at:] if at >= 0 and len(payload) - at == 22 else b"\0"
