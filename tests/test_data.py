"""Data sets: offline, seeded, standardised; Fashion-MNIST's loader on IDX files we write."""

import gzip
import hashlib
import socket

import numpy as np
import pytest

from coursekit import data


def test_digits_split_and_standardised():
    d = data.digits(seed=0)
    assert d.n_features == 64 and d.n_classes == 10
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 1797
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-12)
    stds = d.x_train.std(axis=0)
    assert np.all((np.abs(stds - 1) < 1e-9) | (stds == 0))  # constant border pixels stay 0
    again = data.digits(seed=0)
    np.testing.assert_array_equal(d.x_train, again.x_train)
    assert not np.array_equal(d.y_train, data.digits(seed=1).y_train)
    assert data.digits(dtype=np.float32).x_train.dtype == np.float32


def test_synthetic_sets_are_seeded_and_balanced():
    x, y = data.moons(200, seed=3)
    assert x.shape == (200, 2) and set(np.unique(y)) == {0, 1} and y.sum() == 100
    np.testing.assert_array_equal(x, data.moons(200, seed=3)[0])
    xs, ys = data.spirals(300, classes=3, seed=1)
    assert xs.shape == (300, 2) and np.bincount(ys).tolist() == [100, 100, 100]


def test_noisy_returns_has_weak_signal_and_heavy_tails():
    x, r, y = data.noisy_returns(20000, n_features=4, signal=0.1, seed=0)
    kurtosis = np.mean((r - r.mean()) ** 4) / np.var(r) ** 2
    assert kurtosis > 4  # Student-t(3) noise: much heavier than a normal's 3
    # The best linear predictor explains only a few percent of the variance.
    beta, *_ = np.linalg.lstsq(x, r, rcond=None)
    r2 = 1 - np.var(r - x @ beta) / np.var(r)
    assert 0.001 < r2 < 0.05
    assert set(np.unique(y)) == {0, 1}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="val_fraction"):
        data.digits(val_fraction=1.5)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        data.moons(10, noise=-1)
    with pytest.raises(ValueError, match="n_days must be at least 2"):
        data.noisy_returns(1)


def _idx(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_fashion(tmp_path):
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (20, 28, 28))),
        "train-labels-idx1-ubyte.gz": _idx(np.arange(20) % 10),
        "t10k-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (6, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": _idx(np.arange(6) % 10),
    }
    for name, blob in files.items():
        (tmp_path / name).write_bytes(blob)
    return tmp_path, {name: hashlib.md5(blob).hexdigest() for name, blob in files.items()}


def test_fashion_mnist_reads_cached_idx_files(fake_fashion):
    cache, sums = fake_fashion
    split = data.fashion_mnist(cache_dir=cache, checksums=sums, val_fraction=0.25, base_url="http://127.0.0.1:9/")
    assert split.x_train.shape == (15, 784) and split.x_val.shape == (5, 784)
    assert split.x_test.shape == (6, 784) and split.y_test.tolist() == list(range(6))
    assert split.x_train.dtype == np.float32


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fashion_mnist_offline_error_names_the_default(fake_fashion, tmp_path_factory):
    _, sums = fake_fashion
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(data.DatasetUnavailable, match=r"offline default is coursekit.data.digits\(\)"):
        data.fashion_mnist(cache_dir=empty, checksums=sums, base_url=f"http://127.0.0.1:{_free_port()}/", timeout=2)


def test_fashion_mnist_rejects_a_corrupt_cache(fake_fashion):
    cache, sums = fake_fashion
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(b"corrupt")
    with pytest.raises(data.DatasetUnavailable):
        data.fashion_mnist(cache_dir=cache, checksums=sums, base_url=f"http://127.0.0.1:{_free_port()}/", timeout=2)


def test_official_checksums_are_listed():
    assert set(data.FASHION_MNIST_FILES) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    assert all(len(v) == 32 for v in data.FASHION_MNIST_FILES.values())
