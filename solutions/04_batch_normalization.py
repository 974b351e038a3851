# %% [markdown]
# # 04 · Batch Normalization
#
# Good initialisation and a non-saturating activation tame vanishing and exploding gradients
# at the start of training, but nothing keeps them tame while the weights change. Batch
# Normalization (Ioffe & Szegedy, 2015) adds an operation before each hidden activation that
# zero-centres and normalises its inputs over the mini-batch, then scales and shifts the
# result with two learned parameters. You will write:
#
# 1. the training-time forward pass, the notes' four equations;
# 2. its backward pass, first step by step through the computation graph, then in closed
#    form, and check both numerically;
# 3. running averages and test-time mode, with torch's conventions.
#
# Then you compare deep networks on handwritten digits with and without BatchNorm: how fast
# they train, the largest learning rate that still works, how much the initialisation
# matters, and what goes wrong when a model is left in training mode at test time.
#
# Run the cell below first. Each exercise has a cell with `# YOUR CODE HERE`, followed by
# a test cell you can run as often as you like. The grader runs more, hidden, cases with
# other shapes.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import numpy as np

from coursekit.grading import check
from coursekit import data
from coursekit.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1 · The forward pass in training
#
# For a mini-batch $B$ of $m_B$ examples $\mathbf{x}^{(i)}$, each feature is normalised with
# the statistics of the batch (the notes' four equations):
#
# $$\mu_B = \frac{1}{m_B}\sum_{i=1}^{m_B}\mathbf{x}^{(i)},\qquad
#   \sigma_B^2 = \frac{1}{m_B}\sum_{i=1}^{m_B}\left(\mathbf{x}^{(i)}-\mu_B\right)^2,$$
#
# $$\hat{\mathbf{x}}^{(i)} = \frac{\mathbf{x}^{(i)}-\mu_B}{\sqrt{\sigma_B^2+\varepsilon}},\qquad
#   \mathbf{z}^{(i)} = \gamma \otimes \hat{\mathbf{x}}^{(i)} + \beta .$$
#
# With `x` of shape $(N, D)$ the mean and variance are taken over the batch, `axis=0`: one
# $\mu$ and one $\sigma^2$ per feature. Note the $\frac{1}{m_B}$ in $\sigma_B^2$: the
# batch is normalised with its own, *biased*, variance. The notes call $\varepsilon$
# "typically $10^{-3}$", which is Keras's default; torch's, and ours, is $10^{-5}$.
#
# Return the output and a `cache` with whatever your backward passes will need (a dict is
# handy).

# %% solution="batchnorm_train_forward"
def batchnorm_train_forward(x, gamma, beta, eps=1e-5):
    """x: (N, D); gamma, beta: (D,). Returns (out, cache) with out of shape (N, D)."""
    ### BEGIN SOLUTION
    n = x.shape[0]
    mu = x.sum(axis=0) / n                  # (1) batch mean
    xc = x - mu
    var = (xc**2).sum(axis=0) / n           # (2) biased batch variance
    std = np.sqrt(var + eps)
    xhat = xc / std                         # (3) normalise
    out = gamma * xhat + beta               # (4) scale and shift
    cache = {"xc": xc, "std": std, "xhat": xhat, "gamma": gamma}
    ### END SOLUTION
    return out, cache


# %% tests="test_batchnorm_train_forward" points=2
check("batchnorm.batchnorm_train_forward", batchnorm_train_forward)
### BEGIN HIDDEN TESTS
check("batchnorm.batchnorm_train_forward", batchnorm_train_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Whatever the scale and offset of each input feature, with $\gamma = 1$ and $\beta = 0$
# every output feature has mean 0 and standard deviation 1, or just under because of
# $\varepsilon$: the second feature's variance, $10^{-4}$, is only ten times $\varepsilon$, so
# its standard deviation ends up at $1/\sqrt{1.1} \approx 0.95$.

# %%
x = rng.normal(loc=[-50.0, 0.0, 3.0], scale=[10.0, 0.01, 1.0], size=(256, 3))
out, _ = batchnorm_train_forward(x, np.ones(3), np.zeros(3))
print("input  mean", x.mean(axis=0).round(3), " std", x.std(axis=0).round(3))
print("output mean", out.mean(axis=0).round(3), " std", out.std(axis=0).round(3))

# %% [markdown]
# ## 2 · The backward pass, step by step
#
# Write the forward pass as a chain of small nodes and go back through it, one local
# derivative at a time, summing over every path that leaves a node:
#
# | forward | backward |
# |---|---|
# | $\text{out} = \gamma\,\hat{x} + \beta$ | $d\beta = \sum_i \text{dout}_i$, $\; d\gamma = \sum_i \text{dout}_i\,\hat{x}_i$, $\; d\hat{x} = \gamma\,\text{dout}$ |
# | $\hat{x} = x_c \cdot s^{-1}$ | $d(s^{-1}) = \sum_i d\hat{x}_i\, x_{c,i}$, $\; dx_c \mathrel{+}= d\hat{x}\, s^{-1}$ |
# | $s^{-1} = 1/s$ | $ds = -d(s^{-1}) / s^2$ |
# | $s = \sqrt{\sigma^2+\varepsilon}$ | $d\sigma^2 = ds / (2s)$ |
# | $\sigma^2 = \frac1N\sum_i x_{c,i}^2$ | $dx_c \mathrel{+}= \frac{2}{N}\, x_c\, d\sigma^2$ |
# | $x_c = x - \mu$ | $dx \mathrel{+}= dx_c$, $\; d\mu = -\sum_i dx_{c,i}$ |
# | $\mu = \frac1N\sum_i x_i$ | $dx \mathrel{+}= d\mu / N$ |
#
# Everything is per feature (sums over the batch axis, `axis=0`). $x_c$ is used twice,
# by $\hat x$ and by $\sigma^2$, so its gradient is the sum of both contributions; so is
# $x$'s.

# %% solution="batchnorm_backward_graph"
def batchnorm_backward_graph(dout, cache):
    """dout: (N, D). Returns dx (N, D), dgamma (D,), dbeta (D,), node by node."""
    ### BEGIN SOLUTION
    xc, std, xhat, gamma = (cache[k] for k in ("xc", "std", "xhat", "gamma"))
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = gamma * dout
    dinv_std = (dxhat * xc).sum(axis=0)
    dxc = dxhat / std
    dstd = -dinv_std / std**2
    dvar = dstd / (2 * std)
    dxc = dxc + 2 / n * xc * dvar
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / n
    ### END SOLUTION
    return dx, dgamma, dbeta


# %% tests="test_batchnorm_backward_graph" points=3
check("batchnorm.batchnorm_backward_graph", batchnorm_train_forward, batchnorm_backward_graph)
### BEGIN HIDDEN TESTS
check("batchnorm.batchnorm_backward_graph", batchnorm_train_forward, batchnorm_backward_graph, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · The backward pass in closed form
#
# Collapse the graph. With $d\hat{x}_i = \gamma\,\text{dout}_i$ and
# $s = \sqrt{\sigma^2+\varepsilon}$, the Jacobian of the normalisation is
# $\partial \hat{x}_j / \partial x_i = \frac{1}{s}\left(\delta_{ij} - \frac1N -
# \frac1N \hat{x}_i \hat{x}_j\right)$, so
#
# $$\frac{\partial L}{\partial x_i} = \frac{1}{s}\Big(d\hat{x}_i
#   - \underbrace{\tfrac1N\textstyle\sum_j d\hat{x}_j}_{\text{path through } \mu}
#   - \underbrace{\hat{x}_i\,\tfrac1N\textstyle\sum_j d\hat{x}_j\,\hat{x}_j}_{\text{path through } \sigma^2}\Big)
#   = \frac{\gamma}{N s}\Big(N\,\text{dout}_i - d\beta - \hat{x}_i\, d\gamma\Big).$$
#
# The two subtracted terms are what you lose if you treat $\mu_B$ and $\sigma_B^2$ as
# constants. Write it without loops, in a few lines.

# %% solution="batchnorm_backward"
def batchnorm_backward(dout, cache):
    """dout: (N, D). Returns dx (N, D), dgamma (D,), dbeta (D,), in closed form."""
    ### BEGIN SOLUTION
    xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = gamma / (n * std) * (n * dout - dbeta - xhat * dgamma)
    ### END SOLUTION
    return dx, dgamma, dbeta


# %% tests="test_batchnorm_backward" points=3
check("batchnorm.batchnorm_backward", batchnorm_train_forward, batchnorm_backward)
### BEGIN HIDDEN TESTS
check("batchnorm.batchnorm_backward", batchnorm_train_forward, batchnorm_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### A gradient check, and a race
#
# Both backward passes against central differences of the loss
# $L = \sum \text{out} \odot \text{dout}$ (whose gradient with respect to `out` is `dout`).
# Relative errors around $10^{-8}$ or below mean the gradients are right.

# %%
x, gamma, beta = rng.normal(2, 3, (6, 4)), rng.normal(size=4), rng.normal(size=4)
dout = rng.normal(size=(6, 4))
_, cache = batchnorm_train_forward(x, gamma, beta)
numeric = {
    "dx": numerical_gradient(lambda a: np.sum(batchnorm_train_forward(a, gamma, beta)[0] * dout), x.copy()),
    "dgamma": numerical_gradient(lambda a: np.sum(batchnorm_train_forward(x, a, beta)[0] * dout), gamma.copy()),
    "dbeta": numerical_gradient(lambda a: np.sum(batchnorm_train_forward(x, gamma, a)[0] * dout), beta.copy()),
}
for backward in (batchnorm_backward_graph, batchnorm_backward):
    errors = [f"{k} {relative_error(g, numeric[k]):.1e}" for k, g in zip(numeric, backward(dout, cache))]
    print(f"{backward.__name__:26s} relative errors:", ", ".join(errors))

# %%
import time

x, dout = rng.normal(size=(256, 512)), rng.normal(size=(256, 512))
_, cache = batchnorm_train_forward(x, np.ones(512), np.zeros(512))
for backward in (batchnorm_backward_graph, batchnorm_backward):
    start = time.perf_counter()
    for _ in range(20):
        backward(dout, cache)
    print(f"{backward.__name__:26s} {(time.perf_counter() - start) / 20 * 1e3:.2f} ms per call")

# %% [markdown]
# ## 4 · Running averages and test time
#
# At test time there may be a single example, and a prediction must not depend on which
# other examples share its batch. BatchNorm therefore normalises test inputs with the mean
# and variance of the whole training set, estimated during training by exponential running
# averages. In the notes' notation
#
# $$\hat{v} \leftarrow \hat{v}\times\text{decay} + v\times(1-\text{decay}).$$
#
# **Why four parameters.** Each BatchNorm layer keeps four vectors of length $D$: $\gamma$
# (scale) and $\beta$ (offset) are learned by gradient descent; $\mu$ and $\sigma^2$ (the
# running mean and variance) are not learned at all, only averaged, but they are saved with
# the model and used at test time. In torch they are `weight`, `bias`, `running_mean` and
# `running_var` (torch adds a counter, `num_batches_tracked`).
#
# **Conventions.** Two libraries, two readings of "momentum":
#
# | | update | default momentum | default eps | running variance |
# |---|---|---|---|---|
# | notes | $\hat v \leftarrow \text{decay}\,\hat v + (1-\text{decay})\,v$ | | $10^{-3}$ | |
# | Keras `BatchNormalization` | `momentum` is the notes' decay | 0.99 | $10^{-3}$ | biased |
# | torch `nn.BatchNorm1d` | $\hat v \leftarrow (1-\text{momentum})\,\hat v + \text{momentum}\,v$ | 0.1 | $10^{-5}$ | unbiased |
#
# So torch's `momentum` $= 1 - \text{decay}$, and its 0.1 forgets faster than Keras's
# 0.99 (which is torch's 0.01). We follow torch. One more detail: the variance of a
# batch of $N$ examples underestimates the population variance by a factor $(N-1)/N$ on
# average, so torch updates the running variance with the *unbiased* batch variance,
# $\sigma_B^2 \cdot N/(N-1)$, while still normalising the batch itself with the biased
# one, as in §1.
#
# Write `batchnorm_forward` with torch's signature and defaults. With `train=True` use the
# batch statistics and return the updated running averages; with `train=False` normalise
# with the running statistics and return them unchanged. Never modify the arrays you are
# given: return new ones. You may call your `batchnorm_train_forward`.

# %% solution="batchnorm_forward"
def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, train=True, momentum=0.1, eps=1e-5):
    """Returns (out, cache, new_running_mean, new_running_var)."""
    ### BEGIN SOLUTION
    if train:
        out, cache = batchnorm_train_forward(x, gamma, beta, eps)
        n = x.shape[0]
        new_running_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
        new_running_var = (1 - momentum) * running_var + momentum * x.var(axis=0) * n / (n - 1)
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        cache = None
        new_running_mean, new_running_var = running_mean.copy(), running_var.copy()
    ### END SOLUTION
    return out, cache, new_running_mean, new_running_var


# %% tests="test_batchnorm_forward" points=3
check("batchnorm.batchnorm_forward", batchnorm_forward)
### BEGIN HIDDEN TESTS
check("batchnorm.batchnorm_forward", batchnorm_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Your layer against torch's
#
# Five training steps on batches of different sizes, then a test-time batch: your running
# statistics and outputs should match `torch.nn.functional.batch_norm` to rounding error.

# %%
import torch
import torch.nn.functional as F

d = 4
gamma, beta = rng.normal(size=d), rng.normal(size=d)
mine = (np.zeros(d), np.ones(d))
theirs = (torch.zeros(d, dtype=torch.float64), torch.ones(d, dtype=torch.float64))
for n in (8, 3, 16, 2, 5):
    x = rng.normal(3, 2, (n, d))
    out, _, *mine = batchnorm_forward(x, gamma, beta, *mine)
    out_t = F.batch_norm(torch.tensor(x), *theirs, torch.tensor(gamma), torch.tensor(beta), training=True)
x = rng.normal(3, 2, (1, d))
test_out = batchnorm_forward(x, gamma, beta, *mine, train=False)[0]
test_out_t = F.batch_norm(torch.tensor(x), *theirs, torch.tensor(gamma), torch.tensor(beta), training=False)
print("running mean, largest difference:", np.abs(mine[0] - theirs[0].numpy()).max())
print("running var,  largest difference:", np.abs(mine[1] - theirs[1].numpy()).max())
print("test output,  largest difference:", np.abs(test_out - test_out_t.numpy()).max())

# %% [markdown]
# ## 5 · A from-scratch `BatchNorm1d` in torch
#
# `coursekit.batchnorm.torch_ref.BatchNorm1d` is the same layer as a torch module, written
# from tensor operations. Its backward pass is not autograd's: a `torch.autograd.Function`
# calls the closed form you derived in §3. Over training steps and then in eval mode it
# matches `nn.BatchNorm1d`, running statistics included, so the experiments below use it.

# %%
from torch import nn

from coursekit.batchnorm.torch_ref import BatchNorm1d

ours, torchs = BatchNorm1d(5), nn.BatchNorm1d(5)
for module in (ours, torchs):
    optimiser = torch.optim.SGD(module.parameters(), lr=0.1)
    for step in range(5):
        x = torch.randn(16, 5, generator=torch.Generator().manual_seed(step)) * 3 + 1
        loss = (module(x) ** 3).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
for name, tensor in torchs.state_dict().items():
    print(f"{name:20s} largest difference {(ours.state_dict()[name] - tensor).abs().max().item():.1e}")
x = torch.randn(3, 5, generator=torch.Generator().manual_seed(99))
print("eval-mode output     largest difference", f"{(ours.eval()(x) - torchs.eval()(x)).abs().max().item():.1e}")

# %% [markdown]
# ## 6 · Experiments on digits
#
# A deep MLP on scikit-learn's 8×8 digits: 8 hidden layers of 32 sigmoid units,
# Glorot-initialised, trained with plain SGD (learning rate 0.1, batches of 64). Deep
# sigmoid networks are exactly where gradients vanish (topic 01). With BatchNorm before
# each activation the same network trains. The Linear layers just before BatchNorm have no
# bias (`nn.Linear(..., bias=False)`): BatchNorm subtracts the batch mean, which cancels any
# bias added before it, and its shift $\beta$ takes the bias's place (Ioffe & Szegedy, §3.2).

# %%
from coursekit.experiments import batchnorm as experiments
from coursekit.plots import batchnorm as bn_plots
from coursekit.plots import caption

digits = data.digits(seed=0)
histories, models = experiments.with_and_without(digits, epochs=5, lr=0.1)
print(models["with BatchNorm"][:3])
bn_plots.training_curves(histories, title="8 sigmoid layers, SGD, lr 0.1");
caption()

# %% [markdown]
# ### The largest learning rate that still trains
#
# Now ReLU layers with He initialisation, which train without BatchNorm too, for two epochs
# at each learning rate. Without normalisation a large step soon sends the activations,
# and the loss, to infinity. BatchNorm undoes any rescaling of a layer's weights, so it
# tolerates far larger learning rates.

# %%
lrs = [0.1, 0.3, 1.0, 3.0, 10.0]
relu_net = {"activation": "relu", "init": "he_normal", "depth": 6}
sweep = experiments.learning_rate_sweep(digits, lrs, epochs=2, **relu_net)
bn_plots.learning_rate_sweep(lrs, sweep, threshold=0.5)
for label, accuracies in sweep.items():
    print(f"{label}: largest learning rate reaching 50% accuracy:",
          experiments.largest_trainable_lr(lrs, accuracies, threshold=0.5))
caption()

# %% [markdown]
# ### Sensitivity to the initialisation
#
# The same ReLU network with four initialisations: `standard_normal` (weights of variance 1,
# far too large), torch's `default` (variance $1/(3\,\text{fan}_\text{in})$, too small for
# ReLU), Glorot and He. Without BatchNorm the choice decides whether the network trains at
# all; with BatchNorm every layer's input is rescaled anyway, and the choice matters much
# less.

# %%
inits = ["standard_normal", "default", "glorot_uniform", "he_normal"]
by_init = experiments.init_sweep(digits, inits, epochs=3, lr=0.1, activation="relu", depth=6)
bn_plots.init_sensitivity(inits, by_init);
caption()

# %% [markdown]
# ### Forgetting `model.eval()`
#
# In training mode a BatchNorm layer normalises with the statistics of the batch it is
# given. Leave a model in training mode at test time and every prediction depends on the
# other test examples in its batch; with small batches those statistics are noisy, and with
# two examples each feature is squashed to $\pm 1$. Here is the BatchNorm network from the
# first experiment, evaluated on the test set in batches of different sizes.

# %%
batch_sizes = [2, 4, 8, 16, 64, 360]
at_test = experiments.train_mode_accuracy(models["with BatchNorm"], digits.x_test, digits.y_test, batch_sizes)
bn_plots.train_mode_at_test(batch_sizes, at_test)
print(f"eval mode: {at_test['eval']:.3f}; training mode with batches of 2: {at_test['train'][0]:.3f}")
caption()

# %% [markdown]
# ## 7 · Running statistics: batch size against momentum
#
# The running averages see batches drawn from a population with mean 2 and variance 9, and
# start from torch's initial values 0 and 1. Move the sliders: a small momentum (a decay
# close to 1, like Keras's 0.99) averages over many batches, so the estimate is smooth but
# slow to arrive; a large momentum follows each batch and stays noisy. With small batches,
# the biased update (red) settles visibly below the population variance, by the factor
# $(N-1)/N$; the unbiased update (blue) does not.

# %%
from coursekit.widgets.batchnorm import running_statistics_widget

running_statistics_widget()

# %% [markdown]
# ## Summary
#
# - BatchNorm normalises each feature over the mini-batch with the *biased* batch variance,
#   then scales by $\gamma$ and shifts by $\beta$.
# - The backward pass has two extra paths, through $\mu_B$ and $\sigma_B^2$, which make
#   each example's gradient depend on the whole batch.
# - At test time the layer uses running averages: torch's `momentum=0.1` weights the new
#   batch (the notes' decay is $1-\text{momentum}$; Keras's `momentum=0.99` *is* the decay),
#   and the running variance is updated with the *unbiased* batch variance. Keras's eps is
#   $10^{-3}$, torch's $10^{-5}$.
# - BatchNorm lets deep networks train faster, with larger learning rates and with less care
#   for initialisation, but remember `model.eval()` before testing.
