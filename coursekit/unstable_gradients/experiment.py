"""One deep net, measured layer by layer: the experiment behind topics 01 and 02's figures."""

from dataclasses import dataclass

import numpy as np

from coursekit.layers import numpy_ref as layers
from coursekit.unstable_gradients import numpy_ref as ref


@dataclass(frozen=True)
class DeepRun:
    """What one forward and backward pass through a deep net shows, per layer (input first).

    Attributes:
        activation, init, gain: how the net was built.
        activations: list of L arrays a_1..a_L, each (N, width).
        variances: (L,) ``Var[a_l]`` over all of the layer's values.
        means: (L,) mean of a_l.
        grad_norms: (L,) Frobenius norm of ``dL/dw_l``.
        delta_variances: (L,) ``Var[dL/dz_l]``, the backward signal.
        saturation: (L,) fraction of saturated units (sigmoid and tanh), else None.
        loss: the loss whose gradient was propagated.
    """

    activation: str
    init: str
    gain: float
    activations: list
    variances: np.ndarray
    means: np.ndarray
    grad_norms: np.ndarray
    delta_variances: np.ndarray
    saturation: np.ndarray | None
    loss: float


def run_deep_net(
    x, y=None, *, depth=30, width=32, activation="sigmoid", init="standard_normal", gain=1.0, widths=None, rng
):
    """Build a deep net, propagate ``x`` forward and a loss gradient back, and measure it.

    With labels ``y`` the top layer feeds a linear read-out (LeCun-normal weights) and
    softmax cross-entropy; without, the loss is ``sum(a_L * g) / N`` for a fixed standard
    normal g, so that ``dL/da_L = g / N``.

    Args:
        x: inputs, (N, D_0).
        y: optional integer labels, (N,).
        depth, width: L hidden layers of ``width`` units (ignored when ``widths`` is given).
        activation: a name in ``ACTIVATIONS``.
        init: a name in ``INITIALISERS`` or an initialiser ``f(fan_in, fan_out, *, rng)``.
        gain: factor on every weight matrix.
        widths: optional list of the L layer widths.
        rng: ``numpy.random.Generator`` for the weights (and g).

    Returns:
        :class:`DeepRun`.
    """
    widths = [int(width)] * int(depth) if widths is None else [int(w) for w in widths]
    weights = ref.init_weights([x.shape[1], *widths], init=init, gain=gain, rng=rng)
    activations, cache = ref.deep_forward(x, weights, activation)
    top = activations[-1]
    if y is None:
        g = rng.standard_normal(top.shape)
        loss, dout = float(np.sum(top * g) / len(x)), g / len(x)
    else:
        n_classes = int(np.max(y)) + 1
        w_out = rng.standard_normal((top.shape[1], n_classes)) / np.sqrt(top.shape[1])
        loss, dlogits = layers.softmax_cross_entropy(top @ w_out, y)
        loss, dout = float(loss), dlogits @ w_out.T
    _, dweights, deltas = ref.backward_with_deltas(dout, cache)
    bounds = ref.SATURATION_BOUNDS.get(activation) if isinstance(activation, str) else None
    saturation = None if bounds is None else np.array([ref.saturated_fraction(a, bounds=bounds) for a in activations])
    return DeepRun(
        activation=activation if isinstance(activation, str) else getattr(activation, "__name__", "f"),
        init=init if isinstance(init, str) else getattr(init, "__name__", "custom"),
        gain=float(gain),
        activations=activations,
        variances=np.array([a.var() for a in activations]),
        means=np.array([a.mean() for a in activations]),
        grad_norms=np.array([np.linalg.norm(dw) for dw in dweights]),
        delta_variances=np.array([d.var() for d in deltas]),
        saturation=saturation,
        loss=loss,
    )
