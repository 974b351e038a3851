# %% [markdown]
# # 08 · The default configuration (capstone)
#
# The lecture notes end with a recipe, a network to start from when you know nothing else
# about a problem:
#
# | | default |
# |---|---|
# | initialisation | He |
# | activation function | ELU |
# | normalisation | Batch Normalization |
# | regularisation | dropout |
# | optimizer | Adam (a constant learning rate: no schedule) |
#
# Every row is a topic of this workbook: 02 (initialisation), 03 (activations), 04
# (BatchNorm), 06 (regularisation) and 05 (optimizers). In this capstone you put them
# together and ask what each one is worth:
#
# 1. assemble the default network from coursekit's parts, the from-scratch references of
#    the layers you wrote in the earlier topics;
# 2. train it against the **naive network** it replaces: sigmoid units, weights drawn from
#    N(0, 1) and plain SGD;
# 3. write the **ablation**: remove one component at a time and measure what is lost;
# 4. train the same network written by hand in NumPy.
#
# Everything runs on the bundled digits in a few seconds, on a GPU when there is one.
#
# **What your answers may use:** `default_network`: NumPy and torch; every other graded
# exercise: NumPy. Python's standard library is always allowed; `check` and the grader
# refuse any other package inside them.

# %% locked="setup"
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

import coursekit
from coursekit import data
from coursekit.batchnorm.torch_ref import BatchNorm1d
from coursekit.grading import check
from coursekit.init.torch_ref import he_normal
from coursekit.plots import training as training_plots
from coursekit.plots import caption
from coursekit.regularization.torch_ref import Dropout
from coursekit.training import build_numpy_mlp, defaults, fit_numpy, one_thread

torch.set_num_threads(1)  # these networks are tiny: one CPU thread is the fastest
device = coursekit.device()
print(f"device: {device}")

# %% [markdown]
# ## 1 · The data
#
# The 8×8 digits (1,797 images, 64 pixels, 10 classes) are bundled, so this works offline.
# Fashion-MNIST (70,000 images of 28×28 pixels) is a one-line switch when you are online:
# set `DATASET = "fashion_mnist"`. It has 40 times as many images, each 12 times larger,
# so each training run takes tens of seconds instead of one, and the ablation several
# minutes. A GPU helps less than you might hope: networks this small are limited by the
# time it takes to launch each operation, not by arithmetic.

# %%
DATASET = "digits"  # or "fashion_mnist" (downloaded once; needs a connection)

dataset = data.digits()
if DATASET == "fashion_mnist":
    try:
        dataset = data.fashion_mnist()
    except data.DatasetUnavailable as err:
        print(f"{err}\nKeeping the digits.")
print(f"{len(dataset.x_train)} training and {len(dataset.x_val)} validation examples, "
      f"{dataset.n_features} features, {dataset.n_classes} classes")

# %% [markdown]
# ## 2 · Assembling the default network
#
# Each hidden layer is four modules, in this order:
#
# $$\text{Linear} \;\to\; \text{BatchNorm1d} \;\to\; \text{ELU} \;\to\; \text{Dropout}(p_\text{drop})$$
#
# and the output layer is a Linear layer alone: its outputs are the logits that the
# cross-entropy turns into probabilities, so nothing normalises, squashes or drops them.
# BatchNorm sits between the linear layer and the activation, as Ioffe & Szegedy place it:
# it hands the ELU pre-activations with zero mean and unit variance, where the ELU is
# neither linear nor saturated. Dropout comes last, on the layer's output.
#
# **He initialisation.** With $z = \sum_{i=1}^{n} w_i a_i$ over $n$ = fan_in inputs and
# independent zero-mean weights, $\operatorname{Var}[z] = n \operatorname{Var}[w]\,
# \mathbb{E}[a^2]$. A ReLU keeps half of a symmetric $z$, so
# $\mathbb{E}[a^2] = \operatorname{Var}[z_\text{prev}]/2$, and the variance stays the same
# from layer to layer when
#
# $$\operatorname{Var}[w] = \frac{2}{\text{fan\_in}}.$$
#
# The notes use the same rule for ELU ("ReLU and its variants"). He et al. divide by
# fan_in; the notes' table divides by the average of fan_in and fan_out (topic 02).
#
# **Write `default_network(sizes, *, p_drop=0.2, generator=None)`** from these parts (all
# imported in the first cell):
#
# - `nn.Linear(fan_in, fan_out, bias=False)` in the hidden layers: BatchNorm subtracts the
#   batch mean, which cancels any bias added before it, and its shift $\beta$ takes the
#   bias's place (Ioffe & Szegedy, §3.2). The output layer, with no BatchNorm after it,
#   keeps its bias: `nn.Linear(fan_in, fan_out)`, its bias set to zeros. torch stores the
#   weight as (fan_out, fan_in), the transpose of the course's `w`: inside
#   `with torch.no_grad():`, copy `he_normal(fan_in, fan_out, generator=generator).T` into
#   `linear.weight` (`.copy_(...)`; `.zero_()` for the bias). Draw the layers' weights in
#   order, from the first layer to the last, with the `generator` you are given.
# - coursekit's `BatchNorm1d(width)` with its defaults (torch's momentum 0.1, eps 1e-5);
# - `nn.ELU()` (alpha = 1);
# - coursekit's `Dropout(p_drop)`.
#
# `sizes` lists the widths, input first and classes last: `[64, 128, 10]` has one hidden
# layer. Return an `nn.Sequential`.
#
# The grader checks the modules and their order, the spread of the weights of each layer,
# which layers have a bias (and that it starts at 0), that the seed decides the weights, and the network's output once all the
# parameters are set to known values.

# %% solution="default_network"
def default_network(sizes, *, p_drop=0.2, generator=None):
    """He init, [Linear -> BatchNorm1d -> ELU -> Dropout] per hidden layer, Linear output."""
    ### BEGIN SOLUTION
    modules = []
    n_layers = len(sizes) - 1
    for i in range(n_layers):
        fan_in, fan_out = sizes[i], sizes[i + 1]
        hidden = i < n_layers - 1
        linear = nn.Linear(fan_in, fan_out, bias=not hidden)  # BatchNorm would cancel a bias
        with torch.no_grad():
            linear.weight.copy_(he_normal(fan_in, fan_out, generator=generator).T)
            if not hidden:
                linear.bias.zero_()
        modules.append(linear)
        if hidden:
            modules += [BatchNorm1d(fan_out), nn.ELU(), Dropout(p_drop)]
    return nn.Sequential(*modules)
    ### END SOLUTION


# %% tests="test_default_network" points=3
check("training.default_network", default_network)
### BEGIN HIDDEN TESTS
check("training.default_network", default_network, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Here is yours for the digits, with three hidden layers of 64 units. Its weights should
# have the spread that He asks for:

# %%
HIDDEN = (64, 64, 64)
sizes = [dataset.n_features, *HIDDEN, dataset.n_classes]
network = default_network(sizes, generator=torch.Generator().manual_seed(0))
print(network)
for layer in (m for m in network if isinstance(m, nn.Linear)):
    print(f"{layer.in_features:>3} -> {layer.out_features:<3} std(w) = {layer.weight.std():.3f}, "
          f"sqrt(2 / fan_in) = {np.sqrt(2 / layer.in_features):.3f}")

# %% [markdown]
# ## 3 · The default network against the naive one
#
# To train many variants, coursekit describes a network by a **configuration**, a dict of
# its five components, and `coursekit.training.build_mlp(sizes, parts="coursekit", ...)`
# builds it from the same parts you just used (the dropout masks come from a seeded
# generator, so every run can be repeated). `defaults.train_config` builds a configuration
# and trains it with `coursekit.training.fit`, using coursekit's from-scratch optimizers
# with a constant learning rate: 0.01 for Adam, 0.3 for SGD (each the best of a sweep, for
# the default network).

# %%
print("default:", defaults.DEFAULT_CONFIG)
print("naive:  ", defaults.NAIVE_CONFIG)
print("learning rates:", defaults.LEARNING_RATES)

# %% [markdown]
# Train both, twice (two seeds), for eight epochs. The progress bars show the device.

# %%
EPOCHS, SEEDS = 8, (0, 1)
settings = {"hidden": HIDDEN, "epochs": EPOCHS, "device": device}
runs = {
    name: [defaults.train_config(config, dataset, seed=seed, progress=True, **settings)[1] for seed in SEEDS]
    for name, config in (("default", defaults.DEFAULT_CONFIG), ("baseline", defaults.NAIVE_CONFIG))
}
epoch_ms = 1e3 * np.median(runs["default"][0]["epoch_seconds"])
print(f"trained on {runs['default'][0]['device']}: {epoch_ms:.0f} ms per epoch "
      f"({len(dataset.x_train)} examples in batches of 64, and the validation set)")
training_plots.curves({"default (He, ELU, BatchNorm, dropout, Adam)": runs["default"][0],
                       "naive (N(0, 1), sigmoid, SGD)": runs["baseline"][0]}, keys=("loss", "val_acc"))
caption()
plt.show()

# %% [markdown]
# After one epoch the default network is already around 90% on the validation set; after
# eight the naive one is still around 80%. Look at what each hidden layer's activation
# receives at the start of training, for a batch of 512 training images (the middle line
# is the default network without BatchNorm):

# %%
batch = torch.as_tensor(dataset.x_train[:512], dtype=torch.float32)
no_batchnorm = {**defaults.DEFAULT_CONFIG, "batchnorm": False}
spreads = {label: defaults.activation_input_stds(defaults.build_config(config, sizes), batch)
           for label, config in (("default", defaults.DEFAULT_CONFIG), ("He + ELU, no BatchNorm", no_batchnorm),
                                 ("naive", defaults.NAIVE_CONFIG))}
training_plots.per_layer(spreads, ylabel="std of the activation's input", reference=1.0,
                         title="at initialisation")
caption()
plt.show()

# %% [markdown]
# With N(0, 1) weights, each of the first layer's units sums 64 standardised pixels with
# unit-variance weights: its input has a standard deviation near $\sqrt{64} = 8$. The
# sigmoid is flat beyond $|z| \approx 4$, so most units start saturated, with a derivative
# near 0, and every gradient that flows through them is scaled down (topic 01). He
# initialisation keeps the spread within a small factor of 1 by itself (here it creeps up
# from layer to layer: the ELU's negative side and dropout's $1/(1-p)$ scaling each add a
# little variance); BatchNorm resets it to 1 in every layer, at every step of training.
#
# Five things differ between the two networks. Which ones matter?

# %% [markdown]
# ## 4 · The ablation
#
# An **ablation study** removes one component at a time from the full system, keeping all
# the others, and measures what is lost. Each loss estimates what that component
# contributes *in the presence of the others*. To "remove" a component, replace it by its
# value in a **baseline**, here the naive network: the initialisation becomes N(0, 1), the
# activation the sigmoid, BatchNorm is switched off (`batchnorm=False`), the dropout rate
# becomes 0, and Adam becomes SGD.
#
# **Write `ablations(config, baseline)`.** It returns a dict with one entry per component
# of `config` that can be removed, in `config`'s order: the component's name maps to a
# *new* configuration, equal to `config` except that this one component takes its value in
# `baseline`. A component that `baseline` does not list, or whose value already equals the
# baseline's, is not ablated. Change neither argument.
#
# For example, with `config = {"a": 1, "b": 2, "c": 3}` and `baseline = {"a": 0, "b": 2}`
# the answer is `{"a": {"a": 0, "b": 2, "c": 3}}`.

# %% solution="ablations"
def ablations(config, baseline):
    """component -> config with that one component set to its baseline value."""
    ### BEGIN SOLUTION
    result = {}
    for key, value in config.items():
        if key in baseline and baseline[key] != value:
            ablated = dict(config)
            ablated[key] = baseline[key]
            result[key] = ablated
    return result
    ### END SOLUTION


# %% tests="test_ablations" points=2
check("training.ablation", ablations)
### BEGIN HIDDEN TESTS
check("training.ablation", ablations, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Now run it: the default network, each of your ablations and the naive network (the
# "baseline" row), two seeds each. The first and last rows reuse the runs of section 3.

# %%
rows = defaults.run_ablation(defaults.DEFAULT_CONFIG, defaults.NAIVE_CONFIG, dataset, ablate=ablations,
                             seeds=SEEDS, trained=runs, **settings)
print(defaults.format_table(rows))
training_plots.ablation(rows)
caption()
plt.show()

# %% [markdown]
# Read the table with its error bars: with two seeds and a validation set of 359 images,
# a difference of one or two points may be noise. What it shows on the digits:
#
# - **No single component is indispensable here.** Every ablated network still ends well
#   above 90%: the other four make up for the missing one. Yet the naive network, with all
#   five removed, is far behind, further than the five losses added up. The components'
#   effects are not additive; that is why an ablation removes them *one at a time* from
#   the full system, and why an *add-one-in* study, which adds them one at a time to the
#   baseline, can tell a different story.
# - **The initialisation and the activation cost the most.** BatchNorm normalises the
#   hidden layers whatever their weights, but not the output layer: with N(0, 1) weights
#   the logits start with a spread near 7, so the network starts confidently wrong (an
#   initial loss near 9 instead of $\ln 10 \approx 2.3$). With sigmoids it learns more
#   slowly.
# - **BatchNorm** changes the accuracy of a network this shallow little once He init and
#   ELU are in place (compare the validation losses, though); its value grows with depth
#   (topic 04).
# - **Dropout** regularises. On this small, easy data set and in eight epochs it barely
#   moves the validation accuracy; it pays off in bigger networks trained for longer.
# - **SGD** at its best constant learning rate comes close to Adam here. (Each optimizer
#   got its own best learning rate: an ablation that kept Adam's 0.01 for SGD would
#   measure the learning rate, not the optimizer.)
#
# The default is a safe place to start, not the best network for every problem: tune it
# (topic 07) once it trains.

# %% [markdown]
# ### Try it: switch components off
#
# Each button switches one component between the default's choice and the naive network's.
# The ablation switched off one component at a time; here you can switch off any combination
# and compare its validation curves with the default's and the naive network's. A new
# combination trains once, with the settings above and seed 0; the runs above are reused.
# Which two components cost more together than their two ablations added up?

# %%
from coursekit.widgets.default_configuration import configuration_explorer

configuration_explorer(dataset, known=[(row["config"], row["histories"][0]) for row in rows], **settings)

# %% [markdown]
# ## 5 · The same network by hand, in NumPy
#
# `coursekit.training.build_numpy_mlp` builds the default network in NumPy from the
# coursekit references (the dense layer, ELU, BatchNorm, inverted dropout and Adam): the
# forward and backward passes you wrote in the earlier topics. `fit_numpy` trains it with
# the same kind of loop. Its *fast path* computes the same thing in place, in buffers
# allocated once, which makes it as fast per step as torch on the CPU for networks this
# size (`benchmarks/bench_numpy_vs_torch.py` measures the ratio).

# %%
with one_thread():
    numpy_net = build_numpy_mlp(sizes, activation="elu", init="he_normal", batchnorm=True, p_drop=0.2,
                                rng=np.random.default_rng(0), dtype=np.float32)
    numpy_hist = fit_numpy(numpy_net, dataset, optimizer="adam", lr=defaults.LEARNING_RATES["adam"],
                           epochs=EPOCHS, rng=np.random.default_rng(0))
numpy_ms = 1e3 * np.median(numpy_hist["epoch_seconds"])
print(f"NumPy: validation accuracy {numpy_hist['val_acc'][-1]:.3f}, {numpy_ms:.0f} ms per epoch")
print(f"torch ({runs['default'][0]['device']}): validation accuracy "
      f"{runs['default'][0]['val_acc'][-1]:.3f}, {epoch_ms:.0f} ms per epoch")
training_plots.curves({"torch": runs["default"][0], "NumPy": numpy_hist}, keys=("loss", "val_acc"))
caption()
plt.show()

# %% [markdown]
# The two trainings draw different random numbers, so their curves differ a little, but
# they learn alike.
#
# ## Going further
#
# - Switch to Fashion-MNIST in section 1 (on a GPU if you can) and rerun the ablation:
#   which components matter more on a harder problem?
# - Make the network deeper (`HIDDEN = (64,) * 8`). Which rows of the table move?
# - Run the *add-one-in* study: add one component at a time to the naive network.
