"""Graded exercises of 04_batch_normalization.

1. ``batchnorm_train_forward(x, gamma, beta, eps=1e-5) -> (out, cache)``: the notes' four
   equations.
2. ``batchnorm_backward_graph(dout, cache)``: the backward pass step by step through the
   computation graph, and 3. ``batchnorm_backward(dout, cache)``: the same in closed form.
4. ``batchnorm_forward(x, gamma, beta, running_mean, running_var, *, train=True,
   momentum=0.1, eps=1e-5)``: running averages and test-time mode, with torch's conventions.

Known alternatives (Keras's momentum and eps, eps left out, a biased running variance, the
unbiased variance in the normalisation, statistics over the wrong axis, the batch statistics
at test time, the statistics treated as constants in the backward pass) are recognised and
named in the feedback. Every other case is float32. The backward exercises run the
student's forward pass first and, when it is wrong, say to fix it first.
"""

import functools

import numpy as np

from coursekit.batchnorm import numpy_ref as ref
from coursekit.batchnorm.cases import CASES, FORWARD_OUT
from coursekit.batchnorm.exercises_conventions import (  # noqa: F401  (KERAS_EPS, NO_EPS, UNBIASED_NORMALISATION re-exported)
    FULL_FORWARD_CONVENTIONS,
    KERAS_EPS,
    NO_EPS,
    TRAIN_FORWARD_CONVENTIONS,
    UNBIASED_NORMALISATION,
    backward_conventions,
)
from coursekit.grading import Exercise, register
from coursekit.grading import torch_functions as _torch_builtins

BUILTINS = ("nn.functional.batch_norm", "batch_norm", "native_batch_norm")
AUTOGRAD = ("autograd.grad", "autograd.backward")


# ----- the references (the alternatives they are told apart from are in exercises_conventions)


def _reference_train_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[1]
    out, cache, _, _ = ref.batchnorm_forward(x, gamma, beta, np.zeros(d, x.dtype), np.ones(d, x.dtype), eps=eps)
    return out, cache


register(
    Exercise(
        name="batchnorm.batchnorm_train_forward",
        roles=("batchnorm_train_forward",),
        make_case=CASES["batchnorm.batchnorm_train_forward"].make_case,
        run=CASES["batchnorm.batchnorm_train_forward"].run,
        reference={"batchnorm_train_forward": _reference_train_forward},
        conventions=TRAIN_FORWARD_CONVENTIONS,
        forbidden=lambda: _torch_builtins(*BUILTINS),
    )
)

for _role in ("batchnorm_backward_graph", "batchnorm_backward"):
    register(
        Exercise(
            name=f"batchnorm.{_role}",
            roles=("batchnorm_train_forward", _role),
            make_case=CASES[f"batchnorm.{_role}"].make_case,
            run=CASES[f"batchnorm.{_role}"].run,
            reference={"batchnorm_train_forward": _reference_train_forward, _role: ref.batchnorm_backward},
            conventions=backward_conventions(_role),
            checked_first={FORWARD_OUT: ("batchnorm_train_forward", "batchnorm.batchnorm_train_forward")},
            forbidden=functools.partial(_torch_builtins, *BUILTINS, *AUTOGRAD),
        )
    )

register(
    Exercise(
        name="batchnorm.batchnorm_forward",
        roles=("batchnorm_forward",),
        make_case=CASES["batchnorm.batchnorm_forward"].make_case,
        run=CASES["batchnorm.batchnorm_forward"].run,
        reference={"batchnorm_forward": ref.batchnorm_forward},
        conventions=FULL_FORWARD_CONVENTIONS,
        forbidden=lambda: _torch_builtins(*BUILTINS),
    )
)
