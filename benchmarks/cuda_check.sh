#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one run (a lent GPU machine's time is short):
#   1. the torch tests, whose cuda cases are skipped on a machine without a GPU;
#   2. the capstone (solutions/08) as a script, training on cuda;
#   3. the benchmark rows measured on cuda (optimizer steps, BatchNorm1d, host syncs);
#   4. batchnorm_fusion.py: what torch.compile of the from-scratch BatchNorm1d would buy.
# Usage, from the repository root:  OUT=some/dir bash benchmarks/cuda_check.sh
# Needs python3 with torch (CUDA), numpy, matplotlib, scikit-learn, tqdm, pytest, pytest-xdist,
# scipy, threadpoolctl; the notebook packages (nbgrader, jupytext, ...) are not needed.
set -u
OUT=${OUT:-/tmp/cuda_check}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONPATH=$PWD MPLBACKEND=Agg PYTHONUNBUFFERED=1
status=0

nvidia-smi -L | tee "$OUT/device.txt"
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" \
    | tee -a "$OUT/device.txt" || exit 1

echo "== 1. torch tests (cpu and cuda cases): the test files that have cuda cases"
files=$(grep -l -E "torch_devices|mark\.cuda" tests/test_*.py)
timeout 300 $PY -m pytest -o addopts="" -p no:cacheprovider -p no:nbval -q -rs -n 8 $files \
    > "$OUT/pytest_cuda.log" 2>&1 || status=1
tail -n 25 "$OUT/pytest_cuda.log"

echo "== 2. capstone on cuda"
start=$(date +%s)
(cd solutions && timeout 300 $PY 08_default_configuration.py) 2>&1 | tr '\r' '\n' \
    | grep -v -E '[0-9.]+(it/s|s/it)|\?it/s' > "$OUT/capstone_cuda.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "capstone wall time: $(( $(date +%s) - start )) s" >> "$OUT/capstone_cuda.log"
tail -n 22 "$OUT/capstone_cuda.log"

echo "== 3. benchmark rows on cuda"
timeout 300 $PY benchmarks/run.py --only optimizers,batchnorm --output "$OUT/results_cuda.json" \
    2>&1 | tee "$OUT/bench_cuda.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== 4. BatchNorm1d fusion experiment"
timeout 400 $PY benchmarks/batchnorm_fusion.py --devices cuda 2>&1 | tee "$OUT/batchnorm_fusion.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
exit $status
