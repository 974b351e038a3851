"""The coursekit command. Run "coursekit COMMAND --help" for each command's options.

Students: lab, check. Instructors: release, grade, audit, report (and build, which only
rebuilds the instructor notebooks from their sources); over a term: export, similarity,
validate.
"""

import argparse
import sys

from coursekit import course
from coursekit.grading import defaults


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
        print(f"built {course.build(root, assignment_id).relative_to(root)}", flush=True)


def cmd_release(args):
    from tqdm.auto import tqdm

    root = _root(args)
    ids = _ids(root, args.assignments)
    with tqdm(ids, desc="releasing", unit="assignment") as bar:
        for assignment_id in bar:
            bar.set_postfix_str(assignment_id)
            target = course.release(root, assignment_id)
            bar.write(f"released {target.relative_to(root)}/")
            from coursekit.term.validate import release_warnings

            for warning in release_warnings(root, assignment_id):
                bar.write(f"warning: {warning}")


def cmd_lab(args, extra):
    from coursekit import lab

    command = lab.command(_root(args), extra)
    print("$", " ".join(command), flush=True)
    if not args.dry_run:
        lab.run(command)


class _Formatter(argparse.HelpFormatter):
    """Help that shows each option's default, when it has a meaningful one."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _grading_options(args):
    return {"sandboxed": not args.no_sandbox, "audit_seed": args.audit_seed, "progress": not args.json}


def cmd_grade(args):
    import tempfile

    from coursekit.grading import class_grade, report
    from coursekit.grading.errors import GraderError

    root = _root(args)
    with tempfile.TemporaryDirectory(prefix="coursekit-dry-run-") as scratch:
        if args.dry_run:
            from coursekit.term import changes

            course.check_assignment(root, args.assignment)
            root = changes.dry_run_copy(root, args.assignment, scratch)
        try:
            outcomes, csv_path = class_grade.grade_class(
                root,
                args.assignment,
                jobs=args.jobs,
                dask=args.dask,
                timeout=args.timeout,
                memory_mb=args.memory_mb,
                audit_timeout=args.audit_timeout,
                audit_memory_mb=args.audit_memory_mb,
                only=args.student,
                **_grading_options(args),
            )
            failure = None
        except GraderError as err:
            if not err.outcomes:
                raise
            outcomes, csv_path, failure = err.outcomes, err.csv_path, err
        print(report.as_json(outcomes) if args.json else report.table(outcomes))
        if not args.json:
            from coursekit.term.commands import print_after_grading

            print_after_grading(root, args.assignment, dry_run=args.dry_run)
            if not args.dry_run:
                print(
                    f"\ngrades written to {csv_path.relative_to(root)} (details in "
                    f"{csv_path.with_suffix('.json').relative_to(root)}); feedback in feedback/"
                )
    if failure:
        print(f"coursekit grade: error: {failure}", file=sys.stderr)
        return 3


def cmd_audit(args):
    from coursekit.grading import class_grade, report

    root = _root(args)
    results = class_grade.audit_class(
        root, args.assignment, jobs=args.jobs, timeout=args.timeout, memory_mb=args.memory_mb, **_grading_options(args)
    )
    print(report.audit_json(results) if args.json else report.table(list(results.values())))
    failed = [o for o in results.values() if o.status == "grader-error"]
    if failed:  # the grader's failure, not the students': an error of the run
        print(f"coursekit audit: error: {class_grade.grader_failure_message(failed)}", file=sys.stderr)
        return 3


def cmd_check(args):
    from coursekit.grading import selfcheck

    rows, changed = selfcheck.check_notebook(args.notebook, timeout=args.timeout)
    print(selfcheck.summary(rows, changed))
    return 0 if all(r.passed for r in rows) and not changed else 1


def cmd_report(args):
    from coursekit.grading import class_report

    root = _root(args)
    path, data = class_report.write(root, args.assignment, output=args.output)
    if args.json:
        print(class_report.dumps(data))
    else:
        print(f"report written to {path}")


def _add_grading_options(parser, timeout, memory_mb, what):
    parser.add_argument("assignment", help="assignment id, e.g. 00_backprop")
    parser.add_argument("--timeout", type=int, default=timeout, help=f"seconds per submission ({what})")
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=memory_mb,
        help=f"resident memory per submission, all its processes together ({what})",
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="submissions graded at once (default: this machine's cores)"
    )
    parser.add_argument(
        "--no-sandbox", action="store_true", help="run student code without the OS sandbox (the CSV records it)"
    )
    parser.add_argument(
        "--audit-seed", type=int, default=None, help="seed of the audit's hidden cases (default: a fresh one, recorded)"
    )


def parser():
    formatter = _Formatter
    p = argparse.ArgumentParser(
        prog="coursekit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--root", help="course root (default: the nearest folder with nbgrader_config.py)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lab = sub.add_parser(
        "lab", formatter_class=formatter, help="open JupyterLab on notebooks/ (other options are passed to jupyter lab)"
    )
    lab.add_argument("--dry-run", action="store_true", help="print the command, do not run it")
    lab.set_defaults(func=cmd_lab)

    chk = sub.add_parser(
        "check", formatter_class=formatter, help="run a notebook's visible tests and summarise them (students)"
    )
    chk.add_argument("notebook", help="path to your notebook, e.g. notebooks/00_backprop/backprop.ipynb")
    chk.add_argument("--timeout", type=int, default=defaults.CELL_TIMEOUT, help="seconds per cell")
    chk.set_defaults(func=cmd_check)

    rel = sub.add_parser("release", formatter_class=formatter, help="rebuild and regenerate notebooks/ from solutions/")
    rel.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    rel.set_defaults(func=cmd_release)

    build = sub.add_parser(
        "build", formatter_class=formatter, help="rebuild only solutions/<id>/*.ipynb from solutions/<id>.py"
    )
    build.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    build.set_defaults(func=cmd_build)

    grade = sub.add_parser(
        "grade",
        formatter_class=formatter,
        help="grade and audit every submission, give feedback, write grades/<id>.csv",
    )
    _add_grading_options(grade, defaults.GRADE_TIMEOUT, defaults.GRADE_MEMORY_MB, "nbgrader's run")
    grade.add_argument(
        "--audit-timeout", type=int, default=defaults.AUDIT_TIMEOUT, help="seconds per submission (the audit)"
    )
    grade.add_argument(
        "--audit-memory-mb",
        type=int,
        default=defaults.AUDIT_MEMORY_MB,
        help="resident memory per submission (the audit)",
    )
    grade.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="grade on a running Dask cluster, e.g. tcp://scheduler:8786 (pip install -e '.[cluster]')",
    )
    grade.add_argument(
        "--student",
        action="append",
        metavar="NAME",
        help="grade only this student (repeat for several); the others' rows are kept",
    )
    grade.add_argument("--json", action="store_true", help="print the results as JSON")
    grade.add_argument(
        "--dry-run",
        action="store_true",
        help="grade a copy of the course and show what would change; write nothing here",
    )
    grade.set_defaults(func=cmd_grade)

    audit = sub.add_parser(
        "audit", formatter_class=formatter, help="re-run the audit alone: sandboxed, fresh hidden cases, tampering scan"
    )
    _add_grading_options(audit, defaults.AUDIT_TIMEOUT, defaults.AUDIT_MEMORY_MB, "the audit")
    audit.add_argument(
        "--json", action="store_true", help="print {student: {nbgrader_score, audit_score, max_score, flags}}"
    )
    audit.set_defaults(func=cmd_audit)

    rep = sub.add_parser(
        "report",
        formatter_class=formatter,
        help="write an offline HTML report of a graded class (after coursekit grade)",
    )
    rep.add_argument("assignment", help="assignment id, e.g. 00_backprop")
    rep.add_argument("--output", default=None, help="HTML file to write (default: grades/<id>.html)")
    rep.add_argument("--json", action="store_true", help="print the report's data as JSON")
    rep.set_defaults(func=cmd_report)
    from coursekit.term.commands import add_commands

    add_commands(sub, formatter)  # export, similarity, validate
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extra = parser().parse_known_args(argv)
    if extra and args.command != "lab":
        parser().parse_args(argv)  # lets argparse report the unknown option and exit 2
    try:
        result = args.func(args, extra) if args.command == "lab" else args.func(args)
        return result or 0
    except (FileNotFoundError, ValueError, RuntimeError, KeyError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"coursekit {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
