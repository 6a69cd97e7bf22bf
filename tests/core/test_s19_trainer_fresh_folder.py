"""Trainer.fit() without resume into a run folder that already holds records or checkpoints (session 19).

fit() used to empty metrics.jsonl on a fresh start: a record logged into the run folder before it (or the records
of an earlier fit) vanished silently. A fresh fit now refuses such a folder with one ConfigError and leaves it
byte for byte as it was; fit(resume=True) continues the run as before."""

import json

import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig


def _trainer(rd):
    torch.manual_seed(0)
    x = torch.randn(32, 3)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    cfg = TrainerConfig(max_steps=4, batch_size=8, log_every=2, ckpt_every=2, progress=False)
    return Trainer(nn.Linear(3, 1), data, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), cfg, run_dir=rd)


def _snapshot(path):
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_a_record_logged_before_a_fresh_fit_is_not_erased(tmp_path):
    rd = RunDir(tmp_path / "r")
    rd.log_metrics({"phase": "data", "n_train": 32})
    before = _snapshot(rd.path)
    with pytest.raises(ConfigError, match=r"already holds 1 metrics record: fit\(resume=True\)"):
        _trainer(rd).fit()
    assert _snapshot(rd.path) == before


def test_a_second_fresh_fit_into_the_folder_of_an_earlier_fit_is_refused(tmp_path):
    rd = RunDir(tmp_path / "r")
    first = _trainer(rd).fit()
    before = _snapshot(rd.path)
    with pytest.raises(ConfigError, match=r"2 metrics records and checkpoint step_00000004"):
        _trainer(rd).fit()
    assert _snapshot(rd.path) == before
    # continuing it is still allowed and ends with the records of the one run
    _trainer(rd).fit(resume=True)
    assert rd.read_metrics() == first


def test_checkpoints_alone_or_a_torn_line_alone_are_refused_too(tmp_path):
    rd = RunDir(tmp_path / "a")
    _trainer(rd).fit()
    rd.metrics_path.unlink()
    with pytest.raises(ConfigError, match="already holds checkpoint step_00000004"):
        _trainer(rd).fit()
    rd2 = RunDir(tmp_path / "b")
    rd2.metrics_path.write_text('{"step": 2, "lo')   # a run killed while writing its first record
    with pytest.raises(ConfigError, match="a torn line in metrics.jsonl"):
        _trainer(rd2).fit()


def test_a_fresh_folder_and_an_empty_metrics_file_train_as_before(tmp_path):
    rd = RunDir(tmp_path / "r")
    rd.metrics_path.write_text("")    # what the old code left at the start of a fit
    recs = _trainer(rd).fit()
    assert [json.loads(l) for l in rd.metrics_path.read_text().splitlines()] == recs
    assert [r["step"] for r in recs] == [2, 4]
