"""What a re-grade changed: who, from what to what, and why.

Before ``coursekit grade A`` grades, :func:`snapshot` keeps the grades it is about to
replace (``grades/<A>.json``) and the fingerprint of the grader that gave them
(``grades/<A>.grader.json``: a hash of each exercise's cases, tolerances, reference and
conventions, and of the grading code). After, :func:`diff` compares each re-graded
student's row and says why it changed: the notebook changed, an exercise changed, the
grader changed, or only the hidden cases (a new draw) differ. The changes are printed and
kept in ``grades/<A>.changes.json``. ``coursekit grade --dry-run`` grades a copy of the
course and shows the same diff without writing anything here.
"""

import hashlib
import inspect
import json
import shutil
from pathlib import Path

import coursekit.grading as grading_package
from coursekit.grading.report import recorded


def _source(obj):
    for candidate in (obj, getattr(obj, "build", None), getattr(obj, "__func__", None)):
        if candidate is None:
            continue
        try:
            return inspect.getsource(candidate)
        except (OSError, TypeError):
            continue
    return repr(obj)


def exercise_fingerprint(name):
    """A hash of what decides an exercise's verdicts: cases, run, reference, tolerances."""
    from coursekit.grading.exercises import exercise

    ex = exercise(name)
    parts = [
        _source(ex.make_case),
        _source(ex.run),
        repr(sorted(ex.tolerances.items())),
        repr((ex.visible_cases, ex.hidden_cases)),
        *(_source(f) for _, f in sorted(ex.reference.items())),
        *(c.name + "".join(_source(f) for f in c.functions.values()) for c in ex.conventions),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def grader_fingerprint(exercise_names):
    """{"grader": hash of coursekit/grading/, "exercises": {name: hash}}."""
    folder = Path(grading_package.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.read_bytes())
    exercises = {}
    for name in sorted(exercise_names):
        try:
            exercises[name] = exercise_fingerprint(name)
        except KeyError:
            exercises[name] = "unknown"
    return {"grader": digest.hexdigest()[:16], "exercises": exercises}


def _exercise_names(rows):
    return {name for row in rows.values() for name in (row.get("exercises") or {})}


def snapshot(root, assignment_id):
    """The grades about to be replaced and the grader that gave them."""
    path = Path(root) / "grades" / f"{assignment_id}.grader.json"
    try:
        grader = json.loads(path.read_text())
    except (OSError, ValueError):
        grader = None
    try:
        seed = json.loads((Path(root) / "grades" / f"{assignment_id}.json").read_text()).get("audit_seed")
    except (OSError, ValueError):
        seed = None
    return {"students": recorded(root, assignment_id), "grader": grader, "audit_seed": seed}


def _why(before, after, old_grader, new_grader):
    reasons = []
    if before.get("sha256") and after.get("sha256") and before["sha256"] != after["sha256"]:
        reasons.append("the notebook changed")
    if before.get("status") != after.get("status"):
        reasons.append(f"grading status {before.get('status')} -> {after.get('status')}")
    old_ex, new_ex = before.get("exercises") or {}, after.get("exercises") or {}
    for name in sorted(set(old_ex) | set(new_ex)):
        a, b = old_ex.get(name) or {}, new_ex.get(name) or {}
        if (a.get("visible"), a.get("hidden")) == (b.get("visible"), b.get("hidden")):
            continue
        verdict = (
            f"{name} visible {_ok(a, 'visible')}->{_ok(b, 'visible')}, hidden {_ok(a, 'hidden')}->{_ok(b, 'hidden')}"
        )
        if old_grader is None:
            cause = "no record of the grader before"
        elif old_grader["exercises"].get(name) != new_grader["exercises"].get(name):
            cause = "the exercise changed (its cases, tolerances, reference or conventions)"
        elif old_grader["grader"] != new_grader["grader"]:
            cause = "the grader changed"
        elif a.get("visible") == b.get("visible"):
            cause = "a new hidden draw"
        else:
            cause = "unexplained"
        reasons.append(f"{verdict}: {cause}")
    if not reasons:
        reasons.append("nbgrader's or the audit's score changed with no exercise verdict changing")
    return reasons


def _ok(result, kind):
    return "?" if kind not in result else ("pass" if result[kind] else "fail")


def diff(before, after_rows, new_grader, students=None):
    """[{student, before, after, why}] for every re-graded student whose grade changed."""
    out = []
    for student in sorted(students if students is not None else after_rows):
        new, old = after_rows[student], before["students"].get(student)
        if old is None:
            out.append({"student": student, "before": None, "after": new["final_score"], "why": ["first grade"]})
            continue
        keys = ("final_score", "score", "audit_score", "status")
        if any(old.get(k) != new.get(k) for k in keys):
            out.append(
                {
                    "student": student,
                    "before": old.get("final_score"),
                    "after": new["final_score"],
                    "why": _why(old, new, before["grader"], new_grader),
                }
            )
    return out


def record(root, assignment_id, before, students):
    """After grading: compare, write grades/<A>.changes.json and the grader's fingerprint."""
    rows = recorded(root, assignment_id)
    grader = grader_fingerprint(_exercise_names(rows))
    changes = diff(before, rows, grader, students=[s for s in students if s in rows]) if before["students"] else []
    folder = Path(root) / "grades"
    (folder / f"{assignment_id}.changes.json").write_text(
        json.dumps({"assignment": assignment_id, "regrade": bool(before["students"]), "changes": changes}, indent=1)
    )
    (folder / f"{assignment_id}.grader.json").write_text(json.dumps(grader, indent=1))
    return changes


def text(changes):
    """The changes as lines for the terminal."""
    if not changes:
        return "no grade changed"
    lines = [f"{len(changes)} grade(s) changed:"]
    for c in changes:
        lines.append(f"  {c['student']}: {c['before']} -> {c['after']}")
        lines += [f"    {why}" for why in c["why"]]
    return "\n".join(lines)


def dry_run_copy(root, assignment_id, destination):
    """A copy of the course, with this assignment's submissions and grades, to grade without
    changing anything here."""
    from coursekit import course

    root, destination = Path(root), Path(destination)
    course.copy_course(root, destination)
    for rel in (f"notebooks/{assignment_id}", "grades", ".coursekit"):
        if (root / rel).exists():
            shutil.copytree(root / rel, destination / rel, dirs_exist_ok=True)
    for rel in ("gradebook.db", "late.toml", "extensions.csv"):
        if (root / rel).exists():
            shutil.copy2(root / rel, destination / rel)
    from coursekit.grading import untrusted
    from coursekit.grading.submissions import read_submission, students

    name = course.notebook_name(assignment_id)
    for student in students(root, assignment_id):  # as the real run reads them: no links, no FIFOs
        folder = root / "submitted" / student / assignment_id
        target = destination / "submitted" / student / assignment_id
        target.mkdir(parents=True, exist_ok=True)
        data, _ = read_submission(root, folder, assignment_id)
        if data is not None:  # (a refused notebook stays out: the dry run calls it malformed too)
            (target / name).write_bytes(data)
            untrusted.copy_allowed(folder, target)
    return destination
