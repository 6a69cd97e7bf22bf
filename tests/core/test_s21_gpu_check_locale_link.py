"""scripts/gpu-check.sh with a .locale that is a symbolic link (session 21).

Probe on the H200 (163b355): with `ln -s .gpu/locale .locale`, `find .locale -type f` does not follow the link
given as its starting point, so the script said "0 copied" and the transformer's EN-DE tests failed for want of
the catalogs the link held."""

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("s20_gpu_check", Path(__file__).with_name("test_s20_gpu_check_script.py"))
_s20 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_s20)   # the stand-in nvidia-smi / python3 harness of the session-20 tests
LOG, _run = _s20.LOG, _s20._run

pytestmark = pytest.mark.skipif(not (shutil.which("bash") and shutil.which("timeout")), reason="needs bash, timeout")


def test_catalogs_behind_a_linked_locale_folder_are_copied(tmp_path):
    real = tmp_path / "repo" / ".gpu" / "locale" / "fr" / "LC_MESSAGES"
    real.mkdir(parents=True)
    (real / "new.mo").write_text("ours")
    os.symlink(Path(".gpu") / "locale", tmp_path / "repo" / ".locale")
    dest = tmp_path / "dest"
    p, _, _ = _run(tmp_path, LOG, GPU_CHECK_LOCALE_DIR=str(dest))
    assert p.returncode == 0, p.stderr
    assert "1 copied" in p.stdout
    assert (dest / "fr" / "LC_MESSAGES" / "new.mo").read_text() == "ours"
