"""Adversarial training killed and resumed equals an uninterrupted run (the Trainer's exact-resume promise).

adversarial_loss keeps state of its own: the generator of the pgd recipe's random starts and the ensemble's
round-robin position over sources. A resume rebuilt the recipe from its seed, so the resumed run drew the pgd
starts of steps 1, 2, ... again and restarted the ensemble's source sequence: parameters differed by 0.027 / 0.012
from the uninterrupted run. The recipe now exposes state_dict / load_state_dict and the Trainer checkpoints it.
"""

import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig


def _net():
    torch.manual_seed(1)
    return nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.ReLU(), nn.Linear(16, 3))


def _cfg(n):
    return TrainerConfig(max_steps=n, batch_size=16, ckpt_every=5, log_every=5, progress=False, lr=1e-2)


@pytest.mark.parametrize("method", ["pgd", "ensemble", "fgsm"])
def test_resumed_adversarial_training_equals_uninterrupted(method, tmp_path):
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.rand(64, 1, 6, 6), torch.randint(0, 3, (64,)))
    kw = dict(eps=0.2, static_models=[_net().eval()]) if method == "ensemble" else dict(eps=0.2, pgd_steps=3)
    whole = _net()
    Trainer(whole, data, attacks.adversarial_loss(method, **kw), _cfg(10), run_dir=RunDir(tmp_path / "a")).fit()
    part = _net()     # a run stopped after its checkpoint at step 5, then resumed by a fresh script
    Trainer(part, data, attacks.adversarial_loss(method, **kw), _cfg(5), run_dir=RunDir(tmp_path / "b")).fit()
    resumed = _net()
    Trainer(resumed, data, attacks.adversarial_loss(method, **kw), _cfg(10),
            run_dir=RunDir(tmp_path / "b", create=False)).fit(resume=True)
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_recipe_state_round_trip_and_bad_state():
    loss_fn = attacks.adversarial_loss("pgd", eps=0.2, pgd_steps=2, seed=3)
    model, x, y = _net().train(), torch.rand(8, 1, 6, 6), torch.randint(0, 3, (8,))
    loss_fn(model, (x, y))
    sd = loss_fn.state_dict()
    a = loss_fn(model, (x, y))[0]
    other = attacks.adversarial_loss("pgd", eps=0.2, pgd_steps=2, seed=3)
    other.load_state_dict(sd)
    assert torch.equal(other(model, (x, y))[0], a)
    with pytest.raises(ConfigError, match="not a state"):
        other.load_state_dict({"step": 0})


def test_module_loss_fns_are_not_checkpointed_as_json(tmp_path):
    """An nn.Module loss_fn's state_dict holds weights (e.g. of a wrapped teacher): left out of the JSON state."""
    from paperworks.core.trainer import load_checkpoint, latest_checkpoint

    class _Loss(nn.Module):
        def __init__(self):
            super().__init__()
            self.teacher = nn.Linear(36, 3)

        def forward(self, model, batch):
            return nn.functional.cross_entropy(model(batch[0]), batch[1])

    data = torch.utils.data.TensorDataset(torch.rand(32, 1, 6, 6), torch.randint(0, 3, (32,)))
    rd = RunDir(tmp_path / "m")
    Trainer(_net(), data, _Loss(), _cfg(5), run_dir=rd).fit()
    assert "loss_fn" not in load_checkpoint(latest_checkpoint(rd.checkpoints))["extra"]
    rd2 = RunDir(tmp_path / "p")
    Trainer(_net(), data, attacks.adversarial_loss("pgd", eps=0.1, pgd_steps=1), _cfg(5), run_dir=rd2).fit()
    assert set(load_checkpoint(latest_checkpoint(rd2.checkpoints))["extra"]["loss_fn"]) == {"step", "generator"}
