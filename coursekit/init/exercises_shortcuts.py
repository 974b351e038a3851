"""The named initialisers' table for :mod:`coursekit.init.exercises`: each shortcut's scale,
fan mode and distribution, with the known slips an answer may make, as initialisers.
"""

import math

from coursekit.grading import Convention


def fan_count(fan_in, fan_out, mode):
    """The fan that ``mode`` (fan_in, fan_out or fan_avg) names."""
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def shortcut(scale, mode, distribution):
    """An initialiser drawing with variance ``scale / fan`` from a uniform or a normal."""

    def init(fan_in, fan_out, *, rng):
        n = fan_count(fan_in, fan_out, mode)
        if distribution == "uniform":
            r = math.sqrt(3 * scale / n)
            return rng.uniform(-r, r, size=(fan_in, fan_out))
        return rng.normal(0.0, math.sqrt(scale / n), size=(fan_in, fan_out))

    return init


SWAPPED = Convention(
    "the other distribution",
    "_uniform draws from a uniform on [-r, r] (kurtosis 1.8), _normal from a normal "
    "(kurtosis 3), with the same variance.",
    {},
)

SHORTCUTS = {
    "glorot_uniform": (
        1.0,
        "fan_avg",
        "uniform",
        [
            (
                "a bound of sqrt(2 / (fan_in + fan_out))",
                "That is Glorot's standard deviation; the uniform's bound is sqrt(3) times it, "
                "r = sqrt(6 / (fan_in + fan_out)).",
                shortcut(1 / 3, "fan_avg", "uniform"),
            ),
        ],
    ),
    "glorot_normal": (
        1.0,
        "fan_avg",
        "normal",
        [
            (
                "a standard deviation of sqrt(6 / (fan_in + fan_out))",
                "That is the uniform's bound r; the normal's standard deviation is r / sqrt(3) = "
                "sqrt(2 / (fan_in + fan_out)).",
                shortcut(3.0, "fan_avg", "normal"),
            ),
        ],
    ),
    "he_uniform": (
        2.0,
        "fan_in",
        "uniform",
        [
            (
                "He with fan_avg (the lecture notes' ReLU row)",
                "He et al. (2015) use fan_in: r = sqrt(6 / fan_in). The notes' sqrt(2) times "
                "Glorot's bound averages the fans instead; the two agree only when fan_in == fan_out.",
                shortcut(2.0, "fan_avg", "uniform"),
            ),
        ],
    ),
    "he_normal": (
        2.0,
        "fan_in",
        "normal",
        [
            (
                "He with fan_avg (the lecture notes' ReLU row)",
                "He et al. (2015) use fan_in: sigma = sqrt(2 / fan_in). The notes' sqrt(2) times "
                "Glorot's sigma averages the fans instead; the two agree only when fan_in == fan_out.",
                shortcut(2.0, "fan_avg", "normal"),
            ),
        ],
    ),
    "lecun_normal": (
        1.0,
        "fan_in",
        "normal",
        [
            (
                "Glorot normal (fan_avg)",
                "LeCun normal uses fan_in: sigma = sqrt(1 / fan_in).",
                shortcut(1.0, "fan_avg", "normal"),
            ),
        ],
    ),
}
