"""Grading, in the order a submission meets it.

1. **The student's check.** A notebook's test cells call :func:`check` on the exercises
   registered in ``coursekit/<topic>/exercises.py`` (:mod:`.exercises`, :mod:`.compare`,
   :mod:`.guard`, :mod:`.check`). Before handing in, ``coursekit check NOTEBOOK`` runs the
   notebook as the grader does (:mod:`.selfcheck`).
2. **The sandbox.** Every execution of student code by the grader happens in an OS sandbox
   that sees nothing of the course but the student's own notebook (:mod:`.sandbox`), its
   memory and time watched from outside (:mod:`.watchdog`). nbgrader's kernel runs there
   (:mod:`.kernel`); hidden cases come from a course secret (:mod:`.secret`).
3. **The class grade.** ``coursekit grade A`` grades each submission as one unit
   (:mod:`.submission`: nbgrader's autograde with the sandboxed kernel, then the audit),
   several at once or on a Dask cluster, and writes the gradebook from the parent alone
   (:mod:`.class_grade`, :mod:`.gradebook`). nbgrader's own score needs its test cells to
   have printed every ✓ line (:mod:`.markers`).
4. **The audit.** Each submission's functions run again, in a sandbox with no reference code
   in it, on fresh hidden cases; the outputs come back as plain arrays and are compared with
   a hash-verified coursekit in the parent; the code is scanned for tampering
   (:mod:`.audit`).
5. **The report.** ``grades/A.csv`` (nbgrader's score, the audit's, the final score and the
   flags), the tables printed, and ``coursekit report A`` (:mod:`.report`).
"""

from coursekit.grading.check import GradingFailure, check, matching_convention
from coursekit.grading.compare import compare, compare_outputs, describe
from coursekit.grading.exercises import (
    Convention,
    Exercise,
    StudentError,
    cases,
    exercise,
    hidden_seed,
    register,
    registered,
    scipy_functions,
    seed_for,
    substituted,
    torch_functions,
    unpack,
)
from coursekit.grading.kernel_hints import install as _install_kernel_hints

_install_kernel_hints()

__all__ = [
    "Convention",
    "Exercise",
    "GradingFailure",
    "StudentError",
    "cases",
    "check",
    "compare",
    "compare_outputs",
    "describe",
    "exercise",
    "hidden_seed",
    "matching_convention",
    "register",
    "registered",
    "scipy_functions",
    "seed_for",
    "substituted",
    "torch_functions",
    "unpack",
]
