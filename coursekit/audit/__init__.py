"""``coursekit audit``: re-grade every submission out of process, and scan it for tampering.

For each student it

1. extracts the setup and solution cells of the submitted notebook;
2. runs them in a fresh subprocess (:mod:`coursekit.audit.sandbox`) with time and memory
   limits, with the reference modules and the built-ins under test replaced by stubs, on
   the visible and hidden cases of every exercise that the instructor's test cells check;
3. compares the results here, in the parent, against the pristine references, so nothing
   the student's code patched can influence the comparison;
4. scans all of the student's code statically (:mod:`coursekit.audit.scan`).

A test cell's points count in the audit score only if every ``check`` in it passes every
case. A student whose audit score is below the nbgrader score, or who has any flag, is
listed for review.
"""

import json
import resource
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coursekit import course, grading
from coursekit.audit import extract, scan


@dataclass
class AuditResult:
    nbgrader_score: float
    audit_score: float
    max_score: float
    flags: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    @property
    def needs_review(self):
        return bool(self.flags) or self.audit_score < self.nbgrader_score


def _limits(memory_mb, cpu_seconds):
    def apply():
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    return apply


def run_sandbox(cells, calls, *, cell_seconds=30, timeout=120, memory_mb=3072):
    """Run student cells and exercise calls in a child; returns (arrays, errors)."""
    exercises = sorted({name for name, _ in calls})
    needs_torch = any("torch" in c for c in cells) or any(
        any(getattr(f, "__module__", "").startswith("torch") for f in grading.exercise(n).forbidden())
        for n in exercises)
    with tempfile.TemporaryDirectory() as tmp:
        job, out = Path(tmp) / "job.json", Path(tmp) / "out.npz"
        job.write_text(json.dumps({"cells": cells, "calls": calls, "exercises": exercises,
                                   "cell_seconds": cell_seconds,
                                   "preload": ["torch"] if needs_torch else []}))
        try:
            result = subprocess.run(
                [sys.executable, "-m", "coursekit.audit.sandbox", str(job), str(out)],
                capture_output=True, text=True, timeout=timeout, cwd=tmp,
                preexec_fn=_limits(memory_mb, timeout), stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return {}, {"sandbox": f"timed out after {timeout} s"}
        errors_path = Path(str(out) + ".errors.json")
        if not out.exists() or not errors_path.exists():
            tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            return {}, {"sandbox": f"exited with status {result.returncode}: {tail[:300]}"}
        with np.load(out, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return arrays, json.loads(errors_path.read_text())


def _outputs(arrays, call_index, case_index):
    prefix = f"{call_index}/{case_index}/"
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def score_calls(test_cells, calls, arrays, errors):
    """Audit score and failure messages, comparing the child's outputs with the references."""
    passed, failures = {}, []
    for call_index, (name, _) in enumerate(calls):
        ex = grading.exercise(name)
        all_cases = grading.cases(ex, False) + grading.cases(ex, True)
        ok = True
        for case_index, case in enumerate(all_cases):
            key = f"{call_index}/{case_index}"
            problem = errors.get(key) or errors.get(str(call_index)) or errors.get("sandbox")
            if not problem:
                expected = ex.run(ex.reference, case)
                got = _outputs(arrays, call_index, case_index)
                problems = grading.compare_outputs(got, expected, ex.tolerances)
                problem = "; ".join(problems)
            if problem:
                failures.append(f"{name} case {case_index + 1}: {problem}")
                ok = False
                break
        passed[call_index] = ok
    score, index = 0.0, 0
    for cell in test_cells:
        cell_calls = range(index, index + len(cell.calls))
        index += len(cell.calls)
        if cell.calls and all(passed[i] for i in cell_calls):
            score += cell.points
    return score, failures


def forbidden_names(exercise_names):
    names = set()
    for name in exercise_names:
        for f in grading.exercise(name).forbidden():
            names.add(getattr(f, "__name__", ""))
    return names - {""}


def reference_functions(exercise_names):
    import types

    found = []
    for name in exercise_names:
        for module_name in grading.exercise(name).reference_modules:
            module = sys.modules.get(module_name)
            if module is None and module_name.endswith("numpy_ref"):
                module = __import__(module_name, fromlist=["_"])
            found += [v for v in vars(module).values()
                      if isinstance(v, types.FunctionType) and v.__module__ == module_name] if module else []
    return found


def audit_student(submitted_path, solution_nb, release_nb, **limits):
    test_cells = extract.test_cells(solution_nb)
    calls = [call for cell in test_cells for call in cell.calls]
    try:
        submitted = extract.read_notebook(submitted_path)
        cells = extract.student_cells(submitted, release_nb)
    except (OSError, ValueError, KeyError) as err:
        return [], calls, test_cells, [f"malformed: {err}"[:200]], {}, {"sandbox": "malformed notebook"}
    names = sorted({name for name, _ in calls})
    flags = []
    banned = forbidden_names(names)
    references = reference_functions(names)
    for cell in cells:
        if cell.kind == "solution" or cell.changed:
            flags += scan.scan_source(cell.source, banned)
        if cell.kind in ("test", "setup") and cell.changed:
            flags.append(f"edited-locked-cell: {cell.cell_id}")
        if cell.kind == "solution":
            flags += [f"reference-copy: {r}" for r in scan.pasted_references(cell.source, references)]
    present = {c.cell_id for c in cells}
    flags += [f"deleted-test-cell: {t.grade_id}" for t in test_cells if t.grade_id not in present]
    runnable = [extract.without_magics(c.source) for c in cells if c.kind in ("setup", "solution")]
    arrays, errors = run_sandbox(runnable, calls, **limits)
    return list(dict.fromkeys(flags)), calls, test_cells, [], arrays, errors


def audit_assignment(root, assignment_id, *, progress=True, **limits):
    """{student: AuditResult} for every submission of ``assignment_id``."""
    from tqdm.auto import tqdm

    from coursekit.grade_class import students

    root = Path(root)
    course.check_assignment(root, assignment_id)
    name = course.notebook_name(assignment_id)
    solution_nb = extract.read_notebook(root / "solutions" / assignment_id / name)
    release_nb = extract.read_notebook(root / "notebooks" / assignment_id / name)
    try:
        nbgrader_scores = course.scores(root, assignment_id)
    except Exception:
        nbgrader_scores = {}
    max_score = sum(c.points for c in extract.test_cells(solution_nb))
    results = {}
    for student in tqdm(students(root, assignment_id), desc=f"auditing {assignment_id}",
                        disable=not progress):
        path = root / "submitted" / student / assignment_id / name
        flags, calls, test_cells, extra, arrays, errors = audit_student(
            path, solution_nb, release_nb, **limits)
        score, failures = score_calls(test_cells, calls, arrays, errors) if calls else (0.0, [])
        nb_score = float(nbgrader_scores.get(student, (0.0, max_score))[0] or 0.0)
        if student not in nbgrader_scores:
            extra.append("not-autograded: no nbgrader score in the gradebook")
        results[student] = AuditResult(nb_score, float(score), float(max_score), flags + extra, failures)
    return results


def as_json(results):
    return json.dumps({s: {k: v for k, v in asdict(r).items() if k != "failures"}
                       for s, r in results.items()}, indent=1, sort_keys=True)


def report(results):
    lines = [f"{'student':<16} {'nbgrader':>9} {'audit':>7} {'max':>5}  review"]
    for student, r in sorted(results.items()):
        mark = "REVIEW" if r.needs_review else ""
        lines.append(f"{student:<16} {r.nbgrader_score:>9g} {r.audit_score:>7g} {r.max_score:>5g}  {mark}")
        for flag in r.flags:
            lines.append(f"{'':<16}   flag: {flag}")
        for failure in r.failures[:3]:
            lines.append(f"{'':<16}   fails: {failure[:150]}")
    review = [s for s, r in results.items() if r.needs_review]
    lines.append(f"\n{len(review)} of {len(results)} submissions to review" + (f": {', '.join(sorted(review))}" if review else ""))
    return "\n".join(lines)
