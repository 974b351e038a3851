"""Argument checks shared by the optimizer references (NumPy, torch and the Optimizers); the
checks every reference shares (``non_negative``, ``flag``...) are :mod:`coursekit._validate`'s."""

import numbers

from coursekit import _validate as v


def decay(name, value):
    """A decay rate in [0, 1) (momentum, alpha, beta1, beta2), as a Python float."""
    value = v.real(name, value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {value}")
    return value


def weights(w, backend):
    return v.float_array("w", w, backend=backend)


def step_inputs(w, dw, state, state_type, init_name, backend):
    """Check w, dw and a state of ``state_type`` whose array fields are shaped like w."""
    v.float_array("w", w, backend=backend)
    v.float_array("dw", dw, backend=backend)
    v.shape_equal("dw", dw, w.shape)
    v.same_dtype(w=w, dw=dw)
    if backend == "torch":
        v.same_device(w=w, dw=dw)
    if not isinstance(state, state_type):
        raise TypeError(
            f"state must be the {state_type.__name__} that {init_name}(w) returns, got {type(state).__name__}"
        )
    for field, value in state._asdict().items():
        if field == "count":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise TypeError(f"state.count must be an int >= 0, got {value!r}")
            continue
        if field == "mu_product":
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
                raise TypeError(f"state.mu_product must be a real number in [0, 1], got {value!r}")
            continue
        v.float_array(f"state.{field}", value, backend=backend)
        v.shape_equal(f"state.{field}", value, w.shape)
        v.same_dtype(w=w, **{f"state.{field}": value})
        if backend == "torch":
            v.same_device(w=w, **{f"state.{field}": value})
