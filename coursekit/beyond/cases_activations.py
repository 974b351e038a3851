"""The student side of 10_beyond_the_notes' GELU, SiLU and Mish (see
:mod:`coursekit.beyond.exercises_activations`): seeded arrays of several shapes and scales,
and each function with its derivative run on them, for each form, in float64 and float32."""

import numpy as np

from coursekit.grading.case_side import Cases, StudentError


def _case(rng, hidden):
    ndim = int(rng.integers(1, 4 if hidden else 3))
    shape = tuple(int(s) for s in rng.integers(1 if hidden else 2, 7, size=ndim))
    scale = float(rng.choice([1.0, 3.0, 30.0])) if hidden else 3.0
    z = scale * rng.standard_normal(shape)
    if hidden:  # where exp(z) overflows in float32 (and 1 - s(z) cancels)
        z.flat[0] = float(rng.choice([-100.0, 100.0]))
    return {"z": z}


def _call(fn, z, *args):
    before = z.copy()
    out = fn(z, *args)
    if not np.array_equal(z, before, equal_nan=True):
        raise StudentError("changed z in place; compute a new array instead")
    return out


def _runner(name, forms):
    """Outputs f and f' at z for each form (GELU's approximate argument), and on float32 z."""

    def run(fns, case):
        outputs = {}
        for z, suffix in ((case["z"], ""), (case["z"].astype(np.float32), " (float32)")):
            for form in forms:
                args, label = ((form,), f", approximate={form!r}") if form else ((), "")
                outputs[f"{name}{label}{suffix}"] = _call(fns[name], z, *args)
                outputs[f"{name}_grad{label}{suffix}"] = _call(fns[f"{name}_grad"], z, *args)
        return outputs

    return run


FORMS = {"gelu": ("none", "tanh"), "silu": (None,), "mish": (None,)}  # GELU's approximate argument

CASES = {f"beyond.{name}": Cases(_case, _runner(name, forms)) for name, forms in FORMS.items()}
