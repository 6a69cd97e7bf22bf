#!/usr/bin/env bash
# GPU check on a machine with CUDA (not CI). Three phases, each logged under OUTDIR:
#   1. the test files that hold the CUDA tests (they are skipped on a CPU machine), GPU visible;
#   2. the whole non-slow suite, GPU visible, one line per test (-v), so the failing tests' names come back even
#      when a time limit stops pytest before its summary (failed.txt lists them);
#   3. the failures of phase 2 re-run with CUDA hidden, to tell GPU-caused failures from missing packages / data.
# Usage: bash scripts/gpu-check.sh OUTDIR
#   optional: wheels of missing packages in .whl/; gettext catalogs (the transformer's EN-DE / EN-FR corpus) in
#   .locale/{de,fr}/LC_MESSAGES/ (copied into /usr/share/locale, or GPU_CHECK_LOCALE_DIR, where the machine has
#   none of that name); data the machine lacks in .gpu-extra.tar.xz (site/ and root/, see below).
#   Time limits: GPU_CHECK_TIMEOUT{1,2,3} seconds; a phase stopped by its limit says so.
set -uo pipefail
out=${1:-/tmp/gpu-check}; mkdir -p "$out"
# an OUTDIR used before must not show an earlier check's logs as this one's (phase 3 runs only after failures)
rm -f "$out/log_cuda.txt" "$out/log_gpu.txt" "$out/failed.txt" "$out/log_cpu.txt"
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
# copy the files under $1 to the same relative paths under $2, file by file, keeping the machine's own files
# (cp --update=none needs coreutils >= 9.3: older ones refuse it); prints how many were copied
copy_missing() {
  local src=$1 dest_root=$2 copied=0 f dest
  while IFS= read -r -d '' f; do
    dest=$dest_root/${f#"$src"/}
    if [ ! -e "$dest" ]; then
      install -D -m 644 "$f" "$dest" && copied=$((copied + 1))
    fi
  done < <(find "$src"/ -type f -print0)   # the trailing slash follows a folder that is a link
  echo "$copied"
}
if [ -d .locale ]; then
  locale_dir=${GPU_CHECK_LOCALE_DIR:-/usr/share/locale}
  echo "gettext catalogs: $(copy_missing .locale "$locale_dir") copied from .locale into $locale_dir"
fi
if [ -f .gpu-extra.tar.xz ]; then
  # data the machine lacks, in one archive: site/ holds data-only package folders (package_file finds them by
  # importlib without importing; appended to PYTHONPATH, so an installed package of that name wins); root/ holds
  # system files (Debian data, gettext catalogs) copied under / where the machine has no file of that name
  rm -rf /tmp/gpu-extra && mkdir -p /tmp/gpu-extra && tar -C /tmp/gpu-extra -xJf .gpu-extra.tar.xz || exit 1
  [ -d /tmp/gpu-extra/site ] && export PYTHONPATH=$PYTHONPATH:/tmp/gpu-extra/site
  [ -d /tmp/gpu-extra/root ] && echo "system files: $(copy_missing /tmp/gpu-extra/root "") copied from .gpu-extra.tar.xz under /"
fi
# a phase's time limit: its exit status 124 (timeout's) is said, so that a cut log is not read as a whole one
said_limit() { [ "$1" -eq 124 ] && echo "(phase $2 stopped by its time limit of $3 s: tests running then are not listed)"; }
nvidia-smi -L
python3 -c "import torch, torch_geometric; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'pyg', torch_geometric.__version__)"
workers=${GPU_CHECK_WORKERS:-8}
# one thread per worker unless told otherwise: 15 workers x 16 torch threads on 16 cores put the LiSSA test past its
# 240 s limit and a SIGTERM test's 60 s child past its end in the last check (both passed alone)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
t1=${GPU_CHECK_TIMEOUT1:-150}; t2=${GPU_CHECK_TIMEOUT2:-300}; t3=${GPU_CHECK_TIMEOUT3:-120}   # 570 s: under a 600 s call
mapfile -t cuda_files < <(grep -rl "cuda.is_available()\|cuda.device_count()" tests --include='test_*.py' | sort)
echo "=== phase 1: the CUDA test files (${#cuda_files[@]}) ==="
if [ "${#cuda_files[@]}" -gt 0 ]; then   # without files pytest would run the whole suite here
  timeout "$t1" python3 -m pytest -q -n "$workers" -p no:cacheprovider --timeout 140 -rfs "${cuda_files[@]}" \
    > "$out/log_cuda.txt" 2>&1
  said_limit $? 1 "$t1"
  tail -15 "$out/log_cuda.txt"
fi
echo "=== phase 2: the whole suite ==="
timeout "$t2" python3 -m pytest -v -n "$workers" -p no:cacheprovider --timeout 240 -rf \
  tests > "$out/log_gpu.txt" 2>&1
rc2=$?
# the per-test lines: "[gw3] [ 45%] FAILED tests/a.py::t[x]" (xdist) or "tests/a.py::t[x] FAILED   [ 45%]" (-n 0);
# not the summary's "FAILED tests/a.py::t[x] - message" lines (an id may itself hold " - ")
sed -nE -e 's/^\[gw[0-9]+\] \[ *[0-9]+%\] (FAILED|ERROR) (tests\/.*[^ ]) *$/\2/p' \
  -e 's/^(tests\/.*[^ ]) (FAILED|ERROR) +\[ *[0-9]+%\]$/\1/p' "$out/log_gpu.txt" | sort -u > "$out/failed.txt"
echo "$(grep -cE '(^\[gw[0-9]+\] \[ *[0-9]+%\] PASSED |^tests/.* PASSED +\[ *[0-9]+%\]$)' "$out/log_gpu.txt") passed," \
  "$(wc -l < "$out/failed.txt") failed (names in failed.txt)"
said_limit $rc2 2 "$t2"
tail -3 "$out/log_gpu.txt"
echo "=== phase 3: the failures with CUDA hidden ==="
if [ -s "$out/failed.txt" ]; then
  CUDA_VISIBLE_DEVICES= timeout "$t3" xargs -d '\n' -a "$out/failed.txt" \
    python3 -m pytest -q -n "$workers" -p no:cacheprovider --timeout 110 -rf > "$out/log_cpu.txt" 2>&1
  said_limit $? 3 "$t3"
  tail -40 "$out/log_cpu.txt"
else
  echo "(none failed: nothing to re-run)"
fi
exit 0
