"""Oracle tests for coursekit.init: closed-form variances, distribution shape (kurtosis,
bounds), two-sample Kolmogorov-Smirnov tests against torch.nn.init, and the gain table
against torch.nn.init.calculate_gain where the two agree by design.

Every statistical test is seeded. Samples hold 60,000+ values, so the tolerances below are
5 or more standard errors of the statistic: none of them flakes, and none can pass with
the wrong variance or distribution (each would miss by 10% or more).
"""

import math
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch
from scipy import stats

from coursekit.init import numpy_ref, torch_ref

from conftest import torch_devices

FAN_IN, FAN_OUT = 150, 450  # fan_in, fan_out and fan_avg all differ
N_OF = {"fan_in": FAN_IN, "fan_out": FAN_OUT, "fan_avg": (FAN_IN + FAN_OUT) / 2}
KURTOSIS = {"uniform": 1.8, "normal": 3.0}  # E[(w - mean)^4] / Var^2
SHORTCUTS = {  # name -> (scale, mode, distribution): He et al. and LeCun use fan_in
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "normal"),
    "lecun_normal": (1.0, "fan_in", "normal"),
}


def _kurtosis(w):
    c = w - w.mean()
    return float(np.mean(c**4) / np.mean(c**2) ** 2)


def _check_distribution(w, variance, distribution):
    assert w.shape == (FAN_IN, FAN_OUT)
    assert abs(w.var() / variance - 1) < 0.03  # relative standard error ~0.6%
    assert abs(w.mean()) < 5 * math.sqrt(variance / w.size)
    assert abs(_kurtosis(w) - KURTOSIS[distribution]) < 0.1  # standard error <= 0.02
    if distribution == "uniform":
        r = math.sqrt(3 * variance)
        assert np.abs(w).max() <= r and np.abs(w).max() > 0.999 * r


@pytest.mark.parametrize("mode", numpy_ref.MODES)
@pytest.mark.parametrize("distribution", numpy_ref.DISTRIBUTIONS)
@pytest.mark.parametrize("scale", [1.0, 2.0, 0.3])
def test_numpy_variance_scaling_has_the_closed_form_variance_and_shape(mode, distribution, scale):
    rng = np.random.default_rng(zlib.crc32(f"{mode}-{distribution}-{scale}".encode()))
    w = numpy_ref.variance_scaling(FAN_IN, FAN_OUT, scale=scale, mode=mode, distribution=distribution, rng=rng)
    assert w.dtype == np.float64
    _check_distribution(w, scale / N_OF[mode], distribution)


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("mode", numpy_ref.MODES)
@pytest.mark.parametrize("distribution", numpy_ref.DISTRIBUTIONS)
def test_torch_variance_scaling_has_the_closed_form_variance_and_shape(mode, distribution, device):
    generator = torch.Generator(device=device).manual_seed(7)
    w = torch_ref.variance_scaling(
        FAN_IN,
        FAN_OUT,
        scale=2.0,
        mode=mode,
        distribution=distribution,
        generator=generator,
        dtype=torch.float64,
        device=device,
    )
    assert w.device.type == device and w.dtype == torch.float64
    _check_distribution(w.cpu().numpy(), 2.0 / N_OF[mode], distribution)


def _torch_builtin(name, generator):
    """torch.nn.init's version, on an nn.Linear-shaped (fan_out, fan_in) tensor, transposed."""
    w = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    init = torch.nn.init
    builtin = {
        "glorot_uniform": lambda: init.xavier_uniform_(w, generator=generator),
        "glorot_normal": lambda: init.xavier_normal_(w, generator=generator),
        "he_uniform": lambda: init.kaiming_uniform_(w, nonlinearity="relu", generator=generator),
        "he_normal": lambda: init.kaiming_normal_(w, nonlinearity="relu", generator=generator),
        "lecun_normal": lambda: init.kaiming_normal_(w, nonlinearity="linear", generator=generator),
    }[name]
    return builtin().T.numpy().copy()


@pytest.mark.parametrize("name", SHORTCUTS)
def test_shortcuts_match_torch_nn_init_in_distribution(name):
    oracle = _torch_builtin(name, torch.Generator().manual_seed(1)).ravel()
    ours_np = getattr(numpy_ref, name)(FAN_IN, FAN_OUT, rng=np.random.default_rng(2)).ravel()
    ours_t = (
        getattr(torch_ref, name)(FAN_IN, FAN_OUT, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
        .numpy()
        .ravel()
    )
    for ours in (ours_np, ours_t):
        # Two-sample KS against torch's own initialiser: p ~ uniform under the same law.
        assert stats.ks_2samp(ours, oracle).pvalue > 1e-3
    # ... and a wrong variance or family would be rejected by the same test:
    assert stats.ks_2samp(ours_np * 1.1, oracle).pvalue < 1e-6


@pytest.mark.parametrize(
    "name, expected",
    [
        ("glorot_uniform", 2 / (FAN_IN + FAN_OUT)),
        ("glorot_normal", 2 / (FAN_IN + FAN_OUT)),
        ("he_uniform", 2 / FAN_IN),
        ("he_normal", 2 / FAN_IN),
        ("lecun_normal", 1 / FAN_IN),
    ],
)
def test_shortcuts_have_the_published_variances(name, expected):
    scale, mode, distribution = SHORTCUTS[name]
    w = getattr(numpy_ref, name)(FAN_IN, FAN_OUT, rng=np.random.default_rng(5))
    _check_distribution(w, expected, distribution)


def test_he_fan_in_differs_from_the_notes_fan_avg():
    rng = np.random.default_rng(11)
    he = numpy_ref.he_normal(FAN_IN, FAN_OUT, rng=rng)
    notes = numpy_ref.variance_scaling(FAN_IN, FAN_OUT, scale=2.0, mode="fan_avg", distribution="normal", rng=rng)
    assert he.var() / notes.var() == pytest.approx(N_OF["fan_avg"] / FAN_IN, rel=0.03)


def test_same_seed_same_weights_and_generator_is_the_only_randomness():
    a = numpy_ref.glorot_uniform(4, 5, rng=np.random.default_rng(0))
    b = numpy_ref.glorot_uniform(4, 5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    ta = torch_ref.he_normal(4, 5, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(123)  # the global state must not matter when a generator is given
    tb = torch_ref.he_normal(4, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ta, tb)


def test_torch_dtype_and_default_placement():
    assert torch_ref.glorot_normal(3, 4).dtype == torch.get_default_dtype()
    w = torch_ref.lecun_normal(3, 4, dtype=torch.float32)
    assert w.dtype == torch.float32 and w.device.type == "cpu" and w.shape == (3, 4)
    assert numpy_ref.he_uniform(3, 4, rng=np.random.default_rng(0)).dtype == np.float64
    w32 = numpy_ref.variance_scaling(3, 4, rng=np.random.default_rng(0), dtype=np.float32)
    assert w32.dtype == np.float32


@pytest.mark.parametrize("device", torch_devices())
def test_torch_follows_the_generator_device(device):
    w = torch_ref.he_uniform(3, 4, generator=torch.Generator(device=device).manual_seed(0))
    assert w.device.type == device


def test_gain_table_agrees_with_torch_where_it_should_and_differs_where_documented():
    calc = torch.nn.init.calculate_gain
    for name in ("linear", "relu"):
        assert numpy_ref.gain(name) == pytest.approx(calc(name))
    for slope in (None, 0.2, 0.01):
        assert numpy_ref.gain("leaky_relu", slope) == pytest.approx(calc("leaky_relu", slope))
    # Documented differences: the logistic's 4 (Glorot & Bengio via Bengio), tanh 1, selu 1.
    assert (numpy_ref.gain("sigmoid"), calc("sigmoid")) == (4.0, 1)
    assert numpy_ref.gain("tanh") == 1.0 and calc("tanh") == pytest.approx(5 / 3)
    assert numpy_ref.gain("selu") == 1.0 and calc("selu") == pytest.approx(3 / 4)
    assert torch_ref.gain is numpy_ref.gain
    doc = numpy_ref.gain.__doc__
    for phrase in ("Glorot & Bengio", "He et al.", "Klambauer", "calculate_gain", "notes"):
        assert phrase in doc


def test_gain_of_the_logistic_is_its_inverse_slope_at_zero():
    # Glorot & Bengio's linear-regime argument: gain = 1 / f'(0).
    from coursekit.activations import numpy_ref as act

    for name in ("sigmoid", "tanh"):
        slope = getattr(act, f"{name}_grad")(np.zeros(1))[0]
        assert numpy_ref.gain(name) == pytest.approx(1 / slope)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_arguments_get_clear_errors(backend):
    ref = numpy_ref if backend == "numpy" else torch_ref
    extra = {"rng": np.random.default_rng(0)} if backend == "numpy" else {}
    vs = lambda *a, **k: ref.variance_scaling(*a, **{**extra, **k})  # noqa: E731
    with pytest.raises(ValueError, match="fan_in must be a positive integer, got 0"):
        vs(0, 3)
    with pytest.raises(ValueError, match="fan_out must be a positive integer, got -2"):
        vs(3, -2)
    with pytest.raises(TypeError, match="fan_in must be a positive integer, got float"):
        vs(3.0, 2)
    with pytest.raises(ValueError, match="unknown mode 'fan_sum'; choose from fan_in, fan_out, fan_avg"):
        vs(3, 2, mode="fan_sum")
    with pytest.raises(ValueError, match="unknown distribution 'truncated_normal'"):
        vs(3, 2, distribution="truncated_normal")
    with pytest.raises(ValueError, match="scale must be finite and > 0"):
        vs(3, 2, scale=0.0)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        ref.gain("swish")


def test_numpy_requires_a_generator_and_torch_checks_its_generator():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, got int"):
        numpy_ref.he_normal(3, 4, rng=0)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'rng'"):
        numpy_ref.he_normal(3, 4)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        torch_ref.he_normal(3, 4, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="dtype must be a floating torch.dtype"):
        torch_ref.he_normal(3, 4, dtype=torch.int64)


def test_import_coursekit_init_does_not_import_torch():
    code = (
        "import sys, coursekit.init, coursekit.activations, coursekit.unstable_gradients, "
        "coursekit.widgets.activations; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
