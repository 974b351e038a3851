"""The training loop both backends share (coursekit.training.loop): one history layout, one
early stopping, one evaluation result, for fit (torch) and fit_numpy (NumPy)."""

import dataclasses

import numpy as np
import pytest
import torch

from coursekit.training import build_mlp, build_numpy_mlp, evaluate, evaluate_numpy, fit, fit_numpy, loop
from coursekit.training.scheduling import RunRates


def _mirrored_pair(sizes):
    """A NumPy MLP and a torch MLP (float64) with the same weights."""
    numpy_model = build_numpy_mlp(sizes, activation="tanh", rng=np.random.default_rng(0))
    torch_model = build_mlp(sizes, activation="tanh").double()
    linears = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for i, linear in enumerate(linears, 1):
            linear.weight.copy_(torch.from_numpy(numpy_model.params[f"w{i}"].T))
            linear.bias.copy_(torch.from_numpy(numpy_model.params[f"b{i}"]))
    return numpy_model, torch_model


def _misleading(digits, n=200):
    """A split whose validation labels are shifted by one class: the better the net fits the
    training set, the worse its validation loss, from the first epoch on."""
    return dataclasses.replace(
        digits, x_train=digits.x_train[:n], y_train=digits.y_train[:n], y_val=(digits.y_val + 1) % 10
    )


def _both(digits, **settings):
    numpy_model, torch_model = _mirrored_pair([64, 16, 10])
    numpy_hist = fit_numpy(numpy_model, digits, rng=np.random.default_rng(0), progress=False, **settings)
    torch_hist = fit(torch_model, digits, device="cpu", dtype=torch.float64, progress=False, **settings)
    return (numpy_model, numpy_hist), (torch_model, torch_hist)


@pytest.mark.parametrize("extras", [{}, {"grad_norms": True, "step_stats": True}])
def test_both_backends_give_one_history_layout(digits, extras):
    (_, numpy_hist), (_, torch_hist) = _both(digits, optimizer="sgd", lr=0.1, epochs=2, **extras)
    assert set(numpy_hist) == set(torch_hist) == set(loop.new_history("cpu", **extras))
    for key in set(numpy_hist) - {"device"}:
        assert len(numpy_hist[key]) == len(torch_hist[key]), key
    assert numpy_hist["steps"] == torch_hist["steps"] == [17, 17]  # 1078 examples in batches of 64
    assert numpy_hist["device"] == "numpy" and torch_hist["device"] == "cpu"


def test_early_stopping_stops_both_backends_at_the_same_epoch(digits):
    # One batch per epoch, so the shuffling (each backend's own generator) changes nothing:
    # the two float64 runs are the same gradient descent.
    (numpy_model, numpy_hist), (torch_model, torch_hist) = _both(
        _misleading(digits), optimizer="sgd", lr=0.5, epochs=20, batch_size=200, patience=2
    )
    assert len(numpy_hist["loss"]) == len(torch_hist["loss"]) == 4  # best at the first epoch, then 3 worse
    np.testing.assert_allclose(numpy_hist["val_loss"], torch_hist["val_loss"], rtol=1e-9)
    best = min(numpy_hist["val_loss"])
    split = _misleading(digits)
    assert evaluate_numpy(numpy_model, split.x_val, split.y_val)[0] == pytest.approx(best, rel=1e-12)
    assert evaluate(torch_model, split.x_val, split.y_val)[0] == pytest.approx(best, rel=1e-12)


def test_evaluate_and_evaluate_numpy_return_the_same_floats(digits):
    numpy_model, torch_model = _mirrored_pair([64, 16, 10])
    numpy_result = evaluate_numpy(numpy_model, digits.x_val, digits.y_val)
    torch_result = evaluate(torch_model, digits.x_val, digits.y_val)
    assert all(type(value) is float for value in (*numpy_result, *torch_result))
    assert numpy_result[0] == pytest.approx(torch_result[0], rel=1e-12)
    assert numpy_result[1] == pytest.approx(torch_result[1], rel=1e-7)  # torch counts in float32
    loss, _ = evaluate(torch_model, digits.x_val, digits.y_val, as_tensors=True)
    assert isinstance(loss, torch.Tensor) and loss.item() == pytest.approx(torch_result[0], rel=1e-12)


class _Scripted:
    """A trainer whose validation losses are given; its 'weights' are the epoch index."""

    def __init__(self, val_losses):
        self.val_losses, self.index, self.restored = list(val_losses), -1, None

    def train_epoch(self, rates, momenta):
        self.index += 1
        return loop.Epoch(loss=1.0, val_loss=self.val_losses[self.index], val_acc=0.5)

    def snapshot(self):
        return self.index

    def restore(self, state):
        self.restored = state


@pytest.mark.parametrize("patience, epochs_run, best", [(None, 6, None), (0, 3, 1), (1, 4, 1), (3, 6, 1)])
def test_the_skeleton_stops_and_restores(patience, epochs_run, best):
    trainer = _Scripted([3.0, 2.0, 2.5, 2.0, 2.2, 2.1])
    rates = RunRates(0.1, None, None, epochs=6, steps_per_epoch=2)
    hist = loop.run(trainer, rates, loop.new_history("test"), epochs=6, patience=patience, progress=False)
    assert len(hist["val_loss"]) == epochs_run and trainer.restored == best
    assert hist["lr"] == [0.1] * epochs_run and hist["steps"] == [2] * epochs_run and hist["train_acc"] == []


def test_the_shared_argument_checks_speak_for_both_backends(digits):
    numpy_model, torch_model = _mirrored_pair([64, 10])
    for train, model, extra in ((fit_numpy, numpy_model, {"rng": np.random.default_rng(0)}), (fit, torch_model, {})):
        with pytest.raises(ValueError, match="epochs and batch_size must be >= 1"):
            train(model, digits, epochs=0, progress=False, **extra)
        with pytest.raises(ValueError, match="lr must be finite and > 0"):
            train(model, digits, lr=-1.0, progress=False, **extra)
