# %% [markdown]
# # 03 · Activation functions
#
# Topic 01 traced vanishing gradients to the logistic's flat tails: where $\sigma'(z)
# \approx 0$ no gradient gets through. The lecture notes' answer is a *non-saturating*
# activation. In this notebook you:
#
# 1. write six activations and their derivatives: the logistic, tanh, ReLU, leaky ReLU, ELU
#    and SELU, and plot them;
# 2. watch ReLUs die when the learning rate is too large, and see which variants survive;
# 3. train the same deep net on handwritten digits with ReLU, leaky ReLU, ELU and SELU;
# 4. see SELU normalise itself through 50 layers.
#
# Every function takes an array `z` of any shape and returns an array of the same shape
# **and dtype** (float32 in, float32 out), without changing `z`. Each `_grad` function
# returns the derivative $f'(z)$ elementwise: the factor the backward pass multiplies into
# the gradient, $\partial L/\partial z = \partial L/\partial a \odot f'(z)$. Use NumPy
# (`np.exp`, `np.where`, `np.maximum`, `np.tanh` are fine); torch's built-in activations
# are what you are re-implementing, so the grader refuses them.
#
# Run the cell below first.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits

from coursekit.grading import check
from coursekit import data
from coursekit.activations import SELU_ALPHA, SELU_SCALE
from coursekit.plots import activations as actplots
from coursekit.plots import caption
from coursekit.unstable_gradients import run_deep_net

rng = np.random.default_rng(0)
# The matrices here are small: one BLAS thread is fastest, and leaves the other cores free.
threadpool_limits(1)

# %% [markdown]
# ## 1 · The saturating pair: logistic and tanh
#
# $$\sigma(z) = \frac{1}{1+e^{-z}}, \quad \sigma'(z) = \sigma(z)\,(1-\sigma(z));
#   \qquad \tanh'(z) = 1 - \tanh^2(z).$$
#
# Both derivatives are written in terms of the *output*; your `_grad` functions receive
# $z$, so compute the output first. (For large negative $z$, `np.exp(-z)` overflows to
# `inf` with a warning and $\sigma$ still comes out as 0; `np.exp(-np.abs(z))` avoids
# the warning.)

# %% solution="sigmoid"
def sigmoid(z):
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    ### END SOLUTION


def sigmoid_grad(z):
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1 - s)
    ### END SOLUTION


# %% tests="test_sigmoid" points=1
check("activations.sigmoid", sigmoid, sigmoid_grad)
### BEGIN HIDDEN TESTS
check("activations.sigmoid", sigmoid, sigmoid_grad, hidden=True)
### END HIDDEN TESTS

# %% solution="tanh"
def tanh(z):
    ### BEGIN SOLUTION
    return np.tanh(z)
    ### END SOLUTION


def tanh_grad(z):
    ### BEGIN SOLUTION
    return 1 - np.tanh(z) ** 2
    ### END SOLUTION


# %% tests="test_tanh" points=1
check("activations.tanh", tanh, tanh_grad)
### BEGIN HIDDEN TESTS
check("activations.tanh", tanh, tanh_grad, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 2 · ReLU and leaky ReLU
#
# $\operatorname{ReLU}(z) = \max(0, z)$ does not saturate for $z > 0$, where its slope is 1,
# and it is cheap. For $z < 0$ its slope is 0. At the kink $z = 0$ any value in $[0, 1]$ is
# a valid (sub)gradient; torch uses 0, and so does this course.
#
# The leaky ReLU keeps a small slope $\alpha$ for $z < 0$:
# $\operatorname{LeakyReLU}_\alpha(z) = \max(\alpha z, z)$ for $0 \le \alpha \le 1$. The
# default follows torch (`negative_slope=0.01`); Keras's `LeakyReLU` defaults to 0.3. Its
# derivative is 1 for $z > 0$ and $\alpha$ otherwise.
#
# Mind the dtype: `(z > 0)` is a boolean array; `.astype(z.dtype)` turns it into 0s and 1s
# of the input's dtype.

# %% solution="relu"
def relu(z):
    ### BEGIN SOLUTION
    return np.maximum(z, 0)
    ### END SOLUTION


def relu_grad(z):
    ### BEGIN SOLUTION
    return (z > 0).astype(z.dtype)
    ### END SOLUTION


# %% tests="test_relu" points=1
check("activations.relu", relu, relu_grad)
### BEGIN HIDDEN TESTS
check("activations.relu", relu, relu_grad, hidden=True)
### END HIDDEN TESTS

# %% solution="leaky_relu"
def leaky_relu(z, alpha=0.01):
    ### BEGIN SOLUTION
    return np.where(z > 0, z, alpha * z)
    ### END SOLUTION


def leaky_relu_grad(z, alpha=0.01):
    ### BEGIN SOLUTION
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)
    ### END SOLUTION


# %% tests="test_leaky_relu" points=2
check("activations.leaky_relu", leaky_relu, leaky_relu_grad)
### BEGIN HIDDEN TESTS
check("activations.leaky_relu", leaky_relu, leaky_relu_grad, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · ELU and SELU
#
# $$\operatorname{ELU}_\alpha(z) = \begin{cases} z & z > 0 \\ \alpha\,(e^{z} - 1) & z \le 0
#   \end{cases}, \qquad
#   \operatorname{ELU}_\alpha'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}.$$
#
# For $z \le 0$ the derivative can also be written $\operatorname{ELU}_\alpha(z) + \alpha$,
# which reuses the forward output; both are correct. ELU tends to $-\alpha$ for
# $z \to -\infty$, so its outputs average closer to 0 than ReLU's, and its slope never
# reaches 0. Evaluate the exponential on `np.minimum(z, 0)`: `np.where` computes both
# branches, and `np.exp` of a large positive `z` would overflow.
#
# SELU (Klambauer et al., 2017) scales an ELU: $\operatorname{SELU}(z) = \lambda
# \operatorname{ELU}_{\alpha}(z)$ with $\lambda \approx 1.0507$ and $\alpha \approx 1.6733$,
# chosen so that mean 0 and variance 1 are a fixed point of a layer (section 6). Use the
# full-precision constants `SELU_SCALE` and `SELU_ALPHA` imported in the first cell.

# %% solution="elu"
def elu(z, alpha=1.0):
    ### BEGIN SOLUTION
    return np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1))
    ### END SOLUTION


def elu_grad(z, alpha=1.0):
    ### BEGIN SOLUTION
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype)
    ### END SOLUTION


# %% tests="test_elu" points=2
check("activations.elu", elu, elu_grad)
### BEGIN HIDDEN TESTS
check("activations.elu", elu, elu_grad, hidden=True)
### END HIDDEN TESTS

# %% solution="selu"
def selu(z):
    ### BEGIN SOLUTION
    return SELU_SCALE * elu(z, SELU_ALPHA)
    ### END SOLUTION


def selu_grad(z):
    ### BEGIN SOLUTION
    return SELU_SCALE * elu_grad(z, SELU_ALPHA)
    ### END SOLUTION


# %% tests="test_selu" points=2
check("activations.selu", selu, selu_grad)
### BEGIN HIDDEN TESTS
check("activations.selu", selu, selu_grad, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4 · Side by side
#
# Your functions, plotted. Note where each derivative is 0 (no gradient gets through),
# where it is below 1 (the gradient shrinks), and that of the ReLU family only ELU is smooth
# at 0, and only when $\alpha = 1$ (the logistic and tanh are smooth everywhere).

# %%
mine = {"sigmoid": (sigmoid, sigmoid_grad), "tanh": (tanh, tanh_grad), "relu": (relu, relu_grad),
        "leaky_relu (0.1)": (lambda z: leaky_relu(z, 0.1), lambda z: leaky_relu_grad(z, 0.1)),
        "elu": (elu, elu_grad), "selu": (selu, selu_grad)}
actplots.functions(mine, title="your activation functions");
caption()

# %% [markdown]
# ## 5 · Dying ReLUs
#
# If a unit's weights move so that $z \le 0$ for *every* training example, a ReLU outputs 0
# everywhere and its gradient is 0 everywhere: no update can bring it back. A large
# learning rate makes this likely, since one big step can throw a unit's weights anywhere.
#
# Train the same 3-hidden-layer net (64 units each) on the digits with Adam at a learning
# rate of 0.05, far above Adam's usual $10^{-3}$, then count the units that never fire
# ($z \le 0$ for every training image; the cell prints how many there are). A leaky ReLU
# or ELU unit in that state is not dead: it still passes on $\alpha$ or $\alpha e^z$ of the
# gradient.

# %%
import torch

from coursekit.experiments.activations import dead_units, set_negative_slope
from coursekit.training import build_mlp, fit

torch.set_num_threads(1)  # nets this small run fastest on one thread, and share the CPU well
digits = data.digits(seed=0)
print(f"{len(digits.x_train)} training images")
variants = {"relu": ("relu", None), "leaky_relu (0.01)": ("leaky_relu", 0.01),
            "leaky_relu (0.2)": ("leaky_relu", 0.2), "elu": ("elu", None)}
counts, models = {}, {}
for label, (name, slope) in variants.items():
    model = build_mlp([64, 64, 64, 64, 10], activation=name, init="he_normal")
    if slope is not None:
        set_negative_slope(model, slope)
    fit(model, digits, optimizer="adam", lr=0.05, epochs=3, device="cpu", progress=False)
    counts[label], models[label] = dead_units(model, digits.x_train), model
    print(f"{label:18s} units that never fire, per hidden layer: {[d for d, _ in counts[label]]} of 64")
actplots.dead_units(counts, title="units that never fire after 3 epochs at lr = 0.05");
caption()

# %% [markdown]
# About a third of the ReLU units in the middle layer are gone. The leaky ReLU with the
# default slope 0.01 has almost as many silent units: it can recover, but a hundred times
# more slowly than it died. With a slope of 0.2, or with ELU, hardly any unit falls silent.
#
# Dead ReLUs stay dead. Train the ReLU net on, now at a sensible learning rate: the count
# barely moves. A dead unit gets no gradient of its own; it can only come back if the
# layers below it happen to change its inputs.

# %%
fit(models["relu"], digits, optimizer="adam", lr=1e-3, epochs=5, device="cpu", progress=False)
print("ReLU units that never fire, after 5 more epochs at lr = 1e-3:",
      [d for d, _ in dead_units(models["relu"], digits.x_train)])

# %% [markdown]
# ## 6 · Training curves on the digits
#
# The same 6-hidden-layer net (64 units per layer), trained for 8 epochs with Adam at
# $10^{-3}$, with four activations. Each gets the initialisation that suits it (topic 02):
# He normal for the ReLU family and ELU, LeCun normal for SELU. One run says little (the
# initial weights and the order of the batches change the result), so each activation is
# trained with five seeds; the cell prints the mean and the standard deviation over the
# seeds of the final validation accuracy.

# %%
from tqdm.auto import tqdm

SEEDS = range(5)
names = ("relu", "leaky_relu", "elu", "selu")
histories = {name: [] for name in names}
for name, seed in tqdm([(name, seed) for name in names for seed in SEEDS], desc="training runs"):
    init = "lecun_normal" if name == "selu" else "he_normal"
    model = build_mlp([64] + [64] * 6 + [10], activation=name, init=init, seed=seed)
    histories[name].append(fit(model, digits, optimizer="adam", lr=1e-3, epochs=8, device="cpu", seed=seed,
                               progress=False, train_accuracy=False))
final = {name: np.array([h["val_acc"][-1] for h in runs]) for name, runs in histories.items()}
print(f"validation accuracy after 8 epochs, {len(SEEDS)} seeds ({len(digits.x_val)} validation images: "
      f"one image is {1 / len(digits.x_val):.3f})")
for name, acc in final.items():
    print(f"{name:10s} {acc.mean():.3f} ± {acc.std():.3f}   (from {acc.min():.3f} to {acc.max():.3f}; "
          f"mean minus ReLU's {acc.mean() - final['relu'].mean():+.3f})")
actplots.training_curves(histories, title=f"6 hidden layers of 64 units, Adam, lr = 1e-3, {len(SEEDS)} seeds");
caption()

# %% [markdown]
# Over five seeds (thin lines; the thick line is their mean) SELU ends ahead of the others
# and ELU ahead of ReLU, each by more than the seed-to-seed standard deviation (though the
# ranges, from the worst seed to the best, can overlap); ReLU and the leaky ReLU
# cannot be told apart. The lecture notes rank ELU above the ReLU variants and those above
# ReLU: here that holds for ELU, not for the leaky ReLU, whose slope of 0.01 for $z < 0$ is
# hardly different from ReLU's 0. Differences of a point or two on a few hundred validation
# images need several seeds before they mean anything; change `SEEDS` and see which of them
# survive.
#
# ## 7 · SELU normalises itself
#
# Klambauer et al. chose $\lambda$ and $\alpha$ so that if a layer's inputs have mean 0 and
# variance 1, and its weights are LeCun normal ($\operatorname{Var}[w] = 1/n_\text{in}$),
# its outputs have mean 0 and variance 1 too, and nearby values are pulled towards that
# fixed point. Propagate a standardised batch through 50 layers and watch the mean and the
# variance of every layer; compare with ELU and ReLU under He initialisation, and tanh
# under Glorot.

# %%
x = rng.standard_normal((100, 100))
deep = {
    "selu, lecun_normal": run_deep_net(x, depth=50, width=100, activation="selu", init="lecun_normal", rng=rng),
    "elu, he_normal": run_deep_net(x, depth=50, width=100, activation="elu", init="he_normal", rng=rng),
    "relu, he_normal": run_deep_net(x, depth=50, width=100, activation="relu", init="he_normal", rng=rng),
    "tanh, glorot_uniform": run_deep_net(x, depth=50, width=100, activation="tanh", init="glorot_uniform", rng=rng),
}
actplots.layer_statistics(deep, title="50 layers of 100 units");
selu_run = deep["selu, lecun_normal"]
print(f"SELU: mean in [{selu_run.means.min():.3f}, {selu_run.means.max():.3f}], "
      f"variance in [{selu_run.variances.min():.3f}, {selu_run.variances.max():.3f}]")
caption()

# %% [markdown]
# SELU stays at mean 0 and variance 1, layer after layer, without BatchNorm (topic 04). The
# others drift: ReLU's mean is positive by construction, ELU's variance grows under He's
# factor 2, and tanh's shrinks. Self-normalisation needs all of its assumptions: LeCun
# normal weights, standardised inputs, plain dense layers (no skip connections), and
# *alpha dropout* instead of ordinary dropout.
#
# ## 8 · Explore
#
# Pick an activation and, for leaky ReLU and ELU, its $\alpha$. Try ELU with $\alpha$
# between 0 and 2: where is it smooth at 0? What does a leaky ReLU with $\alpha = 1$ become?

# %%
from coursekit.widgets.activations import activation_explorer

activation_explorer()
