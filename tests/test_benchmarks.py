"""A smoke run of the benchmark command, so it cannot rot (no timing is asserted here)."""

import json
import subprocess
import sys

from conftest import ROOT


def test_benchmark_command_smoke_run(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--only",
            "import,optimizers,batchnorm,numpy_vs_torch",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["quick"] is True and data["machine"]["cores"] >= 1
    assert {"Adam step (cpu)", "RMSprop step (cpu)", "BatchNorm1d fwd+bwd (cpu)", "import coursekit (no torch)"} <= set(
        data["results"]
    )
    assert all(row["value"] is None or row["value"] > 0 for row in data["results"].values())
    assert "target" in result.stdout and "wrote" in result.stdout


def test_cuda_check_script_parses_and_finds_the_test_files_with_cuda_cases():
    script = ROOT / "benchmarks" / "cuda_check.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    line = next(row for row in script.read_text().splitlines() if row.startswith("files=$("))
    listed = subprocess.run(
        ["bash", "-c", f"{line}; echo $files"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    # every test file that parametrises over torch devices has cuda cases the GPU run needs
    expected = sorted(
        f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py") if "torch_devices()" in p.read_text()
    )
    assert expected and set(expected) <= set(listed)
