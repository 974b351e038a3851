"""Graded exercises of 08_default_configuration: the default network here, and the ablation
in :mod:`coursekit.training.exercises_ablation` (the registry loads both; their cases are in
``cases`` and ``cases_ablation``).

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

import torch
from torch import nn

from coursekit.grading import Convention, Exercise, register
from coursekit.training import defaults
from coursekit.training.cases import CASES
from coursekit.training.exercises_ops import NETWORK_OPS

# ----- the default network -------------------------------------------------------------


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
        make_case=CASES["training.default_network"].make_case,
        run=CASES["training.default_network"].run,
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
        # The course's parts the network is assembled from, and the modules they import.
        answers_use=(
            "coursekit.batchnorm.torch_ref",
            "coursekit.init.torch_ref",
            "coursekit.regularization.torch_ref",
            "coursekit.training.parts",
            "coursekit.activations.numpy_ref",
            "coursekit.activations.torch_ref",
            "coursekit.batchnorm._checks",
            "coursekit.batchnorm.numpy_ref",
            "coursekit.init.numpy_ref",
            "coursekit.regularization._checks",
        ),
    )
)
