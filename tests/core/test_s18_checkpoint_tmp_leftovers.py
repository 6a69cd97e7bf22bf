"""A checkpoint save killed before its rename leaves checkpoints/.tmp-step_XXXXXXXX-PID/ (a partial copy of the
checkpoint). A resumed run ignored it (right) but never removed it: a later save only reuses the folder of its own
process id, so every killed save left one behind for good. Resuming now removes them; the resumed run is
unchanged."""

import torch
from torch import nn

from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig, list_checkpoints


def _trainer(rd, steps):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(48, 3, generator=g, dtype=torch.float64)
    y = x.sum(1, keepdim=True)
    torch.manual_seed(0)
    model = nn.Linear(3, 1).double()
    tc = TrainerConfig(max_steps=steps, batch_size=8, ckpt_every=3, log_every=3, progress=False)
    return Trainer(model, torch.utils.data.TensorDataset(x, y),
                   lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), tc, run_dir=rd)


def test_resume_removes_the_temp_folders_of_killed_saves(tmp_path):
    rd = RunDir(tmp_path / "run")
    _trainer(rd, 6).fit()
    ck = rd.path / "checkpoints"
    killed = ck / ".tmp-step_00000009-999999"      # what a save killed before its rename leaves
    killed.mkdir()
    (killed / "model.safetensors").write_bytes(b"partial")
    assert [p.name for p in list_checkpoints(ck)] == ["step_00000003", "step_00000006"]
    tr = _trainer(rd, 9)
    tr.fit(resume=True)
    assert not killed.exists()
    assert [p.name for p in list_checkpoints(ck)] == ["step_00000003", "step_00000006", "step_00000009"]
    # the same as an uninterrupted 9-step run
    ref = RunDir(tmp_path / "ref")
    tr_ref = _trainer(ref, 9)
    tr_ref.fit()
    assert rd.read_metrics() == ref.read_metrics()
    assert all(torch.equal(a, b) for a, b in zip(tr.model.state_dict().values(), tr_ref.model.state_dict().values()))
