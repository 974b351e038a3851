"""Shared fixtures: the course root, and torch devices (cpu, plus cuda when available)."""

import os
from pathlib import Path

# Two pytest workers share two cores: one thread each (notebook kernels inherit this) avoids
# oversubscription, which makes the small models here several times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def torch_devices():
    """cpu always; cuda as a parameter that is skipped when no GPU is present."""
    import torch

    return [
        "cpu",
        pytest.param("cuda", marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
        ]),
    ]


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
