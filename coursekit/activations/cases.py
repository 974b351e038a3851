"""The student side of 03_activations' exercises (see :mod:`coursekit.activations.exercises`):
seeded arrays of several shapes, and each activation with its derivative run on them, in
float64 and in float32, with the default ``alpha`` and another where there is one."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError


def _shape(rng, hidden):
    ndim = int(rng.integers(1, 4 if hidden else 3))
    return tuple(int(s) for s in rng.integers(1 if hidden else 2, 7, size=ndim))


def _case_maker(with_alpha):
    def make_case(rng, hidden):
        scale = float(rng.choice([1.0, 3.0, 20.0])) if hidden else 3.0
        case = {"z": scale * rng.standard_normal(_shape(rng, hidden))}
        if with_alpha:
            case["alpha"] = float(np.round(rng.uniform(0.05, 2.0), 3))
        return case

    return make_case


def _call(fns, name, z, kwargs):
    before = z.copy()
    out, grad = fns[name](z, **kwargs), fns[f"{name}_grad"](z, **kwargs)
    if not np.array_equal(z, before, equal_nan=True):
        raise StudentError("changed z in place; compute a new array (np.where, np.maximum) instead")
    return out, grad


def _runner(name, with_alpha):
    """Outputs: f and f' at z (defaults), with the case's alpha, and on z as float32."""

    def run(fns, case):
        z = case["z"]
        outputs = dict(zip(("out", "grad"), _call(fns, name, z, {})))
        extra = {"alpha": case["alpha"]} if with_alpha else {}
        if with_alpha:
            outputs.update(zip(("out_alpha", "grad_alpha"), _call(fns, name, z, extra)))
        outputs.update(zip(("out_float32", "grad_float32"), _call(fns, name, z.astype(np.float32), extra)))
        return outputs

    return run


WITH_ALPHA = {"sigmoid": False, "tanh": False, "relu": False, "leaky_relu": True, "elu": True, "selu": False}

CASES = {
    f"activations.{name}": Cases(_case_maker(with_alpha), _runner(name, with_alpha))
    for name, with_alpha in WITH_ALPHA.items()
}
