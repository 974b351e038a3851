# %% [markdown]
# # 01 · Unstable gradients
#
# Backpropagation multiplies the loss gradient by one factor per layer on its way down to
# the input. In a deep net those factors compound: if they are a little below 1 the
# gradient *vanishes* and the lower layers barely learn; a little above 1 and it
# *explodes*. In this notebook you look inside a 30-layer network and see it happen:
#
# - the **histogram of activations** in each layer (the figure Glorot & Bengio, 2010, used
#   to diagnose the problem);
# - the **norm of the weight gradient** in each layer, from a backward pass you write;
# - the **fraction of saturated units**, logistic units stuck near 0 or 1 where their
#   slope is almost 0, which you measure.
#
# The net uses the logistic (sigmoid) activation and weights drawn from $N(0, 1)$: the
# combination the lecture notes blame for "the variance of the outputs of each layer [being]
# much greater than the variance of its inputs". Then you see the exploding case, and
# Glorot & Bengio's one-line fix, which topic 02 develops.
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
from coursekit.layers import softmax_cross_entropy
from coursekit.plots import unstable_gradients as ugplots
from coursekit.plots import caption
from coursekit.unstable_gradients import deep_forward, init_weights, run_deep_net

rng = np.random.default_rng(0)
# The matrices here are small: one BLAS thread is fastest, and leaves the other cores free.
threadpool_limits(1)

# %% [markdown]
# ## 1 · A deep logistic net
#
# The net has $L = 30$ hidden layers of $D = 32$ units and no biases (as in Glorot &
# Bengio's experiments). With $a_0 = x$, a batch of $N$ digit images (64 standardised
# pixels each),
#
# $$z_l = a_{l-1} W_l, \qquad a_l = \sigma(z_l) = \frac{1}{1 + e^{-z_l}}, \qquad l = 1, \dots, L.$$
#
# **What to expect.** A pre-activation sums $D$ products $a\,w$. With independent
# $w \sim N(0, 1)$, $\operatorname{Var}[z] = D\,\operatorname{Var}[w]\,E[a^2]$. A logistic
# output lies in $(0, 1)$ around $1/2$, so $E[a^2] \approx 0.3$ and
# $\operatorname{Var}[z] \approx 32 \times 0.3 \approx 10$: a standard deviation above 3,
# deep in the flat tails of $\sigma$. The histograms should pile up at 0 and 1.
#
# They do in the first layer. Higher up they break into about 32 spikes: each unit outputs
# nearly the same value for every image. Large weights and saturation have washed the input
# out, and the top of the net sees almost the same thing whatever the digit.

# %%
digits = data.digits(seed=0)
x, y = digits.x_train[:256], digits.y_train[:256]

weights = init_weights([64] + [32] * 30, init="standard_normal", rng=rng)
activations, cache = deep_forward(x, weights, "sigmoid")
ugplots.activation_histograms(activations, title="logistic units, N(0, 1) weights");
caption()

# %% [markdown]
# ## 2 · Gradient norms per layer
#
# Let $g_l = \partial L/\partial a_l$ be the gradient arriving at layer $l$ from above,
# starting with $g_L$ = `dout`. The chain rule gives, from the top layer down,
#
# $$\delta_l = g_l \odot \sigma'(z_l), \qquad
#   \frac{\partial L}{\partial W_l} = a_{l-1}^\top \delta_l, \qquad
#   g_{l-1} = \delta_l W_l^\top,$$
#
# with $\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) \le 1/4$. Every layer multiplies the gradient
# by $\sigma'(z_l)$ and by $W_l^\top$.
#
# **Exercise.** Write `gradient_norms(x, weights, dout)` for a logistic net: run the forward
# pass (keep every $z_l$ and $a_{l-1}$), then the backward pass, and return the Frobenius
# norm $\lVert\partial L/\partial W_l\rVert = \sqrt{\sum_{ij} (\partial L/\partial W_l)_{ij}^2}$
# of every layer as an array of shape $(L,)$ and of `x`'s dtype (some test cases are float32),
# **layer 1 (next to the input) first**.
# `weights[l]` has shape $(D_l, D_{l+1})$; the layers need not all have the same width.

# %% solution="gradient_norms"
def gradient_norms(x, weights, dout):
    """x: (N, D_0); weights: list of L arrays (D_l, D_{l+1}); dout: dL/da_L, (N, D_L).
    Returns the (L,) array of the Frobenius norms of dL/dW_l, input side first."""
    ### BEGIN SOLUTION
    inputs, zs, a = [], [], x
    for w in weights:
        inputs.append(a)
        zs.append(a @ w)
        a = 1 / (1 + np.exp(-zs[-1]))
    norms = np.zeros(len(weights), dtype=x.dtype)
    grad = dout
    for l in reversed(range(len(weights))):
        s = 1 / (1 + np.exp(-zs[l]))
        delta = grad * s * (1 - s)
        norms[l] = np.sqrt(np.sum((inputs[l].T @ delta) ** 2))
        grad = delta @ weights[l].T
    return norms
    ### END SOLUTION


# %% tests="test_gradient_norms" points=3
check("unstable_gradients.gradient_norms", gradient_norms)
### BEGIN HIDDEN TESTS
check("unstable_gradients.gradient_norms", gradient_norms, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Your norms on the 30-layer net
#
# To get a real loss, a linear read-out maps the top layer to 10 class scores, scored by
# softmax cross-entropy against the digit labels (topic 00's function, from
# `coursekit.layers`). The loss's gradient with respect to $a_L$ is `dlogits @ w_out.T`.

# %%
w_out = rng.standard_normal((32, 10)) / np.sqrt(32)
loss, dlogits = softmax_cross_entropy(activations[-1] @ w_out, y)
norms = gradient_norms(x, weights, dlogits @ w_out.T)

ugplots.per_layer(norms, ylabel="‖dL/dW‖", log=True, title="gradient norm per layer");
print(f"‖dL/dW‖ at layer 1 / at layer 30: {norms[0] / norms[-1]:.1e}")
caption()

# %% [markdown]
# The first layers get gradients thousands of times smaller than the last: an SGD step that
# suits the top layers leaves the bottom ones where they started.
#
# ## 3 · Saturation
#
# A logistic unit is *saturated* when its output is within `tol` of one of its asymptotes,
# 0 or 1. There $\sigma'(z) = a(1-a) < \text{tol}$: almost no gradient gets through it.
#
# **Exercise.** Write `saturated_fraction(a, tol=0.01)`: the fraction (between 0 and 1) of
# the entries of `a` with $a \le \text{tol}$ or $a \ge 1 - \text{tol}$.

# %% solution="saturated_fraction"
def saturated_fraction(a, tol=0.01):
    """a: logistic activations, any shape. Returns the fraction within tol of 0 or 1."""
    ### BEGIN SOLUTION
    return float(np.mean((a <= tol) | (a >= 1 - tol)))
    ### END SOLUTION


# %% tests="test_saturated_fraction" points=2
check("unstable_gradients.saturated_fraction", saturated_fraction)
### BEGIN HIDDEN TESTS
check("unstable_gradients.saturated_fraction", saturated_fraction, hidden=True)
### END HIDDEN TESTS

# %%
saturation = [saturated_fraction(a) for a in activations]
ugplots.per_layer(saturation, ylabel="fraction saturated", title="saturated logistic units per layer");
print(f"mean fraction saturated: {np.mean(saturation):.2f}")
caption()

# %% [markdown]
# ## 4 · One factor per layer
#
# Going down one layer multiplies the gradient's variance by about
#
# $$\frac{\operatorname{Var}[g_{l-1}]}{\operatorname{Var}[g_l]} \approx
#   D\,\operatorname{Var}[w]\;E\!\left[\sigma'(z)^2\right].$$
#
# Saturation makes $E[\sigma'(z)^2]$ small; large weights make $D\,\operatorname{Var}[w]$
# large. Which one wins depends on the width: the wider the layer, the larger
# $D\operatorname{Var}[w]$ but also the wider $z$ and the smaller $E[\sigma'(z)^2]$ (it
# shrinks like $1/\sqrt{D}$, so the product grows like $\sqrt{D}$). The same $N(0, 1)$
# weights make narrow nets vanish and wide ones explode:

# %%
runs = {f"width {d}": run_deep_net(x, y, depth=30, width=d, activation="sigmoid", rng=rng)
        for d in (16, 32, 100, 200)}
ugplots.per_layer({k: r.grad_norms for k, r in runs.items()}, ylabel="‖dL/dW‖", log=True,
                  title="logistic units, N(0, 1) weights");
caption()

# %% [markdown]
# ## 5 · The exploding case
#
# With tanh units the slope at 0 is 1 instead of 1/4, so the *squared* slope there is 16
# times the logistic's. Averaged over $z \sim N(0, s^2)$ the advantage shrinks as the spread
# $s$ grows, because both slopes vanish in the tails: $E[\tanh'(z)^2] / E[\sigma'(z)^2]$ is
# about 10 at $s = 1$ and tends to 8 for wide spreads (the ratio of the integrals of the
# squared slopes, $\frac{4/3}{1/6}$). The cell below measures it.

# %%
z = np.linspace(-80, 80, 320_001)
squared_slopes = {"tanh": (1 - np.tanh(z) ** 2) ** 2,
                  "logistic": (np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2) ** 2}
for s in (0.01, 1, 10):
    density = np.exp(-0.5 * (z / s) ** 2)  # N(0, s²) up to a constant, which cancels
    ratio = np.sum(squared_slopes["tanh"] * density) / np.sum(squared_slopes["logistic"] * density)
    print(f"s = {s:>5}: E[tanh'(z)²] / E[σ'(z)²] = {ratio:.2f}")

# %% [markdown]
# So the factor per layer is many times the logistic's, and it exceeds 1 already at width
# 32. The units are saturated, yet each layer *multiplies* the gradient: by the input layer
# it is millions of times larger than at the top. One SGD step with a learning rate that
# suits the top layers throws the bottom ones far away, the loss jumps, and training
# diverges. (ReLU units with these weights are worse still: nothing saturates, so the
# activations themselves grow by $\sqrt{D/2}$ per layer.)

# %%
exploding = run_deep_net(x, y, depth=30, width=32, activation="tanh", rng=rng)
ugplots.deep_run(exploding);
print(f"‖dL/dW‖ at layer 1 / at layer 30: {exploding.grad_norms[0] / exploding.grad_norms[-1]:.1e}")
caption()

# %% [markdown]
# ## 6 · A preview of the fix
#
# Glorot & Bengio choose $\operatorname{Var}[w]$ so that the factor is about 1 in *both*
# directions: $\operatorname{Var}[w] = 2/(D_{\text{in}} + D_{\text{out}})$ for tanh, whose
# slope near 0 is 1. The same 30-layer tanh net, with only the initialisation changed, has
# no saturated unit and gradient norms within a small factor of each other from top to
# bottom. The histograms still narrow slowly with depth, as in Glorot & Bengio's own figure;
# torch's gain of 5/3 for tanh counters that. Topic 02 derives the rule and checks the gain
# table empirically.

# %%
fixed = run_deep_net(x, y, depth=30, width=32, activation="tanh", init="glorot_uniform", rng=rng)
ugplots.deep_run(fixed);
caption()

# %% [markdown]
# ## 7 · Explore
#
# Change the depth, the width, the activation and the initialiser. Things to try: the
# logistic with `glorot_uniform` (vanishing, without saturation: its slope is at most 1/4);
# ReLU with `standard_normal` (activations explode) and with `he_normal`; tanh at width 200.

# %%
from coursekit.widgets.unstable_gradients import layer_explorer

layer_explorer()
