"""A deliberately weak exercise and a strong one with the same reference, for
tests/test_term_validate.py: the weak one's cases are all 1 x 1 arrays with the scale given,
so an axis swapped or a sum made a mean goes unnoticed."""

from coursekit.grading import Convention, Exercise, register


def column_sums(x, *, scale=1.0):
    """x: (N, D). Returns scale times the sum of each column, shape (D,)."""
    if x.ndim != 2 or scale < 0:
        raise ValueError(f"x must be 2-D and scale at least 0, got {x.ndim}-D and {scale}")
    return scale * x.sum(axis=0)


def row_sums(x, *, scale=1.0):
    return scale * x.sum(axis=1)


def _run(fns, case):
    kwargs = {"scale": case["scale"]} if "scale" in case else {}
    return {"sums": fns["column_sums"](case["x"], **kwargs)}


def _weak_case(rng, hidden):
    return {"x": rng.standard_normal((1, 1)), "scale": 1.0 + rng.random()}


def strong_case(rng, hidden):
    n, d = (int(k) for k in rng.integers(2, 6, size=2))
    case = {"x": rng.standard_normal((n, d + 1))}
    if rng.random() < 0.5:
        case["scale"] = 1.0 + rng.random()
    return case


MISTAKE = Convention("row sums", "Sum each column (axis=0), not each row.", {"column_sums": row_sums})
WEAK = register(
    Exercise(
        name="weakfix.column_sums",
        roles=("column_sums",),
        make_case=_weak_case,
        run=_run,
        reference={"column_sums": column_sums},
        conventions=(MISTAKE,),
    )
)
STRONG = register(
    Exercise(
        name="strongfix.column_sums",
        roles=("column_sums",),
        make_case=strong_case,
        run=_run,
        reference={"column_sums": column_sums},
        conventions=(MISTAKE,),
        visible_cases=4,
    )
)
