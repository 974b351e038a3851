"""The class roster: each nbgrader student id with the LMS's id, name and email.

A roster is a CSV file with a header row. ``student`` (the folder name under ``submitted/``)
is required; ``lms_id``, ``name``, ``email``, ``sis_user_id``, ``sis_login_id`` and
``section`` are optional columns, and any other column is an error (a typo would otherwise
silently export nothing).
"""

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("student", "lms_id", "name", "email", "sis_user_id", "sis_login_id", "section")


@dataclass(frozen=True)
class Person:
    student: str
    lms_id: str = ""
    name: str = ""
    email: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


def load(path):
    """{student: Person} from a roster CSV (see the module's docstring)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no roster at {path}")
    try:
        return _read(path)
    except UnicodeDecodeError as err:
        raise ValueError(
            f"roster {path} is not UTF-8 text (byte {err.start}: {err.object[err.start : err.start + 1]!r}); "
            "save it as 'CSV UTF-8' (Excel) or UTF-8 text"
        ) from None


def _read(path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if "student" not in header:
            raise ValueError(f"roster {path} needs a 'student' column; its header is {header}")
        unknown = sorted(set(header) - set(COLUMNS))
        if unknown:
            raise ValueError(f"roster {path} has unknown columns {unknown}; allowed: {list(COLUMNS)}")
        people = {}
        for line, row in enumerate(reader, start=2):
            values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if not values.get("student"):
                raise ValueError(f"roster {path}, line {line}: the student id is empty")
            if values["student"] in people:
                raise ValueError(f"roster {path}, line {line}: student {values['student']!r} appears twice")
            people[values["student"]] = Person(**values)
    return people


def match(graded, people):
    """(missing, unknown): roster students with no grade, graded students not on the roster."""
    if people is None:
        return [], []
    return sorted(set(people) - set(graded)), sorted(set(graded) - set(people))
