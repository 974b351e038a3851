# %% [markdown]
# # 00 · Backpropagation by hand
#
# Every later topic in this workbook (initialisation, activations, BatchNorm, optimizers,
# regularisation) changes one piece of the training loop you build here. You will write:
#
# 1. the forward and backward pass of a dense (affine) layer;
# 2. a numerically stable softmax;
# 3. softmax cross-entropy with its gradient;
# 4. a numerical gradient check by central differences.
#
# Then you train a two-layer network on handwritten digits with *your* functions, and check
# that torch's autograd computes the same gradients.
#
# Run the cell below first. Each exercise has a cell with `# YOUR CODE HERE`, followed by
# a test cell you can run as often as you like. The grader runs more, hidden, cases.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from coursekit.grading import check
from coursekit import data, plots, training
from coursekit.plots import caption

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1 · The dense layer
#
# A dense layer maps a batch of inputs $X \in \mathbb{R}^{N\times D}$ to
# $\text{out} = XW + b$, with $W \in \mathbb{R}^{D\times M}$ and $b \in \mathbb{R}^{M}$
# (broadcast over the $N$ rows). Return the output and a `cache` holding whatever the
# backward pass needs.
#
# *Convention note:* torch's `nn.Linear` stores $W^\top$ (shape $M\times D$). Here $W$ is
# $D \times M$, so the formula has no transpose.

# %% solution="dense_forward"
def dense_forward(x, w, b):
    """x: (N, D), w: (D, M), b: (M,). Returns (out, cache) with out of shape (N, M)."""
    ### BEGIN SOLUTION
    out = x @ w + b
    cache = (x, w, b)
    ### END SOLUTION
    return out, cache


# %% tests="test_dense_forward" points=2
check("layers.dense_forward", dense_forward)
### BEGIN HIDDEN TESTS
check("layers.dense_forward", dense_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 2 · Its backward pass
#
# Given the upstream gradient $\partial L/\partial\,\text{out}$ (`dout`, shape $N\times M$),
# the chain rule gives
#
# $$\frac{\partial L}{\partial X} = \text{dout}\,W^\top,\qquad
#   \frac{\partial L}{\partial W} = X^\top \text{dout},\qquad
#   \frac{\partial L}{\partial b} = \sum_{n} \text{dout}_{n,:}.$$
#
# Check the shapes: each gradient has the shape of the thing it differentiates.

# %% solution="dense_backward"
def dense_backward(dout, cache):
    """dout: (N, M). Returns dx (N, D), dw (D, M), db (M,)."""
    ### BEGIN SOLUTION
    x, w, _ = cache
    dx = dout @ w.T
    dw = x.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# %% tests="test_dense_backward" points=2
check("layers.dense_backward", dense_forward, dense_backward)
### BEGIN HIDDEN TESTS
check("layers.dense_backward", dense_forward, dense_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · A stable softmax
#
# $\operatorname{softmax}(z)_j = e^{z_j} / \sum_k e^{z_k}$, row by row. For logits in the
# hundreds `np.exp` overflows to `inf` and the ratio becomes `nan`. Since softmax does not
# change when a constant is subtracted from a row, subtract each row's maximum first.

# %% solution="softmax"
def softmax(z):
    """z: (N, C) logits. Returns (N, C) probabilities; each row sums to 1."""
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION


# %% tests="test_softmax" points=2
check("layers.softmax", softmax)
### BEGIN HIDDEN TESTS
check("layers.softmax", softmax, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4 · Softmax cross-entropy and its gradient
#
# With integer labels $y_n$ and $p = \operatorname{softmax}(\text{logits})$, the loss
# averaged over the batch is
# $L = -\frac1N\sum_n \log p_{n, y_n}$, and its gradient is remarkably simple:
#
# $$\frac{\partial L}{\partial\,\text{logits}} = \frac{1}{N}\left(p - \text{onehot}(y)\right).$$
#
# Compute $\log p$ as `shifted - log(sum(exp(shifted)))` (the *log-sum-exp* trick) so that a
# confident wrong prediction gives a large loss instead of `log(0) = -inf`.

# %% solution="softmax_cross_entropy"
def softmax_cross_entropy(logits, y):
    """logits: (N, C), y: (N,) integer labels. Returns (loss, dlogits)."""
    ### BEGIN SOLUTION
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    ### END SOLUTION
    return loss, dlogits


# %% tests="test_softmax_cross_entropy" points=2
check("layers.softmax_cross_entropy", softmax_cross_entropy)
### BEGIN HIDDEN TESTS
check("layers.softmax_cross_entropy", softmax_cross_entropy, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5 · Checking gradients numerically
#
# A backward pass is easy to get subtly wrong. The central difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# has an error of order $h^2$, against $h$ for the one-sided difference. Write it for an
# array `x` of any shape (`np.ndindex(x.shape)` visits every index), and leave `x` as you
# found it.

# %% solution="numerical_gradient"
def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of the scalar function f at x (any shape)."""
    ### BEGIN SOLUTION
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% tests="test_numerical_gradient" points=2
check("gradcheck.numerical_gradient", numerical_gradient)
### BEGIN HIDDEN TESTS
check("gradcheck.numerical_gradient", numerical_gradient, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Your gradient check on your layer
#
# The relative error $\max |a-b| / \max(10^{-8}, |a|+|b|)$ should be around $10^{-7}$ or
# smaller in float64. Values near $10^{-2}$ mean a bug.

# %%
from coursekit.gradcheck import relative_error

x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
y = rng.integers(0, 3, size=5)


def loss_of_w(w_):
    return softmax_cross_entropy(dense_forward(x, w_, b)[0], y)[0]


out, cache = dense_forward(x, w, b)
_, dout = softmax_cross_entropy(out, y)
_, dw, _ = dense_backward(dout, cache)
print("relative error of dW:", relative_error(dw, numerical_gradient(loss_of_w, w.copy())))

# %% [markdown]
# ## 6 · Train a network with your functions
#
# Dense → ReLU → dense → softmax cross-entropy, trained with minibatch SGD on
# scikit-learn's 8×8 digits (bundled, so this works offline). `training.train_two_layer`
# only loops and updates: every forward and backward step calls the functions you wrote.

# %%
digits = data.digits(seed=0)
mine = {"dense_forward": dense_forward, "dense_backward": dense_backward,
        "softmax_cross_entropy": softmax_cross_entropy}
params, hist = training.train_two_layer(digits, hidden=64, epochs=8, lr=0.1, functions=mine)
print(f"validation accuracy after {len(hist['val_acc'])} epochs: {hist['val_acc'][-1]:.3f}")
plots.history(hist, title="two-layer net on digits, your layers");
caption()

# %% [markdown]
# ## 7 · The same gradients from torch autograd
#
# Autograd records the forward computation and differentiates it for you. Your hand-written
# backward pass should agree with it to rounding error.

# %%
import torch
import torch.nn.functional as F

xb, yb = digits.x_train[:32], digits.y_train[:32]
h, cache1 = dense_forward(xb, params["w1"], params["b1"])
out, cache2 = dense_forward(np.maximum(h, 0), params["w2"], params["b2"])
loss, dout = softmax_cross_entropy(out, yb)
da, dw2, _ = dense_backward(dout, cache2)
_, dw1, _ = dense_backward(da * (h > 0), cache1)

t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
logits = torch.relu(torch.tensor(xb) @ t["w1"] + t["b1"]) @ t["w2"] + t["b2"]
torch_loss = F.cross_entropy(logits, torch.tensor(yb))
torch_loss.backward()
print(f"loss: yours {float(loss):.10f}, torch {torch_loss.item():.10f}")
print("relative error of dW1:", relative_error(dw1, t["w1"].grad.numpy()))
print("relative error of dW2:", relative_error(dw2, t["w2"].grad.numpy()))

# %% [markdown]
# ## 8 · Try it: the learning rate and the width
#
# Each setting trains the network of section 6 with your functions, for 8 epochs, the first
# time you pick it. The left panel shows its training loss step by step, over the other rates
# tried with the same width (in grey); the right panel keeps the final validation accuracy of
# every setting tried so far. Find the largest learning rate that still trains, and see what
# happens just above it. How narrow can the hidden layer be before the accuracy suffers?

# %%
from coursekit.widgets.backprop import training_explorer

training_explorer(digits, functions=mine, known={(0.1, 64): hist})
