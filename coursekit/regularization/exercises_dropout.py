"""Graded exercises on dropout, forward and backward, checked by statistics (see
:mod:`coursekit.regularization.cases_statistics`): the drop fraction, the scale of the kept
units, the mask reused in backward, and the identity at test time. Known alternatives
are named: cs231n's keep probability, non-inverted dropout, and dropout without rescaling.
The backward exercise first checks the student's forward pass the same way, and when it is
wrong says to fix it first.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.grading import torch_functions as torch_builtins
from coursekit.regularization import numpy_ref as ref
from coursekit.regularization.cases_dropout import CASES

# ----- dropout --------------------------------------------------------------------------


def _dropout_keep_probability(x, p, *, train=True, rng=None):
    """cs231n's convention: p is the probability of keeping a unit."""
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) < p).astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


def _dropout_not_inverted(x, p, *, train=True, rng=None):
    """Srivastava et al.: no scaling in training; multiply by 1 - p at test time."""
    if not train:
        mask = np.full(x.shape, 1 - p, dtype=x.dtype)
        return x * mask, mask
    mask = (rng.random(x.shape) >= p).astype(x.dtype)
    return x * mask, mask


def _dropout_never_scaled(x, p, *, train=True, rng=None):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p).astype(x.dtype)
    return x * mask, mask


_KEEP = (
    "keep-probability dropout (cs231n's p)",
    (
        "cs231n's p is the probability of keeping a unit; here p_drop is the probability of "
        "dropping one. Keep a unit when rng.random() >= p_drop and scale it by 1/(1 - p_drop)."
    ),
)
_NOT_INVERTED = (
    "non-inverted dropout (Srivastava et al. 2014)",
    (
        "The original paper leaves kept units unscaled in training and multiplies by 1 - p at "
        "test time. This course uses inverted dropout: scale the kept units by 1/(1 - p_drop) "
        "in training, so that test time is the identity."
    ),
)
_NEVER_SCALED = (
    "dropout without rescaling",
    (
        "Dropping units without scaling the kept ones by 1/(1 - p_drop) shrinks the expected "
        "activation by 1 - p_drop in training only, so train and test disagree."
    ),
)


DROPOUT_CONVENTIONS = tuple(
    Convention(name, why, {"dropout_forward": forward})
    for (name, why), forward in (
        (_KEEP, _dropout_keep_probability),
        (_NOT_INVERTED, _dropout_not_inverted),
        (_NEVER_SCALED, _dropout_never_scaled),
    )
)


def _dropout_builtins():
    return torch_builtins("nn.functional.dropout", "dropout", "nn.functional.alpha_dropout")


# ----- registration ---------------------------------------------------------------------

register(
    Exercise(
        name="regularization.dropout_forward",
        roles=("dropout_forward",),
        make_case=CASES["regularization.dropout_forward"].make_case,
        run=CASES["regularization.dropout_forward"].run,
        reference={"dropout_forward": ref.dropout_forward},
        conventions=DROPOUT_CONVENTIONS,
        hidden_cases=8,
        forbidden=_dropout_builtins,
    )
)

register(
    Exercise(
        name="regularization.dropout_backward",
        roles=("dropout_forward", "dropout_backward"),
        make_case=CASES["regularization.dropout_backward"].make_case,
        run=CASES["regularization.dropout_backward"].run,
        reference={"dropout_forward": ref.dropout_forward, "dropout_backward": ref.dropout_backward},
        hidden_cases=8,
        forbidden=_dropout_builtins,
    )
)
