"""The in-notebook layer: hidden cases from a key nobody can compute, and a call guard that a
thread, a Tensor method or an ATen operator does not get around: a NumPy exercise refuses
torch, SciPy and scikit-learn as a whole, a torch exercise every ATen operator outside its
allowlist."""

import threading

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.grading import GradingFailure, check
from coursekit.grading.exercises import HIDDEN_KEY_ENV
from coursekit.layers import numpy_ref

from honest_network import default_network_with


def _first_hidden_x(name="layers.dense_forward"):
    return grading.cases(grading.exercise(name), True)[0]["x"]


def test_hidden_cases_follow_the_key_and_differ_between_keys(monkeypatch):
    monkeypatch.setenv(HIDDEN_KEY_ENV, "key one")
    one, again = _first_hidden_x(), _first_hidden_x()
    monkeypatch.setenv(HIDDEN_KEY_ENV, "key two")
    two = _first_hidden_x()
    assert np.array_equal(one, again) and not (one.shape == two.shape and np.array_equal(one, two))


def test_without_a_key_hidden_cases_are_fresh_every_time(monkeypatch):
    monkeypatch.delenv(HIDDEN_KEY_ENV, raising=False)
    draws = [_first_hidden_x() for _ in range(4)]
    assert len({(d.shape, d.tobytes()) for d in draws}) == 4


def test_the_public_seed_no_longer_gives_the_hidden_cases(monkeypatch):
    ex = grading.exercise("layers.dense_forward")
    public = grading.cases(ex, True, seed=grading.seed_for(ex.name, True))[0]["x"]
    monkeypatch.setenv(HIDDEN_KEY_ENV, "a course secret")
    assert not (public.shape == _first_hidden_x().shape and np.array_equal(public, _first_hidden_x()))


def test_a_thread_does_not_escape_the_guard():
    def answer(z):
        out = {}
        thread = threading.Thread(target=lambda: out.update(p=numpy_ref.softmax(z)))
        thread.start()
        thread.join()
        return out["p"]

    with pytest.raises(GradingFailure, match="calls coursekit.layers.numpy_ref.softmax"):
        check("layers.softmax", answer)


@pytest.mark.parametrize(
    "route",
    [
        lambda t: t.softmax(1),
        lambda t: torch.ops.aten._softmax(t, 1, False),
        lambda t: torch.ops.aten._softmax.default(t, 1, False),
        lambda t: torch.special.softmax(t, 1),
    ],
    ids=["Tensor.softmax", "aten._softmax", "aten._softmax.default", "special.softmax"],
)
def test_every_route_to_the_builtin_is_caught(route):
    with pytest.raises(GradingFailure, match="write it yourself|answered with NumPy only"):
        check("layers.softmax", lambda z: route(torch.as_tensor(z)).numpy())


def test_a_numpy_exercise_refuses_torch_even_for_plain_tensor_operations():
    def softmax(z):
        t = torch.as_tensor(z)
        e = torch.exp(t - t.max(dim=1, keepdim=True).values)
        return (e / e.sum(dim=1, keepdim=True)).numpy()

    with pytest.raises(GradingFailure, match=r"softmax uses torch \(torch.*answered with NumPy only"):
        check("layers.softmax", softmax)


def test_a_numpy_exercise_refuses_torch_imported_inside_the_answer(capsys):
    def softmax(z):
        import torch as late  # the guard's torch modes were not set: the profiler sees it

        return late.as_tensor(z).exp().numpy() / late.as_tensor(z).exp().sum(1, keepdim=True).numpy()

    with pytest.raises(GradingFailure, match="uses torch"):
        check("layers.softmax", softmax)


def test_a_numpy_exercise_refuses_scipy_by_package_not_only_its_softmax():
    from scipy.special import logsumexp

    with pytest.raises(GradingFailure, match="uses scipy .*answered with NumPy only"):
        check("layers.softmax", lambda z: np.exp(z - logsumexp(z, axis=1, keepdims=True)))


@pytest.mark.parametrize(
    "extra",
    [
        "torch.ops.aten._masked_softmax(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.bool))",
        "torch.ops.aten._safe_softmax(torch.ones(2, 3), 1)",
        "x = torch.ones(1, 2, 3); torch.nn.functional.scaled_dot_product_attention(x, x, x)",
        "torch.ops.aten._softmax(torch.ones(2, 3), 1, False)",
    ],
    ids=["_masked_softmax", "_safe_softmax", "scaled_dot_product_attention", "_softmax"],
)
def test_a_torch_exercise_refuses_any_operator_outside_its_allowlist(extra):
    with pytest.raises(GradingFailure, match=r"calls aten\._?\w+.*write it yourself"):
        check("training.default_network", default_network_with(extra))


def test_a_torch_exercise_allows_its_operators(capsys):
    check("training.default_network", default_network_with("x = torch.ones(2, 3) * 2 + 1"))
    assert "✓ training.default_network" in capsys.readouterr().out


def test_scipys_equivalents_are_forbidden_too():
    from scipy import special

    with pytest.raises(GradingFailure, match="calls scipy.special.*softmax.*write it yourself"):
        check("layers.softmax", lambda z: special.softmax(z, axis=1))
    with pytest.raises(GradingFailure, match="calls scipy.special.*log_softmax"):
        check(
            "layers.softmax_cross_entropy",
            lambda logits, y: (
                -special.log_softmax(logits, axis=1)[np.arange(len(y)), y].mean(),
                np.zeros_like(logits),
            ),
        )


GUARD_OFF = """
import torch
from sys import setprofile as quiet
from torch._C import DisableTorchFunction as NoFunctionModes
from torch.utils._python_dispatch import _disable_current_modes as no_dispatch_modes

def softmax(z):
    {switch}
    with NoFunctionModes(), no_dispatch_modes():
        return torch.as_tensor(z).softmax(1).numpy()
"""


@pytest.mark.parametrize("switch", ["quiet(None)", "pass"], ids=["profiler_off", "modes_off"])
def test_switching_the_guard_off_counts_as_a_forbidden_call(switch):
    namespace = {"__name__": "__main__"}
    exec(GUARD_OFF.format(switch=switch), namespace)
    with pytest.raises(GradingFailure, match="switch"):
        check("layers.softmax", namespace["softmax"])


@pytest.mark.parametrize(
    "call",
    [
        "F.softmax(torch.as_tensor(z), dim=1)",
        "torch.softmax(torch.as_tensor(z), dim=1)",
        "torch.as_tensor(z).softmax(dim=1)",
    ],
)
def test_a_forbidden_call_is_named_the_same_by_check_and_by_the_audits_scan(call):
    """What the student sees in ``check`` is what the instructor sees in the grade table."""
    import re

    import torch
    import torch.nn.functional as F

    from coursekit.grading import audit
    from coursekit.grading.audit import extract, scan

    source = f"def softmax(z):\n    return {call}.numpy()\n"
    namespace = {"torch": torch, "F": F}
    exec(source, namespace)
    with pytest.raises(GradingFailure) as failure:
        check("layers.softmax", namespace["softmax"])
    named = re.search(r"calls (\S+);", str(failure.value)).group(1)
    plan = audit.plan_for([extract.TestCell("t", 2, "", [("layers.softmax", ["softmax"])])], {"cells": []})
    flags = scan.scan_source("import torch\nimport torch.nn.functional as F\n" + source, plan.banned)
    assert f"calls-builtin: calls {named}" in flags, (named, flags)
