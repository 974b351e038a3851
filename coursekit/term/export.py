"""``coursekit export``: final scores in the formats LMSs import.

The score exported is the one the audit confirms, ``final_score`` in ``grades/<A>.csv``, less
the late penalty where that CSV has a ``late_penalty`` column (:mod:`coursekit.term.late`).
Formats:

- ``canvas``: Canvas's gradebook CSV. A header row ``Student, ID, SIS User ID, SIS Login ID,
  Section`` then one column per assignment, named ``<name> (<Canvas assignment id>)`` where
  the id is known (Canvas then updates that assignment) or ``<name>`` (Canvas creates one);
  a second row ``Points Possible`` gives each assignment's maximum.
- ``moodle``: Moodle's grade import CSV: ``Email address``, ``ID number``, ``Full name`` and a
  column per assignment; the import maps the email (or ID number) to a user and each
  assignment column to a grade item.
- ``csv`` and ``json``: every field, for anything else.

With a roster (:mod:`coursekit.term.roster`), ids are mapped to the LMS's; a roster student
with no grade is exported with an empty score (or 0 with ``missing="zero"``), and a graded
student not on the roster is left out of the LMS formats (it has no LMS identity) but kept
in ``csv``/``json``; both are always reported.
"""

import csv
import io
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from coursekit import course
from coursekit.term import roster as rosters

FORMATS = ("canvas", "moodle", "csv", "json")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_IDENTITY = ("Email address", "ID number", "Full name")


@dataclass
class Export:
    text: str
    missing: list = field(default_factory=list)  # on the roster, no grade
    unknown: list = field(default_factory=list)  # graded, not on the roster

    def problems(self):
        """One line per student reported; empty when everyone matched."""
        return [f"missing: {s} is on the roster but has no grade" for s in self.missing] + [
            f"unknown: {s} was graded but is not on the roster" for s in self.unknown
        ]


def plain_cell(text):
    """A cell of grades/<A>.csv as written (the grader prefixes ' to formula-like text)."""
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text


def exported_score(row):
    """The score an LMS gets from a row of grades/<A>.csv: the final score less any late
    penalty, never below 0."""
    score = float(row["final_score"])
    penalty = float(row.get("late_penalty") or 0.0)
    return max(0.0, score - penalty)


def read_grades(root, assignment_id):
    """({student: exported score}, max score) from grades/<A>.csv."""
    course.check_assignment(root, assignment_id)
    path = Path(root) / "grades" / f"{assignment_id}.csv"
    if not path.exists():
        raise ValueError(f"{assignment_id} has not been graded yet (no {path}); run: coursekit grade {assignment_id}")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and "final_score" not in rows[0]:
        raise ValueError(f"{path} has no final_score column: grade it again with this coursekit")
    scores = {plain_cell(r["student"]): exported_score(r) for r in rows}
    return scores, max((float(r["max_score"]) for r in rows), default=0.0)


def graded_assignments(root):
    """The assignments that have a grades/<A>.csv, in teaching order."""
    return [a for a in course.assignments(root) if (Path(root) / "grades" / f"{a}.csv").exists()]


def export(root, assignment_ids=None, *, fmt="canvas", roster=None, canvas_ids=None, missing="blank"):
    """Final scores of ``assignment_ids`` (default: every graded assignment) as text.

    Args:
        root: the course root.
        assignment_ids: list of assignment ids, or None for the whole course.
        fmt: one of FORMATS.
        roster: path of a roster CSV, or None (ids are then exported as they are).
        canvas_ids: {assignment id: Canvas assignment id} for the Canvas column names.
        missing: "blank" or "zero": the score of a roster student with no grade.

    Returns:
        An :class:`Export` with the text and the students reported.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if missing not in ("blank", "zero"):
        raise ValueError(f"missing must be 'blank' or 'zero', got {missing!r}")
    ids = list(assignment_ids or graded_assignments(root))
    if not ids:
        raise ValueError(f"nothing to export: no grades/<id>.csv under {root}; run coursekit grade first")
    grades = {a: read_grades(root, a) for a in ids}
    graded = sorted({s for scores, _ in grades.values() for s in scores})
    people = rosters.load(roster) if roster else None
    lacking, unknown = rosters.match(graded, people)
    if people is None:
        people = {s: rosters.Person(s) for s in graded}
    else:
        people = {**people, **{s: rosters.Person(s) for s in unknown}}
    empty = "" if missing == "blank" else 0.0
    table = [(people[s], {a: grades[a][0].get(s, empty) for a in ids}) for s in sorted(people)]
    maxima = {a: grades[a][1] for a in ids}
    if fmt in ("canvas", "moodle"):
        table = [(p, sc) for p, sc in table if p.student not in unknown]
        writer = _canvas if fmt == "canvas" else _moodle
        text = writer(table, ids, maxima, canvas_ids or {}, roster_given=roster is not None)
    else:
        text = _json(table, ids, maxima) if fmt == "json" else _csv(table, ids)
    return Export(text, lacking, unknown)


def _number(value):
    return "" if value == "" else f"{value:g}"


def _text(value):
    """A free-text cell (a name, a section) that a spreadsheet will not run as a formula; the
    identity columns an LMS matches on are written as they are."""
    from coursekit.grading.report import spreadsheet_cell

    return spreadsheet_cell(value) if value else value


def _write(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # RFC 4180, as both LMSs read
    return buffer.getvalue()


def canvas_column(assignment_id, canvas_id=None):
    return f"{assignment_id} ({canvas_id})" if canvas_id else assignment_id


def _canvas(table, ids, maxima, canvas_ids, roster_given):
    header = [*CANVAS_IDENTITY, *(canvas_column(a, canvas_ids.get(a)) for a in ids)]
    points = [CANVAS_POINTS_ROW, "", "", "", "", *(_number(maxima[a]) for a in ids)]
    rows = [
        [
            _text(p.name or p.student),
            p.lms_id,
            p.sis_user_id,
            p.sis_login_id if roster_given else p.student,
            _text(p.section),
            *(_number(scores[a]) for a in ids),
        ]
        for p, scores in table
    ]
    return _write([header, points, *rows])


def _moodle(table, ids, maxima, canvas_ids, roster_given):
    header = [*MOODLE_IDENTITY, *ids]
    rows = [
        [p.email, p.lms_id or p.student, _text(p.name or p.student), *(_number(scores[a]) for a in ids)]
        for p, scores in table
    ]
    return _write([header, *rows])


def _csv(table, ids):
    header = [*rosters.COLUMNS, *ids]
    rows = [
        [*asdict(replace(p, name=_text(p.name), section=_text(p.section))).values(), *(_number(scores[a]) for a in ids)]
        for p, scores in table
    ]
    return _write([header, *rows])


def _json(table, ids, maxima):
    return json.dumps(
        {
            "max_score": maxima,
            "students": {
                p.student: {**asdict(p), "scores": {a: (None if s[a] == "" else s[a]) for a in ids}} for p, s in table
            },
        },
        indent=1,
    )
