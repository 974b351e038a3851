"""Graded exercises of 02_initialization: variance scaling, the named initialisers, the gain.

A random initialiser cannot be compared value by value with the reference, since an answer
may draw its numbers differently. ``run`` calls the answer with a seeded ``rng`` on a large
matrix and compares what does not depend on the draw: the root mean square of the weights
(their standard deviation, as their mean is 0) and their kurtosis, 1.8 for a uniform and 3
for a normal. It also checks the shape, the dtype, and that the same seed gives the same
matrix (randomness must come from ``rng``).
"""

import math
import sys

from coursekit.grading import Convention, Exercise, register
from coursekit.init import numpy_ref as ref
from coursekit.init.cases import CASES, DISTRIBUTIONS, MODES, SHORTCUT_NAMES
from coursekit.init.exercises_shortcuts import SHORTCUTS, SWAPPED, fan_count, shortcut

# Statistics of 40,000+ draws: relative sampling error well under 1%, so 6% separates
# a correct answer from every convention below (the closest differ by about 18%).
STAT_TOLERANCES = {"float64": (0.06, 0.0)}

if (MODES, DISTRIBUTIONS, SHORTCUT_NAMES) != (ref.MODES, ref.DISTRIBUTIONS, tuple(SHORTCUTS)):
    raise ImportError("coursekit.init.cases draws other modes, distributions or shortcuts than the reference has")


def _torch_init():
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    names = (
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "uniform_",
        "normal_",
        "trunc_normal_",
        "calculate_gain",
    )
    return [getattr(torch.nn.init, n) for n in names if hasattr(torch.nn.init, n)]


# ----- variance_scaling ----------------------------------------------------------------


def _vs_alternative(*, std_of, bound_of, n_of=fan_count):
    """variance_scaling with the normal's std and the uniform's bound computed differently."""

    def vs(fan_in, fan_out, *, scale=1.0, mode="fan_avg", distribution="uniform", rng):
        variance = scale / n_of(fan_in, fan_out, mode)
        if distribution == "uniform":
            r = bound_of(variance, scale, n_of(fan_in, fan_out, mode))
            return rng.uniform(-r, r, size=(fan_in, fan_out))
        return rng.normal(0.0, std_of(variance, scale, n_of(fan_in, fan_out, mode)), size=(fan_in, fan_out))

    return vs


_RIGHT_STD = lambda var, scale, n: math.sqrt(var)  # noqa: E731
_RIGHT_BOUND = lambda var, scale, n: math.sqrt(3 * var)  # noqa: E731

register(
    Exercise(
        name="init.variance_scaling",
        roles=("variance_scaling",),
        make_case=CASES["init.variance_scaling"].make_case,
        run=CASES["init.variance_scaling"].run,
        reference={"variance_scaling": ref.variance_scaling},
        conventions=(
            Convention(
                "a uniform bound equal to the standard deviation",
                "A uniform on [-r, r] has variance r**2 / 3, so for variance scale/n the bound is "
                "r = sqrt(3) * sigma = sqrt(3 * scale / n), not sigma.",
                {"variance_scaling": _vs_alternative(std_of=_RIGHT_STD, bound_of=lambda var, s, n: math.sqrt(var))},
            ),
            Convention(
                "a normal whose standard deviation is the uniform bound",
                "sqrt(3 * scale / n) is the uniform's bound r; the normal's standard deviation "
                "is sigma = sqrt(scale / n) = r / sqrt(3).",
                {
                    "variance_scaling": _vs_alternative(
                        std_of=lambda var, s, n: math.sqrt(3 * var), bound_of=_RIGHT_BOUND
                    )
                },
            ),
            Convention(
                "fan_avg taken as fan_in + fan_out",
                "fan_avg is the average (fan_in + fan_out) / 2, so Glorot's variance is 2 / (fan_in + fan_out).",
                {
                    "variance_scaling": _vs_alternative(
                        std_of=_RIGHT_STD,
                        bound_of=_RIGHT_BOUND,
                        n_of=lambda fi, fo, mode: fi + fo if mode == "fan_avg" else fan_count(fi, fo, mode),
                    )
                },
            ),
            Convention(
                "scale applied to the standard deviation (torch's gain)",
                "scale multiplies the variance, as in Keras's VarianceScaling: Var[w] = scale / n. "
                "torch's gain multiplies the standard deviation, so scale = gain**2.",
                {
                    "variance_scaling": _vs_alternative(
                        std_of=lambda var, s, n: s * math.sqrt(1 / n), bound_of=lambda var, s, n: s * math.sqrt(3 / n)
                    )
                },
            ),
        ),
        forbidden=_torch_init,
        tolerances=STAT_TOLERANCES,
    )
)


# ----- the named shortcuts -------------------------------------------------------------


for _name, (_scale, _mode, _dist, _alternatives) in SHORTCUTS.items():
    _other = "normal" if _dist == "uniform" else "uniform"
    register(
        Exercise(
            name=f"init.{_name}",
            roles=(_name,),
            make_case=CASES[f"init.{_name}"].make_case,
            run=CASES[f"init.{_name}"].run,
            reference={_name: getattr(ref, _name)},
            conventions=tuple(Convention(title, why, {_name: fn}) for title, why, fn in _alternatives)
            + (Convention(SWAPPED.name, SWAPPED.explanation, {_name: shortcut(_scale, _mode, _other)}),),
            forbidden=_torch_init,
            tolerances=STAT_TOLERANCES,
        )
    )


# ----- the gain table ------------------------------------------------------------------


def _gain_with(**overrides):
    def gain(activation, param=None):
        if activation in overrides:
            return overrides[activation]
        return ref.gain(activation, param)

    return gain


register(
    Exercise(
        name="init.gain",
        roles=("gain",),
        make_case=CASES["init.gain"].make_case,
        run=CASES["init.gain"].run,
        reference={"gain": ref.gain},
        conventions=(
            Convention(
                "the lecture notes' table (4 on tanh, 1 on the logistic)",
                "The 4 belongs to the logistic: its slope at 0 is 1/4, tanh's is 1. Your 50-layer "
                "measurement shows it: tanh with 4x Glorot saturates and its gradients explode.",
                {"gain": _gain_with(tanh=4.0, sigmoid=1.0)},
            ),
            Convention(
                "torch.nn.init.calculate_gain (sigmoid 1, tanh 5/3, selu 3/4)",
                "This course's table is Glorot & Bengio's and Bengio's: 4 for the logistic, 1 for "
                "tanh, 1 for SELU (LeCun normal). torch chose 5/3 for tanh empirically and 3/4 for "
                "SELU; it gives the logistic no correction at all.",
                {"gain": _gain_with(tanh=5 / 3, sigmoid=1.0, selu=0.75)},
            ),
            Convention(
                "sqrt(2) for every ReLU variant (the notes' 'ReLU and its variants' row)",
                "For a leaky ReLU with slope a, He et al.'s gain is sqrt(2 / (1 + a**2)): the "
                "negative side passes on a**2 of its variance.",
                {
                    "gain": lambda activation, param=None: (
                        math.sqrt(2) if activation == "leaky_relu" else ref.gain(activation, param)
                    )
                },
            ),
        ),
        forbidden=_torch_init,
        visible_cases=1,
        hidden_cases=3,
    )
)
