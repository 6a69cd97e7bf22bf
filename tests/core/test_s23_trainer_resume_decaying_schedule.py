"""A resume may continue a run for more steps, but not under a linear / cosine schedule, which decays over
max_steps: such a resume took its first update at the old schedule's lr (0 at the end of a finished run), then
jumped onto the new schedule's, a trajectory neither the old nor the new run follows. It is now refused, naming
the key; other schedules still continue for longer exactly as an uninterrupted longer run."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from paperworks.core.errors import CheckpointError
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig

torch.manual_seed(0)
DATA = TensorDataset(torch.randn(32, 3), torch.randn(32, 1))


def _loss(m, b):
    return ((m(b[0]) - b[1]) ** 2).mean()


def _trainer(path, steps, schedule, create=True):
    torch.manual_seed(1)
    extra = {"d_model": 16, "warmup_steps": 2} if schedule == "noam" else {}
    extra.update({"milestones": (3, 12)} if schedule == "step" else {})
    cfg = TrainerConfig(max_steps=steps, batch_size=4, lr=0.1, schedule=schedule, log_every=1, progress=False,
                        **extra)
    model = nn.Linear(3, 1)
    return Trainer(model, DATA, _loss, cfg, run_dir=RunDir(path, create=create)), model


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_a_decaying_schedule_refuses_another_max_steps(tmp_path, schedule):
    _trainer(tmp_path / "a", 10, schedule)[0].fit()
    tr, _ = _trainer(tmp_path / "a", 20, schedule, create=False)
    with pytest.raises(CheckpointError, match=r"max_steps: 10 -> 20.*decays over max_steps"):
        tr.fit(resume=True)
    # the same max_steps still resumes (a finished run: nothing left to train)
    tr, _ = _trainer(tmp_path / "a", 10, schedule, create=False)
    assert [r["step"] for r in tr.fit(resume=True)] == list(range(1, 11))


@pytest.mark.parametrize("schedule", ["constant", "step", "noam"])
def test_other_schedules_continue_for_longer_as_one_longer_run(tmp_path, schedule):
    _trainer(tmp_path / "a", 10, schedule)[0].fit()
    tr, model = _trainer(tmp_path / "a", 20, schedule, create=False)
    got = tr.fit(resume=True)
    ref_tr, ref_model = _trainer(tmp_path / "b", 20, schedule)
    ref = ref_tr.fit()
    assert got == ref
    for p, q in zip(model.parameters(), ref_model.parameters()):
        assert torch.equal(p, q)
