"""advgan.train_classifier / distill keep a BatchNorm the user froze (eval mode inside a model passed in train
mode) frozen: its running statistics do not move (both called .train() on the whole model, so they did)."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import DataError
from paperworks.systems.advgan import BlackBox, distill, train_classifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.2),
                         nn.Flatten(), nn.Linear(4 * 8 * 8, 3))


def _data(n=64):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 16, 16, generator=g), torch.arange(n) % 3


def _stats(bn):
    return [t.clone() for t in (bn.running_mean, bn.running_var, bn.num_batches_tracked)]


def _frozen_net(seed=0):
    net = _net(seed).train()
    with torch.no_grad():                     # pretrained-looking statistics, far from the batch ones
        net[1].running_mean.fill_(0.3)
        net[1].running_var.fill_(2.0)
    net[1].eval()                             # the user freezes the BatchNorm
    return net


@pytest.mark.parametrize("fit", ["train_classifier", "distill"])
def test_frozen_batchnorm_keeps_running_stats_and_dropout_still_trains(fit):
    x, y = _data()
    net = _frozen_net()
    before, w0 = _stats(net[1]), net[5].weight.detach().clone()
    seen = []
    net[3].register_forward_hook(lambda m, i, o: seen.append((net[1].training, m.training)))
    if fit == "train_classifier":
        out = train_classifier(net, x, y, epochs=1, batch_size=16, seed=0)
    else:
        teacher = _net(1).eval()
        out = distill(net, BlackBox(teacher), x, epochs=1, batch_size=16, seed=0)
    # old code: running_mean/var moved towards the batch statistics, num_batches_tracked counted 4 steps
    assert all(torch.equal(a, b) for a, b in zip(_stats(net[1]), before))
    assert (True, True) not in [(b, d) for b, d in seen] and (False, True) in seen   # BN eval, dropout train
    assert not torch.equal(net[5].weight, w0)                                        # it did train
    assert out is net and not any(m.training for m in net.modules())                 # eval mode on return


def test_frozen_run_equals_manual_loop_with_the_same_modes():
    """Oracle: the frozen-BN run equals the Trainer-free loop of the same schedule with BN in eval mode."""
    x, y = _data()
    a, b = _frozen_net(), _frozen_net()
    a[3].p = b[3].p = 0.0                      # no dropout randomness in the comparison
    train_classifier(a, x, y, epochs=1, batch_size=64, lr=1e-2, seed=0)   # one step on the full batch
    opt = torch.optim.Adam(b.parameters(), 1e-2)
    loss = nn.functional.cross_entropy(b(x), y)                           # BN normalises with (0.3, 2.0)
    opt.zero_grad()
    loss.backward()
    opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_modes_restored_when_training_fails_and_all_eval_model_trains_fully():
    x, y = _data(10)
    net = _frozen_net()
    with pytest.raises(DataError):            # fewer examples than one batch: the Trainer refuses
        train_classifier(net, x, y, epochs=1, batch_size=128)
    assert net.training and not net[1].training and net[3].training   # old code: BN left in train mode
    # a model passed in eval mode (as these functions return it) trains entirely in train mode, as before
    x, y = _data()
    net = _frozen_net().eval()
    before = _stats(net[1])
    train_classifier(net, x, y, epochs=1, batch_size=16)
    assert int(net[1].num_batches_tracked) == int(before[2]) + 4
