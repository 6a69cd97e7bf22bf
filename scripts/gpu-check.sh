#!/usr/bin/env bash
# GPU check on a machine with CUDA (not CI). Three phases, each logged under OUTDIR:
#   1. the test files that hold the CUDA tests (they are skipped on a CPU machine), GPU visible;
#   2. the whole non-slow suite, GPU visible, one line per test (-v), so the failing tests' names come back even
#      when a time limit stops pytest before its summary (failed.txt lists them);
#   3. the failures of phase 2 re-run with CUDA hidden, to tell GPU-caused failures from missing packages / data.
# Usage: bash scripts/gpu-check.sh OUTDIR
#   optional: wheels of missing packages in .whl/; gettext catalogs (the transformer's EN-DE / EN-FR corpus) in
#   .locale/{de,fr}/LC_MESSAGES/ (copied into /usr/share/locale). Time limits: GPU_CHECK_TIMEOUT{1,2,3} seconds.
set -uo pipefail
out=${1:-/tmp/gpu-check}; mkdir -p "$out"
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
[ -d .locale ] && cp -r --update=none .locale/* /usr/share/locale/ 2>/dev/null
nvidia-smi -L
python3 -c "import torch, torch_geometric; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'pyg', torch_geometric.__version__)"
workers=${GPU_CHECK_WORKERS:-8}
cuda_files=$(grep -rl "cuda.is_available()\|cuda.device_count()" tests --include='test_*.py' | sort)
echo "=== phase 1: the CUDA test files ($(echo $cuda_files | wc -w)) ==="
timeout "${GPU_CHECK_TIMEOUT1:-180}" python3 -m pytest -q -n "$workers" -p no:cacheprovider --timeout 170 -rfs \
  $cuda_files > "$out/log_cuda.txt" 2>&1
tail -15 "$out/log_cuda.txt"
echo "=== phase 2: the whole suite ==="
timeout "${GPU_CHECK_TIMEOUT2:-330}" python3 -m pytest -v -n "$workers" -o cache_dir=/tmp/pc --timeout 240 -rf \
  tests > "$out/log_gpu.txt" 2>&1
grep -E "(FAILED|ERROR) tests/" "$out/log_gpu.txt" | sed -E 's/^\[gw[0-9]+\] \[ *[0-9]+%\] (FAILED|ERROR) //; s/ +$//' \
  | grep -v " - " | sort -u > "$out/failed.txt"
echo "$(grep -c PASSED "$out/log_gpu.txt") passed, $(wc -l < "$out/failed.txt") failed (names in failed.txt)"
tail -3 "$out/log_gpu.txt"
echo "=== phase 3: the failures with CUDA hidden ==="
[ -s "$out/failed.txt" ] && CUDA_VISIBLE_DEVICES= timeout "${GPU_CHECK_TIMEOUT3:-150}" xargs -d '\n' -a "$out/failed.txt" \
  python3 -m pytest -q -n "$workers" -p no:cacheprovider --timeout 140 -rf > "$out/log_cpu.txt" 2>&1
[ -e "$out/log_cpu.txt" ] && tail -40 "$out/log_cpu.txt"
