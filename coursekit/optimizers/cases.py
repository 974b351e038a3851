"""The student side of 05_optimizers' exercises (see :mod:`coursekit.optimizers.exercises`):
a starting point, a sequence of gradients and random hyperparameters per case, and the
answer's ``init`` and ``step`` run over the whole short trajectory (:func:`runner`, which
10_beyond_the_notes' AdamW reuses). Every other case is float32."""

import copy

import numpy as np

from coursekit.grading.case_side import Cases, StudentError, unpack
from coursekit.grading.exercise_tools import Float32Cases


def _sig(x):
    """Round to three significant digits, so the feedback shows short hyperparameters."""
    return float(f"{x:.3g}")


def _log_uniform(rng, low, high):
    return _sig(float(np.exp(rng.uniform(np.log(low), np.log(high)))))


HYPERPARAMETERS = {
    "sgd": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5)},
    "momentum": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5), "momentum": _sig(rng.uniform(0.5, 0.95))},
    "nesterov": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5), "momentum": _sig(rng.uniform(0.5, 0.95))},
    "adagrad": lambda rng: {"lr": _log_uniform(rng, 0.01, 0.5), "eps": _log_uniform(rng, 0.01, 0.3)},
    "rmsprop": lambda rng: {
        "lr": _log_uniform(rng, 0.01, 0.3),
        "alpha": _sig(rng.uniform(0.8, 0.99)),
        "eps": _log_uniform(rng, 0.01, 0.3),
    },
    "adam": lambda rng: {
        "lr": _log_uniform(rng, 0.01, 0.3),
        "beta1": _sig(rng.uniform(0.7, 0.9)),
        "beta2": _sig(rng.uniform(0.95, 0.999)),
        "eps": _log_uniform(rng, 0.01, 0.3),
    },
}


def _make_case(name):
    def make_case(rng, hidden, dtype):
        if hidden:
            ndim = int(rng.integers(1, 3))
            shape = tuple(int(s) for s in rng.integers(1, 8 if ndim == 1 else 5, size=ndim))
            steps, scale = 8, float(rng.choice([0.1, 0.3, 1.0]))
        else:
            shape, steps, scale = (int(rng.integers(2, 6)),), 5, 1.0
        w = rng.standard_normal(shape).astype(dtype)
        grads = (scale * rng.standard_normal((steps, *shape))).astype(dtype)
        return {"w": w, "grads": grads, **HYPERPARAMETERS[name](rng)}

    return Float32Cases(make_case)


def _unchanged(before, after):
    """Whether a state (any nesting of tuples, lists, dicts, arrays, numbers) is as it was."""
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and np.array_equal(before, after, equal_nan=True)
        )
    if isinstance(before, (tuple, list)):
        return (
            type(before) is type(after)
            and len(before) == len(after)
            and all(_unchanged(b, a) for b, a in zip(before, after))
        )
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_unchanged(before[k], after[k]) for k in before)
    if isinstance(before, (int, float, np.generic)) or before is None:
        return before == after or (before != before and after != after)
    return True


def _check_new_weights(k, w_new, w):
    if not isinstance(w_new, np.ndarray):
        raise StudentError(f"should return w_new as a numpy.ndarray, got {type(w_new).__name__} at step {k}")
    if w_new.shape != w.shape:
        raise StudentError(f"returned w_new of shape {w_new.shape} at step {k}, expected {w.shape}")
    if w_new.dtype != w.dtype:
        raise StudentError(
            f"returned w_new of dtype {w_new.dtype} at step {k}, expected {w.dtype}: keep w's dtype. "
            "Make state arrays with np.zeros_like(w), and scalars as Python floats "
            "(math.sqrt(1 - beta2**t), not np.sqrt, whose float64 result upcasts float32 arrays)"
        )


def runner(name):
    init_role, step_role = f"{name}_init", f"{name}_step"

    def run(fns, case):
        w = case["w"]
        hyper = {k: v for k, v in case.items() if k not in ("w", "grads")}
        w_before = w.copy()
        state = fns[init_role](w)
        if not np.array_equal(w, w_before):
            raise StudentError(f"{init_role} changed w in place; the state must be new arrays")
        outputs = {}
        for k, dw in enumerate(case["grads"], 1):
            w_before, dw_before, state_before = w.copy(), dw.copy(), copy.deepcopy(state)
            w_new, state_new = unpack(fns[step_role](w, dw, state, **hyper), 2, "(w_new, state_new)")
            for label, before, after in (("w", w_before, w), ("dw", dw_before, dw)):
                if not np.array_equal(before, after):
                    raise StudentError(
                        f"changed {label} in place at step {k}; return a new array (w_new = w - ..., not w -= ...)"
                    )
            if not _unchanged(state_before, state):
                raise StudentError(
                    f"changed the state it was given at step {k}; build the new state from new "
                    "arrays (m_new = beta * m + ..., not m *= beta)"
                )
            _check_new_weights(k, w_new, w)
            outputs[f"w after step {k}"] = np.array(w_new, copy=True)
            w, state = w_new, state_new
        return outputs

    return run


CASES = {f"optimizers.{name}_step": Cases(_make_case(name), runner(name)) for name in HYPERPARAMETERS}
