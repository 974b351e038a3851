"""The lecture notes' default configuration, the naive network, and the ablation between them.

A configuration is a dict of five components:

    init        "he_normal", "standard_normal", ... (an init of ``build_mlp``)
    activation  "elu", "sigmoid", ...
    batchnorm   True or False
    dropout     the drop probability (0 = none)
    optimizer   "adam", "sgd", ...

:data:`DEFAULT_CONFIG` is the notes' default (He, ELU, BatchNorm, dropout, Adam; no
learning-rate schedule) and :data:`NAIVE_CONFIG` the network it improves on (N(0, 1) init,
sigmoid, plain SGD). :func:`default_network` builds the default network by hand (the
reference of the notebook's first exercise), :func:`build_config` builds any configuration
from coursekit's from-scratch parts and :func:`train_config` trains it with :func:`fit`.
:func:`ablations` removes one component at a time: it replaces it by its value in a baseline
configuration, here the naive network's; :func:`run_ablation` trains the lot and
:func:`format_table` prints it.
"""

import copy
import statistics

import torch
from torch import nn

from coursekit.batchnorm.torch_ref import BatchNorm1d
from coursekit.init import torch_ref as init_ref
from coursekit.regularization.torch_ref import Dropout
from coursekit.training.parts import Activation
from coursekit.training.torch_mlp import ACTIVATIONS, build_mlp, fit

DEFAULT_CONFIG = {"init": "he_normal", "activation": "elu", "batchnorm": True, "dropout": 0.2, "optimizer": "adam"}
NAIVE_CONFIG = {
    "init": "standard_normal",
    "activation": "sigmoid",
    "batchnorm": False,
    "dropout": 0.0,
    "optimizer": "sgd",
}
LEARNING_RATES = {"adam": 0.01, "sgd": 0.3}
"""The constant learning rate of each optimizer, for the digits MLPs of the 08 notebook: the
best of a sweep over 0.001, 0.003, ..., 1 for the default network (with SGD in place of Adam
for "sgd"), 8 epochs, two seeds."""


def default_network(sizes, *, p_drop=0.2, generator=None):
    """The notes' default network from coursekit's parts: per hidden layer
    Linear (no bias) -> BatchNorm1d -> ELU -> Dropout(p_drop), then a Linear output layer.

    Every weight is drawn with :func:`coursekit.init.torch_ref.he_normal` (fan_in) from
    ``generator``, layer by layer. The hidden Linear layers have no bias: BatchNorm's mean
    subtraction would cancel it, and its shift beta takes its place (Ioffe & Szegedy, 2015,
    section 3.2). The output layer's bias starts at 0.

    Args:
        sizes: widths, input first and number of classes last.
        p_drop: the dropout rate.
        generator: optional ``torch.Generator`` for the weights.

    Returns:
        ``nn.Sequential``.
    """
    modules = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        hidden = i < len(sizes) - 2
        # skip_init leaves the global RNG alone
        linear = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out, bias=not hidden)
        with torch.no_grad():
            linear.weight.copy_(init_ref.he_normal(fan_in, fan_out, generator=generator).T)
            if not hidden:
                linear.bias.zero_()
        modules.append(linear)
        if hidden:
            modules += [BatchNorm1d(fan_out), Activation("elu"), Dropout(p_drop)]
    return nn.Sequential(*modules)


def ablations(config, baseline):
    """Remove one component at a time: replace it by its baseline value, keep the others.

    Args:
        config: the full configuration (not modified).
        baseline: the value each component takes when it is removed; components missing
            from ``baseline``, or equal to it already, are not ablated.

    Returns:
        dict component -> ablated configuration (a new dict), in ``config``'s order.
    """
    return {key: {**config, key: baseline[key]} for key in config if key in baseline and baseline[key] != config[key]}


def label(component, config, baseline):
    """A row label such as "batchnorm: True → False"."""
    return f"{component}: {config[component]} → {baseline[component]}"


def build_config(config, sizes, *, seed=0):
    """A configuration's MLP, built by :func:`build_mlp` from coursekit's parts.

    Args:
        config: a configuration dict (see the module docstring).
        sizes: widths, input first and classes last.
        seed: seed of the weights and of the dropout masks.
    """
    return build_mlp(
        sizes,
        activation=config["activation"],
        init=config["init"],
        batchnorm=config["batchnorm"],
        p_drop=config["dropout"],
        parts="coursekit",
        seed=seed,
    )


def train_config(
    config,
    data,
    *,
    hidden=(64, 64, 64),
    epochs=8,
    batch_size=64,
    seed=0,
    lr=None,
    device=None,
    progress=False,
    **fit_args,
):
    """Build a configuration's MLP (:func:`build_config`) and train it with :func:`fit`.

    Args:
        config: a configuration dict (see the module docstring).
        data: a :class:`coursekit.data.Split`.
        hidden: hidden widths.
        seed: seed of the weights, the dropout masks and the shuffling.
        lr: learning rate (default: ``LEARNING_RATES[config["optimizer"]]``).
        device: torch device (default: :func:`coursekit.device`).
        **fit_args: passed on to :func:`fit` (``train_accuracy`` is False unless given).

    Returns:
        (model, history).
    """
    model = build_config(config, [data.n_features, *hidden, data.n_classes], seed=seed)
    if lr is None:
        if config["optimizer"] not in LEARNING_RATES:
            raise ValueError(f"no default learning rate for {config['optimizer']!r}: pass lr=")
        lr = LEARNING_RATES[config["optimizer"]]
    fit_args.setdefault("train_accuracy", False)
    hist = fit(
        model,
        data,
        optimizer=config["optimizer"],
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        device=device,
        seed=seed,
        parts="coursekit",
        progress=progress,
        **fit_args,
    )
    return model, hist


def activation_input_stds(model, x):
    """The standard deviation of the input of each activation layer, for one batch in
    training mode (BatchNorm with the batch statistics), first layer first.

    Args:
        model: an MLP from :func:`build_mlp` (its activation layers are recorded).
        x: a batch of inputs, (N, D) tensor on the model's device.

    Returns:
        list of floats, one per hidden layer.
    """
    kinds = (Activation, *(cls for name, cls in ACTIVATIONS.items() if name != "identity"))
    stds, handles = [], []
    for module in model.modules():
        if isinstance(module, kinds):
            handles.append(module.register_forward_pre_hook(lambda m, args: stds.append(args[0].std())))
    was_training = model.training
    state = copy.deepcopy(model.state_dict())  # the batch would move the running statistics
    try:
        with torch.no_grad():
            model.train()(x)
    finally:
        for handle in handles:
            handle.remove()
        model.load_state_dict(state)
        model.train(was_training)
    return torch.stack(stds).tolist() if stds else []


def run_ablation(config, baseline, data, *, ablate=ablations, seeds=(0, 1), trained=None, progress=True, **train_args):
    """Train the configuration, each of its ablations and the baseline, over several seeds.

    Args:
        config, baseline: as for :func:`ablations`.
        data: a :class:`coursekit.data.Split`.
        ablate: the function that makes the ablated configurations (e.g. the student's).
        seeds: one training run per seed.
        trained: optional histories already trained with these seeds and settings, as a dict
            with "default" and/or "baseline" -> list of histories (one per seed).
        progress: show a progress bar over the configurations.
        **train_args: passed on to :func:`train_config`.

    Returns:
        list of rows (the configuration, one per ablation, the baseline): dicts with
        "label", "config", "histories", and "val_acc", "val_acc_std" and "val_loss" (mean
        and standard deviation over the seeds, at the last epoch).
    """
    from tqdm.auto import tqdm

    trained = trained or {}
    runs = [("default", config)]
    runs += [(label(key, config, baseline), ablated) for key, ablated in ablate(config, baseline).items()]
    runs.append(("baseline", baseline))
    rows = []
    for name, cfg in tqdm(runs, desc="ablation", disable=not progress):
        histories = trained.get(name) or [train_config(cfg, data, seed=seed, **train_args)[1] for seed in seeds]
        accs = [h["val_acc"][-1] for h in histories]
        rows.append(
            {
                "label": name,
                "config": cfg,
                "val_acc": statistics.mean(accs),
                "val_acc_std": statistics.pstdev(accs),
                "val_loss": statistics.mean(h["val_loss"][-1] for h in histories),
                "histories": histories,
            }
        )
    return rows


def format_table(rows):
    """The rows of :func:`run_ablation` as a plain-text table."""
    lines = [f"{'configuration':<34} {'val. accuracy':>14} {'val. loss':>10}"]
    for row in rows:
        lines.append(f"{row['label']:<34} {row['val_acc']:>8.3f} ± {row['val_acc_std']:.3f} {row['val_loss']:>10.3f}")
    return "\n".join(lines)
