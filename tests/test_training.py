"""Training loops: they learn, they stop early, they respect the device, they reject bad input."""

import numpy as np
import pytest
import torch

from coursekit import data
from coursekit.training import build_mlp, fit, train_two_layer
from conftest import torch_devices


@pytest.fixture(scope="module")
def digits():
    return data.digits(seed=0)


def test_numpy_two_layer_learns_digits(digits):
    _, hist = train_two_layer(digits, epochs=3, progress=False)
    assert hist["val_acc"][-1] > 0.85  # chance is 0.1
    assert hist["loss"][-1] < hist["loss"][0]


def test_two_layer_uses_the_functions_it_is_given(digits):
    calls = []

    def counting_forward(x, w, b):
        calls.append(x.shape)
        return x @ w + b, (x, w, b)

    train_two_layer(digits, epochs=1, progress=False, functions={"dense_forward": counting_forward})
    assert len(calls) > 10


@pytest.mark.parametrize("device", torch_devices())
def test_torch_fit_learns_and_reports_device(digits, device):
    model = build_mlp([64, 64, 10], activation="elu", batchnorm=True, dropout=0.1)
    hist = fit(model, digits, epochs=5, lr=3e-3, device=device, progress=False, grad_norms=True)
    assert hist["device"].startswith(device)
    assert hist["val_acc"][-1] > 0.85
    assert np.array(hist["grad_norms"]).shape == (5, 2)
    assert next(model.parameters()).device.type == device


def test_early_stopping_restores_the_best_weights(digits):
    model = build_mlp([64, 32, 10])
    hist = fit(model, digits, epochs=30, lr=0.05, patience=1, progress=False)
    assert len(hist["loss"]) < 30
    from coursekit.training.torch_mlp import evaluate

    x = torch.as_tensor(digits.x_val, dtype=torch.float32)
    loss, _ = evaluate(model, x, torch.as_tensor(digits.y_val))
    assert loss.item() == pytest.approx(min(hist["val_loss"]), rel=1e-5)


def test_build_mlp_structure_and_errors():
    model = build_mlp([5, 7, 7, 3], activation="tanh", batchnorm=True, dropout=0.5)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout"] * 2 + ["Linear"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        build_mlp([2, 2], activation="swish")
    with pytest.raises(ValueError, match="dropout must lie in"):
        build_mlp([2, 2, 2], dropout=1.0)
    with pytest.raises(ValueError, match="sizes must list at least two"):
        build_mlp([3])
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        fit(build_mlp([64, 10]), data.digits(), lr=-1, progress=False)
