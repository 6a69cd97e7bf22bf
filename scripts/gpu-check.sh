#!/usr/bin/env bash
# GPU check on a machine with CUDA (not CI): the whole non-slow test suite with CUDA visible, then the tests that
# failed re-run with CUDA hidden, to tell GPU-caused failures from missing packages / data on that machine.
# Usage: bash scripts/gpu-check.sh OUTDIR   (expects wheels of missing packages in .whl/, optional)
set -uo pipefail
out=${1:-/tmp/gpu-check}; mkdir -p "$out"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site:$PWD/src
else
  export PYTHONPATH=$PWD/src
fi
export PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import torch, torch_geometric; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'pyg', torch_geometric.__version__)"
workers=${GPU_CHECK_WORKERS:-8}
timeout "${GPU_CHECK_TIMEOUT:-330}" python3 -m pytest -q -n "$workers" -o cache_dir=/tmp/pc --timeout 240 \
  --junitxml="$out/junit_gpu.xml" tests 2>&1 | tee "$out/log_gpu.txt" | tail -150
echo "=== re-run of the failures with CUDA hidden ==="
CUDA_VISIBLE_DEVICES= timeout "${GPU_CHECK_TIMEOUT2:-150}" python3 -m pytest -q -n "$workers" -o cache_dir=/tmp/pc \
  --timeout 240 --lf --lfnf none --junitxml="$out/junit_cpu.xml" tests 2>&1 | tee "$out/log_cpu.txt" | tail -60
