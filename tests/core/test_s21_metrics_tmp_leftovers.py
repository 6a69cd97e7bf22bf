"""A resume killed inside its rewrite of metrics.jsonl (RunDir.truncate_metrics: an atomic write, killed after mkstemp
and before the rename) left .metrics.jsonl.XXXXXXXX.tmp in the run folder, and no later resume removed it (probe:
SIGKILL in os.replace of metrics.jsonl during fit(resume=True), then fit(resume=True) again: the file was still
there). A resume now removes it, as it removes the temporary files of fit_start.json writes; look-alikes stay."""

import signal
import subprocess
import sys
import textwrap

import torch

from paperworks.core.rundir import RunDir

from test_s21_fit_start_tmp_leftovers import _SETUP, _trainer


def test_a_resume_killed_while_cutting_metrics_leaves_no_temp_file_after_the_next_resume(tmp_path):
    run = tmp_path / "run"
    _trainer(run, 6).fit()
    child = _SETUP + textwrap.dedent(f"""
        import os, signal
        import paperworks.core.io as io
        real = io.os.replace
        def replace(src, dst):
            if str(dst).endswith("metrics.jsonl"):
                os.kill(os.getpid(), signal.SIGKILL)   # killed between the temp file and its rename
            return real(src, dst)
        io.os.replace = replace
        _trainer({str(run)!r}, 9).fit(resume=True)
        """)
    r = subprocess.run([sys.executable, "-c", child], capture_output=True)
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()[-2000:]
    left = [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(".metrics.jsonl.")
    foreign = [run / ".metrics.jsonl.notes.tmp", run / ".metrics.jsonl.ABCDEFGH.tmp"]
    for p in foreign:
        p.write_text("user's")
    tr = _trainer(run, 9)
    tr.fit(resume=True)
    assert not (run / left[0]).exists()                # the old code kept it
    assert all(p.read_text() == "user's" for p in foreign)
    ref = _trainer(tmp_path / "ref", 9)
    ref.fit()
    assert RunDir(run).read_metrics() == RunDir(tmp_path / "ref").read_metrics()
    assert all(torch.equal(a, b) for a, b in zip(tr.model.state_dict().values(), ref.model.state_dict().values()))
