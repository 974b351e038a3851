"""Graded exercise on Gaussian input noise, checked by statistics (see
:mod:`coursekit.regularization.cases_statistics`): the noise's mean, standard deviation and
Gaussian shape, and the identity at test time.
"""

import math

from coursekit.grading import Convention, Exercise, register
from coursekit.regularization import numpy_ref as ref
from coursekit.regularization.cases_noise import CASES

# ----- Gaussian noise -------------------------------------------------------------------


def _noise_as_variance(x, stddev, *, train=True, rng=None):
    return x + math.sqrt(stddev) * rng.standard_normal(x.shape).astype(x.dtype) if train else x.copy()


def _noise_squared(x, stddev, *, train=True, rng=None):
    return x + stddev**2 * rng.standard_normal(x.shape).astype(x.dtype) if train else x.copy()


# ----- registration ---------------------------------------------------------------------

register(
    Exercise(
        name="regularization.gaussian_noise",
        roles=("gaussian_noise",),
        make_case=CASES["regularization.gaussian_noise"].make_case,
        run=CASES["regularization.gaussian_noise"].run,
        reference={"gaussian_noise": ref.gaussian_noise},
        conventions=(
            Convention(
                "stddev used as a variance",
                "The noise is stddev·z with z ~ N(0, 1): its standard deviation is stddev, not √stddev.",
                {"gaussian_noise": _noise_as_variance},
            ),
            Convention(
                "noise scaled by the variance stddev²",
                "Multiply a standard normal by stddev itself; rng.normal(0, stddev, shape) takes the "
                "standard deviation, not the variance.",
                {"gaussian_noise": _noise_squared},
            ),
        ),
        hidden_cases=8,
    )
)
