"""Training loops: they learn, they stop early, they respect the device, they reject bad input.

Also: coursekit's from-scratch parts compute what torch's modules compute, the coursekit
optimizers follow torch.optim inside ``fit``, an epoch never synchronises with a cuda
device, and the 08 notebook's helpers (ablation runner, spreads, figures) do what they say.
"""

import numpy as np
import pytest
import torch

from coursekit import data
from coursekit.batchnorm.torch_ref import BatchNorm1d
from coursekit.optimizers import torch_optim
from coursekit.regularization.torch_ref import Dropout, GaussianNoise
from coursekit.schedules import one_cycle
from coursekit.training import build_mlp, defaults, fit, make_optimizer, one_thread, run_epoch, threads, train_two_layer
from coursekit.training.parts import Activation
from coursekit.training.torch_mlp import evaluate
from coursekit.training.torch_steps import clipper

from conftest import torch_devices


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
    model = build_mlp([64, 64, 10], activation="elu", batchnorm=True, p_drop=0.1)
    hist = fit(model, digits, epochs=5, lr=3e-3, device=device, progress=False, grad_norms=True)
    assert hist["device"].startswith(device)
    assert hist["val_acc"][-1] > 0.85
    assert np.array(hist["grad_norms"]).shape == (5, 2)
    assert next(model.parameters()).device.type == device


def test_early_stopping_restores_the_best_weights(digits):
    model = build_mlp([64, 32, 10])
    hist = fit(model, digits, epochs=30, lr=0.05, patience=1, progress=False)  # on coursekit.device()
    assert len(hist["loss"]) < 30
    loss, _ = evaluate(model, digits.x_val, digits.y_val)  # NumPy arrays, moved to the model's device
    assert loss == pytest.approx(min(hist["val_loss"]), rel=1e-5)


def test_evaluate_names_its_bad_arguments(digits):
    model = build_mlp([64, 10])
    with pytest.raises(TypeError, match="model must be a torch.nn.Module with parameters"):
        evaluate(torch.nn.ReLU(), digits.x_val, digits.y_val)
    with pytest.raises(ValueError, match="same number of examples"):
        evaluate(model, digits.x_val, digits.y_val[:-1])
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        evaluate(model, digits.x_val, digits.y_val, batch_size=0)


def test_build_mlp_structure_and_errors():
    model = build_mlp([5, 7, 7, 3], activation="tanh", batchnorm=True, p_drop=0.5)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout"] * 2 + ["Linear"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        build_mlp([2, 2], activation="swish")
    with pytest.raises(ValueError, match="p_drop must lie in"):
        build_mlp([2, 2, 2], p_drop=1.0)
    with pytest.raises(ValueError, match="sizes must list at least two"):
        build_mlp([3])
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        fit(build_mlp([64, 10]), data.digits(), lr=-1, progress=False)


def test_no_bias_before_batchnorm_because_batchnorm_cancels_it():
    """The Linear layers just before BatchNorm have no bias: in build_mlp (torch's and
    coursekit's parts) and in the 08 notebook's default network. With torch's own
    nn.BatchNorm1d as the oracle, such a bias changes nothing and gets no gradient."""
    nets = [
        build_mlp([5, 7, 7, 3], batchnorm=True),
        build_mlp([5, 7, 7, 3], batchnorm=True, parts="coursekit"),
        defaults.default_network([5, 7, 7, 3], generator=torch.Generator().manual_seed(0)),
    ]
    for model in nets:
        linears = [m for m in model if isinstance(m, torch.nn.Linear)]
        assert [m.bias is None for m in linears] == [True, True, False]
        assert not linears[-1].bias.any()
    assert all(m.bias is not None for m in build_mlp([5, 7, 3]) if isinstance(m, torch.nn.Linear))
    kept = build_mlp([5, 7, 3], batchnorm=True, bias_before_batchnorm=True).double()
    linear, norm = kept[0], torch.nn.BatchNorm1d(7).double()
    with torch.no_grad():
        linear.bias.copy_(torch.randn(7, generator=torch.Generator().manual_seed(1)))
    x = torch.randn(16, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    with_bias = norm(linear(x))
    torch.testing.assert_close(with_bias, norm(x @ linear.weight.T), rtol=1e-10, atol=1e-12)
    with_bias.pow(3).sum().backward()
    assert linear.bias.grad.abs().max() < 1e-10 < linear.weight.grad.abs().max()


# ----- coursekit's from-scratch parts, optimizers, options ----------------------------------


def test_two_layer_can_skip_the_training_set_accuracy(digits):
    _, hist = train_two_layer(digits, epochs=2, progress=False, train_accuracy=False)
    assert hist["train_acc"] == [] and len(hist["val_acc"]) == 2


def test_coursekit_parts_structure_and_the_global_rng_is_left_alone():
    state = torch.get_rng_state()
    model = build_mlp([5, 7, 7, 3], activation="elu", batchnorm=True, p_drop=0.5, input_noise=0.1, parts="coursekit")
    assert torch.equal(state, torch.get_rng_state())
    kinds = [GaussianNoise, torch.nn.Linear] + [BatchNorm1d, Activation, Dropout, torch.nn.Linear] * 2
    assert all(isinstance(m, kind) for m, kind in zip(model, kinds, strict=True))
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.Dropout, torch.nn.ELU)) for m in model)
    with pytest.raises(ValueError, match="unknown parts 'keras'"):
        build_mlp([2, 2], parts="keras")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu"])
def test_coursekit_parts_compute_what_torch_modules_compute(rng, activation):
    ours = build_mlp([6, 8, 8, 4], activation=activation, batchnorm=True, parts="coursekit").double()
    oracle = build_mlp([6, 8, 8, 4], activation=activation, batchnorm=True).double()
    with torch.no_grad():
        for p in oracle.parameters():
            p.add_(0.3 * torch.randn(p.shape, dtype=p.dtype, generator=torch.Generator().manual_seed(1)))
    ours.load_state_dict(oracle.state_dict())
    x = torch.tensor(rng.standard_normal((10, 6)))
    y = torch.tensor(rng.integers(0, 4, 10))
    for model in (ours, oracle):
        torch.nn.functional.cross_entropy(model.train()(x), y).backward()
    for (name, a), b in zip(ours.named_parameters(), oracle.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12, msg=name)
    for a, b in zip(ours.buffers(), oracle.buffers()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ours.eval()(x), oracle.eval()(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "init, std",
    [
        ("he_normal", lambda fan_in, fan_out: (2 / fan_in) ** 0.5),
        ("glorot_uniform", lambda fan_in, fan_out: (2 / (fan_in + fan_out)) ** 0.5),
        ("lecun_normal", lambda fan_in, fan_out: (1 / fan_in) ** 0.5),
        ("standard_normal", lambda fan_in, fan_out: 1.0),
    ],
)
def test_coursekit_initialisers_give_the_weights_their_spread(init, std):
    model = build_mlp([300, 400, 10], init=init, parts="coursekit", seed=3)
    first = model[0]
    assert tuple(first.weight.shape) == (400, 300)  # nn.Linear's (fan_out, fan_in)
    assert first.weight.std().item() == pytest.approx(std(300, 400), rel=0.02)  # 120,000 draws
    assert not first.bias.any()
    again = build_mlp([300, 400, 10], init=init, parts="coursekit", seed=3)
    other = build_mlp([300, 400, 10], init=init, parts="coursekit", seed=4)
    assert torch.equal(again[0].weight, first.weight) and not torch.equal(other[0].weight, first.weight)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_fit_with_coursekit_optimizers_follows_torch_optim(digits, name):
    opt = make_optimizer(build_mlp([4, 2]).parameters(), name, parts="coursekit", lr=0.1)
    assert type(opt).__module__ == torch_optim.__name__
    histories = []
    for parts in ("torch", "coursekit"):
        model = build_mlp([64, 16, 10], activation="tanh", seed=2)
        histories.append(
            fit(
                model,
                digits,
                optimizer=name,
                lr=0.01,
                epochs=2,
                dtype=torch.float64,
                device="cpu",
                parts=parts,
                progress=False,
            )
        )
    np.testing.assert_allclose(histories[0]["val_loss"], histories[1]["val_loss"], rtol=1e-9)


def test_fit_with_coursekit_parts_is_reproducible_and_can_skip_train_accuracy(digits):
    runs = []
    for _ in range(2):
        model = build_mlp(
            [64, 32, 10], activation="elu", batchnorm=True, p_drop=0.3, input_noise=0.2, parts="coursekit", seed=5
        )
        runs.append(
            fit(
                model,
                digits,
                epochs=2,
                lr=3e-3,
                device="cpu",
                seed=5,
                parts="coursekit",
                progress=False,
                train_accuracy=False,
            )
        )
    assert runs[0]["val_loss"] == runs[1]["val_loss"]  # dropout and noise draw from seeded generators
    assert runs[0]["train_acc"] == []


@pytest.mark.parametrize("device", torch_devices())
def test_coursekit_parts_learn_on_every_device(digits, device):
    model = build_mlp([64, 64, 10], activation="elu", batchnorm=True, p_drop=0.1, input_noise=0.1, parts="coursekit")
    hist = fit(model, digits, epochs=5, lr=3e-3, device=device, parts="coursekit", progress=False)
    assert hist["device"].startswith(device) and hist["val_acc"][-1] > 0.85


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("parts", ["torch", "coursekit"])
def test_a_training_epoch_never_synchronises_with_the_host(digits, parts):
    """Not even with a per-step schedule, a momentum cycle, clipping and per-step records."""
    device = torch.device("cuda")
    model = build_mlp(
        [64, 64, 64, 10],
        activation="elu",
        batchnorm=True,
        p_drop=0.2,
        input_noise=0.1 if parts == "coursekit" else 0.0,
        parts=parts,
    ).to(device)
    opt = make_optimizer(model.parameters(), "adam", parts=parts, lr=1e-3)
    x = torch.as_tensor(digits.x_train, dtype=torch.float32, device=device)
    y = torch.as_tensor(digits.y_train, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    run_epoch(model, opt, x, y, batch_size=64, generator=generator)  # warm up: lazy initialisation
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any synchronising call now raises
    try:
        steps, n = {}, len(range(0, len(x), 64))
        rates, momenta = one_cycle(1e-3, n)
        loss, norms = run_epoch(
            model,
            opt,
            x,
            y,
            batch_size=64,
            generator=generator,
            grad_norms=True,
            rates=rates.tolist(),
            momenta=momenta.tolist(),
            clip=clipper(1.0, None, parts),
            steps=steps,
        )
        _, val_acc = evaluate(model, x, y, as_tensors=True)  # floats would synchronise
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert np.isfinite(loss.item()) and norms.shape == (3,) and 0 <= val_acc.item() <= 1
    assert len(steps["grad_norm"]) == n and opt.param_groups[0]["lr"] == rates[-1]  # a schedule and clipping


def test_threads_are_set_and_restored():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1

    @threads(1)
    def inside():
        return torch.get_num_threads()

    assert inside() == 1 and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n must be a positive int"), threads(0):
        pass


# ----- the default configuration and its ablation (08), and their figures ---------------------


def test_activation_input_stds_match_a_forward_pass_by_hand_and_leave_the_model_alone():
    x = torch.as_tensor(np.random.default_rng(0).standard_normal((200, 64)), dtype=torch.float32)
    naive = defaults.build_config(defaults.NAIVE_CONFIG, [64, 32, 16, 10])
    h, expected = x, []
    for linear in [m for m in naive if isinstance(m, torch.nn.Linear)][:-1]:
        z = linear(h)
        expected.append(z.std().item())
        h = torch.sigmoid(z)
    assert defaults.activation_input_stds(naive, x) == pytest.approx(expected, rel=1e-5)
    default = defaults.build_config(defaults.DEFAULT_CONFIG, [64, 32, 16, 10]).eval()
    before = {k: v.clone() for k, v in default.state_dict().items()}
    stds = defaults.activation_input_stds(default, x)
    assert stds == pytest.approx([1.0, 1.0], abs=1e-3)  # BatchNorm in training mode
    assert not default.training and all(torch.equal(before[k], v) for k, v in default.state_dict().items())


def test_run_ablation_trains_each_ablation_and_reuses_given_runs(digits):
    config = {"init": "he_normal", "activation": "elu", "batchnorm": False, "dropout": 0.0, "optimizer": "adam"}
    baseline = {"activation": "sigmoid", "batchnorm": False}
    known = {"val_acc": [0.5], "val_loss": [1.0]}
    rows = defaults.run_ablation(
        config,
        baseline,
        digits,
        seeds=(0, 1),
        trained={"baseline": [known, known]},
        hidden=(16,),
        epochs=1,
        device="cpu",
        progress=False,
    )
    assert [row["label"] for row in rows] == ["default", "activation: elu → sigmoid", "baseline"]
    assert rows[1]["config"] == {**config, "activation": "sigmoid"}
    assert len(rows[0]["histories"]) == 2 and rows[-1]["histories"] == [known, known]
    assert rows[-1]["val_acc"] == 0.5 and rows[-1]["val_acc_std"] == 0.0
    table = defaults.format_table(rows)
    assert len(table.splitlines()) == 4 and "activation: elu → sigmoid" in table
    with pytest.raises(ValueError, match="no default learning rate for 'rmsprop'"):
        defaults.train_config({**config, "optimizer": "rmsprop"}, digits, epochs=1)


def test_training_figures_draw_what_they_are_given():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from coursekit.plots import training as figures

    hist = {"loss": [1.0, 0.5, 0.3], "val_acc": [0.5, 0.7, 0.8], "grad_norms": [[1.0, 0.5], [0.8, 0.4], [0.6, 0.3]]}
    fig = figures.curves({"a": hist, "b": hist})
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert len(figures.gradient_norms({"a": hist}, epoch=2).axes[0].lines) == 1
    assert len(figures.per_layer({"a": [1, 2], "b": [2, 3]}, ylabel="std", reference=1.0).axes[0].lines) == 3
    rows = [
        {"label": "default", "val_acc": 0.9, "val_acc_std": 0.01},
        {"label": "x", "val_acc": 0.8},
        {"label": "baseline", "val_acc": 0.7},
    ]
    ax = figures.ablation(rows).axes[0]
    top_down = [t.get_text() for _, t in sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda p: -p[0])]
    assert len(ax.patches) == 3 and top_down == ["default", "x", "baseline"]
    with pytest.raises(ValueError, match="without grad_norms=True"):
        figures.gradient_norms({"a": {"loss": [1.0]}})
    plt.close("all")
