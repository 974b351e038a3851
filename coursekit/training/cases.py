"""The student side of 08_default_configuration's ``training.default_network`` (see
:mod:`coursekit.training.exercises`): seeded layer sizes, and what can be measured on the
network the answer builds (torch is this exercise's package).

The course's own parts (coursekit's BatchNorm1d and Dropout, training's Activation) are told
apart from torch's by their classes, looked up where they are loaded (:func:`_loaded`): an
answer that builds one has loaded its module, and this module imports no reference."""

import math
import sys

import numpy as np
import torch
from torch import nn

from coursekit.grading.case_side import Cases, StudentError


def _loaded(module, name):
    """The class ``name`` of ``module`` where that module is loaded, else None (then no
    object of that class exists)."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) else None


def _is(obj, module, name):
    cls = _loaded(module, name)
    return cls is not None and isinstance(obj, cls)


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
    activation = _is(module, "coursekit.training.parts", "Activation")
    if isinstance(module, nn.Linear):
        return 0
    if _is(module, "coursekit.batchnorm.torch_ref", "BatchNorm1d"):
        return 1
    if isinstance(module, nn.ELU) or (activation and module.name == "elu"):
        return 2
    if _is(module, "coursekit.regularization.torch_ref", "Dropout"):
        return 3
    if isinstance(module, nn.BatchNorm1d):
        return 4
    if isinstance(module, nn.Dropout):
        return 5
    activations = (nn.ReLU, nn.LeakyReLU, nn.SELU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.Softplus)
    return 6 if isinstance(module, activations) or activation else 7


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


CASES = {"training.default_network": Cases(_network_case, _run_default_network)}
