"""An honest answer to training.default_network (source text), with a line ``EXTRA`` to
replace, for the tests of the torch exercise's operator allowlist (in ``check`` and in the
audit), and a builder that runs it here."""

NETWORK_SETUP = """
import torch
from torch import nn
from coursekit.batchnorm.torch_ref import BatchNorm1d
from coursekit.init.torch_ref import he_normal
from coursekit.regularization.torch_ref import Dropout
"""
NETWORK = """
def default_network(sizes, *, p_drop=0.2, generator=None):
    EXTRA
    modules = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        linear = nn.Linear(fan_in, fan_out, bias=last)
        with torch.no_grad():
            linear.weight.copy_(he_normal(fan_in, fan_out, generator=generator).T)
            if last:
                linear.bias.zero_()
        modules += [linear] if last else [linear, BatchNorm1d(fan_out), nn.ELU(), Dropout(p_drop)]
    return nn.Sequential(*modules)
"""


def default_network_with(extra):
    """The honest ``default_network`` that also runs the statement ``extra`` while it builds."""
    namespace = {"__name__": "__main__"}
    exec(NETWORK_SETUP + NETWORK.replace("EXTRA", extra), namespace)
    return namespace["default_network"]
