# %% [markdown]
# # 07 · Hyperparameter tuning
#
# A network has parameters that training learns and **hyperparameters** that you choose:
# the learning rate, the width, the batch size, the dropout rate... Tuning them is a search:
# pick a configuration, train, measure the validation error, repeat. Each trial is a whole
# training run, so the question is how to spend a small budget of trials well.
#
# In this notebook you will:
#
# 1. write **random search**, and see why it beats grid search with the same budget
#    (Bergstra & Bengio, 2012);
# 2. write a **log-uniform sampler**, and see why a learning rate is sampled on a log scale;
# 3. hand the same objective to **Optuna**, whose TPE sampler learns where to look, and run
#    two worker processes that share one study in a SQLite database: the same code scales
#    from a laptop to many machines;
# 4. stop bad configurations early with **successive halving**.
#
# Every trial trains coursekit's NumPy two-layer network on the 8×8 digits for one epoch
# (about 30 ms), so the notebook can afford a few hundred trials.
#
# **What your answers may use:** NumPy and Python's standard library, in every graded
# exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them.

# %% locked="setup"
# %matplotlib inline
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from coursekit import tuning
from coursekit.grading import check
from coursekit.plots import tuning as tuning_plots
from coursekit.plots import caption
from coursekit.tuning import Choice, IntUniform, LogUniform, Uniform

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1 · Search spaces
#
# A search space maps each hyperparameter's name to a **sampler**. `LogUniform(low, high)`
# spreads its samples evenly over the orders of magnitude between `low` and `high`;
# `Uniform` is uniform on the linear scale; `IntUniform(low, high)` draws integers with
# *both* ends included (as Optuna does, unlike `rng.integers`); `Choice` picks one option.
# Every sampler can
#
# - `sample(rng)`: draw a value with a `numpy.random.Generator`;
# - `grid(n)`: give `n` evenly spaced values (log-spaced for log samplers), for grid search;
# - `suggest(trial, name)`: ask an Optuna trial for the same distribution (section 5).

# %%
space = {
    "lr": LogUniform(1e-4, 1.0),
    "hidden": IntUniform(16, 256),
    "activation": Choice(["relu", "elu", "tanh"]),
    "dropout": Uniform(0.0, 0.5),
}
for name, sampler in space.items():
    print(f"{name:>10}: sample {sampler.sample(rng)!r:<24} grid(3) {sampler.grid(3)}")

# %% [markdown]
# ## 2 · Random search
#
# Random search draws `n_trials` configurations independently from the space, evaluates the
# objective on each, and keeps the best. The objective returns a number to **minimise**
# (here a validation error).
#
# Write `random_search(objective, space, n_trials, *, rng)`. In each trial, draw one value
# per hyperparameter with `space[name].sample(rng)`, call `objective(params)` once with the
# dict of values, and record the pair `(params, value)`. Return
# `(best_params, best_value, trials)`: the configuration with the lowest value, that value,
# and the list of all `(params, value)` pairs in the order they were evaluated.
#
# Use only the `rng` you are given, so that the same seed reproduces the same search.

# %% solution="random_search"
def random_search(objective, space, n_trials, *, rng):
    """Minimise objective(params) over n_trials configurations drawn from space.

    Returns (best_params, best_value, trials), trials being a list of (params, value).
    """
    ### BEGIN SOLUTION
    trials = []
    for _ in range(n_trials):
        params = {name: sampler.sample(rng) for name, sampler in space.items()}
        trials.append((params, objective(params)))
    best_params, best_value = min(trials, key=lambda trial: trial[1])
    return best_params, best_value, trials
    ### END SOLUTION


# %% tests="test_random_search" points=2
check("tuning.random_search", random_search)
### BEGIN HIDDEN TESTS
check("tuning.random_search", random_search, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · Grid against random search on digits
#
# The objective trains the two-layer net (64 → `hidden` → 10, ReLU, minibatch SGD) for one
# epoch and returns its validation error. We tune two hyperparameters over wide ranges: the
# learning rate, from $10^{-5}$ to $10$, and the width, from 16 to 64 units.
#
# Both searches get **16 trials**. Grid search spends them on a 4×4 grid: four learning
# rates, each tried with four widths. Random search draws 16 pairs.

# %%
objective = tuning.DigitsObjective(epochs=1)
space = {"lr": LogUniform(1e-5, 10.0), "hidden": IntUniform(16, 64)}

grid = tuning.grid_search(objective, space, n=4)
best_params, best_value, random_trials = random_search(objective, space, 16, rng=rng)
print(f"grid search:   best error {grid.best_value:.3f} at {grid.best_params}")
print(f"random search: best error {best_value:.3f} at {best_params}")

# %% [markdown]
# The top row shows where each search looked; the ticks on the axes are the samples'
# projections onto each hyperparameter. The bottom row projects the trials onto the
# learning rate alone.

# %%
tuning_plots.search_samples({"grid": grid, "random": random_trials}, x="lr", y="hidden");
caption()

# %% [markdown]
# Here the learning rate is the hyperparameter that matters: the error falls from 0.9
# (chance) to below 0.1 only when the rate lies roughly between 0.1 and 0.6, and the run
# diverges above 1. The width matters far less. The grid spends its budget on only **four**
# distinct learning rates, two decades apart. Each is tried four times with widths
# that barely change the result. Random search tries **sixteen** distinct learning rates, and
# the same number of widths.
#
# Bergstra & Bengio's argument is a small computation. Suppose the good learning rates
# fill a fraction $p$ of the (log) range. Each random trial lands there with probability
# $p$, so $n$ trials miss it with probability $(1-p)^n$. Here $p \approx 0.78/6 = 0.13$
# (0.78 decades out of 6), and 16 trials miss it with probability $0.87^{16} \approx 0.1$.
# A grid with $k$ values per axis has only $k=4$ chances, all placed in advance. The more
# unimportant hyperparameters there are, the worse the grid does: with $d$ of them, it
# repeats each learning rate $k^{d}$ times.
#
# One random search is one draw: repeat it with four other seeds.

# %%
bests = [best_value] + [random_search(objective, space, 16, rng=np.random.default_rng(seed))[1]
                        for seed in range(1, 5)]
print(f"grid search:                 {grid.best_value:.3f}")
print(f"five random searches:        {', '.join(f'{v:.3f}' for v in bests)}")
print(f"random search beat the grid in {sum(v < grid.best_value for v in bests)} of {len(bests)}")

# %% [markdown]
# Try other budgets and seeds. The first slider sets the number of trials of both searches
# (the grid is $k \times k$, so it tries only $k$ learning rates), the second the seed of the
# random search. Each configuration is trained once and remembered, the ones above included.
# How often does the grid win, and with which budgets?

# %%
from coursekit.widgets.tuning import search_explorer

search_explorer(objective, space, known=[*grid.trials, *random_trials])

# %% [markdown]
# ## 4 · Sampling the learning rate on a log scale
#
# A learning rate of $10^{-4}$ differs from $10^{-3}$ as much as $10^{-2}$ differs from
# $10^{-1}$: what matters is the order of magnitude. Drawn uniformly from $[10^{-5}, 10]$,
# nine samples in ten land in the top decade, $[1, 10]$, and only one in a hundred
# below $0.1$.
#
# A **log-uniform** sample $x$ has $\log x$ uniform between $\log a$ and $\log b$:
#
# $$\log x = \log a + U(\log b - \log a), \quad U \sim \mathcal{U}(0, 1), \qquad
#   p(x) = \frac{1}{x \log(b/a)} \text{ on } [a, b].$$
#
# Each decade then gets the same share of samples. The base of the logarithm does not
# matter: $\log_{10}$ and $\ln$ give the same distribution.
#
# Write `log_uniform(low, high, size, *, rng)`, returning a float array of shape `size`
# (an int or a tuple). Draw with the `rng` you are given (`rng.uniform` or `rng.random`).
# The grader measures the distribution of $u = \log(x/a)/\log(b/a)$ over 20,000 samples:
# it should be uniform on $[0, 1]$.

# %% solution="log_uniform"
def log_uniform(low, high, size, *, rng):
    """Samples of shape size whose logarithm is uniform between log(low) and log(high)."""
    ### BEGIN SOLUTION
    return np.exp(rng.uniform(np.log(low), np.log(high), size))
    ### END SOLUTION


# %% tests="test_log_uniform" points=2
check("tuning.log_uniform", log_uniform)
### BEGIN HIDDEN TESTS
check("tuning.log_uniform", log_uniform, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your sampler against the uniform one, 2,000 draws each, on a log axis:

# %%
tuning_plots.sampling_histograms(
    {"log-uniform (yours)": log_uniform(1e-5, 10.0, 2000, rng=rng),
     "uniform": rng.uniform(1e-5, 10.0, 2000)},
    low=1e-5, high=10.0, threshold=0.1,
);
caption()

# %% [markdown]
# Now tune only the learning rate (width 32), with 16 trials from each sampler:

# %%
lr_searches = {}
for label, sampler in {"log-uniform": LogUniform(1e-5, 10.0), "uniform": Uniform(1e-5, 10.0)}.items():
    lr_best, lr_value, lr_searches[label] = random_search(objective, {"lr": sampler}, 16, rng=rng)
    diverged = sum(params["lr"] > 1 for params, _ in lr_searches[label])
    print(f"{label:>12}: best error {lr_value:.3f} at lr={lr_best['lr']:.3g}; {diverged} of 16 rates above 1")
tuning_plots.value_vs_param(lr_searches, "lr");
caption()

# %% [markdown]
# Uniform sampling spends most of its trials above 1, where training diverges, and almost
# never tries a rate below 0.1. Its best trial is whichever of its few rates below 1 came
# out best. The log-uniform samples map every decade, and the picture shows where the good
# rates are and how sharply training fails above them. That map is worth as much as the
# best trial: it tells you where to search next.

# %% [markdown]
# ## 5 · Optuna: a sampler that learns where to look
#
# Random search ignores what it has seen. Optuna's default sampler, the **Tree-structured
# Parzen Estimator** (TPE, Bergstra et al. 2011), splits the finished trials into good and
# bad ones, fits a density to each, $\ell(x)$ and $g(x)$, and proposes the next
# configuration where $\ell(x)/g(x)$ is large. Its first 10 trials are random.
#
# `tuning.optuna_search` runs the same objective over the same space in an Optuna study:
# each sampler's `suggest(trial, name)` calls `trial.suggest_float(name, low, high, log=True)`
# or its relatives. Here are TPE and your random search, 30 trials each:

# %%
tpe = tuning.optuna_search(objective, space, 30, sampler="tpe", seed=0)
_, _, random_30 = random_search(objective, space, 30, rng=rng)
searches = {"Optuna TPE": tpe, "random search": random_30}
for label, trials in {"Optuna TPE": tpe.trials, "random search": random_30}.items():
    good = sum(0.05 < params["lr"] < 1 for params, _ in trials[10:])
    print(f"{label:>14}: best {min(v for _, v in trials):.3f}; trials 11-30 with lr in (0.05, 1): {good} of 20")
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
tuning_plots.best_so_far(searches, ax=left)
tuning_plots.param_by_trial(searches, "lr", ax=right);
caption()

# %% [markdown]
# After its random start, TPE puts more of its learning rates in the good region than random
# search does (compare trials 11-30 above), so more of its later trials are useful ones. On
# a noisy objective and only 30 trials the lead is modest, and the best trial can still come
# from the random start; with more trials the lead typically grows. `tpe.study` is the Optuna `Study` itself,
# with all of Optuna's analysis tools.
#
# ### Two workers, one study
#
# Optuna keeps a study in a **storage**. In memory, as above, it lives and dies with one
# process. In a database, any number of processes (on any number of machines) can load the
# same study by name: each asks the study's sampler for a configuration, trains, and writes
# the result back, where every other worker's sampler sees it. Nothing else changes: the
# storage URL is the only difference between one laptop and a cluster (SQLite for processes
# on one machine, PostgreSQL or MySQL across machines).
#
# `tuning.run_workers` creates the study in a SQLite file, starts two worker processes that
# each run `tuning.work` (load the study, add 4 trials), and waits for both. Each trial
# records which worker ran it.

# %%
with tempfile.TemporaryDirectory() as folder:
    shared = tuning.run_workers(
        objective, space, 4, storage=f"sqlite:///{folder}/digits.db", study_name="digits",
        n_workers=2, seed=0,
    )
print("trial  worker      pid        lr  hidden  error")
for (params, value), info in zip(shared.trials, shared.attrs):
    print(f"{info['number']:5d}  {info['worker']:6d}  {info['pid']:7d}  {params['lr']:8.3g}"
          f"  {params['hidden']:6d}  {value:5.3f}")
tuning_plots.worker_trials(shared, "lr");
caption()

# %% [markdown]
# The two workers' trials interleave in one numbering: they ran at the same time and wrote to
# the same study. (With four trials each, both samplers are still in their random start; in
# a longer run each worker's TPE learns from every trial in the study, the other worker's
# too.) On several machines, each runs
# `tuning.work(objective, space, n_trials, storage=url, study_name=name, seed=...)` with
# the same database URL.

# %% [markdown]
# ## 6 · Successive halving: most configurations need not train for long
#
# A bad learning rate is visible after one epoch; only the promising configurations deserve
# a long run. **Successive halving** (Jamieson & Talwalkar, 2016) trains all $n$
# configurations with a small budget, keeps the best $1/\eta$ of them, trains those with
# $\eta$ times the budget, and repeats. With $n = 9$ and $\eta = 3$: nine configurations for
# 1 epoch, three for 3 epochs, one for 9. That costs 27 epochs, where training all nine for
# 9 epochs would cost 81. (Optuna offers the same idea as a *pruner*,
# `optuna.pruners.SuccessiveHalvingPruner`, which stops trials early inside a study.)

# %%
configs = tuning.sample_configs(space, 9, rng=rng)
halving = tuning.successive_halving(objective, configs, min_budget=1, eta=3)
print(f"best after {halving.rungs[-1].budget} epochs: error {halving.best.value:.3f} at {halving.best.params}")
tuning_plots.halving(halving);
caption()

# %% [markdown]
# ## Summary
#
# - With the same budget, random search tries as many values of each hyperparameter as it
#   has trials; a grid tries only $k$. When few hyperparameters matter, random search usually
#   wins.
# - Sample scale-like hyperparameters (learning rates, weight decay) **log-uniformly**: each
#   order of magnitude gets the same share of trials.
# - A model-based sampler such as TPE spends later trials where earlier ones did well.
# - A study in a database lets many workers search together; successive halving (or a
#   pruner) stops the hopeless configurations early.
