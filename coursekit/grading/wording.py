"""The words that more than one part of grading reads: written here once, so that rewording a
message cannot break grading.

- ``check`` prints :func:`passed_line` on success, and nbgrader's
  :class:`~coursekit.grading.markers.RequireCheckMarkers` looks for :func:`passed_marker`;
- a failure starts with :func:`failed_header`, and ``coursekit check`` shows a failure from
  there (:func:`is_failure_line`), keeping the convention line (:func:`is_convention_line`);
- a backward exercise whose forward pass is wrong says :data:`FORWARD_FIRST`, and no
  convention is looked for then (:func:`says_forward_first`);
- the audit names a case with :func:`case_label` and its outputs with :func:`output_key`.
"""

PASSED = "✓"
FAILED = "✗"
MATCHES = "Your answer matches"
FORWARD_FIRST = "fix the forward pass first"


def passed_marker(exercise: str) -> str:
    """What a successful ``check`` of ``exercise`` prints first, and markers look for."""
    return f"{PASSED} {exercise}:"


def passed_line(exercise: str, count: int, kind: str) -> str:
    return f"{passed_marker(exercise)} all {count} {kind} cases pass"


def failed_header(where: str) -> str:
    return f"{FAILED} {where}:"


def is_failure_line(line: str) -> bool:
    return line.lstrip().startswith(FAILED)


def convention_line(name: str, explanation: str) -> str:
    """The line naming the known convention a wrong answer matches."""
    return f"  {MATCHES} {name}. {explanation}"


def is_convention_line(line: str) -> bool:
    return MATCHES in line


def says_forward_first(problem: str) -> bool:
    """True when ``problem`` says to fix the forward pass before the backward one."""
    return FORWARD_FIRST in problem


def case_label(exercise: str, kind: str, number: int) -> str:
    """How feedback names a case: ``layers.softmax hidden case 3``."""
    return f"{exercise} {kind} case {number}"


def case_key(call: int, case: int) -> str:
    """The audit's key of one case of one ``check`` call (its outputs hang below it)."""
    return f"{call}/{case}"


def output_key(call: int, case: int, output: str) -> str:
    return f"{case_key(call, case)}/{output}"


def outputs_under(arrays: dict, key: str) -> dict:
    """{output: array} of the case ``key`` (see :func:`case_key`) in the audit's arrays."""
    prefix = key + "/"
    return {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)}
