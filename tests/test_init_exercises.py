"""The graded initialisation exercises: independent correct answers pass (whatever way they
draw their numbers), slips are named, and the grader's statistics cannot be fooled."""

import math

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.grading import GradingFailure, check


def _n(fan_in, fan_out, mode):
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": 0.5 * (fan_in + fan_out)}[mode]


def variance_scaling(fan_in, fan_out, *, scale=1.0, mode="fan_avg", distribution="uniform", rng):
    """Written independently: another sampling route (inverse CDF and Box-Muller)."""
    sigma = math.sqrt(scale / _n(fan_in, fan_out, mode))
    u = rng.random((fan_out, fan_in)).T  # drawn in torch's layout, then transposed
    if distribution == "uniform":
        return math.sqrt(3) * sigma * (2 * u - 1)
    v = rng.random((fan_in, fan_out))
    return sigma * np.sqrt(-2 * np.log1p(-u)) * np.cos(2 * np.pi * v)


def _named(scale, mode, distribution):
    return lambda fan_in, fan_out, *, rng: variance_scaling(
        fan_in, fan_out, scale=scale, mode=mode, distribution=distribution, rng=rng
    )


NAMED = {
    "glorot_uniform": _named(1.0, "fan_avg", "uniform"),
    "glorot_normal": _named(1.0, "fan_avg", "normal"),
    "he_uniform": _named(2.0, "fan_in", "uniform"),
    "he_normal": _named(2.0, "fan_in", "normal"),
    "lecun_normal": _named(1.0, "fan_in", "normal"),
}


def gain(activation, param=None):
    slope = 0.01 if param is None else param
    table = {
        "linear": 1,
        "sigmoid": 4,
        "tanh": 1,
        "relu": math.sqrt(2),
        "selu": 1,
        "leaky_relu": math.sqrt(2 / (1 + slope**2)),
    }
    return table[activation]


@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(hidden, capsys):
    check("init.variance_scaling", variance_scaling, hidden=hidden)
    for name, fn in NAMED.items():
        check(f"init.{name}", fn, hidden=hidden)
    check("init.gain", gain, hidden=hidden)
    assert capsys.readouterr().out.count("cases pass") == 7


def test_cases_cover_every_mode_and_distribution_and_unequal_fans():
    ex = grading.exercise("init.variance_scaling")
    hidden = grading.cases(ex, True)
    assert {c["mode"] for c in hidden} == {"fan_in", "fan_out", "fan_avg"}
    assert {c["distribution"] for c in hidden} == {"uniform", "normal"}
    visible = grading.cases(ex, False)
    assert all(c["fan_in"] * c["fan_out"] >= 40_000 and c["fan_in"] != c["fan_out"] for c in visible + hidden)


def _vs(*, bound=None, std=None, n=_n, scale_on_std=False):
    def vs(fan_in, fan_out, *, scale=1.0, mode="fan_avg", distribution="uniform", rng):
        sigma = (scale if scale_on_std else math.sqrt(scale)) * math.sqrt(1 / n(fan_in, fan_out, mode))
        if distribution == "uniform":
            r = (bound or (lambda s: math.sqrt(3) * s))(sigma)
            return rng.uniform(-r, r, size=(fan_in, fan_out))
        return rng.normal(0, (std or (lambda s: s))(sigma), size=(fan_in, fan_out))

    return vs


@pytest.mark.parametrize(
    "answer, convention",
    [
        (_vs(bound=lambda s: s), "uniform bound equal to the standard deviation"),
        (_vs(std=lambda s: math.sqrt(3) * s), "normal whose standard deviation is the uniform bound"),
        (
            _vs(n=lambda fi, fo, mode: fi + fo if mode == "fan_avg" else _n(fi, fo, mode)),
            "fan_avg taken as fan_in \\+ fan_out",
        ),
        (_vs(scale_on_std=True), "scale applied to the standard deviation"),
    ],
    ids=["bound=std", "std=bound", "fan_sum", "gain"],
)
def test_variance_scaling_slips_are_named(answer, convention):
    with pytest.raises(GradingFailure, match=f"Your answer matches .*{convention}"):
        check("init.variance_scaling", answer, hidden=True)


@pytest.mark.parametrize(
    "name, answer, convention",
    [
        ("he_normal", _named(2.0, "fan_avg", "normal"), "He with fan_avg"),
        ("he_uniform", _named(2.0, "fan_avg", "uniform"), "He with fan_avg"),
        ("glorot_uniform", _named(1 / 3, "fan_avg", "uniform"), "bound of sqrt\\(2 / \\(fan_in \\+ fan_out\\)\\)"),
        ("glorot_normal", _named(3.0, "fan_avg", "normal"), "standard deviation of sqrt\\(6"),
        ("glorot_normal", _named(1.0, "fan_avg", "uniform"), "the other distribution"),
        ("lecun_normal", _named(1.0, "fan_avg", "normal"), "Glorot normal"),
    ],
)
def test_named_initialiser_slips_are_named(name, answer, convention):
    with pytest.raises(GradingFailure, match=f"Your answer matches .*{convention}"):
        check(f"init.{name}", answer)


def test_gain_with_the_notes_factor_on_tanh_is_named():
    notes = lambda activation, param=None: {"tanh": 4, "sigmoid": 1}.get(activation, gain(activation, param))  # noqa: E731
    with pytest.raises(GradingFailure) as info:
        check("init.gain", notes)
    text = str(info.value)
    assert "tanh: largest error 3" in text and "lecture notes' table (4 on tanh" in text
    torch_gain = lambda activation, param=None: torch.nn.init.calculate_gain(activation, param)  # noqa: E731
    with pytest.raises(GradingFailure, match="calls .*calculate_gain"):
        check("init.gain", torch_gain)
    copied = lambda a, p=None: {"sigmoid": 1, "tanh": 5 / 3, "selu": 0.75}.get(a, gain(a, p))  # noqa: E731
    with pytest.raises(GradingFailure, match="matches torch.nn.init.calculate_gain"):
        check("init.gain", copied)
    every_variant = lambda a, p=None: math.sqrt(2) if a == "leaky_relu" else gain(a, p)  # noqa: E731
    with pytest.raises(GradingFailure, match="sqrt\\(2\\) for every ReLU variant"):
        check("init.gain", every_variant, hidden=True)


def test_shape_dtype_and_global_randomness_are_reported():
    transposed = lambda fi, fo, *, rng: NAMED["he_normal"](fo, fi, rng=rng)  # noqa: E731
    with pytest.raises(GradingFailure, match="torch's nn.Linear layout"):
        check("init.he_normal", transposed)
    f32 = lambda fi, fo, *, rng: NAMED["he_normal"](fi, fo, rng=rng).astype(np.float32)  # noqa: E731
    with pytest.raises(GradingFailure, match="should return float64 weights"):
        check("init.he_normal", f32)
    global_state = lambda fi, fo, *, rng: np.random.normal(0, math.sqrt(2 / fi), (fi, fo))  # noqa: E731
    with pytest.raises(GradingFailure, match="draw every random number from the rng argument"):
        check("init.he_normal", global_state)


def test_a_matrix_with_the_right_variance_but_wrong_shape_of_distribution_fails():
    # Right variance, wrong law: +-sigma coin flips have kurtosis 1, not 3.
    coin = lambda fi, fo, *, rng: math.sqrt(2 / fi) * rng.choice([-1.0, 1.0], size=(fi, fo))  # noqa: E731
    with pytest.raises(GradingFailure, match="kurtosis"):
        check("init.he_normal", coin)


def test_torch_initialisers_are_forbidden():
    def via_torch(fan_in, fan_out, *, rng):
        w = torch.empty(fan_out, fan_in, dtype=torch.float64)
        torch.nn.init.kaiming_normal_(w, generator=torch.Generator().manual_seed(int(rng.integers(1000))))
        return w.T.numpy().copy()

    with pytest.raises(GradingFailure, match="calls .*kaiming_normal_"):
        check("init.he_normal", via_torch)
