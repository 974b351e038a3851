"""Shared fixtures and helpers: the course root, torch devices (cpu, plus cuda when available),
smooth_problem, the non-quadratic test loss that both optimizer test files use, the digits
data, closing the figures a test leaves open, and the markers of the solution notebooks' cells.
"""

import os
import sys
from pathlib import Path

# Two pytest workers share two cores: one thread each (notebook kernels inherit this) avoids
# oversubscription, which makes the small models here several times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Hidden cases come from a key (the grader derives one per submission from the course secret);
# a fixed one keeps the suite's hidden cases the same from run to run.
os.environ.setdefault("COURSEKIT_HIDDEN_KEY", "coursekit-test-suite")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def torch_devices():
    """cpu always; cuda as a parameter that is skipped when no GPU is present."""
    import torch

    return [
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.cuda,
                pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
            ],
        ),
    ]


def smooth_problem(seed=0, shape=(3, 4)):
    """A smooth non-quadratic loss: its gradient function and a starting point."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    a = rng.standard_normal((n, n))
    a = a @ a.T / n + 0.1 * np.eye(n)
    b = rng.standard_normal(n)

    def grad(w):
        flat = w.reshape(-1)
        return (a @ flat + b + 0.5 * np.sin(3 * flat)).reshape(w.shape)

    return grad, rng.standard_normal(shape)


def finished_student_notebook(assignment_id, target):
    """The released notebook with every answer cell filled in from the solution, written to
    ``target``; returns its path."""
    import json

    from coursekit import course
    from coursekit.grading.synthetic import finished_notebook

    path = Path(target) / course.notebook_name(assignment_id)
    path.write_text(json.dumps(finished_notebook(ROOT, assignment_id)))
    return path


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items):
    """nbval's cells of the solution notebooks cannot carry decorators: mark them here."""
    solutions = ROOT / "solutions"
    for item in items:
        if item.path.suffix == ".ipynb" and item.path.resolve().is_relative_to(solutions):
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def digits():
    """The offline digits split, once per test module."""
    from coursekit import data

    return data.digits(seed=0)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every matplotlib figure a test left open (where pyplot is loaded at all)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture(scope="session")
def widget_kernel():
    """A kernel in which a test reads what each widget displays (see tests/widget_kernel.py)."""
    from widget_kernel import WidgetKernel

    kernel = WidgetKernel()
    yield kernel
    kernel.close()
