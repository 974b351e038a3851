"""Gradient clipping, NumPy and torch, against ``torch.nn.utils.clip_grad_norm_`` and
``clip_grad_value_`` applied to real parameters: the clipped gradients, the returned total
norm, torch's 1e-6, norm types 2, 1, 3 and inf, dtypes and devices; inputs never change."""

import math

import numpy as np
import pytest
import torch

from coursekit.schedules import numpy_ref, torch_ref

from conftest import torch_devices

NORM_TYPES = [2.0, math.inf, 1.0, 3.0, "inf"]
TOLERANCE = {np.float64: dict(rtol=1e-12, atol=1e-15), np.float32: dict(rtol=2e-6, atol=1e-7)}


def _grads(rng, dtype=np.float64, scale=1.0):
    count = int(rng.integers(1, 5))
    shapes = [tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4)))) for _ in range(count)]
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


def _torch_clip(grads, max_norm, norm_type, device="cpu"):
    """torch's own in-place clipping, on parameters whose .grad are copies of ``grads``."""
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, device=device)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, device=device)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return [p.grad.cpu().numpy() for p in params], total.cpu().numpy()


def _max_norm(rng, grads, norm_type):
    """Half the time below the total norm (clipping happens), half above (nothing changes)."""
    total = float(torch.nn.utils.get_total_norm([torch.tensor(g) for g in grads], norm_type=norm_type))
    return total * float(rng.choice([rng.uniform(0.05, 0.9), rng.uniform(1.1, 3.0)]))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_clip_grad_norm_equals_torch(seed, norm_type, dtype):
    rng = np.random.default_rng(seed)
    grads = _grads(rng, dtype, scale=float(rng.choice([1e-3, 1.0, 50.0])))
    max_norm = _max_norm(rng, grads, norm_type)
    before = [g.copy() for g in grads]
    clipped, total = numpy_ref.clip_grad_norm(grads, max_norm, norm_type=norm_type)
    expected, expected_total = _torch_clip(grads, max_norm, norm_type)
    assert isinstance(total, np.generic) and total.dtype == dtype
    np.testing.assert_allclose(total, expected_total, **TOLERANCE[dtype])
    for ours, theirs, g, b in zip(clipped, expected, grads, before, strict=True):
        assert ours.dtype == dtype and ours.shape == g.shape and ours is not g
        np.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])
        np.testing.assert_array_equal(g, b)  # the input is unchanged


@pytest.mark.parametrize("device", torch_devices())
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_clip_grad_norm_equals_torch_on_the_callers_device(device, seed, norm_type, dtype):
    rng = np.random.default_rng(100 + seed)
    arrays = _grads(rng, dtype)
    max_norm = _max_norm(rng, arrays, norm_type)
    grads = [torch.tensor(a, device=device) for a in arrays]
    clipped, total = torch_ref.clip_grad_norm(grads, max_norm, norm_type=norm_type)
    expected, expected_total = _torch_clip(arrays, max_norm, norm_type, device)
    assert total.device.type == device and total.dtype == grads[0].dtype and total.dim() == 0
    np.testing.assert_allclose(total.cpu().numpy(), expected_total, **TOLERANCE[dtype])
    for ours, theirs, g, a in zip(clipped, expected, grads, arrays, strict=True):
        assert ours.device.type == device and ours.dtype == g.dtype
        np.testing.assert_allclose(ours.cpu().numpy(), theirs, **TOLERANCE[dtype])
        np.testing.assert_array_equal(g.cpu().numpy(), a)


def test_torchs_eps_is_added_to_the_total_norm():
    """With a tiny total norm the 1e-6 is visible: the factor is max_norm / (norm + 1e-6)."""
    grads = [np.array([3e-6, 4e-6])]  # norm 5e-6
    clipped, total = numpy_ref.clip_grad_norm(grads, 1e-6)
    expected, _ = _torch_clip(grads, 1e-6, 2.0)
    np.testing.assert_allclose(clipped[0], expected[0], rtol=1e-13)
    np.testing.assert_allclose(clipped[0], grads[0] * 1e-6 / (5e-6 + 1e-6), rtol=1e-13)
    assert np.linalg.norm(clipped[0]) < 0.9e-6  # without the eps it would be exactly max_norm
    assert total == pytest.approx(5e-6, rel=1e-14)


def test_global_norm_keeps_the_direction_and_per_tensor_clipping_does_not():
    grads = [np.array([30.0, 40.0]), np.array([0.3, 0.4])]
    clipped, total = numpy_ref.clip_grad_norm(grads, 1.0)
    assert total == pytest.approx(math.sqrt(50**2 + 0.5**2))
    ratio = clipped[0] / clipped[1]
    np.testing.assert_allclose(ratio, [100.0, 100.0])  # same relative size as before
    assert np.linalg.norm(np.concatenate(clipped)) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_equals_torch_in_both_references(seed, dtype):
    rng = np.random.default_rng(seed)
    grads = _grads(rng, dtype, scale=3.0)
    clip_value = float(rng.uniform(0.1, 2.0))
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(params, clip_value)
    before = [g.copy() for g in grads]
    ours = numpy_ref.clip_grad_value(grads, clip_value)
    ours_torch = torch_ref.clip_grad_value([torch.tensor(g) for g in grads], clip_value)
    for a, b, p, g, g0 in zip(ours, ours_torch, params, grads, before, strict=True):
        np.testing.assert_array_equal(a, p.grad.numpy())
        np.testing.assert_array_equal(b.numpy(), p.grad.numpy())
        assert a.dtype == dtype
        np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_in_place_helpers_for_training_loops_equal_torch(norm_type, rng):
    grads = _grads(rng, scale=10.0)
    ours = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(ours, grads):
        p.grad = torch.tensor(g)
    total = torch_ref.clip_grad_norm_(ours, 1.5, norm_type=norm_type)
    expected, expected_total = _torch_clip(grads, 1.5, norm_type)
    assert total.item() == pytest.approx(float(expected_total), rel=1e-12)
    for p, e in zip(ours, expected):
        np.testing.assert_allclose(p.grad.numpy(), e, rtol=1e-12)
    torch_ref.clip_grad_value_(ours, 0.01)
    assert max(p.grad.abs().max().item() for p in ours) <= 0.01
    assert torch_ref.clip_grad_norm_([torch.nn.Parameter(torch.zeros(2))], 1.0).item() == 0.0  # no .grad


def test_total_norm_of_both_references():
    grads = [np.array([[1.0, -2.0]]), np.array([2.0]), np.zeros(0)]
    assert numpy_ref.total_norm(grads) == pytest.approx(3.0)
    assert numpy_ref.total_norm(grads, norm_type=math.inf) == 2.0
    assert numpy_ref.total_norm(grads, norm_type=1) == pytest.approx(5.0)
    assert torch_ref.total_norm([torch.tensor(g) for g in grads]).item() == pytest.approx(3.0)


# ----- bad arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("ref, wrap", [(numpy_ref, np.array), (torch_ref, torch.tensor)], ids=["numpy", "torch"])
def test_bad_arguments_are_named(ref, wrap):
    good = [wrap([1.0, 2.0]), wrap([[3.0]])]
    for bad_value, index in ((float("nan"), 1), (float("inf"), 0)):
        grads = [wrap([1.0, 2.0]), wrap([[3.0]])]
        grads[index] = wrap([bad_value, 1.0]) if index == 0 else wrap([[bad_value]])
        with pytest.raises(ValueError, match=rf"grads\[{index}\] holds 1 non-finite value"):
            ref.clip_grad_norm(grads, 1.0)
        with pytest.raises(ValueError, match=rf"grads\[{index}\] holds 1 non-finite"):
            ref.clip_grad_value(grads, 1.0)
    with pytest.raises(ValueError, match="max_norm must be finite and >= 0"):
        ref.clip_grad_norm(good, -1.0)
    with pytest.raises(ValueError, match="clip_value must be finite and >= 0"):
        ref.clip_grad_value(good, -0.5)
    for norm_type in (0, -2.0, float("nan"), "two"):
        with pytest.raises(ValueError, match="norm_type must be a real > 0 or inf"):
            ref.clip_grad_norm(good, 1.0, norm_type=norm_type)
    with pytest.raises(ValueError, match="grads must hold at least one gradient"):
        ref.clip_grad_norm([], 1.0)
    with pytest.raises(TypeError, match="grads must be a list"):
        ref.clip_grad_norm(good[0], 1.0)
    with pytest.raises(TypeError, match=r"grads\[1\] must have a floating dtype"):
        ref.clip_grad_norm([good[0], wrap([1, 2])], 1.0)
    with pytest.raises(TypeError, match="must share one floating dtype"):
        ref.clip_grad_norm([wrap(np.ones(2)), wrap(np.ones(2, dtype=np.float32))], 1.0)


def test_each_reference_takes_only_its_own_arrays():
    with pytest.raises(TypeError, match=r"grads\[0\] must be a numpy.ndarray"):
        numpy_ref.clip_grad_norm([torch.ones(2)], 1.0)
    with pytest.raises(TypeError, match=r"grads\[0\] must be a torch.Tensor"):
        torch_ref.clip_grad_norm([np.ones(2)], 1.0)


def test_a_single_parameter_is_clipped_as_torch_clips_it():
    ours, theirs = (torch.nn.Parameter(torch.zeros(3, 4)) for _ in range(2))
    ours.grad, theirs.grad = torch.full((3, 4), 5.0), torch.full((3, 4), 5.0)
    total = torch_ref.clip_grad_norm_(ours, 1.0)
    assert total.item() == pytest.approx(torch.nn.utils.clip_grad_norm_(theirs, 1.0).item())
    torch.testing.assert_close(ours.grad, theirs.grad)
    torch_ref.clip_grad_value_(ours, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    torch.testing.assert_close(ours.grad, theirs.grad)


def test_half_precision_norms_do_not_overflow_where_torchs_do_not():
    grads = [np.full(4, 300.0, np.float16), np.full((2, 2), -100.0, np.float16)]
    clipped, total = numpy_ref.clip_grad_norm(grads, 1.0)
    expected, expected_total = _torch_clip(grads, 1.0, 2.0)
    assert np.isfinite(total) and float(total) == pytest.approx(float(expected_total), rel=1e-3)
    for got, e in zip(clipped, expected):
        assert got.dtype == np.float16
        np.testing.assert_allclose(got, e, rtol=1e-3)
    got_t, total_t = torch_ref.clip_grad_norm([torch.tensor(g) for g in grads], 1.0)
    assert float(total_t) == pytest.approx(float(expected_total), rel=1e-3)
    for got, e in zip(got_t, expected):
        np.testing.assert_allclose(got.numpy(), e, rtol=1e-3)
