"""Graded exercise of 07_hyperparameter_tuning: a log-uniform sampler.

Its output has no single right value, so the check measures the range, and the mean, spread
and KS distance from uniform of ``u = log(x/low) / log(high/low)`` on 20,000 samples, against
the reference's on the same case (the tolerance, 0.02, is seven standard errors); and the
seed's effect.
"""

import numpy as np

from coursekit.grading import Convention, Exercise, register
from coursekit.tuning import numpy_ref, samplers
from coursekit.tuning.cases_log_uniform import CASES

register(
    Exercise(
        name="tuning.log_uniform",
        roles=("log_uniform",),
        make_case=CASES["tuning.log_uniform"].make_case,
        run=CASES["tuning.log_uniform"].run,
        reference={"log_uniform": numpy_ref.log_uniform},
        conventions=(
            Convention(
                "uniform on the linear scale",
                "rng.uniform(low, high) puts nine samples in ten in the top decade. Draw the "
                "exponent uniformly instead: exp(uniform(log(low), log(high))).",
                {"log_uniform": lambda low, high, size, *, rng: rng.uniform(low, high, size)},
            ),
            Convention(
                "an exponent drawn between low and high",
                "The exponent must lie between log(low) and log(high); exp(uniform(low, high)) "
                "gives values near exp(low).",
                {"log_uniform": lambda low, high, size, *, rng: np.exp(rng.uniform(low, high, size))},
            ),
            Convention(
                "a sampler that ignores its rng argument",
                "Draw from the generator you are given (rng.uniform(...)), so that a seed reproduces the samples.",
                {
                    "log_uniform": lambda low, high, size, *, rng: numpy_ref.log_uniform(
                        low, high, size, rng=np.random.default_rng()
                    )
                },
            ),
        ),
        # LogUniform.sample is the same sampler behind a method; random search keeps using it.
        forbidden=lambda: (samplers.LogUniform.sample,),
        reference_modules=("coursekit.tuning.numpy_ref", "scipy.stats._distn_infrastructure"),
        visible_cases=3,
        hidden_cases=6,
        tolerances={"int64": (0, 0), "float64": (0, 0.02)},
    )
)
