"""Graded exercise of 10_beyond_the_notes: ``max_norm(w, max_value, *, axis=0)``.

Cases are weight matrices whose columns (or rows) have very different norms, so some are
rescaled and some left alone, with ``axis`` 0 or 1. Known slips are named: the norm over the
other axis (torch.renorm's ``dim`` read as our ``axis``), clipping each weight instead of
the norm, rescaling every slice to exactly max_value, and one norm for the whole matrix.
"""

import numpy as np

from coursekit.beyond.cases_max_norm import CASES
from coursekit.grading import Convention, Exercise, register, torch_functions
from coursekit.regularization import numpy_ref as ref


def _clip(w, max_value, *, axis=0):
    return np.clip(w, -max_value, max_value)


def _normalise_all(w, max_value, *, axis=0):
    return w * (max_value / np.sqrt(np.sum(w * w, axis=axis, keepdims=True)))


def _whole_matrix(w, max_value, *, axis=0):
    norm = np.sqrt(np.sum(w * w))
    return w * (max_value / norm) if norm > max_value else w.copy()


CONVENTIONS = (
    Convention(
        "the norm over the other axis (torch.renorm's dim is the axis it keeps)",
        "axis is the axis the norm runs over, as in Keras's MaxNorm(axis=0): with axis=0 each "
        "column w[:, j] is one unit's incoming weights; torch.renorm(w, 2, dim=1, r) does the same.",
        {"max_norm": lambda w, max_value, *, axis=0: ref.max_norm(w, max_value, axis=1 - axis)},
    ),
    Convention(
        "each weight clipped to [-max_value, max_value]",
        "Max-norm bounds the L2 norm of each unit's weight vector, not each weight: rescale the "
        "whole slice by max_value / norm when its norm is too large.",
        {"max_norm": _clip},
    ),
    Convention(
        "every slice rescaled to norm max_value, also those inside the ball",
        "It is a projection onto the ball: slices whose norm is at most max_value stay as they are.",
        {"max_norm": _normalise_all},
    ),
    Convention(
        "one norm for the whole matrix",
        "Each unit gets its own constraint: one norm per slice along the other axis "
        "(np.sum(w * w, axis=axis, keepdims=True)).",
        {"max_norm": _whole_matrix},
    ),
)

register(
    Exercise(
        name="beyond.max_norm",
        roles=("max_norm",),
        make_case=CASES["beyond.max_norm"].make_case,
        run=CASES["beyond.max_norm"].run,
        reference={"max_norm": ref.max_norm},
        conventions=CONVENTIONS,
        forbidden=lambda: torch_functions("renorm", "Tensor.renorm", "nn.utils.clip_grad_norm_"),
        reference_modules=("coursekit.regularization.numpy_ref", "coursekit.regularization.torch_ref"),
    )
)
