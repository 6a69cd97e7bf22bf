"""A fit killed inside the atomic write of checkpoints/fit_start.json (after mkstemp, before the rename) leaves
checkpoints/.fit_start.json.XXXXXXXX.tmp. A resume never removed it (probe: SIGKILL in os.replace of the marker,
then fit(resume=True): the file is still there next to step_00000003 and step_00000006). Resuming now removes it,
like the .tmp-step_* folders of killed checkpoint saves; files that only look similar are left alone."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap

import torch
from torch import nn

from paperworks.core.rundir import RunDir
from paperworks.core.trainer import FIT_START, Trainer, TrainerConfig, list_checkpoints

_SETUP = """
import torch
from torch import nn
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig


def _trainer(path, steps):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(48, 3, generator=g, dtype=torch.float64)
    y = x.sum(1, keepdim=True)
    torch.manual_seed(0)
    tc = TrainerConfig(max_steps=steps, batch_size=8, ckpt_every=3, log_every=1, progress=False)
    return Trainer(nn.Linear(3, 1).double(), torch.utils.data.TensorDataset(x, y),
                   lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), tc, run_dir=RunDir(path))
"""
exec(_SETUP)   # the same trainer here and in the killed child


def test_a_fit_killed_while_writing_its_marker_leaves_no_temp_file_after_resume(tmp_path):
    run = tmp_path / "run"
    child = _SETUP + textwrap.dedent(f"""
        import os, signal
        import paperworks.core.io as io
        real = io.os.replace
        def replace(src, dst):
            if str(dst).endswith({FIT_START!r}):
                os.kill(os.getpid(), signal.SIGKILL)   # killed between the temp file and its rename
            return real(src, dst)
        io.os.replace = replace
        _trainer({str(run)!r}, 6).fit()
        """)
    r = subprocess.run([sys.executable, "-c", child], capture_output=True)
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()[-2000:]
    ck = run / "checkpoints"
    left = [p.name for p in ck.iterdir()]
    assert len(left) == 1 and left[0].startswith(f".{FIT_START}.") and left[0].endswith(".tmp")
    tr = _trainer(run, 6)
    tr.fit(resume=True)
    assert sorted(p.name for p in ck.iterdir()) == ["step_00000003", "step_00000006"]   # the old code kept it
    ref = _trainer(tmp_path / "ref", 6)
    ref.fit()
    assert RunDir(run).read_metrics() == RunDir(tmp_path / "ref").read_metrics()
    assert all(torch.equal(a, b) for a, b in zip(tr.model.state_dict().values(), ref.model.state_dict().values()))


def test_resume_removes_only_the_marker_temp_files(tmp_path):
    run = tmp_path / "run"
    _trainer(run, 3).fit()
    ck = run / "checkpoints"
    fd, ours = tempfile.mkstemp(prefix=f".{FIT_START}.", suffix=".tmp", dir=ck)   # what atomic_write_json makes
    os.write(fd, b'{"metrics_records": 0')
    os.close(fd)
    foreign = [ck / f".{FIT_START}.notes.tmp", ck / f".{FIT_START}.abcdefghi.tmp", ck / f"{FIT_START}.abcdefgh.tmp",
               ck / f".{FIT_START}.ABCDEFGH.tmp"]
    for p in foreign:
        p.write_text("user's")
    folder = ck / f".{FIT_START}.abcd1234.tmp"     # a folder with the name of one is not ours either
    folder.mkdir()
    (folder / "x").write_text("user's")
    link = ck / f".{FIT_START}.lnk_5678.tmp"      # nor a symlink (its target is left alone)
    target = tmp_path / "target.txt"
    target.write_text("user's")
    link.symlink_to(target)
    _trainer(run, 6).fit(resume=True)
    assert not os.path.exists(ours)
    assert all(p.read_text() == "user's" for p in foreign)
    assert (folder / "x").read_text() == "user's"
    assert link.is_symlink() and target.read_text() == "user's"
    assert [p.name for p in list_checkpoints(ck)] == ["step_00000003", "step_00000006"]
