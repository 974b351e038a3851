"""The project's pytest configuration refuses a marker it does not register (--strict-markers),
so a misspelt ``slow`` cannot quietly put a test into the fast lane."""

import subprocess
import sys

from conftest import ROOT

LANES = ("slow", "notebook", "sandbox", "browser", "cuda")


def run_pytest_on(tmp_path, *markers):
    """Run pytest with this project's configuration on one test per marker."""
    tests = "".join(f"\n\n@pytest.mark.{m}\ndef test_{m}():\n    pass\n" for m in markers)
    (tmp_path / "test_marked.py").write_text("import pytest\n" + tests)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-q",
            "test_marked.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unregistered_marker_is_an_error(tmp_path):
    result = run_pytest_on(tmp_path, "slwo")
    assert result.returncode != 0
    assert "'slwo' not found in `markers` configuration option" in result.stdout + result.stderr


def test_every_lane_marker_is_registered(tmp_path):
    result = run_pytest_on(tmp_path, *LANES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(LANES)} passed" in result.stdout
