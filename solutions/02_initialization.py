# %% [markdown]
# # 02 · Initialisation
#
# Topic 01 showed the gradient shrinking or growing by a roughly constant factor per layer.
# Glorot & Bengio (2010) asked for weights that make that factor 1: the signal should keep
# its variance on the way up (activations) and on the way down (gradients). In this notebook
# you:
#
# 1. write `variance_scaling`, the one rule behind every classical initialiser, and the five
#    named ones: Glorot (Xavier) uniform and normal, He (Kaiming) uniform and normal, LeCun
#    normal;
# 2. see that a uniform and a normal with the same variance behave alike;
# 3. propagate a batch through 50 layers and measure the activation variance of every layer
#    for every (activation, initialiser) pair;
# 4. settle, by measurement, where the lecture notes' factor 4 belongs, and compare the
#    course's gain table with `torch.nn.init.calculate_gain`;
# 5. see why He et al. divide by fan_in where the notes average the fans.
#
# Run the cell below first.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import math

import numpy as np
import matplotlib.pyplot as plt
from threadpoolctl import threadpool_limits

from coursekit.grading import check
from coursekit.activations import FUNCTIONS
from coursekit.plots import initialization as initplots
from coursekit.plots import caption
from coursekit.unstable_gradients import init_weights, run_deep_net

rng = np.random.default_rng(0)
# The matrices here are small: one BLAS thread is fastest, and leaves the other cores free.
threadpool_limits(1)

# %% [markdown]
# ## 1 · One rule: variance scaling
#
# A unit computes $z = \sum_{i=1}^{n_\text{in}} w_i a_i$. With independent, zero-mean weights
# and inputs, $\operatorname{Var}[z] = n_\text{in}\operatorname{Var}[w]\operatorname{Var}[a]$:
# the variance survives the layer when $\operatorname{Var}[w] = 1/n_\text{in}$. Going
# backwards, a gradient is a sum over the $n_\text{out}$ units above, so it survives when
# $\operatorname{Var}[w] = 1/n_\text{out}$. Glorot & Bengio compromise with the average,
# $\operatorname{Var}[w] = 2/(n_\text{in} + n_\text{out})$. In general
#
# $$\operatorname{Var}[w] = \frac{\text{scale}}{n}, \qquad
#   n = n_\text{in},\ n_\text{out}\ \text{or}\ \tfrac12(n_\text{in} + n_\text{out})
#   \quad(\text{mode} = \texttt{fan\_in}, \texttt{fan\_out}, \texttt{fan\_avg}).$$
#
# Draw it from a normal with $\sigma = \sqrt{\text{scale}/n}$, or from a uniform on
# $[-r, r]$. A uniform on $[-r, r]$ has variance $r^2/3$, so $r = \sqrt{3}\,\sigma =
# \sqrt{3\,\text{scale}/n}$.
#
# **Exercise.** Write `variance_scaling`. It returns a `(fan_in, fan_out)` array (the `W`
# of `x @ W`; torch's `nn.Linear` stores the transpose) and draws every random number from
# `rng`, a `numpy.random.Generator` (`rng.uniform`, `rng.normal`). The grader cannot compare
# random numbers one by one; it checks the shape, the dtype, that the same seed gives the
# same matrix, and the root mean square and kurtosis of large matrices.

# %% solution="variance_scaling"
def variance_scaling(fan_in, fan_out, *, scale=1.0, mode="fan_avg", distribution="uniform", rng):
    """Returns a (fan_in, fan_out) array with variance scale / n (n from mode)."""
    ### BEGIN SOLUTION
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if distribution == "uniform":
        r = math.sqrt(3 * scale / n)
        return rng.uniform(-r, r, size=(fan_in, fan_out))
    return rng.normal(0.0, math.sqrt(scale / n), size=(fan_in, fan_out))
    ### END SOLUTION


# %% tests="test_variance_scaling" points=3
check("init.variance_scaling", variance_scaling)
### BEGIN HIDDEN TESTS
check("init.variance_scaling", variance_scaling, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 2 · The named initialisers
#
# | name | scale | mode | distribution | from |
# |---|---|---|---|---|
# | `glorot_uniform` | 1 | fan_avg | uniform: $r = \sqrt{6/(n_\text{in}+n_\text{out})}$ | Glorot & Bengio (2010), for tanh |
# | `glorot_normal` | 1 | fan_avg | normal: $\sigma = \sqrt{2/(n_\text{in}+n_\text{out})}$ | Glorot & Bengio (2010) |
# | `he_uniform` | 2 | fan_in | uniform: $r = \sqrt{6/n_\text{in}}$ | He et al. (2015), for ReLU |
# | `he_normal` | 2 | fan_in | normal: $\sigma = \sqrt{2/n_\text{in}}$ | He et al. (2015) |
# | `lecun_normal` | 1 | fan_in | normal: $\sigma = \sqrt{1/n_\text{in}}$ | LeCun et al. (1998), for SELU |
#
# ReLU zeroes half of its inputs, which halves $E[a^2]$; He et al. double the variance to
# make up for it. The lecture notes' ReLU row multiplies Glorot's numbers by $\sqrt2$, which
# is *scale 2 with fan_avg*. He et al. use fan_in, as Keras and `torch.nn.init.kaiming_*`
# do; section 6 shows when the difference matters.
#
# **Exercise.** Write the five shortcuts with your `variance_scaling`.

# %% solution="named_initialisers"
def glorot_uniform(fan_in, fan_out, *, rng):
    ### BEGIN SOLUTION
    return variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_avg", distribution="uniform", rng=rng)
    ### END SOLUTION


def glorot_normal(fan_in, fan_out, *, rng):
    ### BEGIN SOLUTION
    return variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_avg", distribution="normal", rng=rng)
    ### END SOLUTION


def he_uniform(fan_in, fan_out, *, rng):
    ### BEGIN SOLUTION
    return variance_scaling(fan_in, fan_out, scale=2.0, mode="fan_in", distribution="uniform", rng=rng)
    ### END SOLUTION


def he_normal(fan_in, fan_out, *, rng):
    ### BEGIN SOLUTION
    return variance_scaling(fan_in, fan_out, scale=2.0, mode="fan_in", distribution="normal", rng=rng)
    ### END SOLUTION


def lecun_normal(fan_in, fan_out, *, rng):
    ### BEGIN SOLUTION
    return variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_in", distribution="normal", rng=rng)
    ### END SOLUTION


# %% tests="test_glorot" points=2
check("init.glorot_uniform", glorot_uniform)
check("init.glorot_normal", glorot_normal)
### BEGIN HIDDEN TESTS
check("init.glorot_uniform", glorot_uniform, hidden=True)
check("init.glorot_normal", glorot_normal, hidden=True)
### END HIDDEN TESTS

# %% tests="test_he" points=2
check("init.he_uniform", he_uniform)
check("init.he_normal", he_normal)
### BEGIN HIDDEN TESTS
check("init.he_uniform", he_uniform, hidden=True)
check("init.he_normal", he_normal, hidden=True)
### END HIDDEN TESTS

# %% tests="test_lecun" points=1
check("init.lecun_normal", lecun_normal)
### BEGIN HIDDEN TESTS
check("init.lecun_normal", lecun_normal, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · Uniform or normal?
#
# Same variance, different shapes: the uniform stops at $r = \sqrt3\,\sigma$, the normal
# has tails. The kurtosis $E[(w-\mu)^4]/\sigma^4$ tells them apart: 1.8 for a uniform, 3 for
# a normal. For propagation only the variance matters: each $z$ sums a hundred or more
# products, and by the central limit theorem the sum is close to normal either way.

# %%
w_uniform = glorot_uniform(256, 256, rng=rng)
w_normal = glorot_normal(256, 256, rng=rng)
for name, w in (("uniform", w_uniform), ("normal", w_normal)):
    c = w - w.mean()
    print(f"{name:8s} variance {w.var():.5f}  kurtosis {np.mean(c**4) / np.mean(c**2)**2:.2f}")
initplots.uniform_vs_normal(w_uniform, w_normal);
caption()

# %%
x = rng.standard_normal((100, 100))
same = {name: run_deep_net(x, depth=50, width=100, activation="tanh", init=init, rng=np.random.default_rng(1))
        for name, init in (("glorot_uniform", glorot_uniform), ("glorot_normal", glorot_normal))}
initplots.per_layer({k: r.variances for k, r in same.items()}, ylabel="Var[a]", log=True,
                    title="tanh, 50 layers: uniform and normal Glorot");
caption()

# %% [markdown]
# ## 4 · Measuring propagation through 50 layers
#
# **Exercise.** Write `layer_variances(x, weights, f)`: propagate `x` through
# $a_l = f(a_{l-1} W_l)$ (no biases) and return the variance of each layer's output
# $a_1, \dots, a_L$, all $N \times D_l$ values of a layer together (`a.var()`: the variance
# of the layer's histogram), as an array of shape $(L,)$.

# %% solution="layer_variances"
def layer_variances(x, weights, f):
    """x: (N, D_0); weights: list of L arrays; f: elementwise activation. Returns (L,)."""
    ### BEGIN SOLUTION
    variances, a = [], x
    for w in weights:
        a = f(a @ w)
        variances.append(a.var())
    return np.array(variances)
    ### END SOLUTION


# %% tests="test_layer_variances" points=2
check("unstable_gradients.layer_variances", layer_variances)
### BEGIN HIDDEN TESTS
check("unstable_gradients.layer_variances", layer_variances, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Now every pair: five activations, five initialisers (plus $N(0,1)$, the "before"), 50
# layers of 100 units, a batch of 100 standard-normal inputs. The table shows
# $\log_{10}\operatorname{Var}[a_{50}]$: 0 means the variance survived, $-16$ that it
# vanished, $+80$ that it exploded. Finite width makes the variance drift randomly by a
# factor of a few over 50 layers; read orders of magnitude, not decimals.

# %%
initialisers = {"standard_normal": lambda fi, fo, *, rng: rng.standard_normal((fi, fo)),
                "glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal,
                "he_normal": he_normal, "lecun_normal": lecun_normal}
activations = ("sigmoid", "tanh", "relu", "elu", "selu")
table = {}
for act in activations:
    for name, init in initialisers.items():
        weights = init_weights([100] * 51, init=init, rng=np.random.default_rng(2))
        table[act, name] = layer_variances(x, weights, FUNCTIONS[act][0])[-1]
initplots.variance_grid(table);
caption()

# %% [markdown]
# Read the rows: ReLU keeps its variance, up to the finite-width drift, only with He
# (scale 2), and loses it by 16 orders of magnitude with Glorot or LeCun (half the signal
# is zeroed at each of 50 layers: $2^{-50} \approx 10^{-15}$). SELU keeps variance 1 with
# LeCun normal, the pairing its authors prescribe (topic 03). tanh with Glorot decays
# slowly (about two orders over 50 layers). The logistic's row hardly moves: a bounded
# function with a mean of $1/2$ cannot explode, and its variance settles low whatever the
# weights. Forward variance alone does not judge it; the next section looks at the
# gradients.
#
# ## 5 · Where does the factor 4 go?
#
# The lecture notes' table multiplies Glorot's bound by **4 for the hyperbolic tangent** and
# by 1 for the logistic. Bengio's recommendation (in the Theano deep learning tutorials,
# following Glorot & Bengio's linear-regime argument) puts the 4 on the **logistic**. Near
# 0, $\tanh(z) \approx z$ but $\sigma(z) \approx \tfrac12 + \tfrac{z}{4}$: the logistic
# divides every fluctuation by 4 on the way up and every gradient by 4 on the way down
# ($\sigma'(0) = 1/4$). Weights four times larger undo that. For tanh the slope is
# already 1.
#
# Measure it: Glorot-uniform weights times a gain of 1, 5/3 (torch's choice for tanh) or 4,
# through 50 layers; the backward signal is $\operatorname{Var}[\partial L/\partial z]$ per
# layer.

# %%
print(f"{'activation':10s} {'gain':>5s} {'Var[a_50]':>10s} {'grad var, layer 1 / layer 50':>30s} {'saturated':>10s}")
gain_runs = {}
for act in ("sigmoid", "tanh"):
    for g in (1.0, 5 / 3, 4.0):
        run = run_deep_net(x, depth=50, width=100, activation=act, init=glorot_uniform, gain=g,
                           rng=np.random.default_rng(3))
        gain_runs[f"{act} × {g:.3g}"] = run
        ratio = run.delta_variances[0] / run.delta_variances[-1]
        print(f"{act:10s} {g:5.3g} {run.variances[-1]:10.3g} {ratio:30.1e} {run.saturation.mean():10.2f}")
initplots.per_layer({k: r.delta_variances for k, r in gain_runs.items()}, ylabel="Var[dL/dz]", log=True,
                    title="backward signal, Glorot uniform × gain");
caption()

# %% [markdown]
# - **tanh × 4** (the notes' row): about half of the units saturate, and the gradient grows
#   by about $10^{18}$ on its way down 50 layers. Far from preserving anything.
# - **tanh × 1** keeps the gradient within a factor of about 100 over 50 layers, and no
#   unit saturates. torch's 5/3 keeps the forward variance from decaying, at the price of a
#   gradient that grows by about $10^4$.
# - **logistic × 1** (what the notes and torch give it): the gradient shrinks 16-fold per
#   layer in variance, $10^{-60}$ over 50 layers. **× 4** is better by forty orders of
#   magnitude, though still vanishing: the logistic's mean of $1/2$ feeds every layer a
#   large constant that no gain removes, one reason to prefer tanh or ReLU in deep nets.
#
# So the 4 belongs to the logistic. **Exercise.** Write `gain(activation, param=None)`, the
# course's table: the factor on $\sigma$ (and on $r$), so that
# `variance_scaling(..., scale=gain**2)` preserves the signal. Use 1 for `"linear"`,
# 4 for `"sigmoid"`, 1 for `"tanh"`, $\sqrt2$ for `"relu"`, $\sqrt{2/(1+a^2)}$ for
# `"leaky_relu"` with slope $a$ = `param` (default 0.01: He et al.'s formula, since the
# negative side passes on $a^2$ of the variance), and 1 for `"selu"` (with fan_in, i.e.
# LeCun normal).

# %% solution="gain"
def gain(activation, param=None):
    """The course's gain table. param: the leaky ReLU's slope (default 0.01)."""
    ### BEGIN SOLUTION
    if activation == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2 / (1 + slope**2))
    return {"linear": 1.0, "sigmoid": 4.0, "tanh": 1.0, "relu": math.sqrt(2), "selu": 1.0}[activation]
    ### END SOLUTION


# %% tests="test_gain" points=2
check("init.gain", gain)
### BEGIN HIDDEN TESTS
check("init.gain", gain, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Three tables side by side
#
# `torch.nn.init.calculate_gain` is a different table: 1 for the logistic, 5/3 for tanh
# (tuned so that the forward variance of a deep tanh net settles instead of decaying, as
# in the measurement above), 3/4 for SELU (torch's own choice; for self-normalising nets
# its documentation recommends `nonlinearity="linear"`, i.e. 1). ReLU, leaky ReLU and
# linear agree.

# %%
import torch

notes = {"linear": 1.0, "sigmoid": 1.0, "tanh": 4.0, "relu": math.sqrt(2), "leaky_relu": math.sqrt(2), "selu": None}
print(f"{'activation':12s} {'this course':>12s} {'torch':>8s} {'notes':>8s}")
for name in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
    ours, theirs = gain(name), torch.nn.init.calculate_gain(name)
    print(f"{name:12s} {ours:12.4f} {theirs:8.4f} {'-' if notes[name] is None else format(notes[name], '8.4f'):>8s}")

# %% [markdown]
# ## 6 · He: fan_in or fan_avg?
#
# When every layer has the same width, fan_in = fan_out = fan_avg and the question does not
# arise. Let the widths alternate, 100 → 400 → 100 → …, as in a net with bottlenecks. With
# fan_in, each ReLU layer multiplies the forward variance by $n_\text{in}
# \operatorname{Var}[w]/2 = 1$ exactly. With the notes' fan_avg, the factor is
# $2n_\text{in}/(n_\text{in}+n_\text{out})$: 0.4 going up from 100 to 400 units, 1.6
# coming back down, $0.64$ per pair of layers, and the signal fades.

# %%
def he_normal_fan_avg(fan_in, fan_out, *, rng):
    return variance_scaling(fan_in, fan_out, scale=2.0, mode="fan_avg", distribution="normal", rng=rng)


x100 = rng.standard_normal((100, 100))
widths = [400, 100] * 25
fans = {name: run_deep_net(x100, widths=widths, activation="relu", init=init, rng=np.random.default_rng(4))
        for name, init in (("He, fan_in", he_normal), ("notes, fan_avg", he_normal_fan_avg))}
initplots.per_layer({k: r.variances for k, r in fans.items()}, ylabel="Var[a]", log=True,
                    title="ReLU, widths alternating 400 and 100");
caption()

# %% [markdown]
# fan_in preserves the forward signal; fan_out would preserve the backward one instead.
# Glorot's fan_avg is a compromise between the two, reasonable for tanh; He et al. showed
# that for ReLU nets preserving one direction suffices, and chose fan_in.
#
# ## 7 · Explore
#
# Pick an activation, an initialiser and a gain (a log slider, from 1/4 to about 5.7) and
# watch both signals. Try the logistic with `glorot_uniform` at gain 1 and 4; tanh at 1,
# 5/3 and 4; ReLU with `lecun_normal` at gain 1 and $\sqrt2 \approx 1.41$.

# %%
from coursekit.widgets.initialization import propagation_explorer

propagation_explorer()
