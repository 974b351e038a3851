"""Graded exercise of 09_learning_rate_schedules: clipping a list of gradients by their
global norm, as ``torch.nn.utils.clip_grad_norm_`` does (NumPy, without changing the inputs).

A case is one to four gradient arrays, a max_norm and a norm type (2, 1 or inf); some cases
need clipping and some do not, and one has norms so small that torch's 1e-6 matters. The
known slips are named: each array clipped by its own norm, no 1e-6, rescaling even short
gradients up, the sum of the norms as the total, the 2-norm whatever norm_type says.
"""

from coursekit.grading import Convention, Exercise, register
from coursekit.schedules import numpy_ref as ref
from coursekit.schedules.cases_clip import CASES, p_norm
from coursekit.schedules.exercises import REFERENCE_MODULES

EPS = 1e-6


def _variant(*, per_tensor=False, eps=EPS, clamp=True, total="norm", force_p=None):
    def clip_grad_norm(grads, max_norm, *, norm_type=2.0):
        p = force_p or norm_type
        norms = [p_norm(g, p) for g in grads]
        overall = p_norm(norms, p) if total == "norm" else float(sum(norms))

        def factor(norm):
            f = max_norm / (norm + eps)
            return min(f, 1.0) if clamp else f

        factors = [factor(n) for n in norms] if per_tensor else [factor(overall)] * len(grads)
        return [g * f for g, f in zip(grads, factors)], overall

    return clip_grad_norm


register(
    Exercise(
        name="schedules.clip_grad_norm",
        roles=("clip_grad_norm",),
        make_case=CASES["schedules.clip_grad_norm"].make_case,
        run=CASES["schedules.clip_grad_norm"].run,
        reference={"clip_grad_norm": ref.clip_grad_norm},
        conventions=(
            Convention(
                "each gradient clipped by its own norm",
                "Clip by the global norm: one factor "
                "min(max_norm / (total_norm + 1e-6), 1) for every array, with total_norm the norm of "
                "all gradients together, so the update keeps its direction.",
                {"clip_grad_norm": _variant(per_tensor=True)},
            ),
            Convention(
                "the factor max_norm / total_norm without torch's 1e-6",
                "torch divides by total_norm + 1e-6; it shows when the gradients are tiny.",
                {"clip_grad_norm": _variant(eps=0.0)},
            ),
            Convention(
                "a factor never capped at 1 (short gradients are scaled up to max_norm)",
                "Clipping only shortens: the factor is min(max_norm / (total_norm + 1e-6), 1).",
                {"clip_grad_norm": _variant(clamp=False)},
            ),
            Convention(
                "the sum of the gradients' norms as the total norm",
                "The total is the norm of the per-array norms (the norm of all entries as one vector), not their sum.",
                {"clip_grad_norm": _variant(total="sum")},
            ),
            Convention(
                "the 2-norm whatever norm_type asks for",
                "norm_type = p selects the p-norm: (sum |g|**p)**(1/p), and max |g| for inf.",
                {"clip_grad_norm": _variant(force_p=2.0)},
            ),
        ),
        reference_modules=REFERENCE_MODULES + ("torch.nn.utils.clip_grad",),
        tolerances={"float64": (1e-9, 1e-15), "float32": (1e-5, 1e-9)},
        visible_cases=4,
        hidden_cases=8,
    )
)
