"""coursekit's from-scratch torch parts, as factories for :func:`~coursekit.training.build_mlp`.

``build_mlp(..., parts="coursekit")`` assembles the network from:

- :class:`Activation`: the activations of :mod:`coursekit.activations.torch_ref`, with their
  hand-written derivatives plugged into autograd;
- :class:`coursekit.batchnorm.torch_ref.BatchNorm1d`;
- :class:`SeededDropout` and :class:`SeededNoise`: coursekit's ``Dropout`` and
  ``GaussianNoise`` drawing from a seeded generator on whichever device the model runs;
- the initialisers of :mod:`coursekit.init.torch_ref` (``standard_normal`` is
  ``torch.randn`` from the same generator; ``default`` keeps ``nn.Linear``'s own).
"""

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from coursekit import _validate as v
from coursekit.activations import torch_ref as act_ref
from coursekit.init import torch_ref as init_ref
from coursekit.regularization.torch_ref import Dropout, GaussianNoise

ALPHAS = {"leaky_relu": 0.01, "elu": 1.0}


class _ActivationFunction(torch.autograd.Function):
    """f(z) forward, ``dout * f'(z)`` backward, both from coursekit.activations.torch_ref."""

    @staticmethod
    def forward(ctx, z, name):
        function, _ = act_ref.FUNCTIONS[name]
        ctx.name = name
        ctx.save_for_backward(z)
        return function(z, ALPHAS[name]) if name in ALPHAS else function(z)

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        (z,) = ctx.saved_tensors
        _, derivative = act_ref.FUNCTIONS[ctx.name]
        local = derivative(z, ALPHAS[ctx.name]) if ctx.name in ALPHAS else derivative(z)
        return dout * local, None


class Activation(nn.Module):
    """An activation of :mod:`coursekit.activations.torch_ref` as a layer (torch's defaults:
    leaky ReLU slope 0.01, ELU alpha 1). ``name`` is one of sigmoid, tanh, relu, leaky_relu,
    elu, selu, or identity."""

    def __init__(self, name):
        super().__init__()
        v.choice("activation", name, [*sorted(act_ref.FUNCTIONS), "identity"])
        self.name = name

    def forward(self, z):
        return z if self.name == "identity" else _ActivationFunction.apply(z, self.name)

    def extra_repr(self):
        return self.name


class _SharedGenerator:
    """One seed, and one ``torch.Generator`` per device type, created when first needed."""

    def __init__(self, seed):
        self.seed = int(seed)
        self._generators = {}

    def on(self, device):
        key = torch.device(device).type
        if key not in self._generators:
            self._generators[key] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[key]


class SeededDropout(Dropout):
    """coursekit's inverted :class:`~coursekit.regularization.torch_ref.Dropout`, drawing its
    masks from a generator seeded with ``seed`` on the input's device."""

    def __init__(self, p, seed=0, shared=None):
        super().__init__(p)
        self.shared = shared or _SharedGenerator(seed)

    def forward(self, x):
        if self.generator is None or self.generator.device.type != x.device.type:
            self.generator = self.shared.on(x.device)
        return super().forward(x)


class SeededNoise(GaussianNoise):
    """coursekit's :class:`~coursekit.regularization.torch_ref.GaussianNoise` with a seeded
    generator on the input's device."""

    def __init__(self, stddev, seed=0, shared=None):
        super().__init__(stddev)
        self.shared = shared or _SharedGenerator(seed)

    def forward(self, x):
        if self.generator is None or self.generator.device.type != x.device.type:
            self.generator = self.shared.on(x.device)
        return super().forward(x)


def _standard_normal(fan_in, fan_out, *, generator=None, dtype=None, device=None):
    return torch.randn((fan_in, fan_out), generator=generator, dtype=dtype, device=device)


INITIALISERS = {
    "default": None,
    "standard_normal": _standard_normal,
    "glorot_uniform": init_ref.glorot_uniform,
    "glorot_normal": init_ref.glorot_normal,
    "he_uniform": init_ref.he_uniform,
    "he_normal": init_ref.he_normal,
    "lecun_normal": init_ref.lecun_normal,
}
"""name -> ``(fan_in, fan_out, *, generator) -> w`` of shape (fan_in, fan_out), or None."""


def initialise_(linear, name, generator):
    """Draw ``linear``'s weight with coursekit's initialiser ``name`` and zero its bias (if any)."""
    draw = INITIALISERS[name]
    if draw is None:
        return linear
    fan_out, fan_in = linear.weight.shape
    with torch.no_grad():
        w = draw(fan_in, fan_out, generator=generator, dtype=linear.weight.dtype)
        linear.weight.copy_(w.T)  # nn.Linear stores the transpose of the course's w
        if linear.bias is not None:
            linear.bias.zero_()
    return linear


def factories(seed):
    """Module factories of coursekit's parts for :func:`build_mlp`, seeded with ``seed``."""
    from coursekit.batchnorm.torch_ref import BatchNorm1d

    shared = _SharedGenerator(seed)
    return {
        "batchnorm": BatchNorm1d,
        "dropout": lambda p: SeededDropout(p, shared=shared),
        "noise": lambda stddev: SeededNoise(stddev, shared=shared),
        "activation": Activation,
    }
