"""How the call guard's findings are put to the student: the forbidden calls by the names
the student would write (the same in ``check`` and in the audit's scan), the refused
packages, and what an exercise's answers may use (which the notebooks say too)."""

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coursekit.grading.case_side import StudentSide
    from coursekit.grading.exercises import Exercise

PACKAGE_HIT = "package "  # how the guard records a call into a refused package


def named(hits: Collection[str]) -> str:
    """The forbidden calls seen, each named once, by its most specific name: a Python
    function's qualified name, else the torch function's, else the ATen operator's."""
    qualified = sorted({h for h in hits if not h.startswith(("torch ", "aten.", PACKAGE_HIT))})
    api = sorted({h for h in hits if h.startswith("torch ") if not any(q.endswith("." + h[6:]) for q in qualified)})
    operators = sorted({h for h in hits if h.startswith("aten.")})
    names = [public_name(h) for h in qualified + api + (operators if not (qualified or api) else [])]
    return ", ".join(dict.fromkeys(names))


def public_name(hit: str) -> str:
    """A forbidden call as the student would write it, the same in ``check`` and in the
    audit's scan: ``torch.softmax`` (not torch's private ``_VariableFunctionsClass``),
    ``torch.nn.functional.softmax``."""
    if hit.startswith("torch "):
        return "torch." + hit[len("torch ") :]
    for private in ("._VariableFunctionsClass", "._C._VariableFunctions", "._C._nn", "._C._special"):
        hit = hit.replace(private, "")
    return hit


def may_use(ex: "Exercise | StudentSide") -> str:
    """What an exercise's answer may use, in words (the feedback and the notebooks say it)."""
    extra = {"torch": "torch", "scipy": "SciPy", "sklearn": "scikit-learn"}
    return " and ".join(["NumPy", *(extra[p] for p in ex.packages)])


def may_use_sentence(exercises: Iterable["Exercise"]) -> str:
    """What a notebook says its graded answers may use (``tests/test_course.py`` holds every
    notebook to it)."""
    special = [f"`{ex.roles[0]}`: {may_use(ex)}" for ex in {e.name: e for e in exercises}.values() if ex.packages]
    if not special:
        return (
            "**What your answers may use:** NumPy and Python's standard library, in every graded "
            "exercise; `check` and the grader refuse torch, SciPy and scikit-learn inside them."
        )
    return (
        f"**What your answers may use:** {'; '.join(special)}; every other graded exercise: NumPy. "
        "Python's standard library is always allowed; `check` and the grader refuse any other "
        "package inside them."
    )


def refusal(ex: "Exercise | StudentSide", hits: Collection[str]) -> str:
    """The feedback for forbidden calls: by name where one is known (``torch.softmax``), else
    the refused package, else the ATen operators outside the exercise's allowlist."""
    roles = " / ".join(ex.roles)
    packages = sorted({h[len(PACKAGE_HIT) :].partition(".")[0] for h in hits if h.startswith(PACKAGE_HIT)})
    by_name = [h for h in hits if not h.startswith(("aten.", PACKAGE_HIT))]
    if packages and not by_name:
        where = [h[len(PACKAGE_HIT) :] for h in hits if h.startswith(PACKAGE_HIT)]
        return (
            f"{roles} uses {', '.join(packages)} ({', '.join(where[:3])}); this exercise is "
            f"answered with {may_use(ex)} only"
        )
    return f"{roles} calls {named(hits)}; this exercise asks you to write it yourself"
