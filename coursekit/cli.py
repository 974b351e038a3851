"""The ``coursekit`` command: ``coursekit <subcommand> --help`` describes each one."""

import argparse
import os
import subprocess
import sys

from coursekit import course


def _root(args):
    return course.find_root(args.root)


def _ids(root, requested):
    ids = requested or course.assignments(root)
    for assignment_id in ids:
        course.check_assignment(root, assignment_id)
    return ids


def cmd_build(args):
    root = _root(args)
    for assignment_id in _ids(root, args.assignments):
        print(f"built {course.build(root, assignment_id).relative_to(root)}")


def cmd_release(args):
    root = _root(args)
    for assignment_id in _ids(root, args.assignments):
        print(f"released {course.release(root, assignment_id).relative_to(root)}/")


def cmd_lab(args):
    root = _root(args)
    command = [sys.executable, "-m", "jupyter", "lab", str(root / "notebooks"), *args.lab_args]
    print("$", " ".join(command))
    if not args.dry_run:
        os.execv(sys.executable, command) if os.name != "nt" else subprocess.run(command, check=False)


def cmd_grade(args):
    from coursekit import grade_class

    root = _root(args)
    outcomes, csv_path = grade_class.grade_class(
        root, args.assignment, timeout=args.timeout, memory_mb=args.memory_mb, progress=not args.json)
    print(grade_class.as_json(outcomes) if args.json else grade_class.report(outcomes))
    if not args.json:
        print(f"\ngrades written to {csv_path.relative_to(root)}; feedback in feedback/")


def cmd_audit(args):
    import coursekit.audit as audit

    root = _root(args)
    results = audit.audit_assignment(root, args.assignment, progress=not args.json,
                                     timeout=args.timeout, memory_mb=args.memory_mb)
    print(audit.as_json(results) if args.json else audit.report(results))


def cmd_check(args):
    from coursekit import selfcheck

    rows, changed = selfcheck.check_notebook(args.notebook, timeout=args.timeout)
    print(selfcheck.summary(rows, changed))
    return 0 if all(r.passed for r in rows) and not changed else 1


def parser():
    p = argparse.ArgumentParser(prog="coursekit", description=__doc__)
    p.add_argument("--root", help="course root (default: the nearest folder with nbgrader_config.py)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="build solutions/<id>/*.ipynb from solutions/<id>.py")
    build.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    build.set_defaults(func=cmd_build)

    rel = sub.add_parser("release", help="rebuild and regenerate notebooks/ from solutions/")
    rel.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    rel.set_defaults(func=cmd_release)

    chk = sub.add_parser("check", help="run a notebook's visible tests and summarise them (students)")
    chk.add_argument("notebook", help="path to your notebook, e.g. notebooks/00_backprop/backprop.ipynb")
    chk.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    chk.set_defaults(func=cmd_check)

    grade = sub.add_parser("grade", help="autograde every submission, generate feedback, export CSV")
    grade.add_argument("assignment", help="assignment id, e.g. 00_backprop")
    grade.add_argument("--timeout", type=int, default=900, help="seconds per submission (default 900)")
    grade.add_argument("--memory-mb", type=int, default=4096, help="memory limit per submission")
    grade.add_argument("--json", action="store_true", help="print results as JSON")
    grade.set_defaults(func=cmd_grade)

    audit = sub.add_parser("audit", help="re-grade submissions out of process and scan for tampering")
    audit.add_argument("assignment", help="assignment id, e.g. 00_backprop")
    audit.add_argument("--json", action="store_true",
                       help="print {student: {nbgrader_score, audit_score, max_score, flags}}")
    audit.add_argument("--timeout", type=int, default=120, help="seconds per student (default 120)")
    audit.add_argument("--memory-mb", type=int, default=3072, help="memory limit per student")
    audit.set_defaults(func=cmd_audit)

    lab = sub.add_parser("lab", help="open JupyterLab on notebooks/")
    lab.add_argument("--dry-run", action="store_true", help="print the command, do not run it")
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="extra arguments for jupyter lab")
    lab.set_defaults(func=cmd_lab)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"coursekit {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
