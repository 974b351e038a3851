"""The graded exercises of 09: independent correct answers (closed forms, written apart from
the references) pass visible and hidden cases; every recognised slip fails and is named;
other wrong answers are told what is wrong; calling the reference or torch earns nothing."""

import math

import numpy as np
import pytest
import torch

from coursekit.grading import GradingFailure, check

# ----- correct answers, in closed form ------------------------------------------------------


def exponential_decay(lr0, n_steps, *, gamma):
    return lr0 * np.power(gamma, np.arange(n_steps, dtype=float))


def power_decay(lr0, n_steps, *, s, c=1.0):
    return lr0 * np.exp(-c * np.log1p(np.arange(n_steps) / s))


def warmup_cosine(lr0, n_steps, *, warmup_steps, start_factor=1 / 3, eta_min=0.0):
    rates = np.empty(n_steps)
    for t in range(n_steps):
        if t < warmup_steps:
            rates[t] = lr0 * (start_factor + (1 - start_factor) * t / warmup_steps)
        else:
            progress = (t - warmup_steps) / (n_steps - warmup_steps)
            rates[t] = eta_min + 0.5 * (lr0 - eta_min) * (1 + math.cos(math.pi * progress))
    return rates


def one_cycle(
    max_lr, n_steps, *, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal_strategy="cos", three_phase=False
):
    low = max_lr / div_factor
    points = [(0.0, low, 0.95), (pct_start * n_steps - 1, max_lr, 0.85)]
    if three_phase:
        points += [(2 * pct_start * n_steps - 2, low, 0.95), (n_steps - 1, low / final_div_factor, 0.95)]
    else:
        points += [(n_steps - 1, low / final_div_factor, 0.95)]
    lrs, momenta = [], []
    for t in range(n_steps):
        i = min(j for j in range(1, len(points)) if t <= points[j][0] or j == len(points) - 1)
        (t0, lr_a, m_a), (t1, lr_b, m_b) = points[i - 1], points[i]
        w = (t - t0) / (t1 - t0)
        if anneal_strategy == "cos":
            w = (1 - math.cos(math.pi * w)) / 2
        lrs.append(lr_a + (lr_b - lr_a) * w)
        momenta.append(m_a + (m_b - m_a) * w)
    return np.array(lrs), np.array(momenta)


def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    total = np.abs(flat).max() if norm_type == math.inf else np.linalg.norm(flat, ord=norm_type)
    factor = float(min(max_norm / (total + 1e-6), 1.0))
    return [g * factor for g in grads], total


CORRECT = {
    "schedules.exponential_decay": exponential_decay,
    "schedules.power_decay": power_decay,
    "schedules.warmup_cosine": warmup_cosine,
    "schedules.one_cycle": one_cycle,
    "schedules.clip_grad_norm": clip_grad_norm,
}


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("hidden", [False, True])
def test_independent_correct_answers_pass(name, hidden, capsys):
    check(name, CORRECT[name], hidden=hidden)
    assert "cases pass" in capsys.readouterr().out


def _failure(name, function, hidden=False):
    with pytest.raises(GradingFailure) as info:
        check(name, function, hidden=hidden)
    return str(info.value)


# ----- each recognised slip fails and is named ----------------------------------------------


def exponential_from_one(lr0, n_steps, *, gamma):
    return exponential_decay(lr0, n_steps + 1, gamma=gamma)[1:]


def exponential_lost(lr0, n_steps, *, gamma):
    return exponential_decay(lr0, n_steps, gamma=1 - gamma)


def power_from_one(lr0, n_steps, *, s, c=1.0):
    return power_decay(lr0, n_steps + 1, s=s, c=c)[1:]


def power_without_c(lr0, n_steps, *, s, c=1.0):
    return power_decay(lr0, n_steps, s=s, c=1.0)


def _warmup(slip):
    def schedule(lr0, n_steps, *, warmup_steps, start_factor=1 / 3, eta_min=0.0):
        rates = []
        for t in range(n_steps):
            if t < warmup_steps:
                first = 0.0 if slip == "from zero" else start_factor
                span = warmup_steps - 1 if slip == "early peak" else warmup_steps
                rates.append(lr0 * (first + (1 - first) * min(t / span, 1.0)))
                continue
            k, t_max = t - warmup_steps, n_steps - warmup_steps
            if slip == "whole run":
                k, t_max = t, n_steps
            if slip == "last step":
                t_max -= 1
            angle = 180 * k / t_max if slip == "degrees" else math.pi * k / t_max
            rates.append(eta_min + (lr0 - eta_min) * (1 + math.cos(angle)) / 2)
        return np.array(rates)

    return schedule


def _one_cycle(slip):
    def schedule(max_lr, n_steps, **hyper):
        if slip == "momentum":
            lrs, momenta = one_cycle(max_lr, n_steps, **hyper)
            return lrs, 0.95 + 0.85 - momenta
        if slip == "min from max":
            hyper["final_div_factor"] /= hyper["div_factor"]
        if slip == "two phases":
            hyper["three_phase"] = False
        if slip == "always cos":
            hyper["anneal_strategy"] = "cos"
        if slip == "no offsets":
            return _no_offsets(max_lr, n_steps, **hyper)
        return one_cycle(max_lr, n_steps, **hyper)

    return schedule


def _no_offsets(
    max_lr, n_steps, *, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, anneal_strategy="cos", three_phase=False
):
    low = max_lr / div_factor
    ends = [pct_start * n_steps, 2 * pct_start * n_steps, n_steps] if three_phase else [pct_start * n_steps, n_steps]
    targets = [max_lr, low, low / final_div_factor] if three_phase else [max_lr, low / final_div_factor]
    moms = [0.85, 0.95, 0.95] if three_phase else [0.85, 0.95]
    lrs, momenta = [], []
    for t in range(n_steps):
        i = next(j for j, end in enumerate(ends) if t <= end)
        t0, lr_a, m_a = (ends[i - 1], targets[i - 1], moms[i - 1]) if i else (0.0, low, 0.95)
        w = (t - t0) / (ends[i] - t0)
        w = (1 - math.cos(math.pi * w)) / 2 if anneal_strategy == "cos" else w
        lrs.append(lr_a + (targets[i] - lr_a) * w)
        momenta.append(m_a + (moms[i] - m_a) * w)
    return np.array(lrs), np.array(momenta)


def _clip(slip):
    def clip(grads, max_norm, *, norm_type=2.0):
        p = 2.0 if slip == "2-norm" else norm_type

        def norm(a):
            a = np.abs(np.asarray(a, dtype=np.float64)).ravel()
            return a.max() if p == math.inf else (a**p).sum() ** (1 / p)

        norms = [norm(g) for g in grads]
        total = sum(norms) if slip == "sum" else norm(norms)
        eps = 0.0 if slip == "no eps" else 1e-6

        def factor(n):
            f = max_norm / (n + eps)
            return f if slip == "no cap" else min(f, 1.0)

        if slip == "per tensor":
            return [g * float(factor(n)) for g, n in zip(grads, norms)], total
        return [g * float(factor(total)) for g in grads], total

    return clip


CONVENTIONS = [
    ("schedules.exponential_decay", exponential_from_one, "the step count off by one"),
    ("schedules.exponential_decay", exponential_lost, "gamma as the fraction lost per step"),
    ("schedules.power_decay", power_from_one, "the step count off by one"),
    ("schedules.power_decay", power_without_c, "the power c left out"),
    ("schedules.warmup_cosine", _warmup("degrees"), "the cosine's phase in degrees"),
    ("schedules.warmup_cosine", _warmup("from zero"), "a warm-up from 0 (Hugging Face's"),
    ("schedules.warmup_cosine", _warmup("early peak"), "a warm-up that peaks one step early"),
    ("schedules.warmup_cosine", _warmup("last step"), "a cosine that reaches eta_min at the last step"),
    ("schedules.warmup_cosine", _warmup("whole run"), "a cosine counted from step 0 over the whole run"),
    ("schedules.one_cycle", _one_cycle("no offsets"), "phases that end at pct_start * n_steps"),
    ("schedules.one_cycle", _one_cycle("momentum"), "the momentum moving with the rate"),
    ("schedules.one_cycle", _one_cycle("min from max"), "the last rate max_lr / final_div_factor"),
    ("schedules.one_cycle", _one_cycle("two phases"), "two phases where three_phase=True asks for three"),
    ("schedules.one_cycle", _one_cycle("always cos"), "a cosine where anneal_strategy='linear'"),
    ("schedules.clip_grad_norm", _clip("per tensor"), "each gradient clipped by its own norm"),
    ("schedules.clip_grad_norm", _clip("no eps"), "the factor max_norm / total_norm without torch's 1e-6"),
    ("schedules.clip_grad_norm", _clip("no cap"), "a factor never capped at 1"),
    ("schedules.clip_grad_norm", _clip("sum"), "the sum of the gradients' norms"),
    ("schedules.clip_grad_norm", _clip("2-norm"), "the 2-norm whatever norm_type asks for"),
]


@pytest.mark.parametrize(
    "name, function, convention", CONVENTIONS, ids=[f"{c[0].split('.')[1]}-{c[2][:30]}" for c in CONVENTIONS]
)
def test_each_recognised_slip_fails_and_is_named(name, function, convention):
    """Each slip is named in the hidden cases; where the visible cases can show it, there too."""
    failures = [_failure(name, function, hidden=True)]
    try:
        check(name, function)
    except GradingFailure as err:
        failures.append(str(err))
    for message in failures:
        assert f"Your answer matches {convention}" in message, message


@pytest.mark.parametrize(
    "name, function, convention",
    [c for c in CONVENTIONS if c[2] not in ("two phases where three_phase=True asks for three",)],
    ids=lambda c: c if isinstance(c, str) else "",
)
def test_visible_cases_already_show_each_slip(name, function, convention):
    assert f"Your answer matches {convention}" in _failure(name, function)


def test_the_clipping_cases_cover_what_the_slips_need():
    """Visible and hidden: clipped and unclipped cases, norm types, tiny norms (torch's 1e-6
    shows), float32 (hidden); so each slip above has a case that shows it."""
    from coursekit import grading
    from coursekit.schedules.cases_clip import _grads, p_norm

    ex = grading.exercise("schedules.clip_grad_norm")
    for hidden in (False, True):
        cases = grading.cases(ex, hidden)
        totals = [p_norm([p_norm(g, c["norm_type"]) for g in _grads(c)], c["norm_type"]) for c in cases]
        clips = [t > c["max_norm"] for t, c in zip(totals, cases)]
        assert any(clips) and not all(clips)
        assert {2.0, math.inf} <= {c["norm_type"] for c in cases}
        assert any(t < 1e-4 and clip for t, clip in zip(totals, clips))
        assert any(_grads(c)[0].dtype == np.float32 for c in cases) == hidden


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_hidden_cases_differ_from_the_visible_ones_and_are_seeded(name):
    from coursekit import grading

    ex = grading.exercise(name)
    visible, hidden = grading.cases(ex, False), grading.cases(ex, True)
    assert len(hidden) > len(visible)

    def key(c):
        return repr(sorted((k, v.tolist() if hasattr(v, "tolist") else v) for k, v in c.items()))

    assert not {key(c) for c in visible} & {key(c) for c in hidden}
    assert [key(c) for c in visible] == [key(c) for c in grading.cases(ex, False)]


# ----- other wrong answers ------------------------------------------------------------------


def test_one_rate_too_many_is_explained():
    message = _failure(
        "schedules.exponential_decay", lambda lr0, n_steps, *, gamma: exponential_decay(lr0, n_steps + 1, gamma=gamma)
    )
    assert "rates for n_steps=" in message and "one rate per step" in message


def test_a_list_instead_of_an_array_is_refused():
    message = _failure(
        "schedules.exponential_decay", lambda lr0, n, *, gamma: list(exponential_decay(lr0, n, gamma=gamma))
    )
    assert "lrs should be a numpy.ndarray, got list" in message


def test_one_cycle_must_return_two_arrays():
    message = _failure("schedules.one_cycle", lambda max_lr, n, **h: one_cycle(max_lr, n, **h)[0])
    assert "should return (lrs, momenta)" in message


def test_clipping_in_place_is_reported():
    def clip(grads, max_norm, *, norm_type=2.0):
        clipped, total = clip_grad_norm(grads, max_norm, norm_type=norm_type)
        for g, c in zip(grads, clipped):
            g[...] = c
        return grads, total

    assert "changed grads[" in _failure("schedules.clip_grad_norm", clip)


def test_float64_factor_that_upcasts_float32_is_explained():
    def clip(grads, max_norm, *, norm_type=2.0):
        clipped, total = clip_grad_norm(grads, max_norm, norm_type=norm_type)
        return [c * np.float64(1.0) for c in clipped], total

    message = _failure("schedules.clip_grad_norm", clip, hidden=True)
    assert "of dtype float64 for a float32 gradient" in message and "float(factor)" in message


def test_returning_a_single_array_is_refused():
    message = _failure(
        "schedules.clip_grad_norm",
        lambda grads, max_norm, *, norm_type=2.0: (np.concatenate([g.ravel() for g in grads]), 1.0),
    )
    assert "should return clipped as a list of" in message


def test_blank_answers_are_not_implemented():
    def blank(*args, **kwargs):
        raise NotImplementedError()

    for name in CORRECT:
        assert "is not implemented yet" in _failure(name, blank)


# ----- calling the reference or torch earns nothing -----------------------------------------


def test_calling_the_reference_is_refused():
    from coursekit.schedules import exponential_decay as ref

    message = _failure("schedules.exponential_decay", ref)
    assert "coursekit.schedules.rates.exponential_decay" in message and "write it yourself" in message


def test_calling_torchs_scheduler_is_refused():
    def exponential(lr0, n_steps, *, gamma):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr0)
        scheduler, rates = torch.optim.lr_scheduler.ExponentialLR(opt, gamma), []
        for _ in range(n_steps):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        return np.array(rates)

    message = _failure("schedules.exponential_decay", exponential)
    assert "calls torch.optim.lr_scheduler." in message and "write it yourself" in message


def test_calling_torchs_clip_grad_norm_is_refused():
    def clip(grads, max_norm, *, norm_type=2.0):
        params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g, dtype=torch.float64)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        return [p.grad.numpy().astype(g.dtype) for p, g in zip(params, grads)], float(total)

    message = _failure("schedules.clip_grad_norm", clip)
    assert "calls torch.nn.utils.clip_grad." in message
