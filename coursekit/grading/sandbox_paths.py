"""What of the machine a sandbox shows: the Python installation (as written and resolved,
with the symbolic links on the way), coursekit's package folder, and the folders of the
packages an exercise may not use (see :mod:`coursekit.grading.sandbox`)."""

import os
import sys
from collections.abc import Iterable
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys/devices/system/cpu")


def coursekit_dir() -> Path:
    import coursekit

    return Path(coursekit.__file__).resolve().parent


def _python_paths():
    """The paths by which this Python finds itself: each prefix's ``bin`` and ``lib`` (and a
    venv's ``pyvenv.cfg``), never a whole prefix, which may be a home folder, the
    site-packages folders on ``sys.path``, and the executable; as written (perhaps through a
    symbolic link) and resolved."""
    prefixes = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(sys.executable).resolve().parent.parent,
    }  # a venv's python is a link
    found = {prefix / part for prefix in prefixes for part in ("bin", "lib", "lib64", "pyvenv.cfg")}
    found |= {
        Path(os.path.abspath(entry or "."))
        for entry in sys.path
        if Path(entry or ".").name in ("site-packages", "dist-packages")
    }
    return found | {Path(os.path.abspath(sys.executable)).parent}


_DISTRIBUTIONS = {"sklearn": "scikit_learn"}  # where a wheel's name differs from its module's


def package_dirs(top_level: Iterable[str]) -> list[Path]:
    """The folders of these top-level modules in every site-packages or dist-packages folder
    the sandbox shows (the venv's and the base interpreter's alike, resolved), and the folders
    of shared libraries their wheels bring beside them (``scipy.libs``, ...)."""
    sites = {
        Path(p).resolve()
        for p in (*sys.path, *_base_sites())
        if Path(p or ".").name in ("site-packages", "dist-packages")
    }
    found: set[Path] = set()
    for site in sorted(s for s in sites if s.is_dir()):
        for name in top_level:
            for stem in {name, _DISTRIBUTIONS.get(name, name)}:
                found.update(p.resolve() for p in site.glob(f"{stem}*.libs") if p.is_dir())
            if (site / name).is_dir():
                found.add((site / name).resolve())
    return sorted(found)


def _base_sites():
    """The base interpreter's site folders (a venv without system site-packages still shows
    its base's ``lib``)."""
    import sysconfig

    paths = [
        sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})[key]
        for prefix in {sys.base_prefix, sys.prefix}
        for key in ("purelib", "platlib")
    ]
    return paths + [
        "/usr/lib/python3/dist-packages",
        f"/usr/local/lib/python{sys.version_info.major}.{sys.version_info.minor}/dist-packages",
    ]


def python_dirs() -> list[Path]:
    """What of the Python installation student code may read, resolved (bound read only)."""
    return sorted({p.resolve() for p in _python_paths() if p.exists()})


def python_links() -> list[tuple[Path, Path]]:
    """(link, target) for every symbolic link on the way to the Python installation and
    coursekit, so that paths written through a link (a symlinked home or venv, as
    ``sys.path`` keeps them) resolve inside the sandbox as they do outside."""
    links: dict[Path, Path] = {}
    for path in (*_python_paths(), Path(os.path.abspath(coursekit_dir()))):
        here = Path("/")
        for part in path.parts[1:]:
            step = here / part
            if step.is_symlink():
                here = step.resolve()
                if not any(str(step).startswith(d + "/") for d in (*SYSTEM_DIRS, "/etc")):
                    links.setdefault(step, here)  # (a system folder is shown with its links)
            else:
                here = step
    return sorted(links.items())
