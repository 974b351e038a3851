"""The ``coursekit`` subcommands of the term: export, similarity and validate, and what
``coursekit grade`` prints about late work and re-grades. :mod:`coursekit.cli` wires them."""

import argparse
import json
import sys
from pathlib import Path

from coursekit import course
from coursekit.term import export, similarity


def print_after_grading(root, assignment_id, dry_run):
    """Late students and what the re-grade changed, after coursekit grade."""
    from coursekit.term import changes, late

    grades = Path(root) / "grades"
    section = late.late_rows(root, assignment_id)
    for row in section:
        print(
            f"late: {row['student']} by {late.describe(float(row['seconds_late']))}, "
            f"penalty {row['late_penalty']} points"
        )
    recorded = json.loads((grades / f"{assignment_id}.changes.json").read_text())
    if recorded["regrade"]:
        print(
            ("dry run, nothing written: " if dry_run else "")
            + changes.text(recorded["changes"])
            + ("" if dry_run else f" (kept in grades/{assignment_id}.changes.json)")
        )


def cmd_export(args):
    root = course.find_root(args.root)
    canvas_ids = dict(pair.split("=", 1) for pair in args.canvas_id or [])
    result = export.export(
        root, args.assignments, fmt=args.format, roster=args.roster, canvas_ids=canvas_ids, missing=args.missing
    )
    for line in result.problems():
        print(f"coursekit export: {line}", file=sys.stderr)
    if args.output:
        with open(args.output, "w", newline="", encoding="utf-8") as handle:
            handle.write(result.text)
        print(f"{args.format} export written to {args.output}")
    else:
        sys.stdout.write(result.text)


def cmd_similarity(args):
    root = course.find_root(args.root)
    pairs, codes = similarity.run(
        root, args.assignment, threshold=args.threshold, min_tokens=args.min_tokens, max_share=args.max_share
    )
    for pair in pairs:
        print(similarity.side_by_side(pair, codes) + "\n")
    print(
        f"{len(pairs)} pairs of {len(codes)} students at least {args.threshold:.0%} alike; "
        f"details in grades/{args.assignment}.similarity.json and in coursekit report {args.assignment}"
    )


def cmd_validate(args):
    from coursekit.term import validate

    root = course.find_root(args.root)
    results = []
    for name in validate.select(args.exercises):
        results.append(validate.validate(name, seed=args.seed, max_mutants=args.max_mutants, seconds=args.seconds))
        print(validate.summary(results[-1]), flush=True)
    validate.record(root, results)
    weak = [r.exercise for r in results if not r.ok]
    print(
        f"\n{len(results) - len(weak)} of {len(results)} exercises pass validation "
        f"(mutation score at least {validate.MUTATION_THRESHOLD:.0%})"
        + (f"; to look at: {', '.join(weak)}" if weak else "")
    )
    return 1 if weak else 0


def _canvas_pair(text):
    if "=" not in text or not text.split("=", 1)[1].strip():
        raise argparse.ArgumentTypeError(f"expected ASSIGNMENT=CANVAS_ID, got {text!r}")
    return text


def add_commands(sub, formatter):
    """The term's subcommands, on the ``coursekit`` parser's subparsers."""
    exp = sub.add_parser(
        "export", formatter_class=formatter, help="final scores for an LMS: Canvas or Moodle CSV, plain CSV or JSON"
    )
    exp.add_argument("assignments", nargs="*", help="assignment ids (default: every graded one)")
    exp.add_argument("--format", choices=export.FORMATS, default="canvas", help="what to write")
    exp.add_argument(
        "--roster",
        default=None,
        help="CSV with student,lms_id,name,email[,sis_user_id,sis_login_id,section] (default: none)",
    )
    exp.add_argument(
        "--canvas-id",
        action="append",
        type=_canvas_pair,
        metavar="ASSIGNMENT=ID",
        help="Canvas's id of an assignment, so its column updates it (repeatable)",
    )
    exp.add_argument(
        "--missing", choices=("blank", "zero"), default="blank", help="score of a roster student with no grade"
    )
    exp.add_argument("--output", default=None, help="file to write (default: standard output)")
    exp.set_defaults(func=cmd_export)

    sim = sub.add_parser(
        "similarity",
        formatter_class=formatter,
        help="pairs of students whose own code is unusually alike, side by side",
    )
    sim.add_argument("assignment", help="assignment id, e.g. 00_backprop")
    sim.add_argument(
        "--threshold",
        type=float,
        default=similarity.THRESHOLD,
        help="least share of either student's own code that the pair shares",
    )
    sim.add_argument("--min-tokens", type=int, default=similarity.MIN_TOKENS, help="least number of shared tokens")
    sim.add_argument(
        "--max-share",
        type=float,
        default=similarity.MAX_SHARE,
        help="code found in more than this share of the class is ignored, as base code",
    )
    sim.set_defaults(func=cmd_similarity)

    val = sub.add_parser(
        "validate",
        formatter_class=formatter,
        help="check that exercises tell wrong answers from right ones (mutation testing)",
    )
    val.add_argument("exercises", nargs="*", help="exercises or topics, e.g. layers.softmax or layers (default: all)")
    val.add_argument("--seed", type=int, default=0, help="seed of the hidden cases used (default: 0)")
    val.add_argument(
        "--max-mutants",
        type=int,
        default=None,
        help="at most this many mutants per function, an even sample (default: all)",
    )
    val.add_argument("--seconds", type=int, default=20, help="time limit of one case")
    val.set_defaults(func=cmd_validate)
