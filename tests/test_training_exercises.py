"""The graded exercises of 08_default_configuration: independently written correct answers
pass the visible and hidden cases, wrong ones fail, and each known convention is named."""

import math
import re

import pytest
import torch
from torch import nn

from coursekit.batchnorm.torch_ref import BatchNorm1d
from coursekit.grading import GradingFailure, check, exercise
from coursekit.init import torch_ref as init_ref
from coursekit.regularization.torch_ref import Dropout
from coursekit.training import build_mlp
from coursekit.training.parts import Activation

# ----- the default network: correct answers, written differently from the reference -------


def network_listed(sizes, *, p_drop=0.2, generator=None):
    layers = []
    for k in range(len(sizes) - 1):
        last = k == len(sizes) - 2
        linear = nn.Linear(sizes[k], sizes[k + 1], bias=last)
        with torch.no_grad():
            linear.weight.copy_(init_ref.he_normal(sizes[k], sizes[k + 1], generator=generator).T)
            if last:
                linear.bias.zero_()
        layers.append(linear)
        if k < len(sizes) - 2:
            layers.extend([BatchNorm1d(sizes[k + 1]), nn.ELU(), Dropout(p_drop)])
    return nn.Sequential(*layers)


def network_uniform_he_nested(sizes, *, p_drop=0.2, generator=None):
    """He uniform (the same variance), coursekit's Activation, blocks nested in Sequentials."""
    blocks = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        linear = nn.Linear(fan_in, fan_out, bias=False)
        linear.weight.data = init_ref.he_uniform(fan_in, fan_out, generator=generator).T.contiguous()
        blocks.append(nn.Sequential(linear, BatchNorm1d(fan_out), Activation("elu"), Dropout(p_drop)))
    head = nn.Linear(sizes[-2], sizes[-1])
    bound = math.sqrt(6 / sizes[-2])
    head.weight.data = (2 * torch.rand((sizes[-1], sizes[-2]), generator=generator) - 1) * bound
    head.bias.data = torch.zeros(sizes[-1])
    return nn.Sequential(*blocks, head)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("answer", [network_listed, network_uniform_he_nested])
def test_correct_default_networks_pass(answer, hidden, capsys):
    check("training.default_network", answer, hidden=hidden)
    out, err = capsys.readouterr()
    assert "cases pass" in out and err == ""


# ----- the default network: wrong answers, and the conventions they match -----------------


def _network(
    *,
    order=("bn", "act", "drop"),
    init="he",
    head=False,
    norm=BatchNorm1d,
    drop=Dropout,
    act=nn.ELU,
    bn_args=None,
    bias=None,
):
    """bias: True or False for every Linear layer; None: only where no BatchNorm follows."""

    def answer(sizes, *, p_drop=0.2, generator=None):
        layers = []
        for k in range(len(sizes) - 1):
            fan_in, fan_out = sizes[k], sizes[k + 1]
            followed_by_norm = k < len(sizes) - 2 or head
            linear = nn.Linear(fan_in, fan_out, bias=not followed_by_norm if bias is None else bias)
            if init is not None:
                std = {
                    "he": math.sqrt(2 / fan_in),
                    "fan_avg": math.sqrt(4 / (fan_in + fan_out)),
                    "glorot": math.sqrt(2 / (fan_in + fan_out)),
                }[init]
                with torch.no_grad():
                    linear.weight.copy_(std * torch.randn((fan_out, fan_in), generator=generator))
                    if linear.bias is not None:
                        linear.bias.zero_()
            layers.append(linear)
            if followed_by_norm:
                parts = {"bn": norm(fan_out, **(bn_args or {})), "act": act(), "drop": drop(p_drop)}
                layers.extend(parts[name] for name in order)
        return nn.Sequential(*layers)

    return answer


@pytest.mark.parametrize(
    "answer, convention",
    [
        (_network(order=("act", "bn", "drop")), "BatchNorm after the activation"),
        (_network(act=nn.ReLU), "ReLU instead of ELU"),
        (_network(head=True), "an output layer treated as a hidden one"),
        (_network(init="fan_avg"), "He initialisation with fan_avg"),
        (_network(init="glorot"), "Glorot (Xavier) initialisation"),
        (_network(init=None), "nn.Linear's own initialisation"),
        (_network(norm=nn.BatchNorm1d, drop=nn.Dropout), "torch's built-in BatchNorm1d and Dropout"),
        (_network(bn_args={"momentum": 0.99, "eps": 1e-3}), "Keras's BatchNorm momentum"),
        (_network(bias=True), "a bias in the Linear layers before BatchNorm"),
        (_network(bias=False), "no bias in the output layer"),
    ],
)
@pytest.mark.parametrize("hidden", [False, True])
def test_default_network_conventions_are_named(answer, convention, hidden):
    with pytest.raises(GradingFailure, match="Your answer matches " + re.escape(convention)):
        check("training.default_network", answer, hidden=hidden)


def test_a_bias_before_batchnorm_fails_and_feedback_says_where_and_why():
    """The default network asked for until the BatchNorm correction (a zero bias in every
    Linear layer) scores nothing: the feedback shows the bias code of each layer and explains."""
    with pytest.raises(GradingFailure) as failure:
        check("training.default_network", _network(bias=True))
    message = str(failure.value)
    assert "bias of each Linear layer (0 = none, 1 = all zeros, 2 = other values)" in message
    assert "expected 0, got 1" in message and "BatchNorm subtracts the batch mean" in message


def _ignoring_generator(sizes, *, p_drop=0.2, generator=None):
    return _network()(sizes, p_drop=p_drop, generator=None)


def _fixed_dropout(sizes, *, p_drop=0.2, generator=None):
    return _network()(sizes, p_drop=0.5, generator=generator)


def _no_dropout(sizes, *, p_drop=0.2, generator=None):
    return nn.Sequential(*(m for m in _network()(sizes, generator=generator) if not isinstance(m, Dropout)))


def _calls_build_mlp(sizes, *, p_drop=0.2, generator=None):
    return build_mlp(sizes, activation="elu", batchnorm=True, p_drop=p_drop, parts="coursekit")


def _not_implemented(sizes, *, p_drop=0.2, generator=None):
    raise NotImplementedError


@pytest.mark.parametrize(
    "answer, message",
    [
        (_ignoring_generator, "the same seed gives the same weights"),
        (_fixed_dropout, "dropout rate of each dropout layer"),
        (_no_dropout, r"module types, in order .* has shape"),
        (lambda sizes, **kw: [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])], "should return an nn.Module"),
        (lambda sizes, **kw: nn.Sequential(nn.Linear(sizes[0], sizes[-1])), "has Linear layers"),
        (_calls_build_mlp, r"calls .*coursekit\.training\.torch_mlp\.build_mlp"),
        (_not_implemented, "is not implemented yet"),
    ],
)
def test_wrong_default_networks_fail_with_a_reason(answer, message):
    with pytest.raises(GradingFailure, match=message):
        check("training.default_network", answer)


# ----- the ablation ------------------------------------------------------------------------


def ablations_comprehension(config, baseline):
    return {k: {**config, k: baseline[k]} for k in config if k in baseline and baseline[k] != config[k]}


def ablations_copying(config, baseline):
    import copy

    result = {}
    for key in config:
        if baseline.get(key, config[key]) == config[key]:
            continue
        entry = copy.deepcopy(config)
        entry[key] = baseline[key]
        result[key] = entry
    return result


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("answer", [ablations_comprehension, ablations_copying])
def test_correct_ablations_pass(answer, hidden, capsys):
    check("training.ablation", answer, hidden=hidden)
    out, err = capsys.readouterr()
    assert "cases pass" in out and err == ""


def _removable(config, baseline):
    return [k for k in config if k in baseline and baseline[k] != config[k]]


def cumulative(config, baseline):
    result, running = {}, config.copy()
    for key in _removable(config, baseline):
        running = running.copy()
        running[key] = baseline[key]
        result[key] = running
    return result


def add_one_in(config, baseline):
    keys = _removable(config, baseline)
    start = config.copy()
    start.update({k: baseline[k] for k in keys})
    return {k: {**start, k: config[k]} for k in keys}


def in_place(config, baseline):
    result = {}
    for key in _removable(config, baseline):
        config[key] = baseline[key]
        result[key] = config
    return result


def one_copy(config, baseline):
    entry, result = config.copy(), {}
    for key in _removable(config, baseline):
        entry[key] = baseline[key]
        result[key] = entry
    return result


def deleting(config, baseline):
    result = {}
    for key in _removable(config, baseline):
        entry = config.copy()
        del entry[key]
        result[key] = entry
    return result


def every_listed_component(config, baseline):
    return {k: {**config, k: baseline[k]} for k in config if k in baseline}


def none_for_missing(config, baseline):
    result = {}
    for key, value in config.items():
        if baseline.get(key) != value:
            result[key] = {**config, key: baseline.get(key)}
    return result


@pytest.mark.parametrize(
    "answer, convention",
    [
        (cumulative, "a cumulative ablation"),
        (add_one_in, "an add-one-in study"),
        (in_place, "config changed in place"),
        (one_copy, "one copy shared by all entries"),
        (deleting, "components deleted instead of set to their baseline value"),
        (every_listed_component, "entries for components already at the baseline"),
        (none_for_missing, "components missing from baseline set to None"),
    ],
)
@pytest.mark.parametrize("hidden", [False, True])
def test_ablation_conventions_are_named(answer, convention, hidden):
    with pytest.raises(GradingFailure, match="Your answer matches " + re.escape(convention)):
        check("training.ablation", answer, hidden=hidden)


def _calls_reference(config, baseline):
    from coursekit.training.defaults import ablations

    return ablations(config, baseline)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda config, baseline: list(ablations_comprehension(config, baseline).values()), "should return a dict"),
        (lambda config, baseline: {"extra": dict(config)}, "not a component of config"),
        (lambda config, baseline: {k: (k, baseline[k]) for k in _removable(config, baseline)}, "not a configuration"),
        (lambda config, baseline: {}, "components with an entry"),
        (_calls_reference, r"calls .*coursekit\.training\.defaults\.ablations"),
    ],
)
def test_wrong_ablations_fail_with_a_reason(answer, message):
    with pytest.raises(GradingFailure, match=message):
        check("training.ablation", answer)


def test_every_convention_is_tested():
    names = {c.name for name in ("training.default_network", "training.ablation") for c in exercise(name).conventions}
    tested = {
        "BatchNorm after the activation",
        "ReLU instead of ELU",
        "an output layer treated as a hidden one",
        "He initialisation with fan_avg (the notes' table)",
        "Glorot (Xavier) initialisation",
        "nn.Linear's own initialisation",
        "torch's built-in BatchNorm1d and Dropout",
        "Keras's BatchNorm momentum (0.99) and eps (1e-3)",
        "a bias in the Linear layers before BatchNorm",
        "no bias in the output layer",
        "a cumulative ablation (removals pile up)",
        "an add-one-in study from the baseline",
        "config changed in place",
        "one copy shared by all entries",
        "components deleted instead of set to their baseline value",
        "entries for components already at the baseline",
        "components missing from baseline set to None",
    }
    assert names == tested
