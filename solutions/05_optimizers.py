# %% [markdown]
# # 05 · Optimizers
#
# Gradient descent takes the step $-\eta\nabla J(\theta)$ and nothing else. The lecture notes
# list five faster optimizers: momentum, Nesterov's accelerated gradient, AdaGrad, RMSProp and
# Adam. You will write all six update rules, check them against `torch.optim` (the grader
# runs your functions for several steps and compares the whole path), and then test what the
# notes *claim* about them:
#
# - on cost contours: momentum speeds up the shallow direction, RMSProp slows the steep one,
#   Adam damps oscillations;
# - why the notes' momentum formula and torch's give the same path, and how Nesterov's
#   look-ahead is rewritten so that it needs no second gradient;
# - what the typo in the notes' Adam pseudo-code does when you run it;
# - whether Adam really suits noisy financial data.
#
# Run the cell below first. Each exercise has a cell with `# YOUR CODE HERE` and a test
# cell you can run as often as you like; the grader runs more, hidden, cases.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from coursekit.grading import check
from coursekit import data
from coursekit.optimizers import AdagradState, AdamState, MomentumState, RMSpropState, SGDState
from coursekit.optimizers import landscapes
from coursekit.plots import optimizers as oplots
from coursekit.plots import caption

# %% [markdown]
# ## 1 · One optimizer, two functions
#
# Every optimizer here is a pair, in the style of [optax](https://github.com/google-deepmind/optax):
#
# - `<name>_init(w) -> state` builds the optimizer's memory for weights `w`;
# - `<name>_step(w, dw, state, *, lr, ...) -> (w_new, state_new)` takes the gradient `dw`
#   of the loss at `w` and returns the new weights and the new memory.
#
# The state is a small named tuple, kept apart from the hyperparameters (`lr`, `momentum`,
# ...), so the same inputs always give the same outputs. Two rules:
#
# 1. **Never change your inputs.** Write `w_new = w - lr * dw`, not `w -= lr * dw`, and build
#    the new state from new arrays. The grader checks that `w`, `dw` and the state you were
#    given are untouched.
# 2. **Keep the dtype.** `np.zeros_like(w)` makes a state of `w`'s shape *and* dtype; every
#    other test case is float32.
#
# Hyperparameter names and defaults are `torch.optim`'s. The state types are imported above:
# `SGDState()`, `MomentumState(velocity)`, `AdagradState(sum_sq)`,
# `RMSpropState(square_avg)`, `AdamState(count, mu, nu)`.
#
# ## 2 · Stochastic gradient descent
#
# $$\theta \leftarrow \theta - \eta\, \nabla_\theta J(\theta).$$
#
# Plain SGD remembers nothing: its state is the empty `SGDState()`.

# %% solution="sgd"
def sgd_init(w):
    """Returns the (empty) state of plain SGD."""
    ### BEGIN SOLUTION
    return SGDState()
    ### END SOLUTION


def sgd_step(w, dw, state, *, lr=0.001):
    """w, dw: arrays of one shape. Returns (w_new, state)."""
    ### BEGIN SOLUTION
    return w - lr * dw, state
    ### END SOLUTION


# %% tests="test_sgd" points=1
check("optimizers.sgd_step", sgd_init, sgd_step)
### BEGIN HIDDEN TESTS
check("optimizers.sgd_step", sgd_init, sgd_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · Momentum
#
# A ball rolling down a valley gathers speed. torch's `SGD(momentum=μ)` keeps a velocity
# $v$ (the *momentum buffer*) and steps along it:
#
# $$v \leftarrow \mu\, v + \nabla_\theta J(\theta), \qquad \theta \leftarrow \theta - \eta\, v,
#   \qquad v_0 = 0.$$
#
# Where the gradient keeps pointing the same way, $v$ grows towards $g/(1-\mu)$: with
# $\mu = 0.9$ the steps become ten times longer. Where it flips sign from step to step, the
# terms cancel.

# %% solution="momentum"
def momentum_init(w):
    """Returns MomentumState(velocity) with a zero velocity shaped like w."""
    ### BEGIN SOLUTION
    return MomentumState(np.zeros_like(w))
    ### END SOLUTION


def momentum_step(w, dw, state, *, lr=0.001, momentum=0.9):
    """Heavy-ball momentum, torch's form. Returns (w_new, MomentumState(velocity_new))."""
    ### BEGIN SOLUTION
    velocity = momentum * state.velocity + dw
    return w - lr * velocity, MomentumState(velocity)
    ### END SOLUTION


# %% tests="test_momentum" points=2
check("optimizers.momentum_step", momentum_init, momentum_step)
### BEGIN HIDDEN TESTS
check("optimizers.momentum_step", momentum_init, momentum_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### The notes' form gives the same path
#
# The notes write momentum as
#
# $$m \leftarrow \beta m + \eta \nabla_\theta J(\theta), \qquad \theta \leftarrow \theta - m.$$
#
# The learning rate sits *inside* the buffer. Claim: with a constant $\eta$ and $\beta = \mu$,
# $m_t = \eta\, v_t$ at every step, so both forms visit the same points. By induction:
# $m_0 = 0 = \eta v_0$, and if $m_t = \eta v_t$ then
#
# $$m_{t+1} = \beta m_t + \eta g_t = \eta(\mu v_t + g_t) = \eta\, v_{t+1},
#   \qquad\text{so}\qquad \theta - m_{t+1} = \theta - \eta\, v_{t+1}.$$
#
# The induction step needs the rate that filled the buffer to be the rate of the current
# step. With a learning-rate *schedule* the two forms part ways: torch applies a new rate to
# the whole velocity at once, while the notes' buffer still carries the old rate in its past
# terms.
#
# (A third form, $v \leftarrow \mu v + (1-\mu) g$, the *exponential moving average* taught
# in Andrew Ng's deep learning course, gives torch's path with $\eta$ multiplied by $1-\mu$.)
#
# Below, the notes' form runs next to `torch.optim.SGD` on a bowl-shaped cost, first with a
# constant rate, then with the rate halved after 20 steps.

# %%
import torch

torch.set_num_threads(1)  # the networks here are tiny: one thread is faster than several
bowl = landscapes.quadratic_bowl()


def notes_momentum_vs_torch(lr_at, beta=0.9, steps=40):
    """Largest distance between the notes' momentum path and torch.optim.SGD's."""
    theta, m = np.array(bowl.start), np.zeros(2)
    p = torch.tensor(bowl.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr_at(0), momentum=beta)
    gap = 0.0
    for t in range(steps):
        m = beta * m + lr_at(t) * bowl.grad(theta)
        theta = theta - m
        opt.param_groups[0]["lr"] = lr_at(t)
        p.grad = torch.tensor(bowl.grad(p.detach().numpy()))
        opt.step()
        gap = max(gap, np.abs(theta - p.detach().numpy()).max())
    return gap


print(f"constant lr:          largest gap {notes_momentum_vs_torch(lambda t: 0.05):.1e}")
print(f"lr halved at step 20: largest gap {notes_momentum_vs_torch(lambda t: 0.05 if t < 20 else 0.025):.1e}")

# %% [markdown]
# ## 4 · Nesterov's accelerated gradient
#
# Nesterov's idea: the velocity is going to carry us to $\theta + \mu v$ anyway, so measure the
# gradient *there*, at the look-ahead point (Sutskever et al., 2013):
#
# $$v \leftarrow \mu v - \eta\,\nabla J(\theta + \mu v), \qquad \theta \leftarrow \theta + v.$$
#
# A training loop computes gradients at the current weights, not at a look-ahead point, so
# torch rewrites it. Call the look-ahead point $\varphi = \theta + \mu v$ the weights, and
# $b = -v/\eta$ the buffer. Substituting, with $g = \nabla J(\varphi)$:
#
# $$b \leftarrow \mu b + g, \qquad \varphi \leftarrow \varphi - \eta\,(g + \mu\, b).$$
#
# (Check: $\varphi_{t+1} = \theta_{t+1} + \mu v_{t+1} = \varphi_t - \mu v_t + (1+\mu) v_{t+1}
# = \varphi_t + \mu^2 v_t - (1+\mu)\eta g_t$, which is what the second line gives.)
# This is `SGD(momentum=μ, nesterov=True)`: plain momentum, except that the step adds
# $\mu b$ to the fresh gradient instead of using $b$ alone. Write it.

# %% solution="nesterov"
def nesterov_init(w):
    """Returns MomentumState(velocity) with a zero velocity shaped like w."""
    ### BEGIN SOLUTION
    return MomentumState(np.zeros_like(w))
    ### END SOLUTION


def nesterov_step(w, dw, state, *, lr=0.001, momentum=0.9):
    """Nesterov momentum, torch's form. Returns (w_new, MomentumState(velocity_new))."""
    ### BEGIN SOLUTION
    velocity = momentum * state.velocity + dw
    return w - lr * (dw + momentum * velocity), MomentumState(velocity)
    ### END SOLUTION


# %% tests="test_nesterov" points=2
check("optimizers.nesterov_step", nesterov_init, nesterov_step)
### BEGIN HIDDEN TESTS
check("optimizers.nesterov_step", nesterov_init, nesterov_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The look-ahead form, run as written (two lines per step, gradient at $\theta + \mu v$),
# against your `nesterov_step`: the points $\theta + \mu v$ of the first are the weights of
# the second.

# %%
lr, mu, steps = 0.05, 0.9, 40
theta, v = np.array(bowl.start), np.zeros(2)
look_ahead = [theta + mu * v]
for _ in range(steps):
    v = mu * v - lr * bowl.grad(theta + mu * v)
    theta = theta + v
    look_ahead.append(theta + mu * v)
yours = landscapes.trajectory(nesterov_init, nesterov_step, bowl, steps=steps, lr=lr, momentum=mu)
print(f"largest gap between theta + mu*v and your weights: {np.abs(np.array(look_ahead) - yours).max():.1e}")

# %% [markdown]
# ## 5 · AdaGrad
#
# AdaGrad gives every weight its own learning rate, shrinking it where gradients have been
# large:
#
# $$s \leftarrow s + g \odot g, \qquad \theta \leftarrow \theta - \eta\, g \oslash (\sqrt{s} + \varepsilon).$$
#
# Since $s$ only grows, each weight's effective learning rate $\eta/(\sqrt{s}+\varepsilon)$
# only shrinks (a step can still grow, when its gradient does): fine for convex problems,
# often too early a stop for deep networks. Defaults: $\eta = 0.01$, $\varepsilon = 10^{-10}$.
#
# *Convention:* torch adds $\varepsilon$ **outside** the root, $\sqrt{s}+\varepsilon$, and
# starts $s$ at 0; this exercise uses torch's form. Keras 3's `Adagrad` puts it **inside**,
# $\sqrt{s+\varepsilon}$ (tf.keras 2.x put it outside), with $\varepsilon = 10^{-7}$, and
# starts the accumulator at `initial_accumulator_value=0.1`. The lecture notes give no
# AdaGrad formula; their RMSProp (next section) puts $\varepsilon$ inside.

# %% solution="adagrad"
def adagrad_init(w):
    """Returns AdagradState(sum_sq) with a zero sum shaped like w."""
    ### BEGIN SOLUTION
    return AdagradState(np.zeros_like(w))
    ### END SOLUTION


def adagrad_step(w, dw, state, *, lr=0.01, eps=1e-10):
    """AdaGrad, torch's form. Returns (w_new, AdagradState(sum_sq_new))."""
    ### BEGIN SOLUTION
    sum_sq = state.sum_sq + dw * dw
    return w - lr * dw / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq)
    ### END SOLUTION


# %% tests="test_adagrad" points=2
check("optimizers.adagrad_step", adagrad_init, adagrad_step)
### BEGIN HIDDEN TESTS
check("optimizers.adagrad_step", adagrad_init, adagrad_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 6 · RMSProp
#
# RMSProp keeps AdaGrad's per-weight scaling but forgets old gradients: $s$ is an
# exponential moving average, so the step size recovers when gradients shrink.
#
# $$s \leftarrow \alpha s + (1-\alpha)\, g \odot g, \qquad
#   \theta \leftarrow \theta - \eta\, g \oslash (\sqrt{s} + \varepsilon).$$
#
# torch calls the decay `alpha` (the notes' $\beta$); defaults $\eta = 0.01$, $\alpha = 0.99$,
# $\varepsilon = 10^{-8}$. The same $\varepsilon$ convention as AdaGrad applies: outside the
# root (the notes put it inside).

# %% solution="rmsprop"
def rmsprop_init(w):
    """Returns RMSpropState(square_avg) with a zero average shaped like w."""
    ### BEGIN SOLUTION
    return RMSpropState(np.zeros_like(w))
    ### END SOLUTION


def rmsprop_step(w, dw, state, *, lr=0.01, alpha=0.99, eps=1e-8):
    """RMSProp, torch's form. Returns (w_new, RMSpropState(square_avg_new))."""
    ### BEGIN SOLUTION
    square_avg = alpha * state.square_avg + (1 - alpha) * dw * dw
    return w - lr * dw / (np.sqrt(square_avg) + eps), RMSpropState(square_avg)
    ### END SOLUTION


# %% tests="test_rmsprop" points=2
check("optimizers.rmsprop_step", rmsprop_init, rmsprop_step)
### BEGIN HIDDEN TESTS
check("optimizers.rmsprop_step", rmsprop_init, rmsprop_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Inside or outside the root: when does it matter?
#
# $\varepsilon$ only matters where it is not negligible next to what it is added to: next to
# $s$ inside the root, next to $\sqrt{s}$ outside. With the same $\varepsilon = 10^{-8}$, the
# inside form therefore damps gradients far larger than the outside form does. The first
# step from a zero average shows it: then $s = (1-\alpha)\,g^2$, so without $\varepsilon$ the
# step is $\eta\,g/\sqrt{(1-\alpha)g^2} = \eta/\sqrt{1-\alpha} = 10\,\eta$ whatever $|g|$.
# Below is that first step, divided by $\eta$, for gradients from 1 down to $10^{-8}$: your
# `rmsprop_step` (torch's form) against the notes' form.

# %%
import functools

from coursekit.optimizers import numpy_ref

eps, alpha = 1e-8, 0.99
g = np.logspace(0, -8, 81)
inside = functools.partial(numpy_ref.rmsprop_step, eps_inside=True)
first_step = {label: -step(np.zeros_like(g), g, rmsprop_init(g), lr=1.0, alpha=alpha, eps=eps)[0]  # w starts at 0
              for label, step in (("ε outside (yours, torch's)", rmsprop_step), ("ε inside (the notes')", inside))}
plt.figure(figsize=(5, 3))
for label, step_sizes in first_step.items():
    plt.semilogx(g, step_sizes, label=label)
plt.gca().invert_xaxis()
plt.gca().set(xlabel="|g|", ylabel="first step / η", title="RMSProp's first step, ε = 1e-8")
plt.legend()
caption()
plt.show()
print(f"the step falls off where |g| ≈ sqrt(ε / (1 - α)) = {np.sqrt(eps / (1 - alpha)):.0e} (inside), "
      f"ε / sqrt(1 - α) = {eps / np.sqrt(1 - alpha):.0e} (outside)")
for size in (1e-2, 1e-3, 1e-4, 1e-6):
    k = np.argmin(np.abs(g - size))
    step_out, step_in = (first_step[label][k] for label in first_step)
    print(f"|g| = {size:.0e}: first step {step_out:5.2f} η outside, {step_in:5.2f} η inside: "
          f"a factor {step_out / step_in:.1f} apart")

# %% [markdown]
# For ordinary gradients the two forms agree. For gradients of $10^{-4}$ they differ by the
# factor printed above: where $s \ll \varepsilon$ the inside form is plain SGD with rate
# $\eta/\sqrt{\varepsilon}$, not RMSProp. They disagree for as long as the gradients stay that
# small, and agree again once $s$ is well above $\varepsilon$. (The grader's cases use an
# $\varepsilon$ far larger than the default, so that the two forms differ at every step: that
# is how it recognises the inside form.)

# %% [markdown]
# ## 7 · Adam
#
# Adam (Kingma & Ba, 2015) combines momentum's average of gradients with RMSProp's average
# of squared gradients. With a step counter $t$ (starting at 0 and incremented first):
#
# $$\begin{aligned}
# t &\leftarrow t + 1, \\
# \mu &\leftarrow \beta_1 \mu + (1-\beta_1)\, g, &
# \nu &\leftarrow \beta_2 \nu + (1-\beta_2)\, g\odot g, \\
# \hat\mu &= \mu / (1-\beta_1^t), &
# \hat\nu &= \nu / (1-\beta_2^t), \\
# \theta &\leftarrow \theta - \eta\, \hat\mu \oslash (\sqrt{\hat\nu} + \varepsilon).
# \end{aligned}$$
#
# Both averages start at zero, so early on they are too small; dividing by $1-\beta^t$ (the
# *bias correction*) undoes exactly that. Defaults: $\eta = 0.001$, $\beta_1 = 0.9$,
# $\beta_2 = 0.999$, $\varepsilon = 10^{-8}$. Note $\beta_2$ in the second moment: the notes'
# pseudo-code has $\beta_1$ there, a typo (section 9 runs it). The state is
# `AdamState(count, mu, nu)`.

# %% solution="adam"
def adam_init(w):
    """Returns AdamState(0, mu, nu) with zero moments shaped like w."""
    ### BEGIN SOLUTION
    return AdamState(0, np.zeros_like(w), np.zeros_like(w))
    ### END SOLUTION


def adam_step(w, dw, state, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam, torch's form. Returns (w_new, AdamState(count_new, mu_new, nu_new))."""
    ### BEGIN SOLUTION
    t = state.count + 1
    mu = beta1 * state.mu + (1 - beta1) * dw
    nu = beta2 * state.nu + (1 - beta2) * dw * dw
    mu_hat, nu_hat = mu / (1 - beta1**t), nu / (1 - beta2**t)
    return w - lr * mu_hat / (np.sqrt(nu_hat) + eps), AdamState(t, mu, nu)
    ### END SOLUTION


# %% tests="test_adam" points=3
check("optimizers.adam_step", adam_init, adam_step)
### BEGIN HIDDEN TESTS
check("optimizers.adam_step", adam_init, adam_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 8 · Trajectories on cost contours
#
# The notes claim, for a cost whose contours are long thin ellipses:
#
# 1. momentum speeds up training along the shallow (horizontal) direction;
# 2. RMSProp slows learning down in the steep (vertical) direction;
# 3. Adam damps out oscillations.
#
# The bowl $J = \tfrac12(0.2\,x^2 + 10\,y^2)$ has curvature 50 times larger in $y$ than in $x$.
# Gradient descent is stable only for $\eta < 2/10$, and at such a rate it crawls along $x$.
# Your optimizers, 60 steps each from $(-9, 1.5)$:

# %%
mine = {"sgd": (sgd_init, sgd_step), "momentum": (momentum_init, momentum_step),
        "nesterov": (nesterov_init, nesterov_step), "adagrad": (adagrad_init, adagrad_step),
        "rmsprop": (rmsprop_init, rmsprop_step), "adam": (adam_init, adam_step)}


def run(name, surface=bowl, steps=60, **hyper):
    return landscapes.trajectory(*mine[name], surface, steps=steps, **hyper)


shallow = {"SGD, lr 0.05": run("sgd", lr=0.05),
           "momentum 0.9, lr 0.05": run("momentum", lr=0.05, momentum=0.9)}
steep = {"SGD, lr 0.18": run("sgd", lr=0.18), "RMSProp, lr 0.05": run("rmsprop", lr=0.05),
         "momentum 0.9, lr 0.05": shallow["momentum 0.9, lr 0.05"], "Adam, lr 0.3": run("adam", lr=0.3)}
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
oplots.contours(bowl, shallow, ax=axes[0], title="claim 1: the shallow direction")
oplots.contours(bowl, steep, ax=axes[1], title="claims 2 and 3: the steep direction")
caption()
plt.show()
for label, path in {**shallow, **steep}.items():
    summary = landscapes.path_summary(bowl, path)
    print(f"{label:22s} x after 30 steps {path[30, 0]:6.2f}   y travel {summary['y travel']:5.2f}"
          f"   y zigzags {summary['y zigzags']:2d}   final cost {summary['final cost']:.3g}")

# %% [markdown]
# What the measurement shows:
#
# 1. **Momentum, shallow direction: confirmed.** At the same rate, SGD has covered a
#    quarter of the way along $x$ after 30 steps; momentum has reached the minimum (and
#    overshoots it: the velocity needs time to die down).
# 2. **RMSProp, steep direction: confirmed.** SGD at a rate close to its limit bounces between
#    the walls, changing direction in $y$ at every step. RMSProp divides each coordinate by
#    the size of its own recent gradients, so the steep $y$ gets small steps: it slides down
#    the wall once and never crosses the valley floor.
# 3. **Adam damps oscillations: confirmed relative to momentum**, which swings across the
#    valley many times; Adam, at six times the learning rate, makes a few wide, smooth turns.
#    The damping comes from the RMSProp half: each coordinate's step is about $\eta$ whatever
#    its curvature.
#
# The claims are about this picture, not a theorem: each optimizer here has its own
# learning rate, and a different choice changes the picture (try it in the race below).
#
# On Rosenbrock's curved valley, $J = (1-x)^2 + 100\,(y-x^2)^2$, plain SGD needs a tiny rate
# for the steep walls and then barely moves along the floor:

# %%
rosenbrock = landscapes.rosenbrock()
curved = {"SGD, lr 1e-3": run("sgd", rosenbrock, 500, lr=1e-3),
          "momentum 0.9, lr 1e-3": run("momentum", rosenbrock, 500, lr=1e-3, momentum=0.9),
          "RMSProp, lr 0.01": run("rmsprop", rosenbrock, 500, lr=0.01),
          "Adam, lr 0.05": run("adam", rosenbrock, 500, lr=0.05)}
oplots.contours(rosenbrock, curved, title="Rosenbrock, 500 steps")
caption()
plt.show()
for label, path in curved.items():
    print(f"{label:22s} final cost {rosenbrock.value(path[-1]):.3g}")

# %% [markdown]
# ## 9 · The typo in the notes' Adam
#
# The notes' pseudo-code updates the second moment with $\beta_1$:
# $S \leftarrow \beta_1 S + (1-\beta_2)\, dw^2$. The factors no longer add up to one. For a
# constant gradient $g$, $S$ settles at $\frac{1-\beta_2}{1-\beta_1} g^2 = g^2/100$ instead of
# $g^2$, while the bias correction still divides by $1-\beta_2^t$, which reaches 1 only after
# thousands of steps. So $\sqrt{\hat S}$ ends up ten times too small, and the step ten times
# too large: a learning rate that slowly grows tenfold. Feed both versions a constant gradient
# and compare their step sizes:

# %%
from coursekit.optimizers import numpy_ref

steps = np.arange(1, 5001)
w, typo, right = np.zeros(1), numpy_ref.adam_init(np.zeros(1)), numpy_ref.adam_init(np.zeros(1))
ratio = []
for _ in steps:
    w_typo, typo = numpy_ref.adam_step(w, np.ones(1), typo, second_moment_beta1=True)
    w_right, right = numpy_ref.adam_step(w, np.ones(1), right)
    ratio.append(float(w_typo[0] / w_right[0]))
plt.figure(figsize=(5, 3))
plt.semilogx(steps, ratio)
plt.axhline(10, color="k", ls="--", lw=1)
plt.gca().set(xlabel="step t", ylabel="typo step / Adam step", title="the typo's step size, constant gradient")
caption()
plt.show()
print(f"ratio after 10, 100, 1000 steps: {ratio[9]:.2f}, {ratio[99]:.2f}, {ratio[999]:.2f}")

# %% [markdown]
# Now train the same network on the digits with both, at $\eta = 0.01$ (our from-scratch
# `torch.optim` optimizers in `coursekit.optimizers.torch_ref` take the typo as a flag). One
# epoch is 34 steps, so by the end the typo's rate is about six times Adam's:

# %%
from coursekit.optimizers import torch_ref
from coursekit.experiments.optimizers import train_with, summarise

digits = data.digits(seed=0)
typo_runs = train_with(
    digits, {"Adam": (torch_ref.Adam, {"lr": 0.01}),
             "the notes' typo": (torch_ref.Adam, {"lr": 0.01, "second_moment_beta1": True})},
    sizes=[64, 64, 10], epochs=15, batch_size=32)
oplots.training_curves(typo_runs, keys=("loss", "val_acc"), title="digits, lr 0.01")
caption()
plt.show()

# %% [markdown]
# Adam keeps driving the training loss down. The typo version does well at first, while its
# effective rate is still close to Adam's, then its loss climbs and jumps about: the same
# rate, silently multiplied, has become too large. A typo in a formula does not raise an
# error; it shows up as a mysteriously unstable run.
#
# ## 10 · Training curves
#
# The same network on the digits with four optimizers, each at a reasonable learning rate
# (not a tuned one: topic 07 is about tuning).

# %%
configs = {
    "SGD, lr 0.1": (torch_ref.SGD, {"lr": 0.1}),
    "momentum 0.9, lr 0.02": (torch_ref.SGD, {"lr": 0.02, "momentum": 0.9}),
    "RMSProp, lr 1e-3": (torch_ref.RMSprop, {"lr": 1e-3}),
    "Adam, lr 1e-3": (torch_ref.Adam, {"lr": 1e-3}),
}
digit_runs = train_with(digits, configs, sizes=[64, 64, 10], epochs=8, batch_size=32)
oplots.training_curves(digit_runs, keys=("loss", "val_acc"), title="digits")
caption()
plt.show()

# %% [markdown]
# At these rates momentum learns fastest and Adam, at torch's default rate of $10^{-3}$, the
# slowest. A fair race would tune each optimizer's rate first (topic 07). Adam's step on each
# weight, $\eta\,\hat m/(\sqrt{\hat v}+\varepsilon)$, hardly depends on the size of the
# gradient: about $\eta$ for a steady gradient, and at most about
# $\eta\,(1-\beta_1)/\sqrt{1-\beta_2}$ (Kingma & Ba, §2.1), $3.2\,\eta$ at the default betas,
# in the worst case: a large gradient after a long run of zero ones. So its default is a
# *safe* rate, not a fast one. The cell below measures both cases.

# %%
beta1, beta2 = 0.9, 0.999
steady_state = numpy_ref.adam_init(np.zeros(1))
for _ in range(100):  # a steady gradient of 1
    w_next, steady_state = numpy_ref.adam_step(np.zeros(1), np.ones(1), steady_state, lr=1.0)
quiet = AdamState(10_000, np.zeros(1), np.zeros(1))  # 10,000 steps of zero gradient
w_spike, _ = numpy_ref.adam_step(np.zeros(1), np.ones(1), quiet, lr=1.0)
print(f"bound (1 - β1) / sqrt(1 - β2) = {(1 - beta1) / np.sqrt(1 - beta2):.2f}")
print(f"step / η: steady gradient {abs(w_next[0]):.2f}; a gradient of 1 after 10,000 zero ones {abs(w_spike[0]):.2f}")

# %% [markdown]
# ### Is Adam "appropriate for noisy financial data"?
#
# `data.noisy_returns()` simulates 2000 days: 8 standardised features, and a next-day return
# that is $0.05 \times$ (a linear function of them) plus heavy-tailed Student-t noise of
# standard deviation 1. The label says whether the return is positive. That is the
# signal-to-noise ratio of real daily returns: very low.
#
# Before comparing optimizers, how good can any model be? Generating the same days with the
# noise switched off gives the signal itself, and predicting its sign is the best possible
# rule.

# %%
x, returns, y = data.noisy_returns(seed=0)
x_same, signal, _ = data.noisy_returns(seed=0, noise=0.0)
assert np.array_equal(x, x_same)  # same seed, same features: `signal` is the noise-free part
best = np.mean((signal > 0) == y)
print(f"up days: {y.mean():.3f}; accuracy of the best possible rule (sign of the signal): {best:.3f}")
returns_split = data.split_and_standardise(x, y, seed=0)

# %% [markdown]
# Three optimizers, three seeds each, 10 epochs. The dashed line is $\ln 2 = 0.693$, the loss
# of always answering "50/50":

# %%
configs = {
    "momentum 0.9, lr 0.01": (torch_ref.SGD, {"lr": 0.01, "momentum": 0.9}),
    "RMSProp, lr 1e-3": (torch_ref.RMSprop, {"lr": 1e-3}),
    "Adam, lr 1e-3": (torch_ref.Adam, {"lr": 1e-3}),
}
noisy_runs = train_with(returns_split, configs, sizes=[8, 32, 2], epochs=10, batch_size=64, seeds=(0, 1, 2))
oplots.training_curves(noisy_runs, keys=("loss", "val_loss"), baseline=(np.log(2), "ln 2"),
                       title="noisy returns, 3 seeds each")
caption()
plt.show()
for label, (mean, std) in summarise(noisy_runs, "val_loss").items():
    acc_mean, acc_std = summarise(noisy_runs, "val_acc", best=lambda h: h[-1])[label]
    print(f"{label:22s} best val loss {mean:.4f} ± {std:.4f}   final val acc {acc_mean:.3f} ± {acc_std:.3f}")

# %% [markdown]
# What the measurement shows, honestly:
#
# - **No optimizer finds anything.** The best possible rule is right only about 51% of the
#   time. With 400 validation days, an accuracy has a standard error of about 0.025 from
#   sampling alone, so the accuracies above cannot tell the optimizers apart, nor any of
#   them from a coin.
# - **The validation loss only approaches $\ln 2$ from above.** The randomly initialised
#   network starts out confidently wrong, and all that training achieves here is to unlearn
#   that confidence down to "50/50". Adam at its default rate does this most slowly, which is
#   why its loss is the highest after 10 epochs: a statement about step sizes, not about
#   noise. (Train for longer and the training loss drops below $\ln 2$ while the validation
#   loss stays above it: the network then learns the noise.)
#
# So this experiment does not support "Adam is appropriate for noisy financial data". What
# Adam does offer is robustness to badly scaled gradients and a default rate that usually
# works; with noisy data the decisive tools are regularisation and honest validation
# (topics 06 and 07), not the choice of optimizer.
#
# ## 11 · An optimizer race
#
# Five optimizers, one learning rate, one surface. Move the sliders: find the rate at which
# SGD starts to bounce, the one at which Nesterov and momentum diverge on the bowl, and what
# momentum does on Rosenbrock. The momentum slider sets the momentum of the heavy-ball and
# Nesterov racers; RMSProp and Adam keep torch's defaults.

# %%
from coursekit.widgets.optimizers import optimizer_race

optimizer_race()
