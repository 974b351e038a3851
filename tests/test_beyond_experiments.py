"""The experiment helpers of 10_beyond_the_notes (coursekit.beyond), on tiny inputs: each
one computes what it says, checked against a closed form, a hand computation or the
quantity it is meant to bound."""

import numpy as np
import pytest
import torch
from torch import nn

from coursekit.batchnorm.torch_ref import BatchNorm1d
from coursekit.beyond import activations, adaptive, decay, maxnorm, nets, normalisation, transfer, uncertainty
from coursekit.layernorm.torch_ref import LayerNorm


def test_mlp_places_the_normalisation_before_or_after_the_activation():
    before = nets.mlp([4, 3, 2], norm="batch", position="before", p_drop=0.1)
    after = nets.mlp([4, 3, 2], norm="layer", position="after")
    assert [type(m) for m in before] == [nn.Linear, BatchNorm1d, nn.ReLU, nn.Dropout, nn.Linear]
    assert [type(m) for m in after] == [nn.Linear, nn.ReLU, LayerNorm, nn.Linear]
    same = nets.mlp([4, 3, 2], seed=5)[0].weight
    assert torch.equal(same, nets.mlp([4, 3, 2], seed=5)[0].weight)
    assert not torch.equal(same, nets.mlp([4, 3, 2], seed=6)[0].weight)
    with pytest.raises(ValueError, match="position must be 'before' or 'after'"):
        nets.mlp([4, 2], position="middle")
    with pytest.raises(ValueError, match="norm must be None, 'batch' or 'layer'"):
        nets.mlp([4, 2], norm="group")


def test_only_a_linear_layer_followed_by_batchnorm_goes_without_a_bias():
    biases = lambda model: [m.bias is not None for m in model if isinstance(m, nn.Linear)]  # noqa: E731
    assert biases(nets.mlp([4, 3, 3, 2], norm="batch", position="before")) == [False, False, True]
    assert biases(nets.mlp([4, 3, 3, 2], norm="batch", position="after")) == [True, True, True]
    assert biases(nets.mlp([4, 3, 3, 2], norm="layer", position="before")) == [True, True, True]


def test_train_draws_its_dropout_masks_from_its_seed_and_leaves_the_global_generator_alone():
    x = torch.linspace(-1, 1, 64).reshape(16, 4)
    y = (x[:, 0] > 0).long()

    def losses(global_seed, seed):
        torch.manual_seed(global_seed)
        state = torch.get_rng_state()
        model = nets.mlp([4, 32, 2], p_drop=0.5, seed=3)
        loss = nets.train(model, x, y, epochs=3, batch_size=8, seed=seed)["loss"]
        assert torch.equal(torch.get_rng_state(), state)
        return loss

    assert losses(1, seed=0) == losses(2, seed=0)
    assert losses(1, seed=0) != losses(1, seed=1)


def test_train_runs_after_step_once_per_step_and_learns(digits):
    model, calls = nets.mlp([64, 16, 10]), []
    hist = nets.train(
        model,
        digits.x_train[:200],
        digits.y_train[:200],
        epochs=3,
        batch_size=50,
        after_step=calls.append,
        evaluate=lambda m: nets.accuracy(m, digits.x_val, digits.y_val),
    )
    assert len(calls) == 12 and all(c is model for c in calls)
    assert hist["loss"][-1] < hist["loss"][0] and len(hist["score"]) == 3


def test_max_norm_projection_bounds_every_hidden_unit_and_spares_the_output_layer():
    model = nets.mlp([3, 8, 8, 2], seed=1)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(10)
    output_weight = model[-1].weight.clone()
    maxnorm.project(model, 0.7)
    for norms in maxnorm.unit_norms(model):
        assert norms.max() <= 0.7 + 1e-6 and norms.min() > 0
    assert torch.equal(model[-1].weight, output_weight)


def test_relative_decay_is_lr_times_wd_for_adamw_and_divided_by_the_gradient_rms_for_l2(digits):
    for kind, strength in (("adamw", 0.5), ("adam_l2", 0.01)):
        model, opt, _, _ = decay.train(digits, kind, strength, n_train=64, hidden=(8,), epochs=2)
        rms, rate = decay.relative_decay(model, opt, kind, strength)
        state = opt.state[model[0].weight]
        v_hat = state["exp_avg_sq"] / (1 - 0.999 ** int(state["step"]))
        np.testing.assert_allclose(rms, v_hat.sqrt().flatten().double().numpy(), rtol=1e-6)
        expected = np.full_like(rms, 1e-3 * strength) if kind == "adamw" else 1e-3 * strength / (rms + 1e-8)
        np.testing.assert_allclose(rate, expected, rtol=1e-12)
        assert rms.shape == (8 * 64,)


def test_unused_inputs_are_the_all_zero_columns():
    x = np.array([[0.0, 1.0, 0.0, 2.0], [0.0, 1.0, 0.0, -1.0]])
    assert decay.unused_inputs(x).tolist() == [0, 2]  # column 1 is constant but not zero


def test_adamax_step_never_exceeds_lr_and_adam_stays_under_its_bound():
    spikes = adaptive.spike_gradients(2500, spike_every=800)
    adamax, adam = adaptive.spike_response("adamax", spikes), adaptive.spike_response("adam", spikes)
    assert adamax.max() <= 1 + 1e-9
    assert 1.5 < adam.max() <= adaptive.adam_step_bound() + 1e-9
    assert adaptive.adam_step_bound() == pytest.approx(0.1 / np.sqrt(0.001))


def test_calibration_error_and_nll_by_hand():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    y = np.array([0, 1, 1, 0])
    # bins: 0.9 -> bin 9 (1 right of 1, conf 0.9), 0.8 -> bin 8 (0 of 1), 0.7 -> bin 7 (1 of 1), 0.6 -> bin 6 (1 of 1)
    expected = (abs(1 - 0.9) + abs(0 - 0.8) + abs(1 - 0.7) + abs(1 - 0.6)) / 4
    assert uncertainty.expected_calibration_error(probs, y) == pytest.approx(expected)
    assert uncertainty.nll(probs, y) == pytest.approx(-np.mean(np.log([0.9, 0.2, 0.7, 0.6])))


def test_spread_by_distance_bands():
    points = np.array([[0.0, 0.0], [0.5, 0.0], [3.0, 0.0]])
    rows = uncertainty.spread_by_distance(
        points, np.array([1.0, 2.0, 4.0]), np.zeros((1, 2)), edges=(0.0, 0.25, 1.0, np.inf)
    )
    assert rows == [(0.0, 0.25, 1, 1.0), (0.25, 1.0, 1, 2.0), (1.0, np.inf, 1, 4.0)]


def test_mc_probabilities_needs_dropout():
    with pytest.raises(ValueError, match="has no nn.Dropout layer"):
        uncertainty.mc_probabilities(nets.mlp([2, 3, 2]), np.zeros((1, 2)), 3)
    with pytest.raises(ValueError, match="samples must be a positive int"):
        uncertainty.mc_probabilities(nets.mlp([2, 3, 2], p_drop=0.5), np.zeros((1, 2)), 0)


def test_task_split_relabels_and_few_labels_draws_per_class(digits):
    target = transfer.task_split(digits, range(5, 10))
    assert sorted(np.unique(target.y_train)) == [0, 1, 2, 3, 4]
    assert np.array_equal(target.x_train, digits.x_train[digits.y_train >= 5])
    x, y = transfer.few_labels(target, 3, seed=1)
    assert np.bincount(y).tolist() == [3] * 5 and len(x) == 15


def test_reused_layers_are_copied_and_frozen_as_the_variant_says(digits):
    source = transfer.task_split(digits, range(5))
    pretrained = nets.mlp([64, 8, 8, 5], seed=0)
    for variant in transfer.VARIANTS:
        model = transfer._target_model(pretrained, 5, variant=variant, reuse=1, seed=0)
        first = model[0]
        copied = torch.equal(first.weight, pretrained[0].weight)
        assert copied == variant.startswith("reused")
        assert first.weight.requires_grad == (variant == "from scratch")
        assert all(p.requires_grad for m in list(model)[1:] for p in m.parameters())
    x, y = transfer.few_labels(source, 2)
    _, scores = transfer.fine_tune(pretrained, source, x, y, variant="reused, unfrozen later", epochs=3, unfreeze_at=1)
    assert len(scores) == 3
    assert transfer.epochs_to_reach([0.5, 0.79, 0.81, 0.9], 0.8) == 3
    assert transfer.epochs_to_reach([0.5], 0.8) is None


def test_batch_dependence_is_zero_without_batch_statistics(digits):
    spread, gap = normalisation.batch_dependence(nets.mlp([64, 8, 10], norm="layer"), digits.x_val[:10], partners=5)
    assert spread == 0 and gap < 1e-5
    spread, gap = normalisation.batch_dependence(nets.mlp([64, 8, 10], norm="batch"), digits.x_val[:10], partners=5)
    assert spread > 0.01 and gap > 0.01


def test_silent_units_pass_no_gradient_through_relu_and_some_through_silu():
    for name, passes in (("relu", False), ("silu", True)):
        model = nets.mlp([2, 4, 2], activation=name)
        with torch.no_grad():
            model[0].bias[:2], model[0].bias[2:] = -3.0, 3.0  # two units negative for every input, two positive
            model[0].weight.mul_(0.01)
        silent, width, passed = activations.silent_units(
            model, name, np.random.default_rng(0).standard_normal((20, 2))
        )[0]
        assert (silent, width) == (2, 4)
        assert (passed > 0.05) if passes else passed == 0


def test_silent_units_take_every_activation_the_nets_offer_and_name_a_wrong_one():
    x = np.random.default_rng(0).standard_normal((20, 2))
    for name in nets.ACTIVATIONS:
        ((silent, width, _),) = activations.silent_units(nets.mlp([2, 4, 2], activation=name), name, x)
        assert width == 4 and 0 <= silent <= 4
    with pytest.raises(ValueError, match="activation must be one of .* got 'swish'"):
        activations.silent_units(nets.mlp([2, 4, 2]), "swish", x)


def test_train_names_a_batch_size_that_would_skip_every_batch():
    with pytest.raises(ValueError, match="batch_size=32 is larger than the 10 examples"):
        nets.train(nets.mlp([2, 3, 2]), np.zeros((10, 2)), np.zeros(10, dtype=int), batch_size=32, drop_last=True)
