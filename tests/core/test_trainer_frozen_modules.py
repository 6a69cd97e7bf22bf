"""The Trainer keeps a train-mode model's frozen (eval-mode) submodules frozen: fit() used to call
``model.train()``, and every evaluation ended with ``model.train(was)``, both of which switched a frozen
batch norm back to train mode (its running statistics then moved). A model passed in eval mode still
trains entirely in train mode."""

import torch
from torch import nn

from paperworks.core.trainer import Trainer, TrainerConfig


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.utils.data.TensorDataset(torch.randn(32, 3, generator=g) * 3 + 1, torch.randint(0, 2, (32,),
                                                                                                 generator=g))


def _fit(model, seen):
    cfg = TrainerConfig(max_steps=6, batch_size=8, progress=False, eval_every=2, log_every=6)

    def eval_fn(m):
        seen.append(m[1].training)
        return {"x": 0.0}

    Trainer(model, _data(), lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]), cfg, eval_fn=eval_fn).fit()


def test_frozen_batch_norm_stays_frozen_through_training_and_evaluations():
    model = _model()
    bn = model[1]
    bn.eval()
    stats = (bn.running_mean.clone(), bn.running_var.clone(), int(bn.num_batches_tracked))
    seen = []
    _fit(model, seen)
    assert model.training and not bn.training and seen and not any(seen)
    assert torch.equal(bn.running_mean, stats[0]) and torch.equal(bn.running_var, stats[1])
    assert int(bn.num_batches_tracked) == stats[2]
    assert not torch.equal(model[0].weight, _model()[0].weight)      # the rest did train


def test_model_passed_in_eval_mode_trains_entirely():
    model = _model().eval()
    _fit(model, [])
    assert model.training and model[1].training and int(model[1].num_batches_tracked) == 6
