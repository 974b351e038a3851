"""``coursekit report A``: one offline HTML page about a graded class (and ``--json``).

Built from ``grades/<A>.json``, which ``coursekit grade`` writes: the score histogram; per
exercise, the pass rate on visible and on hidden cases and the recognised mistakes that
failing students matched most often; the students the audit flagged, and why; the grading
time per student. Figures are matplotlib PNGs embedded in the page, so it needs no network.
"""

import base64
import html
import io
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coursekit import course
from coursekit.grading.report import needs_review

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class _Row(dict):
    """A student's recorded outcome, usable where an Outcome is expected."""

    __getattr__ = dict.__getitem__


def load(root: str | Path, assignment_id: str) -> dict[str, Any]:
    """The recorded grading of an assignment; clear errors when there is none."""
    course.check_assignment(root, assignment_id)
    path = Path(root) / "grades" / f"{assignment_id}.json"
    if not path.exists():
        raise ValueError(f"{assignment_id} has not been graded yet (no {path}); run: coursekit grade {assignment_id}")
    details = json.loads(path.read_text())
    if not details.get("students"):
        raise ValueError(f"{path} lists no students: the class is empty")
    return details


def _csv_rows(root, assignment_id):
    """{student: row} of grades/<id>.csv, the record of every student graded so far."""
    import csv

    path = Path(root) / "grades" / f"{assignment_id}.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _merged(details, csv_rows):
    """Every student of the CSV or the JSON; the CSV's scores, status and flags win."""
    students = {name: _Row(row) for name, row in details["students"].items()}
    for name, row in csv_rows.items():
        entry = students.setdefault(name, _Row(exercises={}, failures=[], seconds=0.0, message=""))
        for key in ("score", "max_score", "audit_score", "final_score"):
            entry[key] = float(row.get(key) or 0.0)
        entry["status"] = row.get("status", "")
        entry["message"] = row.get("message", entry.get("message", ""))
        entry["flags"] = [f for f in (row.get("flags") or "").split("; ") if f]
    return students


def summarize(details: dict[str, Any], csv_rows: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The report's numbers, as plain data; exercises in the notebook's order."""
    students = _merged(details, csv_rows or {})
    exercises: dict[str, dict[str, Any]] = {}
    for row in students.values():
        for name, result in (row.get("exercises") or {}).items():
            entry = exercises.setdefault(name, {"graded": 0, "visible": 0, "hidden": 0, "conventions": Counter()})
            entry["graded"] += 1
            entry["visible"] += bool(result["visible"])
            entry["hidden"] += bool(result["hidden"])
            if result.get("convention"):
                entry["conventions"][result["convention"]] += 1
    return {
        "assignment": details["assignment"],
        "graded_at": details.get("graded_at"),
        "audit_seed": details.get("audit_seed"),
        "sandboxed": details.get("sandboxed"),
        "students": len(students),
        "max_score": max((r.max_score for r in students.values()), default=0.0),
        "final_scores": {n: r.final_score for n, r in sorted(students.items())},
        "statuses": dict(Counter(r.status for r in students.values())),
        "exercises": {
            name: {
                "graded": e["graded"],
                "visible_pass_rate": e["visible"] / e["graded"],
                "hidden_pass_rate": e["hidden"] / e["graded"],
                "conventions": e["conventions"].most_common(5),
            }
            for name, e in exercises.items()
        },
        "review": {
            n: {
                "score": r.score,
                "audit_score": r.audit_score,
                "final_score": r.final_score,
                "status": r.status,
                "flags": r.flags,
                "message": r.message,
            }
            for n, r in sorted(students.items())
            if needs_review(r)
        },
        "seconds": {n: r.seconds for n, r in sorted(students.items())},
        "table": {
            n: {"score": r.score, "final_score": r.final_score, "status": r.status, "flags": r.flags}
            for n, r in sorted(students.items())
        },
    }


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def drawn(data: dict[str, Any]) -> "dict[str, Figure]":
    """{name: matplotlib figure} of the report's figures, in Okabe and Ito's colours."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from coursekit.plots.palette import BLUE, GREEN

    out = {}
    fig, ax = plt.subplots(figsize=(6, 3))
    scores = list(data["final_scores"].values())
    ax.hist(
        scores,
        bins=max(1, int(data["max_score"]) + 1),
        range=(-0.5, data["max_score"] + 0.5),
        color=BLUE,
        edgecolor="white",
    )
    ax.set(xlabel="final score", ylabel="students", title=f"{data['assignment']}: final scores")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    out["scores"] = fig
    names = list(data["exercises"])
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * max(1, len(names))))
    y = range(len(names))
    ax.barh(
        [i + 0.2 for i in y], [data["exercises"][n]["visible_pass_rate"] for n in names], 0.4, label="visible cases"
    )
    ax.barh(
        [i - 0.2 for i in y],
        [data["exercises"][n]["hidden_pass_rate"] for n in names],
        0.4,
        label="hidden cases",
        hatch="//",
        edgecolor="white",
    )
    ax.set(yticks=list(y), yticklabels=names, xlim=(0, 1), xlabel="pass rate", title="per exercise")
    ax.legend(loc="lower right", fontsize=8)
    out["exercises"] = fig
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(list(data["seconds"].values()), bins=20, color=GREEN, edgecolor="white")
    ax.set(xlabel="seconds to grade (nbgrader and audit)", ylabel="students", title="grading time per student")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    out["seconds"] = fig
    return out


def figures(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """{name: (PNG data URI, text alternative)} of the report's figures."""
    from coursekit.plots import describe

    return {name: (describe(fig), _png(fig))[::-1] for name, fig in drawn(data).items()}


def _image(pictures, name):
    uri, alt = pictures[name]
    return f'<img id="{name}" alt="{html.escape(alt)}" src="{uri}">'


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(data: dict[str, Any], extra: str = "") -> str:
    """The report as one self-contained HTML page; ``extra`` is HTML of further sections."""
    pictures = figures(data)
    exercise_rows = [
        (
            n,
            e["graded"],
            f"{e['visible_pass_rate']:.0%}",
            f"{e['hidden_pass_rate']:.0%}",
            "; ".join(f"{c} ({k})" for c, k in e["conventions"]) or "none",
        )
        for n, e in data["exercises"].items()
    ]
    review_rows = [
        (n, r["score"], r["audit_score"], r["final_score"], r["status"], "; ".join(r["flags"]) or r["message"])
        for n, r in data["review"].items()
    ]
    student_rows = [
        (n, r["score"], r["final_score"], r["status"], "; ".join(r["flags"])) for n, r in data.get("table", {}).items()
    ]
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(data["statuses"].items()))
    exercise_table = _table(
        ["exercise", "graded", "visible cases pass", "hidden cases pass", "most frequent recognised mistakes"],
        exercise_rows,
    )
    review_table = (
        _table(["student", "nbgrader", "audit", "final", "status", "flags or message"], review_rows)
        if review_rows
        else "<p>Nobody.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(data["assignment"])}: class report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
th{{background:#f3f3f3}}img{{max-width:100%}}</style></head><body>
<h1>{html.escape(data["assignment"])}: class report</h1>
<p>{data["students"]} students, graded {html.escape(str(data["graded_at"]))}
({"in the sandbox" if data["sandboxed"] else "WITHOUT the sandbox"}; audit seed {data["audit_seed"]}).
Status: {html.escape(statuses)}.</p>
<h2>Scores</h2>{_image(pictures, "scores")}
<h2>Exercises</h2>{_image(pictures, "exercises")}
{exercise_table}
<h2>To review ({len(review_rows)})</h2>
{review_table}
<h2>Students ({len(student_rows)})</h2>
{_table(["student", "nbgrader", "final", "status", "flags"], student_rows)}
{extra}
<h2>Grading time</h2>{_image(pictures, "seconds")}
</body></html>
"""


def write(root: str | Path, assignment_id: str, *, output: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the report; returns (its path, its data)."""
    data = summarize(load(root, assignment_id), _csv_rows(root, assignment_id))
    path = Path(output) if output else Path(root) / "grades" / f"{assignment_id}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    from coursekit.term import sections

    path.write_text(render(data, sections(root, assignment_id)))
    return path, data


def dumps(data: Any) -> str:
    return json.dumps(data, indent=1)
