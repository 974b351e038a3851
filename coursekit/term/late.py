"""Late work: due dates, each submission's time, extensions and a penalty policy.

The due date of an assignment is nbgrader's ``duedate`` in the gradebook (``nbgrader db
assignment add A --duedate=...`` or formgrader), unless ``late.toml`` at the course root
gives one. A submission's time is its ``timestamp.txt`` (written by ``nbgrader submit`` and
kept by ``collect``). ``late.toml`` also sets the policy::

    [policy]
    method = "per_day"   # none, zero (nbgrader's two), per_day or per_hour
    rate = 0.1           # per_day/per_hour: share of the maximum score lost per started day/hour
    grace_minutes = 5    # lateness below this is not late

    [duedates]
    00_backprop = "2026-10-02 23:59:00 UTC"

Extensions come from ``extensions.csv`` at the course root (``student,assignment,extra_hours``).
:func:`annotate` adds ``seconds_late`` and ``late_penalty`` (points) to ``grades/<A>.csv``; the
score exported to an LMS is ``final_score`` less ``late_penalty``, never below 0.
"""

import csv
import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from coursekit.grading.outcomes import Status

METHODS = ("none", "zero", "per_day", "per_hour")
COLUMNS = ("seconds_late", "late_penalty")


@dataclass(frozen=True)
class Policy:
    method: str = "none"
    rate: float = 0.0
    grace_minutes: float = 0.0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"late policy method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not 0 <= self.rate <= 1:
            raise ValueError(f"late policy rate must be in [0, 1], got {self.rate}")
        if self.grace_minutes < 0:
            raise ValueError(f"late policy grace_minutes must be at least 0, got {self.grace_minutes}")

    def penalty(self, score, max_score, seconds_late):
        """Points lost by a submission ``seconds_late`` late (never more than ``score``)."""
        if seconds_late <= self.grace_minutes * 60 or self.method == "none":
            return 0.0
        if self.method == "zero":
            return float(score)
        unit = 86400 if self.method == "per_day" else 3600
        return float(min(score, math.ceil(seconds_late / unit) * self.rate * max_score))


def parse_time(text, what):
    """A UTC datetime from nbgrader's timestamp format or ISO 8601 (naive means UTC)."""
    text = str(text).strip()
    try:
        value = datetime.fromisoformat(text.removesuffix(" UTC").removesuffix("Z"))
    except ValueError:
        raise ValueError(f"{what}: cannot read the time {text!r} (expected e.g. 2026-10-02 23:59:00 UTC)") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def load_settings(root):
    """(Policy, {assignment: due datetime}) from late.toml, or the defaults without one."""
    path = Path(root) / "late.toml"
    if not path.exists():
        return Policy(), {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: {err}") from None
    unknown = set(data) - {"policy", "duedates"}
    if unknown:
        raise ValueError(f"{path}: unknown sections {sorted(unknown)}; allowed: policy, duedates")
    policy = data.get("policy", {})
    fields = {"method", "rate", "grace_minutes"}
    if not isinstance(policy, dict) or set(policy) - fields:
        raise ValueError(f"{path}: [policy] takes only {', '.join(sorted(fields))}")
    for key in ("rate", "grace_minutes"):
        value = policy.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{path}: policy.{key} must be a finite number, got {value!r}")
    return Policy(**policy), {a: parse_time(t, f"{path} duedates.{a}") for a, t in data.get("duedates", {}).items()}


def extensions(root, assignment_id):
    """{student: extra hours} for ``assignment_id`` from extensions.csv."""
    path = Path(root) / "extensions.csv"
    if not path.exists():
        return {}
    out = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if set(row) != {"student", "assignment", "extra_hours"}:
                raise ValueError(f"{path}: the columns must be student,assignment,extra_hours")
            try:
                hours = float(row["extra_hours"])
            except (TypeError, ValueError):
                hours = math.nan
            if not math.isfinite(hours):
                raise ValueError(f"{path}, line {line}: extra_hours {row['extra_hours']!r} is not a finite number")
            if row["assignment"] == assignment_id:
                out[row["student"]] = out.get(row["student"], 0.0) + hours
    return out


def due_date(root, assignment_id, configured):
    """The due date: late.toml's, else the gradebook's, else None."""
    if assignment_id in configured:
        return configured[assignment_id]
    try:
        from nbgrader.api import Gradebook

        from coursekit.grading import gradebook

        with Gradebook(gradebook.url(root)) as gb:
            due = gb.find_assignment(assignment_id).duedate
    except Exception:  # no gradebook or no such assignment yet: no due date
        return None
    return due.replace(tzinfo=timezone.utc) if due else None


def lateness(root, assignment_id, students):
    """{student: seconds late (0 if on time or no due date or no timestamp)}."""
    _, configured = load_settings(root)
    due = due_date(root, assignment_id, configured)
    extra = extensions(root, assignment_id)
    out = {}
    from coursekit.grading import untrusted

    for student in students:
        folder = Path(root) / "submitted" / student / assignment_id
        stamp = untrusted.timestamp(folder)  # handed in: read as untrusted input, never blocking
        try:
            submitted = parse_time(stamp, f"{folder / 'timestamp.txt'}") if stamp and due else None
        except ValueError:
            submitted = None  # unreadable: counted on time, as with no timestamp
        if submitted is None:
            out[student] = 0.0
            continue
        deadline = due + timedelta(hours=extra.get(student, 0.0))
        out[student] = max(0.0, (submitted - deadline).total_seconds())
    return out


def annotate(root, assignment_id):
    """Add seconds_late and late_penalty to grades/<A>.csv; returns {student: (seconds, points)}
    for the late students."""
    path = Path(root) / "grades" / f"{assignment_id}.csv"
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = [c for c in reader.fieldnames if c not in COLUMNS], list(reader)
    policy, _ = load_settings(root)
    from coursekit.term.export import plain_cell

    late = lateness(root, assignment_id, [plain_cell(r["student"]) for r in rows])
    found = {}
    for row in rows:
        seconds = late[plain_cell(row["student"])]
        points = policy.penalty(float(row["final_score"]), float(row["max_score"]), seconds)
        row.update(seconds_late=f"{seconds:g}", late_penalty=f"{points:g}")
        if seconds > 0:
            found[plain_cell(row["student"])] = (seconds, points)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*header, *COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    return found


def describe(seconds):
    days, rest = divmod(int(seconds), 86400)
    return (f"{days} d " if days else "") + f"{rest // 3600} h {rest % 3600 // 60} min"


def late_rows(root, assignment_id):
    """The rows of grades/<A>.csv of the students who were late."""
    path = Path(root) / "grades" / f"{assignment_id}.csv"
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [r for r in csv.DictReader(handle) if float(r.get("seconds_late") or 0) > 0]


def report_section(root, assignment_id):
    """The class report's HTML section on late work ("" when nobody was late)."""
    import html

    rows = late_rows(root, assignment_id)
    if not rows:
        return ""
    cells = "".join(
        f"<tr><td>{html.escape(r['student'])}</td><td>{describe(float(r['seconds_late']))}</td>"
        f"<td>{r['late_penalty']}</td><td>{r['final_score']}</td></tr>"
        for r in rows
    )
    return (
        f"<h2>Late work ({len(rows)})</h2><table><tr><th>student</th><th>late by</th>"
        f"<th>penalty (points)</th><th>final score before it</th></tr>{cells}</table>"
    )


def record_penalties(root, assignment_id, outcomes, notebook):
    """Each graded student's late penalty into nbgrader's gradebook (the submission
    notebook's ``late_submission_penalty``), so that the feedback page and ``nbgrader
    export`` subtract the same points as the CSV and ``coursekit export``."""
    from coursekit.grading import gradebook

    policy, _ = load_settings(root)
    graded = [o for o in outcomes if o.status == Status.OK]
    late = lateness(root, assignment_id, [o.student for o in graded])
    for o in graded:
        points = policy.penalty(o.final_score, o.max_score, late[o.student]) if late[o.student] > 0 else 0.0
        gradebook.set_late_penalty(root, assignment_id, o.student, notebook, points)
