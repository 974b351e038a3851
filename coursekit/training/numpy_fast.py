"""The fast path of :class:`~coursekit.training.numpy_mlp.NumpyMLP`: the same forward and
backward pass, computed in place in buffers allocated once per batch size.

The public references check every argument and return new arrays, which is right for
teaching and for tests, but a training step calls them dozens of times on small arrays,
where those checks and allocations cost more than the arithmetic. Here nothing is checked
(the model was checked when it was built) and every operation writes into a preallocated
buffer with ``out=``. The formulas are the references' (tested equal to them, and to torch
autograd, in ``tests/test_numpy_mlp.py``), with a few rewritings that save passes:

- each activation's derivative is computed from its *output* a = f(z): relu' = [a > 0],
  leaky_relu' = 1 or alpha by the sign of a, elu' = min(a + 1, 1) (alpha = 1), selu' =
  scale * alpha + a where a <= 0, sigmoid' = a (1 - a), tanh' = 1 - a**2;
- ELU and SELU use exp(z) - 1 where the references use expm1(z) (NumPy vectorises exp but
  not expm1); the two differ by about one rounding error of 1 (1e-16 in float64, 1e-7 in
  float32);
- the BatchNorm input is centred in place, and scaled in place into xhat.

In float64 the random draws are the references' (``rng.random`` and ``rng.standard_normal``
of the same shapes, in the same order), so both paths train along the same trajectory; in
float32 they are drawn in float32 directly.
"""

import numpy as np

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


# ----- activations: forward into ``out``, and dout *= f'(z) from a = f(z) --------------


def _forward_activation(name, z, out, scratch):
    if name == "relu":
        np.maximum(z, 0, out=out)
    elif name == "leaky_relu":
        np.multiply(z, 0.01, out=scratch)
        np.maximum(z, scratch, out=out)
    elif name in ("elu", "selu"):  # max(z, 0) + alpha (exp(min(z, 0)) - 1)
        np.minimum(z, 0, out=scratch)
        np.exp(scratch, out=scratch)  # exp - 1 rather than expm1: NumPy vectorises exp only
        scratch -= 1
        np.maximum(z, 0, out=out)
        if name == "selu":
            scratch *= SELU_ALPHA
        out += scratch
        if name == "selu":
            out *= SELU_SCALE
    elif name == "sigmoid":
        np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)
    elif name == "tanh":
        np.tanh(z, out=out)
    else:  # identity
        np.copyto(out, z)
    return out


def _backward_activation(name, a, dout, scratch, positive):
    """dout *= f'(z), computed from a = f(z); ``positive`` is a bool scratch buffer."""
    if name == "identity":
        return dout
    if name in ("relu", "leaky_relu", "selu"):
        np.greater(a, 0, out=positive)
    if name == "relu":
        dout *= positive
    elif name == "leaky_relu":
        np.copyto(scratch, 0.01)
        np.copyto(scratch, 1.0, where=positive)
        dout *= scratch
    elif name == "elu":  # a + 1 = exp(z) <= 1 where z <= 0, and > 1 where z > 0
        np.add(a, 1.0, out=scratch)
        np.minimum(scratch, 1.0, out=scratch)
        dout *= scratch
    elif name == "selu":
        np.add(a, SELU_SCALE * SELU_ALPHA, out=scratch)
        np.copyto(scratch, SELU_SCALE, where=positive)
        dout *= scratch
    elif name == "sigmoid":
        np.subtract(1, a, out=scratch)
        scratch *= a
        dout *= scratch
    elif name == "tanh":
        np.multiply(a, a, out=scratch)
        np.subtract(1, scratch, out=scratch)
        dout *= scratch
    return dout


class FastPath:
    """Buffers for one batch size ``n`` and the in-place forward and backward passes."""

    def __init__(self, model, n):
        self.model, self.n = model, n
        dt, widths = model.dtype, model.sizes[1:]
        empty = lambda m, dtype=dt: np.empty((n, m), dtype=dtype)  # noqa: E731
        hidden = widths[:-1]
        self.noisy = empty(model.sizes[0]) if model.input_noise > 0 else None
        self.z = [empty(m) for m in widths]  # pre-activation; xhat with BatchNorm
        self.h = [empty(m) for m in hidden]  # BatchNorm output, activation input
        self.a = [empty(m) for m in hidden]  # activation output
        dropping = model.p_drop > 0
        self.dropped = [empty(m) for m in hidden] if dropping else None
        self.uniform = [empty(m) for m in hidden] if dropping else None
        self.keep = [empty(m, bool) for m in hidden] if dropping else None
        self.positive = [empty(m, bool) for m in hidden]
        self.dx = [empty(m) for m in hidden]  # gradient with respect to each hidden output
        self.scratch = [empty(m) for m in hidden]
        self.mean = [np.empty(m, dt) for m in hidden]
        self.inv_std = [np.empty(m, dt) for m in hidden]
        self.rows = np.arange(n)
        self.inputs = [None] * model.n_layers
        self.train = False

    def _draw_uniform(self, rng, out):
        if out.dtype == np.float64:
            rng.random(out=out)
        else:
            rng.random(dtype=np.float32, out=out)

    def forward(self, x, *, train, rng=None):
        """Logits (a buffer, overwritten by the next call) of a batch of ``n`` examples."""
        m, p = self.model, self.model.params
        self.train = train
        if train and m.input_noise > 0:
            if m.dtype == np.float64:
                rng.standard_normal(out=self.noisy)
            else:
                rng.standard_normal(dtype=np.float32, out=self.noisy)
            self.noisy *= m.input_noise
            x = np.add(x, self.noisy, out=self.noisy)
        for i in range(m.n_layers):
            self.inputs[i] = x
            z = np.matmul(x, p[f"w{i + 1}"], out=self.z[i])
            z += p[f"b{i + 1}"]
            if i == m.n_layers - 1:
                return z
            h = self._batchnorm(i, z, train) if m.batchnorm else z
            x = a = _forward_activation(m.activation, h, self.a[i], self.scratch[i])
            if train and m.p_drop > 0:
                self._draw_uniform(rng, self.uniform[i])
                np.greater_equal(self.uniform[i], m.p_drop, out=self.keep[i])
                x = np.multiply(a, self.keep[i], out=self.dropped[i])
                x *= self._keep_scale()
        return None

    def _keep_scale(self):
        return self.model.dtype.type(1) / self.model.dtype.type(1 - self.model.p_drop)

    def _batchnorm(self, i, z, train):
        """Normalise z in place into xhat; return gamma * xhat + beta (in ``h``)."""
        m, n = self.model, self.n
        mean, inv_std, k = self.mean[i], self.inv_std[i], i + 1
        running_mean, running_var = m.buffers[f"running_mean{k}"], m.buffers[f"running_var{k}"]
        if train:
            np.add.reduce(z, axis=0, out=mean)
            mean /= n
            z -= mean
            np.multiply(z, z, out=self.scratch[i])
            np.add.reduce(self.scratch[i], axis=0, out=inv_std)  # the biased variance, times n
            running_mean *= 1 - m.momentum
            running_mean += m.momentum * mean
            running_var *= 1 - m.momentum
            running_var += (m.momentum / (n - 1)) * inv_std
            inv_std /= n
        else:
            z -= running_mean
            np.copyto(inv_std, running_var)
        inv_std += m.eps
        np.sqrt(inv_std, out=inv_std)
        np.reciprocal(inv_std, out=inv_std)
        z *= inv_std
        h = np.multiply(z, m.params[f"gamma{k}"], out=self.h[i])
        h += m.params[f"beta{k}"]
        return h

    def backward(self, dlogits):
        """Write every parameter's gradient into ``model.grads`` (after a training forward)."""
        m, p, g, n = self.model, self.model.params, self.model.grads, self.n
        dz = dlogits
        for i in range(m.n_layers - 1, -1, -1):
            k = i + 1
            np.matmul(self.inputs[i].T, dz, out=g[f"w{k}"])
            np.add.reduce(dz, axis=0, out=g[f"b{k}"])
            if i == 0:
                break
            dx = np.matmul(dz, p[f"w{k}"].T, out=self.dx[i - 1])
            dz = self._hidden_backward(i - 1, dx, n)
        return g

    def _hidden_backward(self, i, dx, n):
        m, k = self.model, i + 1
        if m.p_drop > 0 and self.train:
            dx *= self.keep[i]
            dx *= self._keep_scale()
        dh = _backward_activation(m.activation, self.a[i], dx, self.scratch[i], self.positive[i])
        if not m.batchnorm:
            return dh
        g, xhat, scratch = m.grads, self.z[i], self.scratch[i]
        dbeta, dgamma = g[f"beta{k}"], g[f"gamma{k}"]
        np.add.reduce(dh, axis=0, out=dbeta)
        np.multiply(dh, xhat, out=scratch)
        np.add.reduce(scratch, axis=0, out=dgamma)
        scale = m.params[f"gamma{k}"] * self.inv_std[i]
        if self.train:  # dx = scale * (dh - mean(dh) - xhat * mean(dh * xhat))
            np.multiply(xhat, dgamma / n, out=scratch)
            dh -= scratch
            dh -= dbeta / n
        dh *= scale
        return dh


def cross_entropy(logits, y, rows):
    """Mean softmax cross-entropy of integer labels; ``logits`` becomes dlogits in place.

    Returns:
        loss, as a NumPy scalar of the logits' dtype.
    """
    n = len(y)
    logits -= logits.max(axis=1, keepdims=True)
    picked = logits[rows, y]
    np.exp(logits, out=logits)
    total = logits.sum(axis=1)
    loss = (np.log(total) - picked).mean()
    logits /= total[:, None]
    logits[rows, y] -= 1
    logits /= n
    return loss
