"""Two-dimensional cost surfaces, and optimizer trajectories on them (NumPy).

The notebook and the race widget draw these: an elongated quadratic bowl, where the
notes' claims about momentum, RMSProp and Adam can be measured, and Rosenbrock's curved
valley.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from coursekit import _validate as v
from coursekit.optimizers import numpy_ref


@dataclass(frozen=True)
class Surface:
    """A cost surface ``f(x, y)``.

    Attributes:
        name: short label for titles.
        value: ``value(w)`` for w of shape (..., 2); returns shape (...).
        grad: ``grad(w)`` for w of shape (2,); returns shape (2,).
        minimum: the minimiser (x, y).
        start: the usual starting point (x, y).
        xlim, ylim: plotting window.
    """

    name: str
    value: Callable
    grad: Callable
    minimum: tuple
    start: tuple
    xlim: tuple
    ylim: tuple


def quadratic_bowl(shallow=0.2, steep=10.0):
    """``f = (shallow x**2 + steep y**2) / 2``: a valley along x with steep walls in y.

    Gradient descent is stable only for ``lr < 2 / steep``, and at such a rate it crawls
    along x, where the curvature is ``shallow``.
    """
    for name, value in (("shallow", shallow), ("steep", steep)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    curvature = np.array([shallow, steep], dtype=np.float64)
    return Surface(
        name="elongated bowl",
        value=lambda w: 0.5 * np.sum(curvature * np.asarray(w) ** 2, axis=-1),
        grad=lambda w: curvature * w,
        minimum=(0.0, 0.0),
        start=(-9.0, 1.5),
        xlim=(-10.0, 2.0),
        ylim=(-2.5, 2.5),
    )


def rosenbrock(a=1.0, b=100.0):
    """``f = (a - x)**2 + b (y - x**2)**2``: a curved, flat-bottomed valley; minimum (a, a²)."""
    if not b > 0:
        raise ValueError(f"b must be > 0, got {b}")

    def value(w):
        w = np.asarray(w)
        return (a - w[..., 0]) ** 2 + b * (w[..., 1] - w[..., 0] ** 2) ** 2

    def grad(w):
        x, y = w
        return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])

    return Surface(
        name="Rosenbrock",
        value=value,
        grad=grad,
        minimum=(a, a * a),
        start=(-1.5, 2.0),
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
    )


SURFACES = {"bowl": quadratic_bowl, "rosenbrock": rosenbrock}


def optimizer(name, module=numpy_ref):
    """``(init, step)`` of a course optimizer ("sgd", "momentum", ... "adam") from ``module``."""
    from coursekit.optimizers import NAMES

    v.choice("optimizer", name, NAMES)
    return getattr(module, f"{name}_init"), getattr(module, f"{name}_step")


def trajectory(init, step, surface, *, steps=100, start=None, limit=1e6, **hyper):
    """Run ``steps`` updates of an ``init``/``step`` pair on a surface.

    Args:
        init, step: an optimizer pair, e.g. ``optimizer("adam")`` or your own functions.
        surface: a :class:`Surface`.
        steps: number of updates (>= 0).
        start: starting point (default ``surface.start``).
        limit: stop early once a coordinate exceeds this in size (divergence).
        **hyper: hyperparameters passed to ``step`` (lr, momentum, ...).

    Returns:
        path: (k + 1, 2) float64 array of the points visited, start included; k < steps
        only when the run diverged.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    w = np.array(surface.start if start is None else start, dtype=np.float64)
    if w.shape != (2,):
        raise ValueError(f"start must be a point (x, y), got shape {w.shape}")
    state = init(w)
    path = [w]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w, state = step(w, surface.grad(w), state, **hyper)
            path.append(w)
            if not np.all(np.abs(w) < limit):
                break
    return np.stack(path)


def path_summary(surface, path, *, tol=1e-3):
    """What a path did: final cost, steps until the cost fell below ``tol`` (None if never),
    distance travelled in x and in y, and how many times the y-step changed sign (zigzags).
    """
    costs = surface.value(path)
    below = np.flatnonzero(costs < tol)
    dy = np.diff(path[:, 1])
    return {
        "final cost": float(costs[-1]),
        f"steps to cost < {tol:g}": int(below[0]) if below.size else None,
        "x travel": float(np.abs(np.diff(path[:, 0])).sum()),
        "y travel": float(np.abs(dy).sum()),
        "y zigzags": int(np.sum(np.sign(dy[1:]) * np.sign(dy[:-1]) < 0)),
    }
