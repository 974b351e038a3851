"""binder/ agrees with pyproject.toml, keeps students out of the instructor's tools, and gives
them the repository's JupyterLab settings (as `coursekit lab` does)."""

import json
import os
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT

BINDER = ROOT / "binder"


def _requirements():
    lines = [line.split("#")[0].strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    return [line for line in lines if line]


def _pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {Requirement(d).name: Requirement(d) for d in project["dependencies"]}


def test_binder_installs_the_package_itself():
    assert "-e ." in _requirements()


def test_binder_pins_a_cpu_torch_that_pyproject_accepts():
    pins = [Requirement(line) for line in _requirements() if line.startswith("torch")]
    assert len(pins) == 1
    (version,) = [Version(s.version) for s in pins[0].specifier]
    assert version.local == "cpu", "Binder needs the CPU wheel; the CUDA one does not fit"
    assert any(line.startswith("--extra-index-url") and "whl/cpu" in line for line in _requirements())
    assert _pyproject_dependencies()["torch"].specifier.contains(version.public)


def test_binder_lists_nothing_pyproject_does_not_know():
    deps = _pyproject_dependencies()
    for line in _requirements():
        if line.startswith(("-e", "--")):
            continue
        assert Requirement(line).name in deps, f"{line} is in binder/ but not in pyproject.toml"


def test_postbuild_is_a_strict_executable_script_that_keeps_widgets():
    script = (BINDER / "postBuild").read_text()
    assert script.splitlines()[0].startswith("#!") and re.search(r"^set -e", script, re.M)
    page_config = json.loads((ROOT / "coursekit/jupyter_config/labconfig/page_config.json").read_text())
    assert not any("widget" in name for name in page_config["disabledExtensions"])
    assert (BINDER / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_readme_badge_opens_the_first_notebook():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\)", readme)
    assert badge, "README needs a Binder badge"
    assert "urlpath=lab/tree/notebooks/00_backprop/backprop.ipynb" in badge.group(
        0
    ) or "urlpath=lab%2Ftree%2Fnotebooks%2F00_backprop%2Fbackprop.ipynb" in badge.group(0)


def _news_settings():
    from coursekit import jupyter_settings

    path = jupyter_settings.config_dir() / jupyter_settings.OVERRIDES
    return path, json.loads(path.read_text())["@jupyterlab/apputils-extension:notification"]


def test_students_get_no_news_toast_the_settings_match_jupyterlabs_schema():
    from jupyterlab.commands import get_app_dir

    _, settings = _news_settings()
    assert settings == {"fetchNews": "false", "checkForUpdates": False}
    schema_dir = Path(get_app_dir()) / "schemas"
    schema = json.loads((schema_dir / "@jupyterlab/apputils-extension/notification.json").read_text())
    assert "false" in [choice["const"] for choice in schema["properties"]["fetchNews"]["oneOf"]]
    assert schema["properties"]["checkForUpdates"]["type"] == "boolean"


def test_coursekit_lab_environment_makes_jupyterlab_read_the_settings(monkeypatch):
    from jupyterlab_server.settings_utils import _get_overrides

    from coursekit.jupyter_settings import lab_environment

    env = lab_environment({"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(ROOT / "coursekit" / "jupyter_config"), "/elsewhere"]
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", env["JUPYTER_CONFIG_PATH"])
    overrides, error = _get_overrides("/nonexistent-app-settings")
    assert not error and overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_postbuild_installs_the_same_settings_for_binder():
    from coursekit import jupyter_settings

    script = (BINDER / "postBuild").read_text()
    copies = re.findall(r'^cp "\$\(dirname "\$0"\)/\.\./(\S+)" "\$labconfig/"$', script, re.M)
    folder = jupyter_settings.config_dir()
    assert {ROOT / c for c in copies} == {folder / jupyter_settings.OVERRIDES, folder / jupyter_settings.PAGE_CONFIG}
    assert re.search(r"^labconfig=.*sys\.prefix.*/etc/jupyter/labconfig\"$", script, re.M)


def test_students_get_no_nbgrader_panels_and_jupyterlab_reads_that(monkeypatch):
    from jupyterlab_server.config import get_page_config

    from coursekit.jupyter_settings import lab_environment

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", lab_environment()["JUPYTER_CONFIG_PATH"])
    disabled = get_page_config([]).get("disabledExtensions", [])
    for plugin in ("assignment-list", "formgrader", "create-assignment", "course-list"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled
