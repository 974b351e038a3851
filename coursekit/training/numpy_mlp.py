"""A configurable MLP in NumPy, forward and backward by hand through the coursekit references.

Each hidden layer is dense -> [BatchNorm] -> activation -> [dropout], optionally after
Gaussian noise on the inputs, as :func:`coursekit.training.build_mlp` builds it in torch;
the output layer is dense. Weights are the course's ``w`` of shape (D, M) (``nn.Linear``
stores the transpose), named ``w1, b1, gamma1, beta1, w2, ...`` from the first layer.

All parameters live in one contiguous vector, ``model.flat``, and ``model.params`` holds
named views into it; the gradients likewise (``model.flat_grad``, ``model.grads``). An
optimizer can therefore update every parameter with one ``<name>_step`` call on the flat
vector. :meth:`NumpyMLP.forward` and :meth:`NumpyMLP.backward` call the public references
(``coursekit.layers``, ``activations``, ``batchnorm``, ``regularization``) and validate
every argument; :mod:`coursekit.training.numpy_fast` computes the same thing in place, for
training loops.
"""

import warnings

import numpy as np

from coursekit import _validate as v
from coursekit import activations as act_ref
from coursekit import init as init_ref
from coursekit.batchnorm import numpy_ref as bn_ref
from coursekit.layers import numpy_ref as layer_ref
from coursekit.regularization import numpy_ref as reg_ref
from coursekit.training.numpy_fast import FastPath

ACTIVATIONS = (*act_ref.FUNCTIONS, "identity")
ALPHAS = {"leaky_relu": 0.01, "elu": 1.0}  # torch's defaults, as in build_mlp
INITIALISERS = (
    "default",
    "standard_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
)


def _activation(name):
    """(f, f') for an activation name, with torch's default alpha where there is one."""
    if name == "identity":
        return (lambda z: z.copy()), (lambda z: np.ones_like(z))
    f, df = act_ref.FUNCTIONS[name]
    if name in ALPHAS:
        alpha = ALPHAS[name]
        return (lambda z: f(z, alpha)), (lambda z: df(z, alpha))
    return f, df


def _draw(init, fan_in, fan_out, rng):
    """Weights (fan_in, fan_out) and bias (fan_out,) in float64; biases are 0 except for
    "default", which is nn.Linear's own: both uniform on +-1/sqrt(fan_in)."""
    if init == "default":
        w = init_ref.variance_scaling(fan_in, fan_out, scale=1 / 3, mode="fan_in", rng=rng)
        return w, rng.uniform(-1, 1, fan_out) / np.sqrt(fan_in)
    if init == "standard_normal":
        return rng.standard_normal((fan_in, fan_out)), np.zeros(fan_out)
    return getattr(init_ref, init)(fan_in, fan_out, rng=rng), np.zeros(fan_out)


class NumpyMLP:
    """An MLP whose parameters are views into one flat vector.

    Build it with :func:`build_numpy_mlp`. Attributes: ``sizes``, ``activation``,
    ``batchnorm``, ``p_drop`` (the dropout rate), ``input_noise`` (stddev), ``momentum`` and ``eps``
    (BatchNorm's, torch's conventions), ``dtype``, ``flat``/``params``,
    ``flat_grad``/``grads`` and ``buffers`` (the BatchNorm running statistics).
    """

    @v.renamed_keywords(dropout="p_drop")
    def __init__(self, sizes, *, activation, batchnorm, p_drop, input_noise, dtype, momentum=0.1, eps=1e-5):
        self.sizes = tuple(sizes)
        self.activation, self.batchnorm = activation, bool(batchnorm)
        self.p_drop, self.input_noise = float(p_drop), float(input_noise)
        self.momentum, self.eps, self.dtype = float(momentum), float(eps), np.dtype(dtype)
        shapes = {}
        for i, (d, m) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), 1):
            shapes[f"w{i}"], shapes[f"b{i}"] = (d, m), (m,)
            if self.batchnorm and i < self.n_layers:
                shapes[f"gamma{i}"], shapes[f"beta{i}"] = (m,), (m,)
        self.shapes = shapes
        size = sum(int(np.prod(s)) for s in shapes.values())
        self.flat = np.zeros(size, dtype=self.dtype)
        self.flat_grad = np.zeros(size, dtype=self.dtype)
        self.params, self.grads = self._views(self.flat), self._views(self.flat_grad)
        self.buffers, self._fast_paths = {}, {}
        if self.batchnorm:
            for i, m in enumerate(self.sizes[1:-1], 1):
                self.buffers[f"running_mean{i}"] = np.zeros(m, dtype=self.dtype)
                self.buffers[f"running_var{i}"] = np.ones(m, dtype=self.dtype)

    @property
    def dropout(self):
        """The dropout rate under its old name; use ``p_drop``."""
        warnings.warn("NumpyMLP.dropout is deprecated, use NumpyMLP.p_drop", DeprecationWarning, stacklevel=2)
        return self.p_drop

    @property
    def n_layers(self):
        """Number of dense layers."""
        return len(self.sizes) - 1

    def _views(self, flat):
        views, start = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            views[name] = flat[start : start + size].reshape(shape)
            start += size
        return views

    def weight_grads(self):
        """The dense weights' gradients (views), first layer first."""
        return [self.grads[f"w{i}"] for i in range(1, self.n_layers + 1)]

    def to_dtype(self, dtype):
        """Convert the parameters, gradients and buffers to ``dtype`` in place; returns self."""
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        if dtype != self.dtype:
            self.dtype, self.flat = dtype, self.flat.astype(dtype)
            self.flat_grad = np.zeros_like(self.flat)
            self.params, self.grads = self._views(self.flat), self._views(self.flat_grad)
            self.buffers = {k: v.astype(dtype) for k, v in self.buffers.items()}
            self._fast_paths = {}
        return self

    def fast_path(self, n):
        """The :class:`~coursekit.training.numpy_fast.FastPath` for batches of ``n`` (cached)."""
        if n not in self._fast_paths:
            self._fast_paths[n] = FastPath(self, n)
        return self._fast_paths[n]

    def forward(self, x, *, train=False, rng=None):
        """Logits of a batch, through the public references (arguments checked).

        In training, BatchNorm uses (and updates ``buffers`` towards) the batch statistics,
        and dropout and input noise draw from ``rng``.

        Args:
            x: (N, sizes[0]) array of the model's dtype.
            train: training mode.
            rng: ``numpy.random.Generator``, needed in training with dropout or noise.

        Returns:
            logits (N, sizes[-1]) and a cache for :meth:`backward`.
        """
        f, df = _activation(self.activation)
        if self.input_noise > 0:
            x = reg_ref.gaussian_noise(x, self.input_noise, train=train, rng=rng)
        caches = []
        for i in range(1, self.n_layers + 1):
            p = self.params
            z, dense_cache = layer_ref.dense_forward(x, p[f"w{i}"], p[f"b{i}"])
            if i == self.n_layers:
                caches.append((dense_cache, None, None, None))
                return z, caches
            bn_cache = None
            if self.batchnorm:
                rm, rv = f"running_mean{i}", f"running_var{i}"
                z, bn_cache, self.buffers[rm], self.buffers[rv] = bn_ref.batchnorm_forward(
                    z,
                    p[f"gamma{i}"],
                    p[f"beta{i}"],
                    self.buffers[rm],
                    self.buffers[rv],
                    train=train,
                    momentum=self.momentum,
                    eps=self.eps,
                )
            x, drop_cache = f(z), None
            if self.p_drop > 0:
                x, drop_cache = reg_ref.dropout_forward(x, self.p_drop, train=train, rng=rng)
            caches.append((dense_cache, bn_cache, df(z), drop_cache))

    def backward(self, dlogits, caches):
        """Gradients of the loss with respect to every parameter, written into ``grads``.

        Args:
            dlogits: (N, sizes[-1]) gradient of the loss with respect to the logits.
            caches: from :meth:`forward`.

        Returns:
            ``self.grads``, a dict of views into ``self.flat_grad``.
        """
        dout = dlogits
        for i in range(self.n_layers, 0, -1):
            dense_cache, bn_cache, local, drop_cache = caches[i - 1]
            if i < self.n_layers:
                if self.p_drop > 0:
                    dout = reg_ref.dropout_backward(dout, drop_cache)
                dout = dout * local
                if self.batchnorm:
                    dout, self.grads[f"gamma{i}"][...], self.grads[f"beta{i}"][...] = bn_ref.batchnorm_backward(
                        dout, bn_cache
                    )
            dout, self.grads[f"w{i}"][...], self.grads[f"b{i}"][...] = layer_ref.dense_backward(dout, dense_cache)
        return self.grads

    def loss_and_grads(self, x, y, *, rng=None):
        """Mean softmax cross-entropy of a training batch; the gradients go into ``grads``."""
        logits, caches = self.forward(x, train=True, rng=rng)
        loss, dlogits = layer_ref.softmax_cross_entropy(logits, y)
        self.backward(dlogits, caches)
        return loss

    def __repr__(self):
        parts = [f"sizes={list(self.sizes)}", f"activation={self.activation!r}"]
        parts += ["batchnorm=True"] if self.batchnorm else []
        parts += [f"p_drop={self.p_drop}"] if self.p_drop else []
        parts += [f"input_noise={self.input_noise}"] if self.input_noise else []
        return f"NumpyMLP({', '.join(parts)}, dtype={self.dtype})"


@v.renamed_keywords(dropout="p_drop")
def build_numpy_mlp(
    sizes,
    *,
    activation="relu",
    init="he_normal",
    batchnorm=False,
    p_drop=0.0,
    input_noise=0.0,
    rng,
    dtype=np.float64,
    momentum=0.1,
    eps=1e-5,
):
    """An MLP ``sizes[0] -> ... -> sizes[-1]`` in NumPy, configured as :func:`build_mlp`.

    Args:
        sizes: layer widths, input first, number of classes last (at least two entries).
        activation: sigmoid, tanh, relu, leaky_relu (slope 0.01), elu (alpha 1), selu or
            identity.
        init: "he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "lecun_normal"
            (coursekit.init), "standard_normal" (N(0, 1)) or "default" (nn.Linear's).
            Biases start at 0 (except with "default").
        batchnorm: BatchNorm before each hidden activation (``momentum``, ``eps``: torch's).
        p_drop: drop probability after each hidden activation (0 disables); the old
            keyword ``dropout`` still works, with a DeprecationWarning.
        input_noise: stddev of Gaussian noise on the inputs in training (0 disables).
        rng: ``numpy.random.Generator`` for the initial weights.
        dtype: np.float64 or np.float32.

    Returns:
        :class:`NumpyMLP`.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two positive widths, got {sizes}")
    v.choice("activation", activation, ACTIVATIONS)
    v.choice("init", init, INITIALISERS)
    if not 0 <= p_drop < 1:
        raise ValueError(f"p_drop must lie in [0, 1), got {p_drop}")
    if input_noise < 0:
        raise ValueError(f"input_noise must be >= 0, got {input_noise}")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    model = NumpyMLP(
        sizes,
        activation=activation,
        batchnorm=batchnorm,
        p_drop=p_drop,
        input_noise=input_noise,
        dtype=dtype,
        momentum=momentum,
        eps=eps,
    )
    for i, (d, m) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        w, b = _draw(init, d, m, rng)
        model.params[f"w{i}"][...], model.params[f"b{i}"][...] = w, b
        if batchnorm and i < model.n_layers:
            model.params[f"gamma{i}"][...] = 1
    return model
