"""Oracle tests for coursekit.regularization's max_norm (topic 10).

The oracle is ``torch.renorm`` (its dim is the axis it keeps; ours, like Keras's, is the
axis the norm runs over), and Keras's ``MaxNorm`` formula written out here; then dtypes,
devices, inputs left alone and errors.
"""

import warnings

import numpy as np
import pytest
import torch

from coursekit.regularization import numpy_ref, torch_ref

from conftest import torch_devices


def _weights(shape, seed=0, dtype=np.float64):
    """Columns of very different sizes, so some are above any radius tried and some below."""
    rng = np.random.default_rng(seed)
    scales = rng.choice([0.05, 0.5, 2.0, 6.0], size=shape[-1])
    return (rng.standard_normal(shape) * scales).astype(dtype)


@pytest.mark.parametrize("max_value", [0.3, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("shape", [(8, 6), (3, 12), (5, 1)])
def test_numpy_equals_torch_renorm(shape, max_value):
    w = _weights(shape)
    expected = torch.renorm(torch.tensor(w), 2, 1, max_value).numpy()
    got = numpy_ref.max_norm(w, max_value)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    norms = np.linalg.norm(got, axis=0)
    assert np.all(norms <= max_value)
    assert (np.linalg.norm(w, axis=0) > max_value).any() or max_value == 5.0


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("axis, dim", [((1, 2), 0), ((0, 2), 1), ((0, 1), 2), (-1, None)])
def test_torch_equals_torch_renorm_for_any_axis(axis, dim, device):
    w = torch.tensor(_weights((4, 5, 3), seed=1), device=device)
    if dim is None:  # the norm over the last axis keeps the first two: renorm a (20, 3) view
        expected = torch.renorm(w.reshape(20, 3), 2, 0, 1.5).reshape(4, 5, 3)
    else:
        expected = torch.renorm(w, 2, dim, 1.5)
    got = torch_ref.max_norm(w, 1.5, axis=axis)
    assert got.device.type == device
    torch.testing.assert_close(got, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        numpy_ref.max_norm(w.cpu().numpy(), 1.5, axis=axis), expected.cpu().numpy(), rtol=1e-13, atol=1e-15
    )


def test_nn_linear_weight_needs_axis_1():
    # nn.Linear stores (out, in): one unit's incoming weights are a row, torch.renorm(W, 2, 0, r).
    w = torch.tensor(_weights((6, 4), seed=2))
    torch.testing.assert_close(torch_ref.max_norm(w, 1.0, axis=1), torch.renorm(w, 2, 0, 1.0))
    assert not torch.allclose(torch_ref.max_norm(w, 1.0, axis=0), torch.renorm(w, 2, 0, 1.0))


def test_zero_columns_stay_zero_without_a_warning():
    w = np.zeros((3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(numpy_ref.max_norm(w, 1.0, eps=0.0), w)


def test_columns_within_the_radius_are_left_exactly_alone_unlike_keras():
    w = _weights((10, 8), seed=3)
    norms = np.linalg.norm(w, axis=0)
    inside = norms <= 2.0
    assert inside.any() and (~inside).any()
    got = numpy_ref.max_norm(w, 2.0)
    np.testing.assert_array_equal(got[:, inside], w[:, inside])
    # Keras's MaxNorm: w * clip(norms, 0, max) / (eps + norms), on every column
    keras = w * (np.clip(norms, 0, 2.0) / (1e-7 + norms))
    np.testing.assert_allclose(got, keras, rtol=1e-6)
    assert not np.array_equal(got[:, inside], keras[:, inside])


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_float32_stays_float32_and_input_is_unchanged(module):
    w = _weights((7, 5), seed=4, dtype=np.float32)
    before = w.copy()
    arg = w if module is numpy_ref else torch.tensor(w)
    got = module.max_norm(arg, 1.0)
    assert str(got.dtype).endswith("float32")
    expected = torch.renorm(torch.tensor(before), 2, 1, 1.0).numpy()
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(arg), before)


@pytest.mark.parametrize("module", [numpy_ref, torch_ref], ids=["numpy", "torch"])
def test_bad_arguments_get_clear_errors(module):
    conv = np.asarray if module is numpy_ref else torch.tensor
    w = conv(np.ones((3, 2)))
    with pytest.raises(ValueError, match="max_value must be finite and > 0, got 0"):
        module.max_norm(w, 0)
    with pytest.raises(ValueError, match="max_value must be finite and > 0, got -1"):
        module.max_norm(w, -1)
    with pytest.raises(ValueError, match=r"axis 2 is out of range for w with 2 dimension"):
        module.max_norm(w, 1.0, axis=2)
    with pytest.raises(ValueError, match="axis must not repeat an axis"):
        module.max_norm(w, 1.0, axis=(0, -2))
    with pytest.raises(TypeError, match="axis must be an int or a non-empty tuple of ints"):
        module.max_norm(w, 1.0, axis=[0])
    with pytest.raises(TypeError, match="axis must be an int"):
        module.max_norm(w, 1.0, axis=0.0)
    with pytest.raises(ValueError, match="eps must be finite and >= 0"):
        module.max_norm(w, 1.0, eps=-1e-7)
    with pytest.raises(TypeError, match="w must have a floating dtype"):
        module.max_norm(conv(np.ones((3, 2), dtype=np.int64)), 1.0)
    with pytest.raises(TypeError, match="max_value must be a real number"):
        module.max_norm(w, "2")
