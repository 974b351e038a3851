"""Is the coursekit that computes the expected answers the one that was installed?

The audit compares students' outputs with references computed in the grading process, so a
coursekit whose files (or compiled ``__pycache__``) were changed would change every grade.
Student code never gets write access to coursekit (the sandbox mounts it read only); this
check catches anything else, before any grading starts:

- every source file is compared with the install's record: the ``RECORD`` hashes of a
  regular install, or, for an editable install (which records no sources), the manifest
  that the first grading of a course wrote to ``.coursekit/coursekit.manifest.json``;
- every compiled file in ``__pycache__`` must hold exactly the code of its source, since
  Python would run a planted ``.pyc`` whose header matches the source instead of the source.
"""

import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import marshal
from pathlib import Path

from coursekit.grading import sandbox


class IntegrityError(RuntimeError):
    """coursekit's files differ from the install's record."""


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def source_files(package: str | Path | None = None) -> list[Path]:
    package = Path(package or sandbox.coursekit_dir())
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def manifest(package: str | Path | None = None) -> dict[str, str]:
    """{path relative to the package's parent: sha256} of every source file."""
    package = Path(package or sandbox.coursekit_dir())
    return {str(p.relative_to(package.parent)): _sha256(p) for p in source_files(package)}


def install_record() -> dict[str, str] | None:
    """{relative path: sha256} from a regular install's RECORD, or None (editable install)."""
    try:
        files = importlib.metadata.distribution("coursekit").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    record: dict[str, str] = {}
    for entry in files:
        if entry.suffix == ".py" and entry.parts[0] == "coursekit" and entry.hash:
            digest = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            record[str(entry)] = digest.hex()
    return record or None


def stale_bytecode(package: str | Path | None = None) -> list[str]:
    """Compiled files whose code differs from their source's (or that have no source)."""
    bad = []
    for pyc in Path(package or sandbox.coursekit_dir()).rglob("__pycache__/*.pyc"):
        source = pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")
        try:
            compiled = marshal.loads(pyc.read_bytes()[16:])
            optimize = 0 if ".opt-" not in pyc.name else int(pyc.name.split(".opt-")[1][0])
            expected = compile(source.read_bytes(), str(source), "exec", dont_inherit=True, optimize=optimize)
        except (OSError, ValueError, EOFError, TypeError, SyntaxError):
            bad.append(str(pyc))
            continue
        if compiled != expected:
            bad.append(str(pyc))
    return sorted(bad)


def differences(expected: dict[str, str], actual: dict[str, str]) -> dict[str, list[str]]:
    """Files added, removed or changed between two manifests."""
    changed = [p for p in expected if p in actual and expected[p] != actual[p]]
    return {
        "changed": changed,
        "missing": sorted(set(expected) - set(actual)),
        "added": sorted(set(actual) - set(expected)),
    }


def verify(course_root: str | Path | None = None, *, package: str | Path | None = None) -> dict[str, str]:
    """Raise IntegrityError unless coursekit matches its record; returns the manifest.

    Args:
        course_root: where an editable install's manifest is kept (written on first use).
        package: the package folder to check (default: the imported coursekit's).
    """
    current = manifest(package)
    record = install_record() if package is None else None
    where = "the install's RECORD"
    if record is None:
        path = Path(course_root or ".") / ".coursekit" / "coursekit.manifest.json"
        if not path.exists():
            path.parent.mkdir(mode=0o700, exist_ok=True)
            path.write_text(json.dumps(current, indent=1, sort_keys=True))
        record, where = json.loads(path.read_text()), str(path)
    diff = differences(record, current)
    problems = [f"{kind}: {', '.join(files)}" for kind, files in diff.items() if files]
    stale = stale_bytecode(package)
    if stale:
        problems.append(f"compiled files that do not match their source: {', '.join(stale)}")
    if problems:
        raise IntegrityError(
            f"coursekit's files differ from {where} ({'; '.join(problems)}). Reinstall coursekit "
            f"(pip install --force-reinstall), or, after an upgrade you made yourself, delete "
            f"{where if where.endswith('.json') else 'the manifest'} to record the new files."
        )
    return current
