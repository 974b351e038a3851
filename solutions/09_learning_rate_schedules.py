# %% [markdown]
# # 09 · Learning-rate schedules, warm-up, the range test and gradient clipping
#
# The lecture notes end their default configuration with "learning rate schedule: none",
# and they name gradient clipping as the remedy for exploding gradients without showing it.
# This topic goes beyond the notes on both:
#
# - **schedules** as functions of the step: exponential and power decay (Géron's names),
#   warm-up followed by a cosine, Smith's 1cycle with its momentum cycle, and performance
#   scheduling, each written by you and graded against `torch.optim.lr_scheduler`;
# - **gradient clipping** by global norm, graded against `torch.nn.utils.clip_grad_norm_`;
# - experiments on the digits: the same budget of epochs with each schedule, Smith's
#   learning-rate range test to pick 1cycle's peak rate, what a schedule does to the notes'
#   default network, and a deep network whose gradients explode, with and without clipping.
#
# Run the cell below first. Each exercise has a cell with `### YOUR CODE HERE` and a test
# cell you can run as often as you like; the grader runs more, hidden, cases.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from coursekit import data
from coursekit.experiments import schedules as experiments
from coursekit.grading import check
from coursekit.plots import schedules as splots
from coursekit.plots import caption
from coursekit.plots.optimizers import training_curves
from coursekit.training import build_mlp, fit

torch.set_num_threads(1)  # the networks here are tiny: one thread is faster than several
notebook_start = time.perf_counter()
digits = data.digits(seed=0)

# %% [markdown]
# ## 1 · A schedule is a function of the step
#
# In torch a schedule is a *scheduler* object wrapped around an optimizer: the optimizer is
# built with `lr=lr0`, and `scheduler.step()` is called once after every `optimizer.step()`.
# Step 0 is taken with the rate the scheduler set when it was built (lr0 for most of them,
# but `start_factor * lr0` for a `LinearLR` warm-up, alone or first in a `SequentialLR`, and
# `max_lr / div_factor` for `OneCycleLR`), and the scheduler's $t$-th call sets the rate of
# step $t$. Every function in this notebook returns those rates for a whole run at once:
#
# `lrs = schedule(lr0, n_steps, ...)`, a float64 array with `lrs[t]` the rate of step
# $t = 0, 1, \dots,$ `n_steps - 1`.
#
# The same schedules have different names (and sometimes parameters) in torch, Keras and
# Géron's book; `docs/conventions.md` has the full table. The ones you will write:
#
# | here | torch | Keras | Géron |
# |---|---|---|---|
# | `exponential_decay(lr0, n, gamma)`: $\eta_0\gamma^t$ | `ExponentialLR(gamma)` | `ExponentialDecay(lr0, decay_steps, decay_rate)`: $\eta_0 r^{t/s}$ | exponential scheduling, $\eta_0\,0.1^{t/s}$ |
# | `power_decay(lr0, n, s, c)`: $\eta_0/(1+t/s)^c$ | `LambdaLR` with that factor | `InverseTimeDecay` ($c = 1$) | power scheduling |
# | `warmup_cosine(...)` | `LinearLR` then `CosineAnnealingLR` in `SequentialLR` | `CosineDecay(warmup_target=..., warmup_steps=...)` | — |
# | `one_cycle(...)` | `OneCycleLR` | — | 1cycle scheduling |
# | `reduce_on_plateau(...)` | `ReduceLROnPlateau` | the `ReduceLROnPlateau` callback | performance scheduling |
#
# ## 2 · Exponential and power decay
#
# **Exponential decay** multiplies the rate by $\gamma$ at every step:
# $\eta_t = \eta_0\,\gamma^t$. Géron writes it $\eta_0\,0.1^{t/s}$ (the rate drops tenfold
# every $s$ steps), Keras as $\eta_0 r^{t/s}$: both are $\gamma = 0.1^{1/s}$ or
# $\gamma = r^{1/s}$ here. Write it; mind that step 0 gets $\eta_0$.

# %% solution="exponential_decay"
def exponential_decay(lr0, n_steps, *, gamma):
    """Rates lr0 * gamma**t for t = 0 ... n_steps - 1, as a float64 array."""
    ### BEGIN SOLUTION
    return lr0 * gamma ** np.arange(n_steps, dtype=np.float64)
    ### END SOLUTION


# %% tests="test_exponential_decay" points=1
check("schedules.exponential_decay", exponential_decay)
### BEGIN HIDDEN TESTS
check("schedules.exponential_decay", exponential_decay, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# **Power scheduling** (Géron) decays fast at first and then ever more slowly:
# $\eta_t = \eta_0 / (1 + t/s)^c$. After $s$ steps the rate is $\eta_0/2^c$, after $3s$
# steps $\eta_0/4^c$. Keras's `InverseTimeDecay` is the case $c = 1$.

# %% solution="power_decay"
def power_decay(lr0, n_steps, *, s, c=1.0):
    """Rates lr0 / (1 + t / s)**c for t = 0 ... n_steps - 1, as a float64 array."""
    ### BEGIN SOLUTION
    t = np.arange(n_steps, dtype=np.float64)
    return lr0 / (1 + t / s) ** c
    ### END SOLUTION


# %% tests="test_power_decay" points=1
check("schedules.power_decay", power_decay)
### BEGIN HIDDEN TESTS
check("schedules.power_decay", power_decay, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Géron's exponential scheduling and yours are the same schedule, as the next cell checks:

# %%
s = 40
geron = 0.1 * 0.1 ** (np.arange(200) / s)
print(f"largest relative difference from Géron's form: "
      f"{np.max(np.abs(exponential_decay(0.1, 200, gamma=0.1 ** (1 / s)) / geron - 1)):.1e}")

# %% [markdown]
# ## 3 · Warm-up, then a cosine
#
# At the start of training the weights are random, the gradients large and, for Adam, the
# second-moment estimates still poor: a large rate there can throw the network somewhere it
# never recovers from. A **warm-up** starts small and ramps up linearly; then a **cosine**
# brings the rate smoothly down (Loshchilov & Hutter's SGDR without the restarts). In torch:
#
# ```python
# warm = LinearLR(opt, start_factor, total_iters=warmup_steps)
# cosine = CosineAnnealingLR(opt, T_max=n_steps - warmup_steps, eta_min=eta_min)
# scheduler = SequentialLR(opt, [warm, cosine], milestones=[warmup_steps])
# ```
#
# which gives, with $W$ = `warmup_steps`, $f$ = `start_factor` and $T = n - W$:
#
# $$\eta_t = \begin{cases}
# \eta_0\left(f + (1-f)\,\dfrac{t}{W}\right) & t < W,\\[1ex]
# \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\left(1 + \cos\left(\pi\,\dfrac{t - W}{T}\right)\right) & t \ge W.
# \end{cases}$$
#
# The ramp reaches $\eta_0$ exactly at step $W$, the first step of the cosine; the cosine's
# angle is $\pi(t-W)/T$ radians, that is the *fraction* $(t-W)/T$ of half a turn. The last step,
# $t = n-1$, is still a little above $\eta_{\min}$. (Hugging Face's warm-up starts from 0
# instead of $f\eta_0$, and Keras's `CosineDecay` ramps from `initial_learning_rate` to
# `warmup_target`; the grader recognises those.)

# %% solution="warmup_cosine"
def warmup_cosine(lr0, n_steps, *, warmup_steps, start_factor=1 / 3, eta_min=0.0):
    """Linear warm-up over warmup_steps, then a cosine down towards eta_min (float64 array)."""
    ### BEGIN SOLUTION
    t = np.arange(n_steps, dtype=np.float64)
    ramp = lr0 * (start_factor + (1 - start_factor) * t / warmup_steps)
    t_max = n_steps - warmup_steps
    cosine = eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * (t - warmup_steps) / t_max)) / 2
    return np.where(t < warmup_steps, ramp, cosine)
    ### END SOLUTION


# %% tests="test_warmup_cosine" points=2
check("schedules.warmup_cosine", warmup_cosine)
### BEGIN HIDDEN TESTS
check("schedules.warmup_cosine", warmup_cosine, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4 · 1cycle
#
# Smith's **1cycle** policy (2018) climbs from a small rate to a large one and back down,
# and moves the momentum the other way: while the rate is large the momentum is small, so
# that the two do not add up to an unstable step. torch's `OneCycleLR(max_lr,
# total_steps=n)`:
#
# - starts at $\eta_0$ = `max_lr / div_factor` and climbs to `max_lr` over the first
#   `pct_start` of the run: phase 1 ends at step $p = $ `pct_start * n - 1`;
# - then falls to `max_lr / div_factor / final_div_factor`, reached at step $n - 1$;
# - with `three_phase=True` (Smith's original) it first comes back down to $\eta_0$ at step
#   `2 * pct_start * n - 2`, symmetric to the climb, and only then falls to the minimum.
#
# Within a phase from step $a$ to step $b$, with $u = (t - a)/(b - a)$ running from 0 to 1,
# a value goes from `start` to `end` along half a cosine,
# `end + (start - end) * (1 + cos(pi * u)) / 2`, or, with `anneal_strategy="linear"`,
# along a straight line, `start + (end - start) * u`. The momentum does the same between
# 0.95 (at the ends) and 0.85 (at the peak rate); in the third phase it stays at 0.95.
# Note the phase boundaries need not be whole steps: $p$ = `pct_start * n - 1` is a float.

# %% solution="one_cycle"
def one_cycle(max_lr, n_steps, *, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
              anneal_strategy="cos", three_phase=False):
    """Returns (lrs, momenta), two float64 arrays of length n_steps (momenta 0.95 -> 0.85)."""
    ### BEGIN SOLUTION
    start = max_lr / div_factor
    lowest = start / final_div_factor
    if three_phase:
        phases = [(pct_start * n_steps - 1, start, max_lr, 0.95, 0.85),
                  (2 * pct_start * n_steps - 2, max_lr, start, 0.85, 0.95),
                  (n_steps - 1, start, lowest, 0.95, 0.95)]
    else:
        phases = [(pct_start * n_steps - 1, start, max_lr, 0.95, 0.85),
                  (n_steps - 1, max_lr, lowest, 0.85, 0.95)]

    def anneal(a, b, u):
        if anneal_strategy == "cos":
            return b + (a - b) * (1 + math.cos(math.pi * u)) / 2
        return a + (b - a) * u

    lrs, momenta = [], []
    for t in range(n_steps):
        begin = 0.0
        for i, (end, lr_a, lr_b, m_a, m_b) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                u = (t - begin) / (end - begin)
                lrs.append(anneal(lr_a, lr_b, u))
                momenta.append(anneal(m_a, m_b, u))
                break
            begin = end
    return np.array(lrs), np.array(momenta)
    ### END SOLUTION


# %% tests="test_one_cycle" points=3
check("schedules.one_cycle", one_cycle)
### BEGIN HIDDEN TESTS
check("schedules.one_cycle", one_cycle, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your schedules, and the reference's step decay and plain cosine, on a run of 300 steps:

# %%
from coursekit.schedules import numpy_ref as ref

n = 300
lrs_1cycle, momenta_1cycle = one_cycle(0.1, n)
curves = {
    "constant": ref.constant(0.1, n),
    "step (StepLR)": ref.step_decay(0.1, n, step_size=100, gamma=0.3),
    "exponential": exponential_decay(0.1, n, gamma=0.99),
    "power (c = 1)": power_decay(0.1, n, s=30),
    "warm-up + cosine": warmup_cosine(0.1, n, warmup_steps=30),
    "1cycle": lrs_1cycle,
}
fig, axes = plt.subplots(1, 2, figsize=(13, 3.6))
splots.schedules(curves, ax=axes[0])
splots.schedules({"1cycle": lrs_1cycle, "1cycle, three phases, linear":
                  one_cycle(0.1, n, three_phase=True, anneal_strategy="linear")[0]},
                 momenta={"1cycle": momenta_1cycle}, ax=axes[1], title="1cycle and its momentum")
caption()
plt.show()

# %% [markdown]
# ### Which form of the schedule?
#
# torch computes most schedules *recursively*: `ExponentialLR` multiplies the current rate
# by $\gamma$, `CosineAnnealingLR` multiplies it by a ratio of cosines. Its documentation
# also gives the closed forms you wrote. In exact arithmetic they agree; in floating point
# the recursive (chained) form drifts. coursekit's references run the chained recurrences,
# so they equal torch's rates to the last bit. The cell below measures the drift of the
# chained cosine from the closed form, before and after the cosine's minimum (a
# `CosineAnnealingLR` that runs past `t_max` climbs back up):

# %%
t_max, lr0, eta_min = 3000, 0.3, 0.1
steps = np.arange(2 * t_max)
chained = ref.cosine_annealing(lr0, 2 * t_max, t_max=t_max, eta_min=eta_min)
closed = eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * steps / t_max)) / 2
drift = np.abs(chained / closed - 1)
print(f"largest relative difference up to t_max: {drift[:t_max + 1].max():.1e}; "
      f"after it: {drift[t_max + 1:].max():.1e}")

# %% [markdown]
# Up to the minimum the two forms agree to rounding. Out of the minimum the chained step
# adds a small difference of nearly equal numbers, and from then on the two drift apart by
# the amount printed above. It does not matter for training; it matters for a test that
# compares with torch to 1e-12, and it is why the graded tests here use a tolerance fit for
# your closed forms.
#
# ## 5 · Gradient clipping
#
# When a gradient is huge, one step can throw the weights far away: the notes name
# gradient clipping as the remedy for exploding gradients. Two kinds:
#
# - **by value**: every entry clipped to $[-c, c]$ (`clip_grad_value_`). Large entries are
#   cut, small ones kept, so the *direction* of the update changes;
# - **by global norm**: all gradients of the model, seen as one long vector $g$, are scaled
#   by one factor so that the norm is at most `max_norm` (`clip_grad_norm_`): the direction
#   is kept, only the length shrinks.
#
# torch's global-norm clipping, for a list of gradients $g_1, \dots, g_k$ and `norm_type`
# $p$:
#
# $$N = \Big\|\big(\|g_1\|_p, \dots, \|g_k\|_p\big)\Big\|_p, \qquad
#   g_i \leftarrow g_i \cdot \min\left(\frac{\texttt{max\_norm}}{N + 10^{-6}},\ 1\right),$$
#
# with $\|x\|_\infty = \max_j |x_j|$. The norm of the per-array norms is the norm of all
# entries together. It returns $N$, the norm *before* clipping, which is worth logging.
# Write it in NumPy, returning new arrays (`g * factor`, not `g *= factor`), and keep the
# gradients' dtype: some hidden cases are float32, so make the factor a Python float.

# %% solution="clip_grad_norm"
def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    """grads: list of arrays. Returns (clipped: list of new arrays, total_norm)."""
    ### BEGIN SOLUTION
    if norm_type == math.inf:
        norms = [np.abs(g).max() for g in grads]
        total = max(norms)
    else:
        norms = [np.sum(np.abs(g) ** norm_type) ** (1 / norm_type) for g in grads]
        total = np.sum(np.array(norms) ** norm_type) ** (1 / norm_type)
    factor = float(min(max_norm / (total + 1e-6), 1.0))
    return [g * factor for g in grads], total
    ### END SOLUTION


# %% tests="test_clip_grad_norm" points=3
check("schedules.clip_grad_norm", clip_grad_norm)
### BEGIN HIDDEN TESTS
check("schedules.clip_grad_norm", clip_grad_norm, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Clipping by value and by global norm, on the same two gradients, one large and one
# small. The cosine similarity with the original says how much of the direction survives:

# %%
grads = [np.array([30.0, -40.0]), np.array([0.5, 0.2])]
by_norm, total = clip_grad_norm(grads, 1.0)
by_value = ref.clip_grad_value(grads, 1.0)
flat = np.concatenate(grads)
for label, clipped in (("by global norm", by_norm), ("by value", by_value)):
    g = np.concatenate(clipped)
    cosine = g @ flat / (np.linalg.norm(g) * np.linalg.norm(flat))
    print(f"{label:15s} norm {np.linalg.norm(g):.3f}, cosine similarity with the gradient {cosine:.4f}")

# %% [markdown]
# ## 6 · The same budget, different schedules
#
# A small MLP (64-64-10, ReLU, SGD with momentum) on the digits, six epochs each, three
# seeds each, with six schedules at the same *peak* rate. `coursekit.training.fit` takes
# the schedule by name and sets the rate before each step (1cycle also moves the
# momentum); `coursekit.schedules.runs.make_schedule` sizes each schedule to the run: the
# step decay drops twice, the exponential ends at 1% of the peak, the warm-up takes 10% of
# the run. Two peak rates: a moderate 0.05 and an aggressive 0.3.

# %%
SCHEDULE_NAMES = ("constant", "step", "exponential", "cosine", "warmup_cosine", "one_cycle")


def build(seed):
    return build_mlp([64, 64, 10], seed=seed)


fit_settings = dict(optimizer="momentum", batch_size=64, train_accuracy=False, device="cpu")
common = {**fit_settings, "epochs": 6}
comparison = {}
for peak in (0.05, 0.3):
    configs = {name: {"lr": peak, "schedule": None if name == "constant" else name} for name in SCHEDULE_NAMES}
    comparison[peak] = experiments.train_runs(digits, configs, build=build, seeds=(0, 1, 2), **common)


def print_table(results, title):
    print(f"{title:36s} final val. accuracy, mean ± std (min – max) over seeds")
    spread = experiments.final_spread(results)
    for label, (mean, std, low, high) in spread.items():
        print(f"  {label:34s} {mean:.3f} ± {std:.3f} ({low:.3f} – {high:.3f})")
    return spread


summaries = {peak: print_table(runs, f"peak rate {peak}") for peak, runs in comparison.items()}
for peak, spread in summaries.items():
    best = max(spread, key=lambda label: spread[label][0])
    gap = spread["constant"][0] - spread[best][0]
    print(f"peak {peak}: best mean is {best}; constant minus best: {gap:+.3f} "
          f"(the constant rate ends {abs(gap):.3f} {'below' if gap < 0 else 'at'} the best mean)")

# %%
training_curves(comparison[0.3], keys=("lr", "loss", "val_acc"), title="peak rate 0.3, three seeds each")
caption()
plt.show()

# %% [markdown]
# Read the two tables and the last two lines printed above. At the moderate rate a
# schedule has little to fix: the rate is never too large, and a decay only lowers the
# average rate of a short run (here the constant rate has the best mean). At the aggressive
# rate the constant schedule keeps taking large, noisy steps to the end (see its training
# loss in the figure), while every decaying schedule ends with small steps and settles: the
# constant rate ends <output>0.028</output> below the best mean, more than any of the
# spreads. That is what a schedule buys: the
# speed of a large rate early *and* the precision of a small one late, without having to
# know in advance which single rate is right. Differences smaller than the spreads are
# noise.
#
# ## 7 · The learning-rate range test
#
# How large may the peak rate be? Smith's **range test** (2017, §3.3) trains for a short
# while with a rate that grows *linearly* from a small to a large value, records the
# *accuracy*, and reads off where it starts to rise and where it stalls or falls: those two
# rates bound the cycle. The version here is fastai's `lr_find`: the rate grows
# *exponentially* every step, from tiny to absurd (an `ExponentialLR` with $\gamma > 1$),
# the *training loss* of each step is recorded and smoothed, and the run stops when the loss
# blows up. The smoothed loss's minimum marks the largest rate that still helps; a tenth of
# it is the rule of thumb of fastai's first versions (its default suggestion is now the
# "valley", the middle of the longest steep descent), while Smith uses values close to the
# top of the range.

# %%
test = experiments.range_test(digits, build(0), start=1e-4, end=10.0, steps=120, optimizer="momentum",
                              device="cpu")
splots.range_test(test)
caption()
plt.show()
print(f"{len(test.lrs)} steps before the loss diverged; lowest smoothed loss at lr {test.lr_at_min:.3g}; "
      f"a tenth of it: {test.suggestion:.3g}")

# %% [markdown]
# Now 1cycle with each of the two candidates as `max_lr`, against the constant rate and the
# warm-up + cosine at the moderate peak of section 6 (same seeds, same budget):

# %%
picked = experiments.train_runs(
    digits, {f"1cycle, max_lr {test.lr_at_min:.2g} (the minimum)": {"lr": test.lr_at_min, "schedule": "one_cycle"},
             f"1cycle, max_lr {test.suggestion:.2g} (a tenth)": {"lr": test.suggestion, "schedule": "one_cycle"}},
    build=build, seeds=(0, 1, 2), **common)
picked["constant, lr 0.05"] = comparison[0.05]["constant"]
picked["warm-up + cosine, peak 0.05"] = comparison[0.05]["warmup_cosine"]
print_table(picked, "chosen by the range test");

# %% [markdown]
# The range test gives a *range*, not a number: the table shows how each end of it works
# as 1cycle's peak on this budget. It is cheap (one short run) and it replaces a search
# over rates by a look at one curve, which is why it comes before any tuning (topic 07).
#
# ## 8 · Performance scheduling
#
# Géron's **performance scheduling** (torch's `ReduceLROnPlateau`, a Keras callback) does
# not plan ahead: it watches the validation loss and *multiplies* the rate by `factor` (below
# 1) once the loss has gone more than `patience` epochs without a new best. An epoch counts
# as a new best only if it beats the best loss *so far* by the relative `threshold`
# (`loss < best * (1 - threshold)` in torch's default mode), not if it beats the epochs just
# before it. (Keras's callback cuts after `wait >= patience` epochs, torch after
# `> patience`.) `fit(plateau=...)` steps it after every epoch. At the aggressive rate of
# section 6, for twelve epochs:

# %%
plateau_settings = {"factor": 0.3, "patience": 1, "threshold": 0.01}
reactive = fit(build(0), digits, lr=0.3, plateau=plateau_settings, seed=0, epochs=12, **fit_settings)
steady = fit(build(0), digits, lr=0.3, seed=0, epochs=12, **fit_settings)
print("rate of each epoch:     ", " ".join(f"{lr:.3g}" for lr in reactive["lr"]))
print("validation loss:        ", " ".join(f"{v:.3f}" for v in reactive["val_loss"]))
print(f"final val. accuracy: performance scheduling {reactive['val_acc'][-1]:.3f}, "
      f"constant {steady['val_acc'][-1]:.3f}")
print("the same rates from the reference:", np.allclose(
    ref.reduce_on_plateau(0.3, reactive["val_loss"], **plateau_settings), reactive["lr"]))

# %% [markdown]
# The printed rates step down after more than `patience` epochs without a new best. The
# second cut came while the loss was falling (<output>1.203</output>, <output>1.016</output>,
# <output>0.883</output>): each of those was still above the best so far,
# <output>0.571</output>. Its strength is that it needs no run length; its weakness, that it reacts late
# and only to the metric it watches (and here that metric is the validation set, which
# then no longer gives an unbiased estimate: topic 07).
#
# ## 9 · What a schedule changes in the default configuration
#
# The capstone (08) keeps the notes' default: He, ELU, BatchNorm, dropout, Adam at a
# constant rate, *no* schedule. The same network, rate and budget as in 08, over two seeds,
# with a cosine from that rate down in place of the constant:

# %%
from coursekit.training import defaults

capstone = {label: [defaults.train_config(defaults.DEFAULT_CONFIG, digits, seed=seed, device="cpu",
                                          schedule=schedule)[1] for seed in (0, 1)]
            for label, schedule in (("none (the notes' default)", None), ("cosine", "cosine"))}
print_table(capstone, "default network, Adam 0.01");

# %% [markdown]
# At this rate the cosine ends at <output>0.976 ± 0.007</output> and the constant rate at
# <output>0.971 ± 0.004</output>: a difference within the spread of two seeds, so on the
# digits, at the default's rate, a schedule changes little. (This experiment keeps the rate
# fixed; it says nothing about how sensitive the network is to the rate.)
# Where schedules matter is a rate near the edge (section 6), long runs, and large models
# where the last epochs at a small rate are worth most. The notes' "none" is a sensible
# default for a first run; a cosine or 1cycle is the usual second step.
#
# ## 10 · Exploding gradients, with and without clipping
#
# A plain deep network: ten ReLU layers of 64 units, He initialisation, no BatchNorm, SGD
# with momentum 0.9, five epochs, six seeds. Its gradient norm is usually a few units, but
# now and then it spikes, and one step can throw the weights somewhere the run does not come
# back from. Two thresholds for clipping the global norm: `max_norm = 10`, a few times the
# typical norm, so that only the spikes are clipped, and `max_norm = 1`, below the typical
# norm, so that every step is clipped. At two rates: 0.03, which usually works, and 0.1,
# which is too large. `fit(step_stats=True)` records each step's loss and its gradient norm
# *before* clipping:

# %%
def deep_plain(seed):
    return build_mlp([64] + [64] * 10 + [10], activation="relu", init="he_normal", seed=seed)


clip_settings = {"no clipping": {}, "clipped at norm 10": {"clip_norm": 10.0}, "clipped at norm 1": {"clip_norm": 1.0}}
deep = {lr: experiments.train_runs(digits, clip_settings, build=deep_plain, seeds=tuple(range(6)), lr=lr,
                                   step_stats=True, epochs=5, **fit_settings) for lr in (0.03, 0.1)}
for lr, runs in deep.items():
    print_table(runs, f"lr {lr}, 6 seeds")
    for label, histories in runs.items():
        norms = np.concatenate([h["step_grad_norm"] for h in histories])
        limit = clip_settings[label].get("clip_norm", math.inf)
        print(f"    {label:18s} accuracy per seed {np.round([h['val_acc'][-1] for h in histories], 3)}; "
              f"gradient norm: median {np.nanmedian(norms):.3g}, largest {np.nanmax(norms):.3g}; "
              f"steps clipped {np.mean(norms > limit):.0%}; "
              f"runs ending with a nan loss: {sum(not np.isfinite(h['loss'][-1]) for h in histories)}")
splots.clipping({label: runs[2] for label, runs in deep[0.03].items()}, clip_norm=10.0, title="lr 0.03, seed 2")
caption()
plt.show()

# %% [markdown]
# At lr 0.03 the unclipped runs usually train, but one seed in six ended far below the others
# (<output>0.627</output>, the others <output>0.889</output> to <output>0.933</output>; the
# figure shows that seed), and the largest gradient norm was <output>25.3</output> against a
# median of <output>3.42</output>. Clipping at 10 touched <output>2</output>% of the steps,
# and no seed failed: <output>0.898 ± 0.031</output> against <output>0.861 ± 0.106</output>
# without clipping. The means differ by less than the unclipped spread, and the clipped
# steps changed the other seeds' paths too, up or down (seed 0 ended at
# <output>0.85</output>); what clipping removed is the one bad run. That is what it is for:
# a guard against rare spikes that leaves the ordinary steps alone.
#
# Clipping at 1 is something else. The median norm is above 1, so every step
# (<output>100</output>%) is clipped: each gradient is rescaled to length 1, which makes it
# a normalised gradient at a smaller effective rate. At lr 0.03 it ends lower and with a
# narrower spread than no clipping (<output>0.858 ± 0.012</output>). At lr 0.1, where
# <output>4</output> of the 6 unclipped runs end with a `nan` loss and none ends above
# <output>0.326</output>, it trains (<output>0.888 ± 0.015</output>), because it shortens
# every step, as a smaller rate would. Clipping at 10 does not rescue that rate
# (<output>0.435 ± 0.093</output>, with <output>6</output>% of the steps clipped): there
# the trouble is not a few spikes but ordinary steps that are too long.
#
# How long can a clipped step be? Clipping bounds each *gradient* at `max_norm`, but
# momentum adds up the past ones ($v \leftarrow \mu v + g$), so a step can reach
# `lr * max_norm / (1 - mu)`: ten times `lr * max_norm` at $\mu = 0.9$.
#
# Two settings of torch's `clip_grad_norm_` matter here. With the default
# `error_if_nonfinite=False`, a `nan` or `inf` gradient gives a `nan` total norm and the
# scaling turns every gradient into `nan`, silently; with `error_if_nonfinite=True` it
# raises, as coursekit's NumPy reference always does. `foreach` only chooses the
# implementation (one fused call over all the tensors, the default where the device supports
# it), not the result. Clipping does not cure the cause (topics 02 and 04 do: a good
# initialisation and BatchNorm); it bounds the damage of the rare bad step.
#
# ## 11 · Explore
#
# Pick a schedule, its peak rate and its main setting; the widget draws the rate of every
# step and trains the 64-32-10 network on it for four epochs. Things to try: 1cycle with
# `pct_start` near 0.9 (a long climb and a cliff); the exponential decay with its last rate
# at 1% and at 50% of the peak; a peak rate of 1 with and without a warm-up.

# %%
from coursekit.widgets.schedules import schedule_explorer

schedule_explorer(digits)

# %% [markdown]
# ## Closing note
#
# You wrote exponential and power decay, warm-up + cosine, 1cycle and clipping by global
# norm, each graded against torch. The cell below prints how long this notebook took to
# run, from the first cell to here, and its peak memory; the course's budget is 60 s and
# 1.5 GB on two cores.

# %%
import resource
import sys

peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024**2)
print(f"this notebook ran in {time.perf_counter() - notebook_start:.1f} s (kernel start not included); "
      f"peak memory {peak:.0f} MB")
