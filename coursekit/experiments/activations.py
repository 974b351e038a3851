"""Counting dead units in a trained torch MLP (03_activations), and the leaky ReLU's slope of
a trained model (torch).
"""

import torch
from torch import nn

from coursekit.training.torch_mlp import ACTIVATIONS

_ACTIVATION_TYPES = tuple(cls for cls in ACTIVATIONS.values() if cls is not nn.Identity)


@torch.no_grad()
def dead_units(model, x):
    """Count, for each activation layer of ``model``, the units that never fire on ``x``.

    A unit never fires when its input z is <= 0 for every example. A ReLU unit there
    outputs 0 and receives no gradient, so no update can revive it: it is dead. A leaky
    ReLU or ELU unit in the same state still passes on a gradient (alpha or alpha*exp(z))
    and can recover.

    Args:
        model: a torch module containing activation modules (e.g. from ``build_mlp``).
        x: inputs, a tensor or array of shape (N, D_0).

    Returns:
        list of (never firing, width) pairs, one per activation module, input side first.
    """
    modules = [m for m in model.modules() if isinstance(m, _ACTIVATION_TYPES)]
    if not modules:
        raise ValueError("model has no activation modules to inspect")
    parameter = next(model.parameters())
    x = torch.as_tensor(x).to(device=parameter.device, dtype=parameter.dtype)
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inputs, out: seen.append(inputs[0])) for m in modules]
    was_training = model.training
    try:
        model.eval()
        model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return [(int((z <= 0).all(dim=0).sum()), int(z.shape[1])) for z in seen]


def set_negative_slope(model, alpha):
    """Set the slope of every ``nn.LeakyReLU`` in ``model`` (torch's default is 0.01); returns model."""
    if not 0 <= alpha:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    found = [m for m in model.modules() if isinstance(m, nn.LeakyReLU)]
    if not found:
        raise ValueError("model has no nn.LeakyReLU module")
    for module in found:
        module.negative_slope = float(alpha)
    return model
