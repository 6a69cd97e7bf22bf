"""A fresh fit (no resume) wrote checkpoints/fit_start.json only at the trainer's first record. A record that the loss
function (or anything the fit calls) logged through the run folder before that record was then kept twice when the
fit was killed before it and resumed: no marker, so the resume kept every record not of a training step, and the
re-run logged it again (probe: loss function logs {"phase": "loss warm-up"} at its first call, log_every=2, killed
in step 2; after fit(resume=True) the file held the record twice, the uninterrupted run once).

A fresh fit now writes the marker (0 records) when it starts. A fit that fails before anything was logged removes it
again, so the run folder is as the fit found it and the CLI still removes the folder of a command that failed before
producing anything (the reason the marker used to wait for the first record)."""

import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from paperworks.core.errors import TrainingDivergedError
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import FIT_START, Trainer, TrainerConfig

from test_cli import run_cli

WARM_UP = {"phase": "loss warm-up"}


class Killed(BaseException):
    """Stands for a SIGKILL inside a step (the records logged before it are on disk, fsynced)."""


def _trainer(rd, kill_at=None, nan_at=None, log_first=True):
    torch.manual_seed(0)
    x = torch.randn(32, 3)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    cfg = TrainerConfig(max_steps=6, batch_size=8, log_every=2, ckpt_every=3, progress=False)
    calls = [0]

    def loss(m, b):
        calls[0] += 1
        if calls[0] == 1 and log_first:
            rd.log_metrics(WARM_UP)      # logged through the run folder before the trainer's first record
        if calls[0] == kill_at:
            raise Killed
        out = nn.functional.mse_loss(m(b[0]), b[1])
        return out * float("nan") if calls[0] == nan_at else out

    return Trainer(nn.Linear(3, 1), data, loss, cfg, run_dir=rd)


def _reference(tmp_path):
    rd = RunDir(tmp_path / "ref")
    tr = _trainer(rd)
    tr.fit()
    return rd.read_metrics(), tr


def test_a_fresh_fit_killed_before_its_first_record_resumes_without_doubling(tmp_path):
    ref, tr_ref = _reference(tmp_path)
    assert ref[0] == WARM_UP and ref.count(WARM_UP) == 1
    rd = RunDir(tmp_path / "r")
    with pytest.raises(Killed):
        _trainer(rd, kill_at=2).fit()             # in step 2: the trainer's first record (step 2) not yet logged
    assert rd.read_metrics() == [WARM_UP]
    tr = _trainer(rd)
    tr.fit(resume=True)
    assert rd.read_metrics() == ref               # the old code: WARM_UP twice
    assert all(torch.equal(a, b) for a, b in zip(tr.model.state_dict().values(), tr_ref.model.state_dict().values()))
    assert not (rd.path / "checkpoints" / FIT_START).exists()


def test_the_same_with_a_real_sigkill(tmp_path):
    ref, _ = _reference(tmp_path)
    run = tmp_path / "r"
    child = textwrap.dedent(f"""
        import os, signal, sys
        sys.path[:0] = {sys.path!r}
        import test_s21_trainer_fresh_fit_marker as t
        from paperworks.core.rundir import RunDir
        t.Killed = None
        tr = t._trainer(RunDir({str(run)!r}))
        real = tr.loss_fn
        calls = [0]
        def loss(m, b):
            calls[0] += 1
            if calls[0] == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(m, b)
        tr.loss_fn = loss
        tr.fit()
        """)
    r = subprocess.run([sys.executable, "-c", child], capture_output=True)
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()[-2000:]
    rd = RunDir(run)
    assert rd.read_metrics() == [WARM_UP]
    _trainer(rd).fit(resume=True)
    assert rd.read_metrics() == ref


@pytest.mark.parametrize("how", ["nan", "killed"])
def test_a_fresh_fit_that_fails_before_logging_anything_leaves_the_folder_as_it_found_it(tmp_path, how):
    rd = RunDir(tmp_path / "r")
    before = sorted(rd.path.rglob("*"))
    tr = _trainer(rd, log_first=False, **({"nan_at": 1} if how == "nan" else {"kill_at": 1}))
    with pytest.raises(TrainingDivergedError if how == "nan" else Killed):
        tr.fit()
    assert sorted(rd.path.rglob("*")) == before
    (rd.path / "checkpoints").mkdir()           # a checkpoints/ that was there stays
    with pytest.raises(TrainingDivergedError if how == "nan" else Killed):
        _trainer(rd, log_first=False, **({"nan_at": 1} if how == "nan" else {"kill_at": 1})).fit()
    assert list((rd.path / "checkpoints").iterdir()) == [] and rd.read_metrics() == []


def test_a_fresh_fit_that_fails_after_a_record_keeps_its_marker(tmp_path):
    rd = RunDir(tmp_path / "r")
    with pytest.raises(TrainingDivergedError):
        _trainer(rd, nan_at=2).fit()
    assert rd.read_metrics() == [WARM_UP]
    assert (rd.path / "checkpoints" / FIT_START).is_file()   # a resume drops WARM_UP, which the re-run logs again


_CLI_TOY = textwrap.dedent('''
    from dataclasses import dataclass
    import torch
    from torch import nn
    from paperworks.core import Paper, System, register
    from paperworks.core.config import Config
    from paperworks.core.trainer import Trainer, TrainerConfig

    @dataclass(frozen=True)
    class C(Config):
        fail: str = "nan"
        seed: int = 0

    @register("toy_s21_fresh_marker", paper=Paper("N. Body", "Failed fits", "Toy", 1810), config=C)
    class T(System):
        def run(self, run_dir):
            x = torch.randn(16, 2)
            def loss(m, b):
                if self.config.fail == "interrupt":
                    raise KeyboardInterrupt
                return nn.functional.mse_loss(m(b[0]), b[1]) * float("nan")
            Trainer(nn.Linear(2, 1), torch.utils.data.TensorDataset(x, x[:, :1]), loss,
                    TrainerConfig(max_steps=4, batch_size=8, progress=False), run_dir=run_dir).fit()
            return {}
''')


@pytest.mark.parametrize("fail, code", [("nan", None), ("interrupt", 130)])
def test_a_cli_run_whose_fit_fails_before_its_first_record_leaves_no_folder(tmp_path, capsys, monkeypatch, fail, code):
    (tmp_path / "s21_fresh_marker_toy.py").write_text(_CLI_TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    import s21_fresh_marker_toy  # noqa: F401  (registers the toy)

    out = tmp_path / "runs"
    rc, _, err = run_cli(["run", "toy_s21_fresh_marker", f"fail={fail}", "--out", str(out)], capsys)
    assert rc == (code if code is not None else rc) and rc != 0, err
    assert not out.exists() or list(out.iterdir()) == [], list(out.rglob("*"))
