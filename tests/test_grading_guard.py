"""The in-notebook layer: hidden cases from a key nobody can compute, and a call guard that a
thread, a Tensor method or an ATen operator does not get around."""

import threading

import numpy as np
import pytest
import torch

from coursekit import grading
from coursekit.grading import GradingFailure, check
from coursekit.grading.exercises import HIDDEN_KEY_ENV
from coursekit.grading.guard import aten_names, forbidden_torch_names
from coursekit.layers import numpy_ref


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


@pytest.mark.parametrize("route", [
    lambda t: t.softmax(1),
    lambda t: torch.ops.aten._softmax(t, 1, False),
    lambda t: torch.ops.aten._softmax.default(t, 1, False),
    lambda t: torch.special.softmax(t, 1),
], ids=["Tensor.softmax", "aten._softmax", "aten._softmax.default", "special.softmax"])
def test_every_route_to_the_builtin_is_caught(route):
    with pytest.raises(GradingFailure, match="write it yourself"):
        check("layers.softmax", lambda z: route(torch.as_tensor(z)).numpy())


def test_plain_tensor_operations_are_allowed(capsys):
    def softmax(z):
        t = torch.as_tensor(z)
        e = torch.exp(t - t.max(dim=1, keepdim=True).values)
        return (e / e.sum(dim=1, keepdim=True)).numpy()

    check("layers.softmax", softmax)
    assert "✓ layers.softmax" in capsys.readouterr().out


def test_forbidden_names_reach_the_operators():
    names = forbidden_torch_names(grading.exercise("layers.softmax").forbidden())
    assert "softmax" in names and {"_softmax", "softmax"} <= aten_names(names)
    assert "native_batch_norm" in aten_names({"batch_norm"})


def test_scipys_equivalents_are_forbidden_too():
    from scipy import special

    with pytest.raises(GradingFailure, match="calls scipy.special.*softmax.*write it yourself"):
        check("layers.softmax", lambda z: special.softmax(z, axis=1))
    with pytest.raises(GradingFailure, match="calls scipy.special.*log_softmax"):
        check("layers.softmax_cross_entropy",
              lambda logits, y: (-special.log_softmax(logits, axis=1)[np.arange(len(y)), y].mean(),
                                 np.zeros_like(logits)))


GUARD_OFF = '''
import torch
from sys import setprofile as quiet
from torch._C import DisableTorchFunction as NoFunctionModes
from torch.utils._python_dispatch import _disable_current_modes as no_dispatch_modes

def softmax(z):
    {switch}
    with NoFunctionModes(), no_dispatch_modes():
        return torch.as_tensor(z).softmax(1).numpy()
'''


@pytest.mark.parametrize("switch", ["quiet(None)", "pass"], ids=["profiler_off", "modes_off"])
def test_switching_the_guard_off_counts_as_a_forbidden_call(switch):
    namespace = {"__name__": "__main__"}
    exec(GUARD_OFF.format(switch=switch), namespace)
    with pytest.raises(GradingFailure, match="switch"):
        check("layers.softmax", namespace["softmax"])


@pytest.mark.parametrize("call", ["F.softmax(torch.as_tensor(z), dim=1)", "torch.softmax(torch.as_tensor(z), dim=1)",
                                  "torch.as_tensor(z).softmax(dim=1)"])
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
