"""The audit's result is read as untrusted bytes: exactly one uncompressed archive, the
runner's keys, sizes checked before anything is decoded. Each attack is a real archive."""

import io
import os
import threading
import zipfile

import numpy as np
import pytest

from coursekit.grading.audit.result_archive import ForgedResult, load

CAP = 2**20


def _through_a_pipe(**arrays):
    """Bytes of ``np.savez`` written to a pipe, as the runner writes its result."""
    read, write = os.pipe()
    writer = threading.Thread(target=lambda: np.savez(os.fdopen(write, "wb"), **arrays))
    writer.start()
    chunks = []
    with os.fdopen(read, "rb") as handle:
        while chunk := handle.read(65536):
            chunks.append(chunk)
    writer.join()
    return b"".join(chunks)


def _honest(score=1.0):
    errors = np.frombuffer(b"{}", dtype=np.uint8)
    return _through_a_pipe(
        **{
            "__errors__": errors,
            "0/0/probabilities": np.full((2, 3), score),
            "0/1/out of your dense_forward": np.ones(2, np.float32),
        }
    )


def test_the_runners_own_archive_is_read():
    arrays = load(_honest(), CAP)
    assert sorted(arrays) == ["0/0/probabilities", "0/1/out of your dense_forward", "__errors__"]
    assert arrays["0/0/probabilities"].tolist() == [[1.0] * 3] * 2


@pytest.mark.parametrize("order", ["appended", "ahead"])
def test_a_second_archive_is_refused(order):
    real, forged = _honest(0.0), _honest(1.0)
    payload = real + forged if order == "appended" else forged + real
    with pytest.raises(ForgedResult, match="data before the archive|data after the archive"):
        load(payload, CAP)


def test_a_compressed_entry_is_refused_before_it_is_inflated():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("0/0/probabilities.npy", "w", force_zip64=True) as entry:
            block = b"\0" * 2**20
            for _ in range(64):  # 64 MB that deflate to about 64 kB
                entry.write(block)
    payload = buffer.getvalue()
    assert len(payload) < 2**20
    with pytest.raises(ForgedResult, match="compressed"):
        load(payload, CAP)


def test_declared_sizes_over_the_cap_are_refused():
    big = _through_a_pipe(**{"__errors__": np.zeros(2, np.uint8), "0/0/x": np.zeros(2 * CAP, np.uint8)})
    with pytest.raises(ForgedResult, match="declared sizes"):
        load(big, CAP)


def test_an_unknown_key_is_refused():
    payload = _through_a_pipe(**{"__errors__": np.zeros(2, np.uint8), "../../etc/passwd": np.zeros(2)})
    with pytest.raises(ForgedResult, match="unexpected key"):
        load(payload, CAP)


def test_bytes_that_are_no_archive_are_refused():
    with pytest.raises(ForgedResult):
        load(b"PK\x05\x06 not an archive", CAP)
