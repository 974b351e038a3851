"""MLP builders and training loops, with tqdm progress bars.

- :func:`train_two_layer` (NumPy): dense-ReLU-dense trained with the layer functions it is
  given, so a notebook can train with the student's own implementations.
- :mod:`coursekit.training.torch_mlp`: ``build_mlp`` and ``fit`` for torch, on any device.
  Imported lazily, so ``import coursekit.training`` does not import torch.
"""

from coursekit.training.two_layer import accuracy, train_two_layer

__all__ = ["accuracy", "train_two_layer", "build_mlp", "fit"]


def __getattr__(name):
    if name in ("build_mlp", "fit"):
        from coursekit.training import torch_mlp

        return getattr(torch_mlp, name)
    raise AttributeError(f"module 'coursekit.training' has no attribute {name!r}")
