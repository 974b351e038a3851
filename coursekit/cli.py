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

    lab = sub.add_parser("lab", help="open JupyterLab on notebooks/")
    lab.add_argument("--dry-run", action="store_true", help="print the command, do not run it")
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="extra arguments for jupyter lab")
    lab.set_defaults(func=cmd_lab)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"coursekit {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
