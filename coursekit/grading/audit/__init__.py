"""The audit: a grade that the graded code cannot touch.

For one submission it

1. reads the notebook as collected (bytes hashed when grading started) and extracts its setup
   and answer cells (:mod:`.extract`);
2. scans that code for tampering with the grader (:mod:`.scan`); a scan that fails on this
   notebook (recursion, size, anything) becomes a flag on this student, never an error for
   the class;
3. runs the setup cells, the answer cells and the cells the student added in the sandbox
   (:mod:`.runner`), where coursekit keeps only what the exercises need to make and run
   their cases (:mod:`.allowlist`; importing anything else, every reference included, gives
   stubs that raise), on the visible cases and on hidden cases drawn from a fresh seed, each
   case under the exercise's call guard; only plain arrays come back;
4. computes the expected outputs here, in a process no student code ever ran in, with a
   coursekit whose files were checked against the install's record (:mod:`.integrity`).

A test cell's points count only if every ``check`` in it passes every case.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from coursekit import grading
from coursekit.grading import case_side, defaults, watchdog, wording
from coursekit.grading.audit import allowlist, extract, scan
from coursekit.grading.audit.sandboxed import hidden_module_info, run_runner
from coursekit.grading.check import problems
from coursekit.grading.errors import GraderError
from coursekit.grading.exercises import keyed_seed, seed_for
from coursekit.grading.outcomes import AuditResult, ExerciseResult, Status

MAX_SOURCE_CHARS = 200_000


@dataclass
class Plan:
    """What the audit of one assignment checks, prepared once in the grading parent."""

    test_cells: list
    calls: list
    release_nb: dict
    hidden: dict  # modules the sandbox serves as stubs (see allowlist): {name: description}
    forbidden: dict  # exercise -> ("module:qualname" list, torch names)
    banned: set  # {(top-level module, name)} of the forbidden functions, for the scan
    reference_functions: list
    solution_cells: dict = field(default_factory=dict)  # function name -> its answer cell's grade_id
    packages: tuple = ()  # the optional packages the exercises list (the others are not in the sandbox)


def plan(solution_nb: dict[str, Any], release_nb: dict[str, Any]) -> Plan:
    """Everything the audit needs to know about an assignment, from its instructor notebook."""
    result = plan_for(extract.test_cells(solution_nb), release_nb)
    result.solution_cells = extract.solution_cells(solution_nb)
    return result


def plan_for(test_cells: list, release_nb: dict[str, Any]) -> Plan:
    """The plan for these test cells (each with its ``check`` calls and points)."""
    import torch  # noqa: F401  (so that each exercise's forbidden torch functions are listed)

    from coursekit.grading.guard import forbidden_torch_names

    calls = [call for cell in test_cells for call in cell.calls]
    names = sorted({name for name, _ in calls})
    exercises = [grading.exercise(n) for n in names]
    forbidden = {}
    for ex in exercises:
        functions = list(ex.forbidden())
        paths = [
            f"{f.__module__}:{getattr(f, '__qualname__', f.__name__)}"
            for f in functions
            if getattr(f, "__module__", None) and hasattr(f, "__name__")
        ]
        forbidden[ex.name] = (paths, sorted(forbidden_torch_names(functions)))
    modules = allowlist.hidden(exercises)
    banned = {
        (path.split(".")[0], path.rsplit(".", 1)[-1].split(":")[-1])
        for paths, _ in forbidden.values()
        for path in paths
    }
    return Plan(
        test_cells,
        calls,
        release_nb,
        hidden_module_info(modules),
        forbidden,
        banned,
        _reference_functions(exercises),
        packages=tuple(sorted({p for ex in exercises for p in ex.packages})),
    )


def _reference_functions(exercises):
    import importlib
    import types

    found = []
    for module_name in sorted({m for ex in exercises for m in ex.reference_modules}):
        if not module_name.startswith("coursekit."):
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:  # a topic without this reference
                continue
            raise
        found += [v for v in vars(module).values() if isinstance(v, types.FunctionType) and v.__module__ == module_name]
    return found


def exercise_specs(plan_: Plan, seed: int, student: str) -> dict[str, dict[str, Any]]:
    """Seeds and forbidden functions per exercise: visible seeds are public, hidden ones
    come from the audit's seed for this student."""
    specs = {}
    for name, (paths, torch_names) in plan_.forbidden.items():
        specs[name] = {
            "visible_seed": seed_for(name),
            "hidden_seed": keyed_seed(seed, student, name),
            "forbidden": paths,
            "torch_names": torch_names,
            "student_side": case_side.spec(grading.exercise(name)),  # what the sandbox loads
        }
    return specs


def scan_flags(cells: list, plan_: Plan) -> list[str]:
    """Static flags for the student's cells; a failure of the scan is itself a flag."""
    flags = []
    present = {c.cell_id for c in cells}
    for cell in cells:
        try:
            if len(cell.source) > MAX_SOURCE_CHARS:
                flags.append(f"too-large: cell {cell.cell_id} has {len(cell.source)} characters")
                continue
            if cell.kind == "solution" or cell.changed:
                flags += scan.scan_source(cell.source, plan_.banned)
            if cell.kind == "solution":
                flags += [
                    f"reference-copy: {r}" for r in scan.pasted_references(cell.source, plan_.reference_functions)
                ]
        except (RecursionError, MemoryError, ValueError, TypeError) as err:
            flags.append(f"scan-failed: cell {cell.cell_id} ({type(err).__name__})")
        if cell.kind in ("test", "setup") and cell.changed:
            flags.append(f"edited-locked-cell: {cell.cell_id}")
    flags += [f"deleted-test-cell: {t.grade_id}" for t in plan_.test_cells if t.grade_id not in present]
    return list(dict.fromkeys(flags))


def _label(cell):
    """How feedback names a cell the audit runs."""
    if cell.kind == "solution":
        return f"the answer cell {cell.cell_id}"
    return "the setup cell" if cell.kind == "setup" else "a cell you added"


def _judge(ex, name, case_list, offset, call_index, arrays, errors):
    """(passed, failure message, recognised convention) of one call on one group of cases."""
    for i, case in enumerate(case_list):
        key = wording.case_key(call_index, offset + i)
        problem = errors.get(key) or errors.get(str(call_index)) or errors.get("sandbox")
        convention = None
        if not problem:
            expected = ex.run(ex.reference, case)
            got = wording.outputs_under(arrays, key)
            unknown = sorted(set(got) - set(expected))
            if unknown:  # the worker's reply held outputs this case does not have: never data
                problem = f"the audit's result was refused (outputs it did not ask for: {unknown[:3]})"
                errors.setdefault("sandbox", problem)
                return False, f"{wording.case_label(name, 'hidden' if offset else 'visible', i + 1)}: {problem}", None
            problem = "; ".join(problems(ex, got, expected))
            if problem and not wording.says_forward_first(problem):
                match = grading.matching_convention(ex, got, case, ex.tolerances)
                convention = match.name if match else None
        if problem:
            kind = "hidden" if offset else "visible"
            return False, f"{wording.case_label(name, kind, i + 1)}: {problem}", convention
    return True, None, None


def score_calls(
    plan_: Plan, specs: dict[str, dict[str, Any]], arrays: dict[str, Any], errors: dict[str, str]
) -> tuple[float, list[str], dict[str, ExerciseResult], dict[str, float]]:
    """(audit score, failure messages, per-exercise results), comparing the outputs with the
    references here. Each exercise records whether its visible and its hidden cases pass, and
    the known convention a failing answer matches."""
    passed, failures, exercises = {}, [], {}
    for call_index, (name, _) in enumerate(plan_.calls):
        ex = grading.exercise(name)
        spec = specs[name]
        visible = grading.cases(ex, False, seed=spec["visible_seed"])
        hidden = grading.cases(ex, True, seed=spec["hidden_seed"])
        seen = {}
        for offset, group, kind in ((0, visible, "visible"), (len(visible), hidden, "hidden")):
            ok, failure, convention = _judge(ex, name, group, offset, call_index, arrays, errors)
            seen[kind] = ok
            if failure:
                failures.append(failure)
                seen.setdefault("convention", convention)
                seen.setdefault("failure", failure)
        exercises[name] = ExerciseResult(seen["visible"], seen["hidden"], seen.get("convention"), seen.get("failure"))
        passed[call_index] = seen["visible"] and seen["hidden"]
    cells, index = {}, 0
    for cell in plan_.test_cells:
        cell_calls = range(index, index + len(cell.calls))
        index += len(cell.calls)
        cells[cell.grade_id] = cell.points if cell.calls and all(passed[i] for i in cell_calls) else 0.0
    return sum(cells.values()), failures, exercises, cells


def audit_notebook(
    notebook_bytes: bytes,
    plan_: Plan,
    *,
    student: str,
    seed: int,
    limits: watchdog.Limits | None = None,
    sandboxed: bool = True,
    cell_seconds: int = defaults.CELL_TIMEOUT,
) -> AuditResult:
    """Audit one submitted notebook (its bytes); returns an AuditResult."""
    max_score = sum(c.points for c in plan_.test_cells)
    try:
        submitted = json.loads(notebook_bytes)
        cells = extract.student_cells(submitted, plan_.release_nb)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        return AuditResult(0.0, max_score, [f"malformed: {str(err)[:200]}"])
    flags = scan_flags(cells, plan_)
    # The setup, the answers and the cells the student added (helpers an answer may call), in
    # the notebook's order; not the instructor's demonstrations, which can take long.
    chosen = [c for c in cells if c.kind in ("setup", "solution", "added") and len(c.source) <= MAX_SOURCE_CHARS]
    runnable = [extract.without_magics(c.source) for c in chosen]
    specs = exercise_specs(plan_, seed, student)
    arrays, errors, watched = run_runner(
        runnable,
        plan_.calls,
        specs,
        plan_.hidden,
        limits=limits,
        cell_seconds=cell_seconds,
        sandboxed=sandboxed,
        labels=[_label(c) for c in chosen],
        packages=plan_.packages,
    )
    if "grader" in errors:
        raise GraderError(errors["grader"])
    if watched.status != Status.OK or "sandbox" in errors:
        flags.append(f"audit-{watched.status}: {errors.get('sandbox') or watched.message}"[:300])
    score, failures, exercises, confirmed = (
        score_calls(plan_, specs, arrays, errors) if plan_.calls else (0.0, [], {}, {})
    )
    if "sandbox" in errors and not any(f.startswith("audit-") for f in flags):
        flags.append(f"audit-{watched.status}: {errors['sandbox']}"[:300])
    return AuditResult(float(score), float(max_score), flags, failures, exercises, confirmed)
