# %% [markdown]
# # 10 · Beyond the notes
#
# The lecture notes stop where practice moved on. This notebook adds eight things that
# modern training uses, and for each one measures, on the bundled data, *why* it exists:
#
# 1. **decoupled weight decay (AdamW)**, against Adam with an L2 penalty;
# 2. **NAdam and AdaMax**, two variants of Adam from Géron's list;
# 3. **layer normalisation**, where BatchNorm fails;
# 4. **GELU, SiLU and Mish**, the smooth activations of recent networks;
# 5. **max-norm regularisation**, against L2 and dropout;
# 6. **Monte Carlo dropout**: dropout kept on at test time, as a measure of uncertainty;
# 7. **reusing pretrained layers**, on digits 0–4 then 5–9;
# 8. **where BatchNorm goes**, before or after the activation.
#
# You write seven functions: `adamw_init`/`adamw_step`, `layernorm_forward`,
# `layernorm_backward`, `gelu`, `silu` and `mish` (each with its derivative) and `max_norm`.
# Each is checked against torch's built-in (`torch.optim.AdamW`, `F.layer_norm`, `F.gelu`,
# `torch.renorm`, ...) and the feedback names the convention your answer matches when it is
# a known alternative. Two sliders at the end of sections 5 and 6 let you change the max-norm
# radius and the number of dropout masks.
#
# Run the cell below first. Each exercise has a cell with `### YOUR CODE HERE` and a test
# cell you can run as often as you like; the grader runs more, hidden, cases. Every
# experiment is small: the whole notebook runs in well under a minute on a laptop's CPU.
#
# **What your answers may use:** `gelu`: NumPy and SciPy; every other graded exercise:
# NumPy. Python's standard library is always allowed; `check` and the grader refuse any
# other package inside them.

# %% locked="setup"
# %matplotlib inline
import math

import numpy as np
import torch
from scipy.special import erf  # the error function, for GELU (scipy comes with scikit-learn)
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from coursekit import data
from coursekit.claims import mean_spread
from coursekit.beyond import activations as act_experiments
from coursekit.beyond import adaptive, decay, maxnorm, nets, normalisation, transfer, uncertainty
from coursekit.experiments.regularization import moons_split, plane_limits
from coursekit.grading import check
from coursekit.optimizers import AdamState
from coursekit.plots import beyond as figures
from coursekit.plots import caption
from coursekit.plots.activations import functions as plot_functions
from coursekit.plots.optimizers import contours

threadpool_limits(1)  # the models here are tiny: one thread is fastest and leaves the other cores free
torch.set_num_threads(1)
digits = data.digits(seed=0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1 · Decoupled weight decay: AdamW
#
# Topic 06 added an L2 penalty $\frac{\lambda}{2}\lVert w\rVert^2$ to the loss: its gradient
# $\lambda w$ is what `weight_decay=λ` adds in `torch.optim.SGD`, and for SGD it is the same
# as shrinking the weights, $w \leftarrow w(1 - \eta\lambda) - \eta\, g$. **For Adam it is
# not.** `torch.optim.Adam(weight_decay=λ)` adds $\lambda w$ to the gradient *before* the
# moments, so the pull towards 0 is divided by $\sqrt{\hat v}$ like everything else:
#
# $$w \leftarrow w - \eta\,\frac{\hat m[g + \lambda w]}{\sqrt{\hat v[g + \lambda w]} + \epsilon}.$$
#
# A weight whose gradients are large is hardly decayed; a weight whose gradient is zero is
# pulled to 0 at a speed of about $\eta$ per step, whatever $\lambda$ is. Loshchilov & Hutter
# (2019) **decouple** the decay from the adaptive step:
#
# $$w \leftarrow w\,(1 - \eta\,\lambda) \;-\; \eta\,\frac{\hat m}{\sqrt{\hat v} + \epsilon},
#   \qquad \text{moments of } g \text{ alone.}$$
#
# That is `torch.optim.AdamW(lr=η, weight_decay=λ)` (default λ = 0.01): first the decay, from
# the weights the step starts at, then Adam's step with $g$.
#
# **A convention trap.** The paper writes $w \leftarrow w - \eta_t\,(\alpha\,\hat m/(\sqrt{\hat
# v}+\epsilon) + \lambda w)$, where the learning rate is $\alpha$ and $\eta_t$ is *not* a
# rate, as $\eta$ is everywhere else in this notebook, but a *schedule multiplier* (1 without a
# schedule): the paper's decay per step is $\eta_t\lambda$, **not** scaled by the learning
# rate. torch (and Keras, and optax) scale it: decay per step $= $ lr × weight_decay.
# So the paper's λ = 1e-4 is torch's weight_decay = 1e-4 / lr, and in torch changing the
# learning rate changes the decay too. Here, as in torch, the decay is `lr * weight_decay`.
#
# Write `adamw_init(w)` and `adamw_step(w, dw, state, *, lr, beta1, beta2, eps, weight_decay)`.
# The state is the `AdamState(count, mu, nu)` of topic 05 (imported above). As there: never
# change your inputs, keep the dtype (`np.zeros_like(w)`, Python floats for the bias
# corrections).

# %% solution="adamw"
def adamw_init(w):
    """Zero moments shaped like w and a zero count: AdamState(0, mu, nu)."""
    ### BEGIN SOLUTION
    return AdamState(0, np.zeros_like(w), np.zeros_like(w))
    ### END SOLUTION


def adamw_step(w, dw, state, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """One AdamW step (torch's convention). Returns (w_new, state_new)."""
    ### BEGIN SOLUTION
    t = state.count + 1
    mu = beta1 * state.mu + (1 - beta1) * dw
    nu = beta2 * state.nu + (1 - beta2) * dw * dw
    mu_hat, nu_hat = mu / (1 - beta1**t), nu / (1 - beta2**t)
    w_new = w * (1 - lr * weight_decay) - lr * mu_hat / (np.sqrt(nu_hat) + eps)
    return w_new, AdamState(t, mu, nu)
    ### END SOLUTION


# %% tests="test_adamw" points=3
check("beyond.adamw_step", adamw_init, adamw_step)
### BEGIN HIDDEN TESTS
check("beyond.adamw_step", adamw_init, adamw_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your AdamW against `torch.optim.AdamW`, over 200 steps of a noisy quadratic:

# %%
w0, targets = rng.standard_normal(6), rng.standard_normal((200, 6))
p = torch.tensor(w0, requires_grad=True)
builtin = torch.optim.AdamW([p], lr=0.05, weight_decay=0.3)
w, state = w0.copy(), adamw_init(w0)
for target in targets:
    p.grad = p.detach() - torch.tensor(target)  # the gradient of |w - target|² / 2
    builtin.step()
    w, state = adamw_step(w, w - target, state, lr=0.05, weight_decay=0.3)
print(f"largest difference from torch.optim.AdamW after 200 steps: {np.abs(w - p.detach().numpy()).max():.2e}")

# %% [markdown]
# ### Which weights does each one decay?
#
# An MLP (64–128–128–10) trained on 300 digits for 30 epochs, once with Adam + L2 and once
# with AdamW, each at several decay strengths and two seeds. First the mechanism: for every
# weight of the first layer, the decay it received per step as a fraction of the weight,
# read from the optimizer's state after training. For AdamW it is lr × weight_decay for all
# of them; for Adam + L2 it is lr·λ / (√v̂ + ε), so it depends on the size of the weight's
# gradients.

# %%
strengths = {"adam_l2": [1e-3, 1e-2, 1e-1], "adamw": [0.1, 1.0, 10.0]}
sweep = decay.sweep(digits, strengths, seeds=(0, 1))
for kind, r in sweep.items():
    for s, acc, norm in zip(r["strength"], r["accuracy"], r["norm"].mean(1)):
        print(f"{decay.KINDS[kind]:26s} weight_decay={s:<6g} validation accuracy per seed {np.round(acc, 3)} "
              f"(mean {acc.mean():.3f}), weight norm {norm:.2f}")
figures.decay_sweep(sweep, decay.KINDS);
caption()

# %%
chosen = {"adam_l2": 1e-2, "adamw": 1.0}  # one strength of each, seed 0, from the sweep
runs = {kind: sweep[kind]["runs"][s, 0] for kind, s in chosen.items()}
unused = decay.unused_inputs(digits.x_train[:300])  # pixels blank in every training image
used = np.setdiff1d(np.arange(64), unused)
rates = {f"{decay.KINDS[k]}, weight_decay={s:g}": decay.relative_decay(runs[k][0], runs[k][1], k, s, used)
         for k, s in chosen.items()}
for label, (rms, rate) in rates.items():
    low, high = np.percentile(rate, [1, 99])
    print(f"{label:40s} decay per step / |w|, 1st to 99th percentile of the weights: {low:.2g} to {high:.2g}")
figures.decay_rates(rates);
caption()

# %% [markdown]
# With Adam + L2 the decay per step differs from weight to weight, and it is largest for the
# weights whose gradients are smallest; with AdamW it is one number. The extreme case is
# the digits' border pixels that are blank in every training image: their weights get no
# gradient from the loss at all.

# %%
steps = len(runs["adamw"][2]["loss"]) * math.ceil(300 / 32)
for kind, (model, _, _, initial) in runs.items():
    size = model[0].weight.detach()[:, unused].abs().mean().item()
    print(f"{decay.KINDS[kind]:26s} mean |w| of the {unused.size} unused pixels' weights: "
          f"{initial[:, unused].abs().mean().item():.4f} -> {size:.5f}")
initial = runs["adamw"][3][:, unused].abs().mean().item()
print(f"AdamW's prediction: (1 - lr * weight_decay)^steps = (1 - 1e-3)^{steps} = {(1 - 1e-3) ** steps:.3f} "
      f"of the start, {initial * (1 - 1e-3) ** steps:.5f}")

# %% [markdown]
# Adam + L2, at a λ as small as 0.01, drove the weights that never get a gradient from the
# loss almost to zero (<output>0.0622</output> to <output>0.00005</output>): their only
# gradient is λw, and Adam rescales it to a step of about lr, whatever λ is. AdamW shrank
# them by exactly the predicted factor (<output>0.741</output>). The sweep shows the two also
# end with different weights and accuracies: Adam + L2's accuracy falls from
# <output>0.950</output> at λ = 0.01 to <output>0.837</output> at λ = 0.1 (both seeds, the
# drop far larger than the gap between them), while AdamW's stays between
# <output>0.930</output> and <output>0.939</output> across a hundredfold range of
# weight_decay. The best Adam + L2 setting (<output>0.950</output>) and the best AdamW setting
# (<output>0.939</output>) differ by about a point, with only two seeds each and a grid of three
# strengths: within what a finer grid or more seeds could change, so this is no evidence that
# either is better in accuracy. Decoupling is not a free gain in accuracy. What it buys is a decay that means the same for every
# weight, which Loshchilov & Hutter show makes the best decay much less dependent on the
# learning rate, and which keeps working under a learning-rate schedule.
#
# ## 2 · NAdam and AdaMax
#
# Géron lists two more variants of Adam; both are in `coursekit.optimizers` (NumPy and torch),
# equal to `torch.optim.NAdam` and `torch.optim.Adamax`.
#
# **NAdam** (Dozat, 2016) is Adam with Nesterov's look-ahead: where Adam steps along
# $\hat m_t$, NAdam steps along the momentum it *will* have, a mix of the current gradient
# and the next step's momentum term,
#
# $$w \leftarrow w - \eta\,\frac{(1-\mu_t)\,g_t/(1 - \Pi_t) + \mu_{t+1}\, m_t/(1 - \Pi_{t+1})}
#   {\sqrt{\hat v_t} + \epsilon}, \qquad \Pi_t = \mu_1\cdots\mu_t .$$
#
# torch follows Dozat's **momentum schedule**,
# $\mu_t = \beta_1\big(1 - \tfrac12\, 0.96^{\,t\psi}\big)$ with $\psi$ = `momentum_decay` =
# 0.004: the momentum starts at about $\beta_1/2$ and creeps up, tending to $\beta_1$ but still
# below it after tens of thousands of steps (printed below). (Keras 3's `Nadam` uses $0.96^t$, that is $\psi = 1$.) A large $\psi$ gives a
# constant $\mu_t = \beta_1$, the "Adam + Nesterov" of textbooks.
#
# **AdaMax** (Kingma & Ba, section 7.1) replaces Adam's $\sqrt{\hat v}$ by an exponentially
# weighted *maximum*, $u \leftarrow \max(\beta_2 u, |g|)$, and steps
# $w \leftarrow w - \frac{\eta}{1 - \beta_1^t}\, m/u$. The paper has no ε; torch puts one
# inside the maximum, $u \leftarrow \max(\beta_2 u, |g| + \epsilon)$, which coursekit follows,
# and Keras adds it to u instead: $m/(u+\epsilon)$.
#
# First, the references against torch, over 500 steps of the same noisy quadratic:

# %%
from coursekit.optimizers import numpy_ref as opt_ref
from coursekit.optimizers.numpy_adam_variants import nadam_momentum

for name, cls in (("nadam", torch.optim.NAdam), ("adamax", torch.optim.Adamax)):
    p = torch.tensor(w0, requires_grad=True)
    builtin = cls([p], lr=0.01)
    w, state = w0.copy(), getattr(opt_ref, f"{name}_init")(w0)
    for target in np.resize(targets, (500, 6)):
        p.grad = p.detach() - torch.tensor(target)
        builtin.step()
        w, state = getattr(opt_ref, f"{name}_step")(w, w - target, state, lr=0.01)
    print(f"{name}: largest difference from torch.optim.{cls.__name__} after 500 steps: "
          f"{np.abs(w - p.detach().numpy()).max():.2e}")
print("NAdam's momentum mu_t at steps 1, 300, 1000, 10000, 23000:",
      [round(nadam_momentum(t, 0.9, 0.004), 3) for t in (1, 300, 1000, 10000, 23000)])

# %% [markdown]
# **Why NAdam.** On topic 05's elongated bowl, all four at the same learning rate (0.3):

# %%
surface, paths, summaries = adaptive.bowl_race(lr=0.3, steps=300)
for label, s in summaries.items():
    print(f"{label:36s} steps to cost < 1e-3: {s['steps to cost < 0.001']}, "
          f"travel across the valley (y): {s['y travel']:.2f}, zigzags: {s['y zigzags']}")
contours(surface, {k: v[:120] for k, v in paths.items()}, title="elongated bowl, lr = 0.3 (first 120 steps)");
caption()

# %% [markdown]
# Across the valley, NAdam with torch's schedule travelled less than half of Adam's distance
# in y (<output>1.76</output> against <output>4.13</output>), zigzagged
# <output>2</output> times instead of <output>34</output>, and reached the minimum sooner.
# The control says why. The NAdam with a *constant* momentum β1 has the same look-ahead, yet
# zigzags as much as Adam (<output>38</output> times), though it arrives first of all. So
# the calm path is not the look-ahead's doing: it comes from torch's momentum schedule, which
# keeps μ near <output>0.45</output> to <output>0.472</output> over these 300 steps, about
# half of β1, and a smaller momentum overshoots less.
#
# **Why AdaMax.** Kingma & Ba bound Adam's step by $\eta\,(1-\beta_1)/\sqrt{1-\beta_2}$
# (about 3.2 η at the defaults) when gradients are sparse, and AdaMax's by about η. A
# weight whose gradient is small noise, with a spike of 10 every 1,000 steps:

# %%
spikes = adaptive.spike_gradients(3000)
lengths = {name: adaptive.spike_response(key, spikes) for name, key in
           (("Adam", "adam"), ("AdaMax", "adamax"), ("NAdam", "nadam"))}
print(f"Kingma & Ba's bound on Adam's step, (1 - beta1) / sqrt(1 - beta2) = {adaptive.adam_step_bound():.2f} lr")
for name, steps_over_lr in lengths.items():
    print(f"{name:7s} largest step {steps_over_lr.max():.2f} lr; distance moved in the 100 steps after "
          f"the spike at step 1000: {steps_over_lr[999:1099].sum():.1f} lr")
figures.step_lengths(lengths, bound=adaptive.adam_step_bound(), window=(980, 1100));
caption()

# %% [markdown]
# After the spike, Adam's weight travels <output>25.6</output> lr in 100 steps, with single
# steps up to <output>2.51</output> lr (under the bound): Adam's √v̂ grows by only √(1 − β2)
# of the spike, so the spike's momentum keeps pushing for a long time. AdaMax's `u` jumps to
# the spike's size at once: its steps stay within lr, and it moves <output>1.0</output> lr
# in all. NAdam takes the largest single step (<output>13.42</output> lr), since early in training its current gradient enters with weight 1 − μ_t, much more
# than Adam's 1 − β1. That is what AdaMax is for: a step bounded by the learning rate,
# whatever the gradients do.
#
# ## 3 · Layer normalisation
#
# BatchNorm (topic 04) normalises each feature over the *batch*. That needs a batch: with two
# examples its statistics are noise, and at test time it switches to running averages that
# are not what it saw in training. **LayerNorm** (Ba, Kiros & Hinton, 2016) normalises each
# *example* over its own $D$ features, the last axis:
#
# $$\mu = \frac1D\sum_j x_j,\quad \sigma^2 = \frac1D\sum_j (x_j-\mu)^2,\quad
#   \hat x_j = \frac{x_j-\mu}{\sqrt{\sigma^2+\epsilon}},\quad y_j = \gamma_j\hat x_j + \beta_j .$$
#
# No batch statistics, no running averages, the same computation in training and at test
# time. torch's `nn.LayerNorm` uses the biased variance and ε = 1e-5 inside the root; Keras's
# `LayerNormalization` uses ε = 1e-3.
#
# Write `layernorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)` for `x` of shape
# `(..., D)` (an `(N, D)` batch, an `(N, T, D)` sequence or a single `(D,)` example), with
# `gamma` and `beta` of shape `(D,)`. Keep in the cache what your backward pass needs.

# %% solution="layernorm_forward"
def layernorm_forward(x, gamma, beta, eps=1e-5):
    """x: (..., D); gamma, beta: (D,). Returns (out, cache)."""
    ### BEGIN SOLUTION
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    inv_std = 1 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)
    xhat = xc * inv_std
    return gamma * xhat + beta, (xhat, inv_std, gamma)
    ### END SOLUTION


# %% tests="test_layernorm_forward" points=2
check("beyond.layernorm_forward", layernorm_forward)
### BEGIN HIDDEN TESTS
check("beyond.layernorm_forward", layernorm_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# **Backward.** With $g = \partial L/\partial y \odot \gamma$, the gradient through $\mu$ and
# $\sigma^2$ gives, for each example (means over its $D$ features),
#
# $$\frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
#   \Big(g - \operatorname{mean}(g) - \hat x \odot \operatorname{mean}(g \odot \hat x)\Big),
#   \qquad \frac{\partial L}{\partial \gamma} = \sum \frac{\partial L}{\partial y}\odot\hat x,
#   \quad \frac{\partial L}{\partial \beta} = \sum \frac{\partial L}{\partial y},$$
#
# the last two summed over every axis but the last. It is BatchNorm's closed form with the
# axes swapped (derive it as in topic 04, or step back through the graph). Write
# `layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)`; it gets *your* cache.

# %% solution="layernorm_backward"
def layernorm_backward(dout, cache):
    """dout: (..., D). Returns dx (..., D), dgamma (D,), dbeta (D,)."""
    ### BEGIN SOLUTION
    xhat, inv_std, gamma = cache
    leading = tuple(range(dout.ndim - 1))
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, (dout * xhat).sum(axis=leading), dout.sum(axis=leading)
    ### END SOLUTION


# %% tests="test_layernorm_backward" points=3
check("beyond.layernorm_backward", layernorm_forward, layernorm_backward)
### BEGIN HIDDEN TESTS
check("beyond.layernorm_backward", layernorm_forward, layernorm_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Yours against `F.layer_norm` and autograd:

# %%
import torch.nn.functional as F

x, gamma, beta, dout = (rng.standard_normal(s) for s in ((4, 3, 8), (8,), (8,), (4, 3, 8)))
xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
F.layer_norm(xt, (8,), gt, bt).backward(torch.tensor(dout))
out, cache = layernorm_forward(x, gamma, beta)
mine = (out, *layernorm_backward(dout, cache))
theirs = (F.layer_norm(xt, (8,), gt, bt).detach(), xt.grad, gt.grad, bt.grad)
print("largest differences (out, dx, dgamma, dbeta):",
      [f"{np.abs(a - b.numpy()).max():.1e}" for a, b in zip(mine, theirs)])

# %% [markdown]
# ### Where BatchNorm fails and LayerNorm does not
#
# The same MLP (64–64–64–10) with coursekit's from-scratch `BatchNorm1d` (topic 04) or
# `LayerNorm` after each hidden layer, or neither, trained for one epoch with **batches of
# two** (400 training images, 200 steps), then evaluated in eval mode, over three seeds:

# %%
small = data.Split(digits.x_train[:400], digits.y_train[:400], digits.x_val, digits.y_val,
                   digits.x_test, digits.y_test)
tiny_batches = normalisation.small_batch_accuracy(small, batch_size=2, seeds=(0, 1, 2))
for label, acc in tiny_batches.items():
    print(f"{label:17s} validation accuracy per seed: {np.round(acc, 3)}, mean {acc.mean():.3f}")
figures.seeds_by_setting(tiny_batches, ylabel="validation accuracy", title="trained with batches of 2");
caption()

# %% [markdown]
# And the reason, for one trained network of each kind: in training mode an example's
# output depends on the other example in its batch, and in eval mode it is something else
# again.

# %%
for norm in ("batch", "layer"):
    model = nets.mlp([64, 64, 64, 10], norm=norm)
    nets.train(model, small.x_train, small.y_train, epochs=1, batch_size=2, drop_last=True)
    spread, gap = normalisation.batch_dependence(model, digits.x_val)
    print(f"{normalisation.NORM_LABELS[norm]:9s} one example's logits over 20 batch partners vary by up to "
          f"{spread:.3g}; training mode vs eval mode differ by up to {gap:.3g}")

# %% [markdown]
# With batches of two, the BatchNorm network reaches about half the others' accuracy in eval
# mode (mean <output>0.419</output>, against <output>0.866</output> without normalisation and
# <output>0.880</output> with LayerNorm; no BatchNorm seed above <output>0.448</output>,
# no other seed below <output>0.852</output>), while LayerNorm is
# level with the network without normalisation (its seeds beat it in each pair, by less than
# the spread between seeds). The second cell shows why: in training mode a BatchNorm network's output
# for one example moves with its batch partner, and in eval mode the running averages give
# other outputs again; LayerNorm's outputs do not depend on the batch at all, and are the
# same in both modes up to rounding. This is why transformers and recurrent networks, with
# small batches and sequences of any length, use LayerNorm.
#
# ## 4 · GELU, SiLU and Mish
#
# Three smooth activations that replaced ReLU in many recent networks (GELU in BERT and GPT,
# SiLU in EfficientNet, Mish in YOLOv4). Each multiplies $z$ by a smooth gate between 0 and 1:
#
# | | $f(z)$ | gate |
# |---|---|---|
# | **GELU** (Hendrycks & Gimpel, 2016) | $z\,\Phi(z)$ | $\Phi$, the standard normal CDF, $\tfrac12(1+\operatorname{erf}(z/\sqrt2))$ |
# | GELU, tanh approximation | $\tfrac12 z\,(1+\tanh(\sqrt{2/\pi}\,(z + 0.044715 z^3)))$ | |
# | **SiLU / Swish** (named SiLU by Hendrycks & Gimpel, 2016; used by Elfwing et al., 2018; called Swish, with β = 1, by Ramachandran et al., 2017) | $z\,\sigma(z)$ | the logistic σ |
# | **Mish** (Misra, 2019) | $z\tanh(\operatorname{softplus}(z))$, softplus $=\log(1+e^z)$ | |
#
# Unlike ReLU they are smooth at 0, dip slightly below 0 for negative $z$ (they are not
# monotonic) and pass a small gradient there. torch: `F.gelu(z, approximate="none")` or
# `"tanh"` (Keras: `approximate=False/True`), `F.silu`, `F.mish`.
#
# Write each with its derivative (product rule; $\Phi' = \varphi$, the normal density
# $e^{-z^2/2}/\sqrt{2\pi}$; $\operatorname{softplus}' = \sigma$). `erf` from `scipy.special`
# is imported above. Hidden cases include $|z| = 100$: write softplus and the logistic so
# they do not overflow (`np.logaddexp(0, z)` is $\log(1+e^z)$), and keep the dtype.

# %% solution="gelu"
def gelu(z, approximate="none"):
    """GELU, exact ("none") or its tanh approximation ("tanh")."""
    ### BEGIN SOLUTION
    if approximate == "tanh":
        return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
    return 0.5 * z * (1 + erf(z / math.sqrt(2)))
    ### END SOLUTION


def gelu_grad(z, approximate="none"):
    """The derivative of gelu(z, approximate)."""
    ### BEGIN SOLUTION
    if approximate == "tanh":
        a = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        t = np.tanh(a)
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * z * z)
    return 0.5 * (1 + erf(z / math.sqrt(2))) + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    ### END SOLUTION


# %% tests="test_gelu" points=2
check("beyond.gelu", gelu, gelu_grad)
### BEGIN HIDDEN TESTS
check("beyond.gelu", gelu, gelu_grad, hidden=True)
### END HIDDEN TESTS

# %% solution="silu_mish"
def _logistic(z):
    return np.exp(-np.logaddexp(0, -z))


def silu(z):
    """z * sigmoid(z)."""
    ### BEGIN SOLUTION
    return z * _logistic(z)
    ### END SOLUTION


def silu_grad(z):
    """The derivative of silu."""
    ### BEGIN SOLUTION
    s = _logistic(z)
    return s * (1 + z * (1 - s))
    ### END SOLUTION


def mish(z):
    """z * tanh(softplus(z))."""
    ### BEGIN SOLUTION
    return z * np.tanh(np.logaddexp(0, z))
    ### END SOLUTION


def mish_grad(z):
    """The derivative of mish."""
    ### BEGIN SOLUTION
    t = np.tanh(np.logaddexp(0, z))
    return t + z * (1 - t * t) * _logistic(z)
    ### END SOLUTION


# %% tests="test_silu" points=1
check("beyond.silu", silu, silu_grad)
### BEGIN HIDDEN TESTS
check("beyond.silu", silu, silu_grad, hidden=True)
### END HIDDEN TESTS

# %% tests="test_mish" points=1
check("beyond.mish", mish, mish_grad)
### BEGIN HIDDEN TESTS
check("beyond.mish", mish, mish_grad, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Yours, with ReLU and ELU from topic 03 for comparison (coursekit's references):

# %%
from coursekit.activations import elu, elu_grad, relu, relu_grad

plot_functions({"relu": (relu, relu_grad), "elu": (elu, elu_grad), "gelu": (gelu, gelu_grad),
                "gelu (tanh)": (lambda z: gelu(z, "tanh"), lambda z: gelu_grad(z, "tanh")),
                "silu": (silu, silu_grad), "mish": (mish, mish_grad)}, title="your activations");
z = np.linspace(-6, 6, 120001)
for name, f in (("gelu", gelu), ("silu", silu), ("mish", mish)):
    print(f"{name}: smallest value {f(z).min():.4f} at z = {z[np.argmin(f(z))]:.3f}")
print(f"largest gap between GELU and its tanh approximation on [-6, 6]: {np.abs(gelu(z) - gelu(z, 'tanh')).max():.1e}")
caption()

# %% [markdown]
# **Silent units.** Topic 03 trained a 3-hidden-layer net at Adam's lr = 0.05 and counted
# the ReLU units that never fire again. The same experiment with the smooth activations,
# also measuring the mean $|f'(z)|$ that the silent units still pass back (0 for a ReLU):

# %%
silent = act_experiments.after_large_lr(digits, ["relu", "gelu", "silu", "mish"], lr=0.05, epochs=3)
for name, rows in silent.items():
    print(f"{name:5s} silent units per hidden layer: {[n for n, _, _ in rows]} of 64; "
          f"mean |f'(z)| they pass: {['-' if math.isnan(g) else f'{g:.1g}' for _, _, g in rows]}")

# %% [markdown]
# ReLU lost units that pass no gradient at all. GELU, SiLU and Mish left fewer units whose
# input is negative everywhere (SiLU the fewest), and those still pass a gradient, if a
# small one: far below 0 their gates are nearly closed too. Less prone to die, not immune.
#
# And topic 03's training curves with the three new activations: four hidden layers of 64
# units, Adam at 1e-3, four seeds each.

# %%
activation_curves = act_experiments.curves(digits, ["relu", "elu", "gelu", "silu", "mish"], seeds=(0, 1, 2, 3),
                                           epochs=6)
for name, acc in activation_curves.items():
    print(f"{name:5s} validation accuracy after epoch 1: {acc[:, 0].mean():.3f}; after epoch 6, over 4 seeds: "
          f"{mean_spread(acc[:, -1])}")
figures.mean_curves(activation_curves, title="4 hidden layers of 64 units, Adam 1e-3 (4 seeds)");
caption()

# %% [markdown]
# On this small problem, with torch's default initialisation, none of the three new
# activations beats ReLU after six epochs (<output>0.911 ± 0.015</output>): Mish
# (<output>0.899 ± 0.008</output>) and GELU (<output>0.888 ± 0.011</output>) are within
# about two of ReLU's standard deviations, SiLU (<output>0.866 ± 0.018</output>) is further
# behind, and ELU (<output>0.939 ± 0.008</output>) is ahead of all of them. Four seeds and
# six epochs measure how fast each learns here, not how good each can get. Their reputation
# comes from large, deep networks (transformers, EfficientNets) that this notebook cannot
# train in seconds; here they cost more per step and learn no faster.
#
# ## 5 · Max-norm regularisation
#
# Instead of a penalty, a **constraint**: after every optimizer step, each unit's incoming
# weight vector $w$ is projected back into a ball of radius $r$,
#
# $$w \leftarrow w \cdot \min\!\Big(1, \frac{r}{\lVert w\rVert_2}\Big).$$
#
# Srivastava et al. (2014) use it with dropout: however large a step is, the weights stay
# bounded, so a large learning rate is safe. Conventions: torch's `torch.renorm(w, 2, dim, r)`
# multiplies an over-long slice by $r/(\lVert w\rVert + 10^{-7})$ and names by `dim` the axis
# it **keeps**; Keras's `MaxNorm(max_value=2, axis=0)` names the axis the norm runs **over**.
# Here `axis` is Keras's: with the workbook's weights of shape (D, M) (`x @ w`), `axis=0`
# constrains each column, one unit's incoming weights. (torch's `nn.Linear` stores (M, D):
# there it is `axis=1`.)
#
# Write `max_norm(w, max_value, *, axis=0)`: slices with a norm above `max_value` are scaled by
# `max_value / (norm + 1e-7)`, the others are left as they are.

# %% solution="max_norm"
def max_norm(w, max_value, *, axis=0):
    """w: 2-D weights. Returns w with each slice's norm over `axis` at most max_value."""
    ### BEGIN SOLUTION
    norms = np.sqrt(np.sum(w * w, axis=axis, keepdims=True))
    scale = np.where(norms > max_value, max_value / (norms + 1e-7), 1.0)
    return w * scale.astype(w.dtype)
    ### END SOLUTION


# %% tests="test_max_norm" points=2
check("beyond.max_norm", max_norm)
### BEGIN HIDDEN TESTS
check("beyond.max_norm", max_norm, hidden=True)
### END HIDDEN TESTS

# %%
w = rng.standard_normal((5, 7)) * rng.choice([0.2, 1.0, 3.0], 7)
print("largest difference from torch.renorm(w, 2, 1, 1.5):",
      f"{np.abs(max_norm(w, 1.5) - torch.renorm(torch.tensor(w), 2, 1, 1.5).numpy()).max():.1e}")
print("column norms before:", np.round(np.linalg.norm(w, axis=0), 2))
print("column norms after: ", np.round(np.linalg.norm(max_norm(w, 1.5), axis=0), 2))

# %% [markdown]
# ### Against L2 and dropout
#
# Topic 06's overfitting set-up: 50 training points of the moons, 300 for validation, a
# 2–128–128–2 ReLU network, here with full-batch Adam at a *large* learning rate (0.05, 200
# steps). Max-norm applies coursekit's `max_norm` to both hidden layers after each step
# (`axis=1`, for `nn.Linear`). Six seeds per setting; the boundaries are the last seed's:

# %%
moons = moons_split(n_train=50, n_val=300, noise=0.3, seed=2)
maxnorm_errors, maxnorm_results = maxnorm.compare(moons, seeds=(0, 1, 2, 3, 4, 5))
for label, errors in maxnorm_errors.items():
    print(f"{label:28s} validation error over 6 seeds: {mean_spread(errors)}; "
          f"largest unit norm (last seed): {maxnorm_results[label][1]['largest_unit_norm'][-1]:.2f}")
best = min(maxnorm_errors, key=lambda k: maxnorm_errors[k].mean())
print(f"lowest mean error: {best}; lowest error of each seed: "
      f"{[min(maxnorm_errors, key=lambda k: maxnorm_errors[k][i]) for i in range(6)]}")
figures.boundaries(moons, maxnorm_results);
caption()

# %% [markdown]
# Without regularisation the network overfits the 50 points: the highest error
# (<output>0.146 ± 0.008</output>), and incoming-weight norms far beyond the radius of 1
# used by max-norm (<output>13.61</output>). Max-norm alone holds every unit within the
# radius and lowers the error (<output>0.128 ± 0.012</output>). L2
# (<output>0.103 ± 0.006</output>), dropout (<output>0.096 ± 0.008</output>) and max-norm with
# dropout (<output>0.101 ± 0.013</output>) lower it further, and those three are within one
# standard deviation of each other: which one is lowest changes from seed to seed (printed
# above), so six seeds do not rank them. Max-norm with dropout, the combination Srivastava et
# al. recommend for large learning rates like this one, is as good as the best here, not
# better.
#
# Move the radius: each value trains the network once (max-norm alone, no dropout, the last
# seed's weights and order) and is remembered; the right panel collects the validation error
# of every radius tried.

# %%
from coursekit.widgets.beyond import max_norm_explorer

max_norm_explorer(moons, known={1.0: maxnorm_results["max-norm r=1"]}, initial=1.0, seed=5)  # seed: the last of six

# %% [markdown]
# ## 6 · Monte Carlo dropout
#
# A network trained with dropout is, in a sense, an ensemble of thinned networks. Gal &
# Ghahramani (2016) keep dropout **on at test time**, run the input through $T$ random
# masks, and average: the mean is the prediction, the spread its uncertainty. No
# retraining, only $T$ forward passes. (`coursekit.beyond.uncertainty.mc_probabilities`
# switches only the dropout layers to training mode.)
#
# On the moons: 200 training points, a 2–128–128–2 network with dropout 0.2, 50 masks over
# the plane.

# %%
moons_200 = moons_split(n_train=200, n_val=300, noise=0.2, seed=0)
mc_model = uncertainty.moons_model(moons_200)
xx, yy, points = uncertainty.grid(*plane_limits(moons_200), resolution=60)
p1 = uncertainty.mc_probabilities(mc_model, points, 50)[:, :, 1]
spread = p1.std(axis=0)
for low, high, count, band in uncertainty.spread_by_distance(points, spread, moons_200.x_train):
    print(f"grid points {low:g} to {high:g} from the nearest training point ({count:4d}): mean spread {band:.3f}")
corners = np.zeros(xx.shape, bool)
corners[:10, :10] = corners[:10, -10:] = corners[-10:, :10] = corners[-10:, -10:] = True
print(f"the four 10 x 10 corners of the grid: mean spread {spread[corners.ravel()].mean():.3f}, "
      f"largest {spread[corners.ravel()].max():.3f}")
figures.uncertainty_maps(moons_200, xx, yy, p1.mean(0).reshape(xx.shape), spread.reshape(xx.shape),
                         title="MC dropout, T = 50");
caption()

# %% [markdown]
# The mean prediction looks like any classifier's. The spread does not: it follows the
# decision boundary, where the masks disagree about which side a point is on, and it is
# widest where the boundary runs away from the data, which the masks place differently.
# Averaged by distance to the nearest training point it grows from <output>0.029</output>
# (within 0.25) to <output>0.109</output> (beyond 1.5). In the four corners of the plane, far
# from the data, the mean spread is <output>0.073</output> but the largest
# <output>0.451</output>: the spread is high where a corner is near where the masks put the
# boundary, and low where all masks agree on the side. MC dropout flags *where the boundary
# is uncertain*; a point unlike the training data gets a high spread only if the boundary
# could pass near it.
#
# Average more or fewer masks:

# %%
from coursekit.widgets.beyond import mc_dropout_explorer

mc_dropout_explorer(mc_model, moons_200)

# %% [markdown]
# **Calibration on the digits.** A network is *calibrated* when, among the predictions it
# makes with confidence 0.9, 90% are right. Two measures on the test set: the negative
# log-likelihood (NLL) of the true labels, and the expected calibration error (ECE: the
# average |accuracy − confidence| over 10 confidence bins, weighted by their size). A
# 64–128–128–10 net with dropout 0.1, trained on 300 digits for 40 epochs, in eval mode
# against the average of 30 masks, six seeds:

# %%
calibration = uncertainty.calibration(digits, seeds=(0, 1, 2, 3, 4, 5), samples=30)
for kind, label in (("eval", "eval mode (dropout off)"), ("mc", "MC dropout, 30 masks")):
    c = calibration[kind]
    print(f"{label:24s} accuracy {c['accuracy'].mean():.3f}; NLL {mean_spread(c['nll'])}; "
          f"ECE {mean_spread(c['ece'])}; confidence - accuracy {mean_spread(c['overconfidence'])}")
for measure in ("nll", "ece"):
    lower = int(np.sum(calibration["mc"][measure] < calibration["eval"][measure]))
    print(f"seeds in which MC dropout lowers the {measure.upper()}: {lower} of 6")

# %% [markdown]
# Averaging 30 masks leaves the accuracy where it was and lowers the NLL
# (<output>0.177 ± 0.014</output> to <output>0.156 ± 0.016</output>) and the ECE
# (<output>0.027 ± 0.004</output> to <output>0.018 ± 0.004</output>), in
# <output>6</output> of 6 seeds each. ECE has no sign; the mean confidence minus the
# accuracy has one: the eval-mode network is overconfident (<output>0.023 ± 0.005</output>,
# positive in every seed), and the average over masks softens its confidence
# (<output>0.012 ± 0.004</output>). The gain costs 30 forward passes per prediction.
#
# ## 7 · Reusing pretrained layers
#
# Transfer learning: train a network on a task with plenty of labels, keep its lower layers
# (they are meant to have learned generic features), and train only a new top on a related
# task with few labels. Then, optionally, *unfreeze* the reused layers and fine-tune
# everything at a small learning rate.
#
# Here: a 64–128–128–5 network trained on digits **0–4** (all their training images), then
# digits **5–9** learned from **5 labels per class** by a 64–128–128–5 network of which only
# the *first* hidden layer (its 64→128 weights and biases) may be reused; the second hidden
# layer (128→128) and the output layer are new, randomly initialised, in every variant. Four
# variants: from scratch (everything random and trained); a random first layer kept frozen
# (the control); the pretrained first layer, frozen; and the pretrained first layer frozen
# for 10 epochs, after which the *whole* network is trained for the remaining 20 epochs at a
# tenth of the learning rate, with a fresh Adam. Accuracy on the validation images of 5–9,
# six seeds (six draws of the 25 labels):

# %%
transfer_scores, pretrained = transfer.compare(digits, per_class=5, seeds=(0, 1, 2, 3, 4, 5), epochs=30)
source = transfer.task_split(digits, range(5))
print(f"the pretrained network on digits 0-4: validation accuracy {nets.accuracy(pretrained, source.x_val, source.y_val):.3f}")
for variant, scores in transfer_scores.items():
    reach = [transfer.epochs_to_reach(s, 0.8) for s in scores]
    print(f"{variant:27s} accuracy after 5 epochs {scores[:, 4].mean():.3f}, after 30: {mean_spread(scores[:, -1])}; "
          f"epochs to reach 80% per seed: {reach}")
figures.mean_curves(transfer_scores, title="digits 5-9 from 25 labels (6 seeds)", level=0.8);
caption()

# %% [markdown]
# Here, reuse does not pay. After 30 epochs the four variants are within about one standard
# deviation of each other: from scratch <output>0.869 ± 0.023</output>, a random frozen
# layer <output>0.852 ± 0.024</output>, the reused layer frozen
# <output>0.841 ± 0.037</output>, unfrozen later <output>0.851 ± 0.033</output>. Six seeds
# cannot tell the reused layer from a random one; what they do show is that it brings no
# gain, and that the reused variants reach 80% later in most seeds. Géron gives the reason
# for this case: transfer learning works poorly with small dense networks, which learn few
# and very task-specific patterns; it works best with deep convolutional networks, whose
# lower layers detect general features (edges, textures). It pays when the source task is
# broad (ImageNet's thousand classes, for vision) and the target's labels are too few to
# learn features at all. A from-scratch baseline and a random-layer control, as here, are
# how to find out which case you are in.
#
# ## 8 · Where BatchNorm goes
#
# The notes put BatchNorm "before the activation of each layer", as Ioffe & Szegedy did;
# many later networks put it after. A claim like that is measured over seeds: a
# 64–64–64–64–10 ReLU network with coursekit's BatchNorm1d before or after each activation,
# Adam at 3e-3, three epochs, five seeds.

# %%
placed = normalisation.placement(digits, seeds=(0, 1, 2, 3, 4), epochs=3)
for position, r in placed.items():
    print(f"BatchNorm {position:6s} the activation: validation accuracy {np.round(r['val_acc'], 3)} "
          f"(mean {r['val_acc'].mean():.4f}); first-epoch training loss {np.round(r['first_loss'], 2)}")
figures.seeds_by_setting({f"BN {p} activation": r["first_loss"] for p, r in placed.items()},
                         ylabel="mean training loss, epoch 1", title="five seeds");
caption()

# %% [markdown]
# The final accuracies are the same within the spread of the seeds (both means
# <output>0.9627</output>), and after the activation the first epoch's loss was lower for
# every seed (at most <output>1.24</output>, against at least <output>1.45</output> before). On this network the notes'
# placement is not the faster one, and neither is worse in the end, which is why both are in
# use. (Measure it on your own network before believing either claim.)
#
# ## Summary
#
# * **AdamW** shrinks every weight by `1 - lr * weight_decay` per step, outside Adam's moments;
#   Adam with `weight_decay` (L2) lets `sqrt(v_hat)` decide how much each weight is decayed.
#   torch scales the decay by the learning rate; the paper scales it by the schedule
#   multiplier only.
# * **NAdam** adds Nesterov's look-ahead to Adam (with a momentum schedule in torch and Keras);
#   **AdaMax** bounds every step by about the learning rate.
# * **LayerNorm** normalises each example over its features: no batch statistics, no test
#   mode, any batch size.
# * **GELU, SiLU, Mish** are smooth gates on z; their derivatives need the product rule.
# * **Max-norm** projects each unit's weights into a ball after each step (Keras's `axis`;
#   torch.renorm's `dim` is the other axis).
# * **MC dropout** averages T dropout masks at test time; the spread is an uncertainty.
# * **Reusing layers** and **BatchNorm's placement** are claims to measure, against a
#   baseline and over seeds.
#
# The references are in `coursekit`: `optimizers` (`adamw_*`, `nadam_*`, `adamax_*`),
# `layernorm` (with a from-scratch `LayerNorm` module), `activations` (`gelu`, `silu`, `mish`),
# `regularization.max_norm`, each in NumPy and torch; docs/conventions.md puts torch, Keras
# and the papers side by side.
