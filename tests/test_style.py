"""House style: ``ruff check`` (E, F, I, B) and ``ruff format --check`` pass on the repository.

The configuration is in pyproject.toml ([tool.ruff]); solutions/ and notebooks/ are left out
there. Fix a failure with ``ruff check --fix .`` and ``ruff format .``.
"""

import importlib.util
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None,
    reason="ruff is not installed: pip install -e '.[dev]' (README.md) brings it",
)


def _ruff(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_ruff_check_passes():
    result = _ruff("check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_leaves_the_repository_unchanged():
    result = _ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_fails_on_an_unused_import(tmp_path):
    """The check above can fail: the repository's configuration flags an unused import."""
    (tmp_path / "unused.py").write_text("import os\n")
    result = _ruff("check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(tmp_path / "unused.py"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "F401" in result.stdout
