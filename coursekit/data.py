"""Data sets for the workbook. Everything is seeded and works offline by default.

- :func:`digits`: scikit-learn's bundled 8x8 digits, split and standardised.
- :func:`moons` and :func:`spirals`: two-dimensional sets for decision boundaries.
- :func:`noisy_returns`: a synthetic daily-return series with a weak signal in heavy noise.
- :func:`fashion_mnist`: downloads once into a cache, checked by MD5; offline it fails with
  a message that names the offline default, :func:`digits`.
"""

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Split:
    """A train/validation/test split; x arrays are (N, D) floats, y arrays (N,) int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self):
        return self.x_train.shape[1]

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1


def _check_fraction(name, value):
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")


def split_and_standardise(x, y, *, seed=0, val_fraction=0.2, test_fraction=0.2, dtype=np.float64):
    """Shuffle, split into train/val/test and standardise with the training statistics."""
    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction + test_fraction must be < 1 to leave training data")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = np.asarray(x, dtype=np.float64)[order], np.asarray(y, dtype=np.int64)[order]
    n_test = int(round(test_fraction * len(x)))
    n_val = int(round(val_fraction * len(x)))
    n_train = len(x) - n_val - n_test
    mean = x[:n_train].mean(axis=0)
    std = x[:n_train].std(axis=0)
    x = ((x - mean) / np.where(std > 1e-8, std, 1.0)).astype(dtype)
    cuts = [n_train, n_train + n_val]
    (xa, xb, xc), (ya, yb, yc) = np.split(x, cuts), np.split(y, cuts)
    return Split(xa, ya, xb, yb, xc, yc)


def digits(*, seed=0, val_fraction=0.2, test_fraction=0.2, dtype=np.float64):
    """scikit-learn's 1,797 handwritten 8x8 digits (64 features, 10 classes), offline.

    Returns:
        Split, standardised per pixel with the training set's mean and std.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return split_and_standardise(
        bunch.data,
        bunch.target,
        seed=seed,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        dtype=dtype,
    )


def moons(n=400, *, noise=0.2, seed=0):
    """Two interleaving half circles. Returns x (n, 2) float64 and y (n,) int64 in {0, 1}."""
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    x = np.where(
        y[:, None] == 0,
        np.c_[np.cos(t), np.sin(t)],
        np.c_[1 - np.cos(t), 0.5 - np.sin(t)],
    )
    x = x + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return x[order], y[order].astype(np.int64)


def spirals(n=600, *, classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class. Returns x (n, 2) and y (n,) int64."""
    if classes < 2:
        raise ValueError(f"classes must be at least 2, got {classes}")
    if n < classes:
        raise ValueError(f"n must be at least classes={classes}, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    angle = 4.0 * r + 2 * np.pi * y / classes + noise * rng.standard_normal(n)
    x = np.c_[r * np.sin(angle), r * np.cos(angle)]
    order = rng.permutation(n)
    return x[order], y[order].astype(np.int64)


def noisy_returns(n_days=2000, *, n_features=8, signal=0.05, noise=1.0, heavy_tails=True, seed=0):
    """A synthetic financial return series: weak linear signal, heavy-tailed noise.

    Features are lagged-factor-like standard normals; the next-day return is
    ``signal * (x @ beta) + noise * eps`` with Student-t(3) noise when ``heavy_tails``.
    The label says whether the return is positive.

    Returns:
        x (n_days, n_features) float64, returns (n_days,) float64, y (n_days,) int64.
    """
    if n_days < 2:
        raise ValueError(f"n_days must be at least 2, got {n_days}")
    if n_features < 1:
        raise ValueError(f"n_features must be at least 1, got {n_features}")
    if signal < 0 or noise < 0:
        raise ValueError(f"signal and noise must be >= 0, got signal={signal}, noise={noise}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_days, n_features))
    beta = rng.standard_normal(n_features) / np.sqrt(n_features)
    if heavy_tails:
        eps = rng.standard_t(3, n_days) / np.sqrt(3.0)  # unit variance
    else:
        eps = rng.standard_normal(n_days)
    returns = signal * (x @ beta) + noise * eps
    return x, returns, (returns > 0).astype(np.int64)


FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}


class DatasetUnavailable(RuntimeError):
    """Raised when a downloadable data set cannot be fetched (offline, or a bad checksum)."""


def default_cache_dir():
    """``$COURSEKIT_DATA`` if set, else ``~/.cache/coursekit``."""
    return Path(os.environ.get("COURSEKIT_DATA", Path.home() / ".cache" / "coursekit"))


def md5sum(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_idx(path):
    """Read an IDX file (optionally gzipped) into a NumPy array of unsigned bytes."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {body.size} values but its header says shape {shape}")
    return body.reshape(shape)


def _fetch(name, checksum, cache, base_url, timeout):
    target = cache / name
    if target.exists() and md5sum(target) == checksum:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(base_url + name, timeout=timeout) as response:
            partial.write_bytes(response.read())
    except (urllib.error.URLError, OSError) as err:
        raise DatasetUnavailable(
            f"Could not download Fashion-MNIST file {name} from {base_url} ({err}). "
            "You may be offline: the workbook's offline default is coursekit.data.digits(). "
            f"To use Fashion-MNIST, place the four .gz files in {cache}."
        ) from err
    if md5sum(partial) != checksum:
        partial.unlink()
        raise DatasetUnavailable(f"{name} from {base_url} failed its MD5 check; it was deleted")
    partial.replace(target)
    return target


def fashion_mnist(
    *,
    cache_dir=None,
    seed=0,
    val_fraction=0.1,
    dtype=np.float32,
    base_url=FASHION_MNIST_URL,
    checksums=None,
    timeout=30,
):
    """Fashion-MNIST (70,000 28x28 images, 10 classes), flattened to 784 standardised features.

    Files are downloaded once into ``cache_dir`` (default :func:`default_cache_dir`) and
    verified by MD5. Offline, :class:`DatasetUnavailable` says so and names
    :func:`digits` as the offline default.

    Returns:
        Split with the official test set as test and ``val_fraction`` of train as validation.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    checksums = FASHION_MNIST_FILES if checksums is None else checksums
    paths = {name: _fetch(name, md5, cache, base_url, timeout) for name, md5 in checksums.items()}
    x_tr = read_idx(paths["train-images-idx3-ubyte.gz"]).reshape(-1, 28 * 28)
    y_tr = read_idx(paths["train-labels-idx1-ubyte.gz"])
    x_te = read_idx(paths["t10k-images-idx3-ubyte.gz"]).reshape(-1, 28 * 28)
    y_te = read_idx(paths["t10k-labels-idx1-ubyte.gz"])
    x = np.concatenate([x_tr, x_te]).astype(np.float64) / 255.0
    y = np.concatenate([y_tr, y_te]).astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x_tr))
    n_val = int(round(val_fraction * len(x_tr)))
    train_idx, val_idx = order[n_val:], order[:n_val]
    test_idx = np.arange(len(x_tr), len(x))
    mean, std = x[train_idx].mean(axis=0), x[train_idx].std(axis=0)
    x = ((x - mean) / np.where(std > 1e-8, std, 1.0)).astype(dtype)
    return Split(x[train_idx], y[train_idx], x[val_idx], y[val_idx], x[test_idx], y[test_idx])
