"""A fresh fit wrote its checkpoints/fit_start.json marker just before the `try` whose handler takes the marker back
when the fit fails before logging anything. An interrupt landing in that write, after the file was renamed into
place (the last thing atomic_write_json does), kept the marker and the checkpoints/ folder it created: the fit
failed before producing anything, but the run folder was not as it found it (and the CLI kept the folder of such a
run). Now the write is inside the `try`."""

import pytest
import torch
from torch import nn

import paperworks.core.trainer as trainer_mod
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import FIT_START, Trainer, TrainerConfig


def _fit(rd):
    x = torch.randn(16, 2)
    cfg = TrainerConfig(max_steps=4, batch_size=8, progress=False)
    Trainer(nn.Linear(2, 1), torch.utils.data.TensorDataset(x, x[:, :1]),
            lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), cfg, run_dir=rd).fit()


def test_interrupt_just_after_the_marker_write_leaves_the_folder_as_it_found_it(tmp_path, monkeypatch):
    real = trainer_mod.atomic_write_json

    def write_then_interrupt(path, obj, *a, **kw):
        real(path, obj, *a, **kw)
        if path.name == FIT_START:
            raise KeyboardInterrupt          # lands as the write returns: the marker is in place
    monkeypatch.setattr(trainer_mod, "atomic_write_json", write_then_interrupt)
    rd = RunDir(tmp_path / "r")
    before = sorted(rd.path.rglob("*"))
    with pytest.raises(KeyboardInterrupt):
        _fit(rd)
    assert sorted(rd.path.rglob("*")) == before


def test_uninterrupted_fit_writes_its_marker(tmp_path, monkeypatch):
    written = []
    real = trainer_mod.atomic_write_json
    monkeypatch.setattr(trainer_mod, "atomic_write_json", lambda path, obj, *a, **kw: (written.append(
        (path.name, obj)), real(path, obj, *a, **kw))[1])
    rd = RunDir(tmp_path / "r")
    _fit(rd)
    assert written[0] == (FIT_START, {"metrics_records": 0}) and len(rd.read_metrics()) > 0
    assert not (rd.path / "checkpoints" / FIT_START).exists()   # the final checkpoint says it now
