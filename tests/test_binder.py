"""binder/ agrees with pyproject.toml, and keeps students out of the instructor's tools."""

import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT

BINDER = ROOT / "binder"


def _requirements():
    lines = [l.split("#")[0].strip() for l in (BINDER / "requirements.txt").read_text().splitlines()]
    return [l for l in lines if l]


def _pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {Requirement(d).name: Requirement(d) for d in project["dependencies"]}


def test_binder_installs_the_package_itself():
    assert "-e ." in _requirements()


def test_binder_pins_a_cpu_torch_that_pyproject_accepts():
    pins = [Requirement(l) for l in _requirements() if l.startswith("torch")]
    assert len(pins) == 1
    (version,) = [Version(s.version) for s in pins[0].specifier]
    assert version.local == "cpu", "Binder needs the CPU wheel; the CUDA one does not fit"
    assert any(l.startswith("--extra-index-url") and "whl/cpu" in l for l in _requirements())
    assert _pyproject_dependencies()["torch"].specifier.contains(version.public)


def test_binder_lists_nothing_pyproject_does_not_know():
    deps = _pyproject_dependencies()
    for line in _requirements():
        if line.startswith(("-e", "--")):
            continue
        assert Requirement(line).name in deps, f"{line} is in binder/ but not in pyproject.toml"


def test_postbuild_disables_instructor_extensions_and_keeps_widgets():
    script = (BINDER / "postBuild").read_text()
    assert script.splitlines()[0].startswith("#!") and re.search(r"^set -e", script, re.M)
    for plugin in ("formgrader", "create-assignment", "course-list"):
        assert f"jupyter labextension disable @jupyter/nbgrader:{plugin}" in script
    assert "widgets" not in script.replace("keeps widgets", "")  # nothing disables ipywidgets
    assert (BINDER / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_readme_badge_opens_the_first_notebook():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\)", readme)
    assert badge, "README needs a Binder badge"
    assert "urlpath=lab/tree/notebooks/00_backprop/backprop.ipynb" in badge.group(0) or \
        "urlpath=lab%2Ftree%2Fnotebooks%2F00_backprop%2Fbackprop.ipynb" in badge.group(0)
