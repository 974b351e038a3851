"""Topic 10, beyond the notes: the experiments and graded exercises of 10_beyond_the_notes.

The references live where they belong (``coursekit.optimizers`` for AdamW, NAdam and
AdaMax, ``coursekit.layernorm``, ``coursekit.activations`` for GELU, SiLU and Mish,
``coursekit.regularization`` for max-norm). Here, one module per experiment, each small and
seeded: :mod:`~coursekit.beyond.decay` (AdamW against Adam + L2),
:mod:`~coursekit.beyond.adaptive` (NAdam, AdaMax), :mod:`~coursekit.beyond.normalisation`
(LayerNorm against BatchNorm, BatchNorm's placement), :mod:`~coursekit.beyond.activations`,
:mod:`~coursekit.beyond.maxnorm`, :mod:`~coursekit.beyond.uncertainty` (MC dropout) and
:mod:`~coursekit.beyond.transfer` (reusing pretrained layers), on the MLPs of
:mod:`~coursekit.beyond.nets`. The exercises are registered by
:mod:`~coursekit.beyond.exercises`. The torch-based modules import torch; this package's
``__init__`` does not.
"""
