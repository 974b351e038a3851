"""MLP builders and training loops in NumPy and torch, with tqdm progress bars.

- :func:`train_two_layer` (NumPy): dense-ReLU-dense trained with the layer functions it is
  given, so a notebook can train with the student's own implementations.
- :func:`build_numpy_mlp` and :func:`fit_numpy` (:mod:`~coursekit.training.numpy_mlp`,
  :mod:`~coursekit.training.numpy_fit`): a configurable MLP by hand in NumPy, assembled from
  the coursekit references, and its training loop.
- :func:`build_mlp`, :func:`fit`, :func:`evaluate`, :func:`make_optimizer`
  (:mod:`~coursekit.training.torch_mlp`): the same in torch, on any device, from torch's
  modules or from coursekit's from-scratch parts (``parts="coursekit"``).
- :mod:`~coursekit.training.defaults`: the lecture notes' default configuration, the naive
  network and the ablation of the 08 notebook.
- :mod:`~coursekit.training.loop`: the loop skeleton both backends share (argument checks,
  one history layout, early stopping, the learning-rate plumbing); :func:`evaluate` and
  :func:`evaluate_numpy` both return (loss, accuracy) as Python floats.
- One spelling throughout: ``p_drop`` is the dropout rate, ``seed`` an integer seed, ``rng``
  a ``numpy.random.Generator`` and ``generator`` a ``torch.Generator`` (the contract's);
  the old keywords ``dropout=`` and ``generator_seed=`` still work, with a DeprecationWarning.
- Both training loops take a learning-rate ``schedule`` (or ``plateau`` for performance
  scheduling) and gradient clipping (``clip_norm``, ``clip_value``), see
  :mod:`~coursekit.training.scheduling`; by default the rate is constant and nothing is clipped.
- :func:`threads`, :func:`one_thread`: thread settings for tiny models.

The torch parts are imported lazily, so ``import coursekit.training`` does not import torch.
"""

import importlib

from coursekit.training.numpy_fit import evaluate_numpy, fit_numpy
from coursekit.training.numpy_mlp import NumpyMLP, build_numpy_mlp
from coursekit.training.threadpool import one_thread, threads
from coursekit.training.two_layer import accuracy, train_two_layer

_LAZY = {
    "build_mlp": "torch_mlp",
    "fit": "torch_mlp",
    "evaluate": "torch_mlp",
    "make_optimizer": "torch_mlp",
    "run_epoch": "torch_steps",
    "DEFAULT_CONFIG": "defaults",
    "NAIVE_CONFIG": "defaults",
    "ablations": "defaults",
    "default_network": "defaults",
    "train_config": "defaults",
}

__all__ = [
    "accuracy",
    "train_two_layer",
    "NumpyMLP",
    "build_numpy_mlp",
    "fit_numpy",
    "evaluate_numpy",
    "one_thread",
    "threads",
    *sorted(_LAZY),
]


_TORCH_MODULES = ("defaults", "parts", "torch_mlp")


def __getattr__(name):
    if name in _TORCH_MODULES:
        return importlib.import_module(f"coursekit.training.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"coursekit.training.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'coursekit.training' has no attribute {name!r}")
