"""scripts/gpu-check.sh, run on a CPU machine with stand-ins for nvidia-smi and python3 (session 20 review).

Probes on 5b9861e (a fake pytest printing a -v log): the catalogs in .locale were copied with
`cp -r --update=none`, which coreutils before 9.3 refuse ("option '--update' doesn't allow an argument", Debian 12's
cp 9.1), the error hidden by 2>/dev/null; an OUTDIR used before showed the earlier check's phase-3 log when nothing
failed; with no CUDA test file found, phase 1 ran pytest without paths (the whole suite); a failing test whose id
holds " - " was left out of failed.txt; a phase stopped by its time limit was not said to be."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu-check.sh"
pytestmark = pytest.mark.skipif(not (shutil.which("bash") and shutil.which("timeout")), reason="needs bash, timeout")

FAKE_PYTHON = """#!/bin/bash
echo "CUDA_VISIBLE_DEVICES=[${CUDA_VISIBLE_DEVICES-unset}] $*" >> "$FAKE_CALLS"
if [ "$1" = "-c" ]; then exit 0; fi
if [[ " $* " == *" -v "* ]]; then cat "$FAKE_LOG"; [ -n "${FAKE_SLEEP:-}" ] && sleep "$FAKE_SLEEP"; exit 1; fi
echo "re-run done"
"""
LOG = """[gw0] [  1%] PASSED tests/core/test_a.py::test_ok 
[gw1] [  2%] FAILED tests/core/test_a.py::test_bad 
[gw1] [  3%] ERROR tests/core/test_b.py::test_setup 
[gw0] [ 10%] FAILED tests/core/test_c.py::test_param[a - b] 
[gw1] [100%] PASSED tests/core/test_a.py::test_ok2 
FAILED tests/core/test_a.py::test_bad - AssertionError: assert 1 == 2
"""


def _run(tmp_path, log, cuda_file=True, locale=None, outdir=None, **env):
    repo, bin_ = tmp_path / "repo", tmp_path / "bin"
    (repo / "tests").mkdir(parents=True, exist_ok=True)
    bin_.mkdir(exist_ok=True)
    if cuda_file:
        (repo / "tests" / "test_gpu.py").write_text("import torch\ntorch.cuda.is_available()\n")
    for rel, text in (locale or {}).items():
        (repo / ".locale" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / ".locale" / rel).write_text(text)
    (bin_ / "nvidia-smi").write_text("#!/bin/bash\necho 'GPU 0: stand-in'\n")
    (bin_ / "python3").write_text(FAKE_PYTHON)
    for f in bin_.iterdir():
        f.chmod(0o755)
    (tmp_path / "log.txt").write_text(log)
    calls = tmp_path / "calls.txt"
    calls.write_text("")
    out = outdir or tmp_path / "out"
    e = {**os.environ, "PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}", "FAKE_LOG": str(tmp_path / "log.txt"),
         "FAKE_CALLS": str(calls), **env}
    p = subprocess.run(["bash", str(SCRIPT), str(out)], cwd=repo, env=e, capture_output=True, text=True, timeout=60)
    return p, out, [c for c in calls.read_text().splitlines() if " -m pytest " in c]


def test_failed_tests_are_listed_from_the_per_test_lines_and_rerun_without_cuda(tmp_path):
    p, out, calls = _run(tmp_path, LOG)
    assert p.returncode == 0, p.stderr
    failed = (out / "failed.txt").read_text().splitlines()
    assert failed == ["tests/core/test_a.py::test_bad", "tests/core/test_b.py::test_setup",
                      "tests/core/test_c.py::test_param[a - b]"]   # the old pipeline dropped the id with " - "
    assert "2 passed, 3 failed" in p.stdout
    assert calls[-1].startswith("CUDA_VISIBLE_DEVICES=[] ") and calls[-1].endswith(" ".join(failed))


def test_nothing_failed_shows_no_earlier_log_and_exits_0(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "log_cpu.txt").write_text("an earlier check's phase 3\n")
    p, _, calls = _run(tmp_path, LOG.replace("FAILED", "PASSED").replace("ERROR", "PASSED"), outdir=out)
    assert "an earlier check's phase 3" not in p.stdout and not (out / "log_cpu.txt").exists()
    assert p.returncode == 0 and len(calls) == 2   # phases 1 and 2 only


def test_no_cuda_test_file_runs_no_phase_1(tmp_path):
    p, _, calls = _run(tmp_path, LOG, cuda_file=False)
    assert "phase 1: the CUDA test files (0)" in p.stdout
    assert not any(" -rfs" in c for c in calls)   # pytest without paths ran the whole suite


def test_catalogs_are_copied_where_none_of_that_name_is(tmp_path):
    assert "GPU_CHECK_LOCALE_DIR" in SCRIPT.read_text()   # (the old script wrote to /usr/share/locale only)
    dest = tmp_path / "locale"
    (dest / "de" / "LC_MESSAGES").mkdir(parents=True)
    (dest / "de" / "LC_MESSAGES" / "kept.mo").write_text("the machine's own")
    p, _, _ = _run(tmp_path, LOG, locale={"de/LC_MESSAGES/kept.mo": "ours", "fr/LC_MESSAGES/new.mo": "ours"},
                   GPU_CHECK_LOCALE_DIR=str(dest))
    assert (dest / "fr" / "LC_MESSAGES" / "new.mo").read_text() == "ours"
    assert (dest / "de" / "LC_MESSAGES" / "kept.mo").read_text() == "the machine's own"
    assert "1 copied" in p.stdout


def test_a_phase_stopped_by_its_time_limit_says_so_and_keeps_the_names_logged(tmp_path):
    p, out, _ = _run(tmp_path, LOG, GPU_CHECK_TIMEOUT2="1", FAKE_SLEEP="5")
    assert "phase 2 stopped by its time limit of 1 s" in p.stdout
    assert len((out / "failed.txt").read_text().splitlines()) == 3


def test_the_per_test_lines_of_a_run_without_xdist_are_read_too(tmp_path):
    log = ("tests/core/test_a.py::test_ok PASSED                     [ 50%]\n"
           "tests/core/test_a.py::test_bad FAILED                    [100%]\n"
           "FAILED tests/core/test_a.py::test_bad - assert 0\n")
    p, out, _ = _run(tmp_path, log, GPU_CHECK_WORKERS="0")
    assert (out / "failed.txt").read_text().splitlines() == ["tests/core/test_a.py::test_bad"]
    assert "1 passed, 1 failed" in p.stdout
