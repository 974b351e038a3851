"""Graded exercises of 08_default_configuration: the default network here, and the ablation
in :mod:`coursekit.training.exercises_ablation` (imported at the end of this module).

- ``training.default_network``: the network is graded by what can be measured on it, not by
  its random draws: the sequence of module types; for each Linear layer whether the spread
  of its weights is He's, sqrt(2 / fan_in) (within 10%, or six standard errors of the
  sample std where that is more), and its bias: none in the hidden layers (BatchNorm
  cancels it), zeros in the output layer; whether the same seed gives the same weights; the
  dropout rates and the BatchNorm momentum and eps; and the test-mode output once every
  parameter and running statistic has been overwritten with the same random values as the
  reference's (which checks the order of the operations, ELU's alpha, etc.). A bias before
  BatchNorm, or none in the output layer, is named in the feedback and scores nothing.
"""

import math

import numpy as np
import torch
from torch import nn

from coursekit.grading import Convention, Exercise, StudentError, register
from coursekit.training import defaults
from coursekit.training.exercises_ops import NETWORK_OPS

# ----- the default network -------------------------------------------------------------

MODULE_CODES = (
    "Linear",
    "coursekit BatchNorm1d",
    "ELU",
    "coursekit Dropout",
    "torch's BatchNorm1d",
    "torch's Dropout",
    "another activation",
    "another module",
)
_TYPES_KEY = "module types, in order (" + ", ".join(f"{i} {n}" for i, n in enumerate(MODULE_CODES)) + ")"


def _code(module):
    from coursekit.batchnorm.torch_ref import BatchNorm1d
    from coursekit.regularization.torch_ref import Dropout
    from coursekit.training.parts import Activation

    if isinstance(module, nn.Linear):
        return 0
    if isinstance(module, BatchNorm1d):
        return 1
    if isinstance(module, nn.ELU) or (isinstance(module, Activation) and module.name == "elu"):
        return 2
    if isinstance(module, Dropout):
        return 3
    if isinstance(module, nn.BatchNorm1d):
        return 4
    if isinstance(module, nn.Dropout):
        return 5
    activations = (nn.ReLU, nn.LeakyReLU, nn.SELU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.Softplus, Activation)
    return 6 if isinstance(module, activations) else 7


def _network_case(rng, hidden):
    depth = int(rng.integers(1, 5)) if hidden else 2
    narrow, wide = (int(rng.integers(96, 161)), int(rng.integers(320, 481)))
    widths = [wide if (i + int(hidden and rng.integers(2))) % 2 == 0 else narrow for i in range(depth)]
    sizes = [int(rng.integers(16, 65)), *widths, int(rng.integers(3, 21)) if hidden else 10]
    return {
        "layers": "-".join(map(str, sizes)),
        "sizes": sizes,
        "p_drop": float(rng.choice([0.1, 0.2, 0.3, 0.5])),
        "seed": int(rng.integers(2**31)),
        "batch": int(rng.integers(4, 17)),
    }


def _build(fns, case, seed):
    model = fns["default_network"](
        list(case["sizes"]), p_drop=case["p_drop"], generator=torch.Generator().manual_seed(seed)
    )
    if not isinstance(model, nn.Module):
        raise StudentError(f"should return an nn.Module (e.g. nn.Sequential), got {type(model).__name__}")
    leaves = [m for m in model.modules() if not list(m.children())]
    linears = [m for m in leaves if isinstance(m, nn.Linear)]
    expected = list(zip(case["sizes"][:-1], case["sizes"][1:]))
    got = [(m.in_features, m.out_features) for m in linears]
    if got != expected:
        raise StudentError(f"has Linear layers (in, out) = {got}; sizes={case['sizes']} asks for {expected}")
    return model, leaves, linears


def _randomise_(leaves, seed):
    """Overwrite every Linear and BatchNorm parameter and running statistic, in order."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in leaves:
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / math.sqrt(m.in_features))
                if m.bias is not None:
                    m.bias.copy_(0.5 * torch.randn(m.bias.shape, generator=g))
            elif getattr(m, "running_mean", None) is not None:
                width = m.running_mean.shape
                if getattr(m, "weight", None) is not None:
                    m.weight.copy_(1 + 0.3 * torch.randn(width, generator=g))
                    m.bias.copy_(0.3 * torch.randn(width, generator=g))
                m.running_mean.copy_(0.5 * torch.randn(width, generator=g))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(width, generator=g))


def _he_spread(w):
    """Whether the spread of w (fan_out, fan_in) is He's: std(w) / sqrt(2 / fan_in) within 10%
    of 1, or within six standard errors of the sample std, 1 / sqrt(2 n), if more."""
    ratio = w.double().std().item() / math.sqrt(2 / w.shape[1])
    return abs(ratio - 1) < max(0.1, 6 / math.sqrt(2 * w.numel()))


def _run_default_network(fns, case):
    model, leaves, linears = _build(fns, case, case["seed"])
    he = [_he_spread(m.weight.detach()) for m in linears]
    biases = [0 if m.bias is None else 1 if not m.bias.detach().any().item() else 2 for m in linears]
    again = _build(fns, case, case["seed"])[2]
    other = _build(fns, case, case["seed"] + 1)[2]
    same = all(torch.equal(a.weight, b.weight) for a, b in zip(linears, again))
    differ = any(not torch.equal(a.weight, b.weight) for a, b in zip(linears, other))
    norms = [m for m in leaves if getattr(m, "running_mean", None) is not None]
    _randomise_(leaves, case["seed"])
    x = torch.randn((case["batch"], case["sizes"][0]), generator=torch.Generator().manual_seed(case["seed"]))
    with torch.no_grad():
        logits = model.eval()(x)
    if not isinstance(logits, torch.Tensor):
        raise StudentError(f"the network returned {type(logits).__name__}, not a tensor of logits")
    return {
        _TYPES_KEY: np.array([_code(m) for m in leaves]),
        "He initialisation, per Linear layer: std(w) matches sqrt(2 / fan_in) (1 = yes)": np.array(he, int),
        "bias of each Linear layer (0 = none, 1 = all zeros, 2 = other values)": np.array(biases),
        "the same seed gives the same weights, another seed others (1 = yes)": int(same and differ),
        "dropout rate of each dropout layer": np.array(
            [float(getattr(m, "p", -1)) for m in leaves if _code(m) in (3, 5)]
        ),
        "momentum and eps of each BatchNorm layer": np.array([[float(m.momentum), float(m.eps)] for m in norms]),
        "test-mode logits, all parameters set to the same random values": logits.detach().float().numpy(),
    }


def _network(order="default", init="he", parts="coursekit", momentum=0.1, eps=1e-5, head=False, biases="output"):
    """A default network with one thing changed (the reference when nothing is).

    ``biases``: which Linear layers have one: "output" (the layers followed by BatchNorm
    have none), "all" or "none".
    """
    from coursekit.batchnorm.torch_ref import BatchNorm1d
    from coursekit.init import torch_ref as init_ref
    from coursekit.regularization.torch_ref import Dropout

    def build(sizes, *, p_drop=0.2, generator=None):
        modules = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            normalised = i < len(sizes) - 2 or head
            linear = nn.Linear(fan_in, fan_out, bias={"output": not normalised, "all": True, "none": False}[biases])
            with torch.no_grad():
                if init != "torch":
                    draw = {"he": init_ref.he_normal, "glorot": init_ref.glorot_normal}.get(init)
                    w = (
                        draw(fan_in, fan_out, generator=generator)
                        if draw
                        else init_ref.variance_scaling(
                            fan_in, fan_out, scale=2.0, mode="fan_avg", distribution="normal", generator=generator
                        )
                    )
                    linear.weight.copy_(w.T)
                    if linear.bias is not None:
                        linear.bias.zero_()
            modules.append(linear)
            if normalised:
                norm = (BatchNorm1d if parts == "coursekit" else nn.BatchNorm1d)(fan_out, eps=eps, momentum=momentum)
                drop = (Dropout if parts == "coursekit" else nn.Dropout)(p_drop)
                body = {"default": [norm, nn.ELU()], "after": [nn.ELU(), norm], "relu": [norm, nn.ReLU()]}[order]
                modules += [*body, drop]
        return nn.Sequential(*modules)

    return build


register(
    Exercise(
        name="training.default_network",
        roles=("default_network",),
        make_case=_network_case,
        run=_run_default_network,
        reference={"default_network": defaults.default_network},
        conventions=(
            Convention(
                "BatchNorm after the activation",
                "The default puts BatchNorm between the linear layer and the activation, as "
                "Ioffe & Szegedy do: Linear -> BatchNorm1d -> ELU -> Dropout.",
                {"default_network": _network(order="after")},
            ),
            Convention(
                "ReLU instead of ELU",
                "The notes' default activation is ELU (alpha = 1): nn.ELU() or Activation('elu').",
                {"default_network": _network(order="relu")},
            ),
            Convention(
                "an output layer treated as a hidden one",
                "The last Linear layer gives the logits: no BatchNorm, activation or dropout "
                "after it (cross-entropy applies the softmax).",
                {"default_network": _network(head=True)},
            ),
            Convention(
                "He initialisation with fan_avg (the notes' table)",
                "He et al., torch and Keras scale by fan_in: std = sqrt(2 / fan_in). Use "
                "coursekit.init.torch_ref.he_normal.",
                {"default_network": _network(init="fan_avg")},
            ),
            Convention(
                "Glorot (Xavier) initialisation",
                "Glorot's variance 2 / (fan_in + fan_out) suits tanh; ELU and ReLU need He's "
                "2 / fan_in (coursekit.init.torch_ref.he_normal).",
                {"default_network": _network(init="glorot")},
            ),
            Convention(
                "nn.Linear's own initialisation",
                "nn.Linear draws U(-1/sqrt(fan_in), 1/sqrt(fan_in)) by itself, a std of "
                "sqrt(1 / (3 fan_in)). Overwrite its weight with he_normal(fan_in, fan_out, "
                "generator=generator).T, and the output layer's bias with zeros.",
                {"default_network": _network(init="torch")},
            ),
            Convention(
                "a bias in the Linear layers before BatchNorm",
                "BatchNorm subtracts the batch mean, which cancels any bias added before it, and "
                "its shift beta takes the bias's place: the hidden layers are "
                "nn.Linear(fan_in, fan_out, bias=False). Only the output layer keeps its bias (zeros).",
                {"default_network": _network(biases="all")},
            ),
            Convention(
                "no bias in the output layer",
                "Only the Linear layers just before a BatchNorm lose their bias; the output layer "
                "gives the logits and keeps it: nn.Linear(fan_in, fan_out) with its bias set to zeros.",
                {"default_network": _network(biases="none")},
            ),
            Convention(
                "torch's built-in BatchNorm1d and Dropout",
                "This exercise assembles the network from coursekit's from-scratch parts: "
                "coursekit.batchnorm.torch_ref.BatchNorm1d and coursekit.regularization.torch_ref.Dropout.",
                {"default_network": _network(parts="torch")},
            ),
            Convention(
                "Keras's BatchNorm momentum (0.99) and eps (1e-3)",
                "In torch and coursekit, momentum is the weight of the new batch statistic "
                "(0.1) and eps is 1e-5: BatchNorm1d(width) with its defaults.",
                {"default_network": _network(momentum=0.99, eps=1e-3)},
            ),
        ),
        reference_modules=("coursekit.training.defaults", "coursekit.training.torch_mlp"),
        visible_cases=2,
        hidden_cases=4,
        packages=("torch",),
        torch_ops=NETWORK_OPS,
    )
)


from coursekit.training import exercises_ablation  # noqa: E402, F401 (registers training.ablation)
