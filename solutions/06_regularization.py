# %% [markdown]
# # 06 · Regularisation
#
# A network with enough capacity can fit its training set, noise included, and then
# predicts new data worse. This notebook first *measures* that trade-off, then tries
# three ways to push a network towards simpler functions:
#
# 1. **bias and variance**, estimated by training many models on resampled training sets
#    (polynomials, then small MLPs);
# 2. **weight penalties**: L1 and L2, their gradients, and why only one of them gives
#    exact zeros;
# 3. **dropout**, forward and backward, on a small training set that a big MLP overfits;
# 4. **noise on the inputs**, on the same problem.
#
# You write six functions: `bias_variance`, `l1_penalty`, `l2_penalty`, `dropout_forward`,
# `dropout_backward` and `gaussian_noise`. Two sliders at the end let you change λ and the
# dropout rate and watch the decision boundary.
#
# Run the cell below first. Each exercise has a cell with `# YOUR CODE HERE`, followed by
# a test cell you can run as often as you like. The grader runs more, hidden, cases.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import numpy as np
from tqdm.auto import tqdm

from coursekit.experiments import regularization as experiments
from coursekit.grading import check
from coursekit.plots import regularization as figures
from coursekit.plots import caption
from coursekit.regularization import ensembles

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1 · Bias and variance
#
# Draw a training set $D$, fit a model $\hat f_D$, and predict at a point $x$ whose label is
# $y = F^*(x) + \varepsilon$ with noise of variance $\sigma^2$. Averaged over training
# sets and noise, the squared error splits into three parts:
#
# $$\mathbb{E}\big[(y - \hat f_D(x))^2\big]
#   = \underbrace{\big(\bar f(x) - F^*(x)\big)^2}_{\text{bias}^2}
#   + \underbrace{\mathbb{E}_D\big[(\hat f_D(x) - \bar f(x))^2\big]}_{\text{variance}}
#   + \sigma^2,
#   \qquad \bar f(x) = \mathbb{E}_D\,\hat f_D(x).$$
#
# (Expand $(y - \bar f + \bar f - \hat f_D)^2$: the cross terms vanish because
# $\mathbb{E}_D[\hat f_D - \bar f] = 0$ and the noise is independent of $D$.) In the notes'
# words, the **bias** is how far the average model is from the true model $F^*$, and the
# **variance** is how much the model changes when it sees another training set.
#
# We cannot take expectations, but we can simulate them: train $S$ models on $S$ training
# sets and evaluate them at $P$ test points, giving `predictions` of shape $(S, P)$. Write
# `bias_variance(predictions, target)`: the bias² and the variance, each averaged over the
# test points. Average the squared deviations over the $S$ models (divide by $S$, not
# $S-1$): then bias² + variance is exactly the mean squared error against $F^*$.

# %% solution="bias_variance"
def bias_variance(predictions, target):
    """predictions: (S, P), target: (P,). Returns (bias2, variance), two scalars."""
    ### BEGIN SOLUTION
    mean_model = predictions.mean(axis=0)
    bias2 = np.mean((mean_model - target) ** 2)
    variance = np.mean((predictions - mean_model) ** 2)
    ### END SOLUTION
    return bias2, variance


# %% tests="test_bias_variance" points=1
check("regularization.bias_variance", bias_variance)
### BEGIN HIDDEN TESTS
check("regularization.bias_variance", bias_variance, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Polynomials
#
# The true function is $F^*(x) = \sin(2\pi x)$ on $[0, 1]$, observed with noise
# $\sigma = 0.3$ at 30 random points. We draw 200 such training sets and fit polynomials of
# degree 0 to 10 to each by least squares. The test points stay in $[0.05, 0.95]$: beyond
# the last training point a degree-10 polynomial shoots off, and those rare
# extrapolations would swamp everything else.

# %%
NOISE = 0.3
x_sets, y_sets = ensembles.training_sets(200, 30, noise=NOISE, rng=rng)
x_test = np.linspace(0.05, 0.95, 61)
f_test = ensembles.target_function(x_test)

degrees = list(range(11))
poly = ensembles.polynomial_ensemble(degrees, x_sets, y_sets, x_test)
poly_bv = np.array([bias_variance(poly[d], f_test) for d in degrees])
figures.ensemble_fits(x_test, f_test, poly, capacities=[1, 4, 10], label="degree",
                      x_train=x_sets[0], y_train=y_sets[0]);
caption()

# %% [markdown]
# Degree 1 is wrong in the same way whatever the data (high bias, low variance). Degree 10
# follows each training set's noise (low bias, high variance). Their sum, plus the noise
# $\sigma^2$ that no model can remove, is the expected test error:

# %%
figures.bias_variance_curve(degrees, poly_bv[:, 0], poly_bv[:, 1], noise_var=NOISE**2,
                            xlabel="polynomial degree", title="polynomials: 200 training sets");
caption()

# %% [markdown]
# ### Small MLPs
#
# Now one-hidden-layer tanh networks of growing width, 20 per width, each trained by Adam
# (1,000 full-batch steps) on its own training set from the same problem.

# %%
widths = [1, 2, 4, 8, 16, 32]
mlp = ensembles.mlp_ensemble(widths, x_sets[:20], y_sets[:20], x_test, steps=1000, lr=0.05)
mlp_bv = np.array([bias_variance(mlp[w], f_test) for w in widths])
figures.bias_variance_curve(widths, mlp_bv[:, 0], mlp_bv[:, 1], noise_var=NOISE**2, log_x=True,
                            xlabel="hidden units", title="MLPs: 20 training sets per width");
caption()

# %% [markdown]
# From two hidden units on, the bias falls with width as for the polynomials, and the
# variance grows, but much more gently: gradient descent from small random weights,
# stopped after a fixed number of steps, does not use all the capacity a wide network has.
# (A single unit has some variance of its own: depending on its training set and its
# initial weights, it settles on quite different fits.) The number of steps is a capacity
# knob too (this is why early stopping regularises). The rest of this notebook adds
# regularisers that lower the variance of a model that is too flexible, at the price of some
# bias.
#
# ## 2 · Weight penalties: L1 and L2
#
# The notes regularise by adding a penalty on the weights to the objective,
#
# $$\underset{\theta}{\operatorname{argmin}}\ \frac{1}{m}\sum_{i=1}^{m}
#   l\big(F(x^{(i)}; \theta), y^{(i)}\big) + \lambda\,\Omega(\theta),$$
#
# the penalised-objective formulation they cite from Cho & Chow (*Neurocomputing*, 1999).
# λ ≥ 0 sets how much a large weight costs. Two choices of $\Omega$:
#
# | | penalty | gradient |
# |---|---|---|
# | **L1** | $\lambda \sum_j \lvert w_j\rvert$ | $\lambda\,\operatorname{sign}(w_j)$ |
# | **L2** | $\frac{\lambda}{2} \sum_j w_j^2$ | $\lambda\, w_j$ |
#
# The $\frac12$ in L2 is a convention: with it, the gradient is $\lambda w$, exactly what
# torch's `weight_decay=λ` adds to each gradient in `SGD`, `Adam`, `RMSprop` and most other
# `torch.optim` optimizers; not in `AdamW`, nor in `Adam`, `NAdam` or `RAdam` with
# `decoupled_weight_decay=True`, which shrink the weights directly (topic 10). (Keras's `l2(λ)` is
# $\lambda\sum w^2$, gradient $2\lambda w$.) $|w|$ has no derivative at 0; any value in
# $[-\lambda, \lambda]$ is a *subgradient* there, and we take 0, which is what
# `np.sign` gives (and what torch's autograd uses for `abs`).
#
# Write both. Each returns the penalty (a scalar) and its gradient (the shape of `w`). Keep
# `w`'s dtype.

# %% solution="l1_penalty"
def l1_penalty(w, lam):
    """w: any shape, lam >= 0. Returns (penalty, grad)."""
    ### BEGIN SOLUTION
    penalty = lam * np.abs(w).sum()
    grad = lam * np.sign(w)
    ### END SOLUTION
    return penalty, grad


# %% tests="test_l1_penalty" points=1
check("regularization.l1_penalty", l1_penalty)
### BEGIN HIDDEN TESTS
check("regularization.l1_penalty", l1_penalty, hidden=True)
### END HIDDEN TESTS

# %% solution="l2_penalty"
def l2_penalty(w, lam):
    """w: any shape, lam >= 0. Returns (penalty, grad) with penalty = lam/2 * sum(w**2)."""
    ### BEGIN SOLUTION
    penalty = lam / 2 * np.sum(w * w)
    grad = lam * w
    ### END SOLUTION
    return penalty, grad


# %% tests="test_l2_penalty" points=1
check("regularization.l2_penalty", l2_penalty)
### BEGIN HIDDEN TESTS
check("regularization.l2_penalty", l2_penalty, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# For SGD, L2 and *weight decay* are the same thing: the step
# $w - \eta(g + \lambda w) = (1 - \eta\lambda)\,w - \eta g$ shrinks every weight by the same
# factor, and one SGD step with `weight_decay=λ` lands where a plain step on the loss plus
# your penalty's gradient lands. With momentum, the $\lambda w$ term joins the velocity like
# the rest of the gradient, and torch's `weight_decay` is still exactly your L2. For Adam the
# two part: `Adam`'s `weight_decay` is still your L2 gradient, but it goes through Adam's
# moment estimates and is divided by $\sqrt{\hat v}$, so weights with large gradients are
# decayed less. That is L2 through Adam's gradient, not weight decay. `torch.optim.AdamW`
# decouples the two (Loshchilov & Hutter, 2019): it shrinks each weight by $\eta\lambda w$
# directly and lets Adam see only the loss's gradient. Three steps of each, from the same
# weights:

# %%
import torch

w0, g = rng.standard_normal(5), rng.standard_normal(5)
w_torch = torch.tensor(w0, requires_grad=True)
w_torch.grad = torch.tensor(g)
torch.optim.SGD([w_torch], lr=0.1, weight_decay=0.3).step()
print(f"{'SGD(weight_decay=λ), one step  vs  a step on the loss + your L2':72s} max difference",
      np.abs(w_torch.detach().numpy() - (w0 - 0.1 * (g + l2_penalty(w0, 0.3)[1]))).max())


def three_steps(optimizer, lam_l2=0.0):
    """Three steps on the gradients g, 2g, 3g, plus your L2 gradient at lam_l2."""
    w = torch.tensor(w0, requires_grad=True)
    opt = optimizer([w])
    for k in (1, 2, 3):
        w.grad = torch.tensor(k * g + l2_penalty(w.detach().numpy(), lam_l2)[1])
        opt.step()
    return w.detach().numpy()


pairs = {
    "SGD(momentum=0.9, weight_decay=λ)  vs  SGD(momentum=0.9) on the loss + your L2":
        (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.3),
         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 0.3),
    "Adam(weight_decay=λ)  vs  Adam on the loss + your L2":
        (lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.3), lambda p: torch.optim.Adam(p, lr=0.1), 0.3),
    "AdamW(weight_decay=λ)  vs  Adam(weight_decay=λ)":
        (lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.3),
         lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.3), 0.0),
}
for label, (first, second, lam_l2) in pairs.items():
    print(f"{label:72s} max difference {np.abs(three_steps(first) - three_steps(second, lam_l2)).max():.1e}")

# %% [markdown]
# ### Which penalty gives exact zeros?
#
# A linear regression with 40 features, only 5 of which matter, and 50 training points. We
# fit it three ways, minimising $\frac{1}{2N}\lVert Xw - y\rVert^2$ plus a penalty:
#
# * **L2** by gradient descent with your `l2_penalty`: every weight shrinks towards 0 by
#   the same factor; none becomes 0.
# * **L1 by subgradient descent** with your `l1_penalty`: each step moves a small weight
#   by $\pm\eta\lambda$, so it jumps across 0 back and forth and almost never lands *on* it.
#   The weights end up small, not zero.
# * **L1 by proximal gradient descent (ISTA)**: a gradient step on the loss alone, then the
#   *soft threshold* $w \leftarrow \operatorname{sign}(w)\max(|w| - \eta\lambda, 0)$, the
#   exact minimiser of $\frac{1}{2}(z-w)^2 + \eta\lambda|z|$. Every weight within
#   $\eta\lambda$ of zero is set to exactly 0. This is the honest way to get sparsity from L1
#   (it is what lasso solvers do).

# %%
problem = experiments.sparse_regression(n_train=50, n_features=40, n_informative=5, seed=0)
x_tr, y_tr = problem.x_train, problem.y_train
fits = {
    "L2, gradient (λ=0.5)": experiments.fit_linear(x_tr, y_tr, lam=0.5, penalty="l2", penalty_fn=l2_penalty),
    "L1, subgradient (λ=0.3)": experiments.fit_linear(x_tr, y_tr, lam=0.3, penalty="l1", penalty_fn=l1_penalty),
    "L1, proximal (λ=0.3)": experiments.fit_linear(x_tr, y_tr, lam=0.3, penalty="l1", method="proximal"),
}
figures.weight_histograms({"true weights": problem.w_true, **fits}, limit=3.5);
caption()

# %% [markdown]
# ### Validation error against λ
#
# Too little penalty and the 35 useless features fit the noise; too much and the 5 useful
# ones are shrunk as well. In between, the validation error is lowest. L1 wins here because
# the truth *is* sparse.

# %%
lams = np.logspace(-3, 0.5, 15)
curves = {
    "L2": experiments.validation_mse(problem, lams, penalty="l2", penalty_fn=l2_penalty),
    "L1 (proximal)": experiments.validation_mse(problem, lams, penalty="l1", method="proximal"),
}
baseline_mse = experiments.validation_mse(problem, [0.0], penalty="l2")[0]
figures.validation_curves(lams, curves, baseline=baseline_mse);
caption()

# %% [markdown]
# ## 3 · Dropout
#
# The notes describe dropout as a simple algorithm: at every training step, every neuron
# has a probability $p$ of being temporarily "dropped out": ignored for this step, perhaps
# active at the next. $p$ is the **dropout rate**; we call it `p_drop`.
#
# Dropping units shrinks the expected activation by $1 - p$. **Inverted dropout** makes up
# for it during training: kept units are divided by $1 - p$, so
#
# $$\text{out} = x \odot \frac{m}{1-p}, \quad m_j \sim \text{Bernoulli}(1-p), \qquad
#   \mathbb{E}[\text{out}] = x,$$
#
# and at test time dropout is simply the identity. Two other conventions you will meet:
# cs231n's assignments use `p` for the **keep** probability, and the original paper
# (Srivastava et al., 2014) does not scale during training but multiplies by $1-p$ at test
# time. The grader recognises both; here, `p_drop` is the drop probability, and dropout is
# inverted.
#
# Write `dropout_forward(x, p_drop, *, train=True, rng)`. Draw the mask from `rng`
# (`rng.random(x.shape)`, one number per unit), and return the output and a `cache`. With
# `train=False`, return a copy of `x`. Keep `x`'s dtype (build the mask in it).

# %% solution="dropout_forward"
def dropout_forward(x, p_drop, *, train=True, rng=None):
    """x: any shape. Returns (out, cache); out has x's shape and dtype."""
    ### BEGIN SOLUTION
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p_drop).astype(x.dtype) / x.dtype.type(1 - p_drop)
    out = x * mask
    cache = mask
    ### END SOLUTION
    return out, cache


# %% tests="test_dropout_forward" points=2
check("regularization.dropout_forward", dropout_forward)
### BEGIN HIDDEN TESTS
check("regularization.dropout_forward", dropout_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The grader cannot compare your mask with the reference's element by element, since you
# draw your own random numbers. It checks statistics instead: the fraction dropped is
# `p_drop` within six standard errors, every kept unit is exactly $x/(1-p)$ and every other
# is exactly 0, the same `rng` seed gives the same output, and `train=False` gives `x`.
#
# **Backward.** out $= x \odot \text{mask}$, so $\partial L/\partial x = \text{dout} \odot
# \text{mask}$: the *same* mask as the forward pass, which is why it goes in the cache.

# %% solution="dropout_backward"
def dropout_backward(dout, cache):
    """dout: shape of x. Returns dx."""
    ### BEGIN SOLUTION
    if cache is None:
        return dout.copy()
    dx = dout * cache
    ### END SOLUTION
    return dx


# %% tests="test_dropout_backward" points=2
check("regularization.dropout_backward", dropout_forward, dropout_backward)
### BEGIN HIDDEN TESTS
check("regularization.dropout_backward", dropout_forward, dropout_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Inverted dropout keeps the mean: averaged over many units, the output matches the input.

# %%
ones = np.ones((1000, 100))
for p in (0.2, 0.5, 0.8):
    out, _ = dropout_forward(ones, p, rng=rng)
    print(f"p_drop={p}: dropped {np.mean(out == 0):.3f}, kept units = {out.max():.3f}, mean {out.mean():.3f}")

# %% [markdown]
# ### Dropout on a small training set
#
# 50 training points of the moons data set (300 more for validation), and a 2-128-128-2
# ReLU network trained for 300 full-batch Adam steps: far more capacity than 50 points
# need. The dropout layers are `coursekit`'s `Dropout` (the same algorithm as yours, in
# torch, with the hand-written backward pass), after each hidden layer.
#
# Watch the validation loss: the plain network becomes confidently wrong on validation
# points near the other moon, and its loss climbs while its training loss goes to zero.
# (With 50 points the outcome depends on the draw; run it with other `seed`s.)

# %%
moons = experiments.moons_split(n_train=50, n_val=300, noise=0.3, seed=2)
settings = {"no regularisation": {}, "dropout p_drop=0.5": {"p_drop": 0.5}}
results = {label: experiments.train_and_grid(moons, steps=300, **kwargs)
           for label, kwargs in tqdm(settings.items(), desc="models")}
figures.compare_classifiers(moons, results);
caption()

# %% [markdown]
# ## 4 · Noise on the inputs
#
# Another way to stop a network from memorising points is to never show it the same point
# twice: add Gaussian noise $\mathcal{N}(0, \sigma^2)$ to each input at every training
# step (as Keras's `GaussianNoise` layer does), and nothing at test time. Each training
# point becomes a small cloud, and the boundary has to keep its distance from all of it.
# (For a linear model with squared loss, input noise is equivalent to an L2 penalty;
# Bishop, 1995.)
#
# Write `gaussian_noise(x, stddev, *, train=True, rng)`. `stddev` is the standard
# deviation, not the variance. Keep `x`'s dtype.

# %% solution="gaussian_noise"
def gaussian_noise(x, stddev, *, train=True, rng=None):
    """x: any shape, stddev >= 0. Returns x plus N(0, stddev²) noise in training, else a copy of x."""
    ### BEGIN SOLUTION
    if not train:
        return x.copy()
    out = x + stddev * rng.standard_normal(x.shape).astype(x.dtype)
    ### END SOLUTION
    return out


# %% tests="test_gaussian_noise" points=2
check("regularization.gaussian_noise", gaussian_noise)
### BEGIN HIDDEN TESTS
check("regularization.gaussian_noise", gaussian_noise, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The same network on the same 50 points, with noise of standard deviation 0.3 added to the
# (standardised) inputs by `coursekit`'s `GaussianNoise` layer, and, for comparison, with an
# L2 penalty through Adam's gradient: `torch.optim.Adam(weight_decay=λ)` adds λ·w, your
# `l2_penalty`'s gradient, to each gradient before Adam rescales it (§2: not AdamW's
# decoupled weight decay).

# %%
more = {"input noise σ=0.3": {"input_noise": 0.3}, "L2 through Adam's gradient, λ=0.01": {"weight_decay": 0.01}}
for label, kwargs in tqdm(more.items(), desc="models"):
    results[label] = experiments.train_and_grid(moons, steps=300, **kwargs)
figures.compare_classifiers(moons, {k: results[k] for k in ["no regularisation", *more]});
caption()

# %% [markdown]
# ## 5 · Try it: λ and the dropout rate
#
# Each slider trains the same network with the chosen setting the first time you pick a
# value (under a second) and plots its decision boundary, with the validation error of
# every value tried so far. Look for the value where the validation error is lowest, and at
# what the boundary looks like on either side of it.

# %%
from coursekit.widgets.regularization import dropout_explorer, lambda_explorer

lambda_explorer(moons, steps=300, known={0.0: results["no regularisation"],
                                         0.01: results["L2 through Adam's gradient, λ=0.01"]})

# %%
dropout_explorer(moons, steps=300, known={0.0: results["no regularisation"],
                                          0.5: results["dropout p_drop=0.5"]})

# %% [markdown]
# ## Summary
#
# * Expected test error = bias² + variance + noise. More capacity lowers the bias and
#   raises the variance; regularisers trade a little bias for less variance.
# * L2 ($\frac{\lambda}{2}\sum w^2$, gradient $\lambda w$, what torch's `weight_decay` adds
#   to the gradient) shrinks every weight; for SGD it is weight decay, for Adam it is not
#   (AdamW decouples the decay); L1 ($\lambda\sum|w|$) gives exact zeros only with a proximal
#   (soft-threshold) step, not with plain subgradient descent.
# * Inverted dropout drops each unit with probability `p_drop` and scales the rest by
#   $1/(1-p)$ in training; the backward pass reuses the mask; at test time it does nothing.
# * Gaussian noise on the inputs makes every training point a cloud; it is off at test time.
#
# `coursekit.regularization.torch_ref` has all of these in torch, with `Dropout` and
# `GaussianNoise` layers that plug into `coursekit.training.build_mlp(layers=...)`.
