"""Trainer.fit(resume=True) in a run folder without a checkpoint (session 20).

It used to empty metrics.jsonl: every record in the folder was dropped, the killed fit's own records (which the
re-run logs again) and also the records logged before the fit began (which nothing logs again). Probe: three
records logged by the user, then fit(resume=True) of 6 steps: the file held only the 3 training records. Now the
file is cut back to the records it held when the killed fit began (checkpoints/fit_start.json holds their number
from the fit's first record to its first checkpoint); in a folder where no fit logged, only the records of the
steps the fit will redo are dropped. An uninterrupted run and a killed + resumed one end with the same records (a
kill inside a step is an exception here: the records logged before it are on disk, fsynced; the real SIGKILL tests
are in test_trainer.py)."""

import json

import torch
from torch import nn

from paperworks.core.rundir import RunDir
from paperworks.core.trainer import FIT_START, Trainer, TrainerConfig

USER = [{"phase": "data", "n_train": 32}, {"step": 0, "eval/baseline": 0.5}, {"step": 100, "pretrain/loss": 0.25}]


class Killed(BaseException):
    """Stands for a SIGKILL inside a step: every record logged before it is already on disk (fsynced)."""


def _trainer(rd, kill_at=None, log_every=2, ckpt_every=0, user_per_step=False):
    torch.manual_seed(0)
    x = torch.randn(32, 3)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    cfg = TrainerConfig(max_steps=6, batch_size=8, log_every=log_every, eval_every=3, ckpt_every=ckpt_every,
                        progress=False)
    calls = [0]

    def loss(m, b):
        calls[0] += 1
        if calls[0] == kill_at:
            raise Killed
        if user_per_step:   # a record the caller logs from inside a step: the re-run logs it again
            rd.log_metrics({"user/batch_sum": float(b[0].sum())})
        return nn.functional.mse_loss(m(b[0]), b[1])

    def evaluate(m):
        return {"mse": nn.functional.mse_loss(m(x), x.sum(1, keepdim=True)).item()}

    return Trainer(nn.Linear(3, 1), data, loss, cfg, run_dir=rd, eval_fn=evaluate)


def _reference(tmp_path, name, user=(), **kw):
    rd = RunDir(tmp_path / name)
    for r in user:
        rd.log_metrics(r)
    _trainer(rd, **kw).fit(resume=True)
    return rd.read_metrics()


def test_records_logged_before_a_first_resumed_fit_are_kept(tmp_path):
    fresh = RunDir(tmp_path / "fresh")
    train = _trainer(fresh).fit()
    assert [r["step"] for r in train] == [2, 3, 4, 6, 6]
    rd = RunDir(tmp_path / "r")
    for r in USER:
        rd.log_metrics(r)
    out = _trainer(rd).fit(resume=True)
    assert rd.read_metrics() == USER + train   # the old code left train only
    assert out == USER + train


def test_killed_before_its_first_checkpoint_and_resumed_keeps_the_earlier_records_once(tmp_path):
    ref = _reference(tmp_path, "ref", USER)
    rd = RunDir(tmp_path / "r")
    for r in USER:
        rd.log_metrics(r)
    try:
        _trainer(rd, kill_at=5).fit(resume=True)
    except Killed:
        pass
    assert rd.read_metrics()[:3] == USER and len(rd.read_metrics()) > 3   # the killed fit logged records
    assert json.loads((rd.path / "checkpoints" / FIT_START).read_text()) == {"metrics_records": 3}
    for r in USER[:1]:   # a script that is run again logs what it logged before the fit once more
        rd.log_metrics(r)
    _trainer(rd).fit(resume=True)
    assert rd.read_metrics() == ref
    assert not (rd.path / "checkpoints" / FIT_START).exists()


def test_a_killed_fresh_fit_resumed_equals_the_uninterrupted_one_with_records_logged_inside_steps(tmp_path):
    ref = _reference(tmp_path, "ref", user_per_step=True)
    rd = RunDir(tmp_path / "r")
    try:
        _trainer(rd, kill_at=6, user_per_step=True).fit()
    except Killed:
        pass
    assert len(rd.read_metrics()) == 8   # 5 records of the caller, 3 of the trainer (steps 2, 3, 4)
    _trainer(rd, user_per_step=True).fit(resume=True)
    assert rd.read_metrics() == ref   # the records of the steps done again are not doubled


def test_the_marker_is_written_only_between_a_fits_first_record_and_its_first_checkpoint(tmp_path):
    rd = RunDir(tmp_path / "done")
    _trainer(rd).fit()
    assert sorted(p.name for p in (rd.path / "checkpoints").iterdir()) == ["step_00000006"]
    # killed before its first record: the folder holds nothing a resume would need
    rd2 = RunDir(tmp_path / "early")
    try:
        _trainer(rd2, kill_at=1).fit()
    except Killed:
        pass
    assert not (rd2.path / "checkpoints" / FIT_START).exists()
    # first checkpoint (step 2) before the first record (step 4): the checkpoint holds the count
    rd3 = RunDir(tmp_path / "late")
    try:
        _trainer(rd3, kill_at=5, log_every=4, ckpt_every=2).fit()
    except Killed:
        pass
    assert not (rd3.path / "checkpoints" / FIT_START).exists()
    assert (rd3.path / "checkpoints" / "step_00000004").is_dir()
