"""Python-API QA of AdvGAN (2026-11-26): model modes, buffers and gradients left behind."""

import torch
from torch import nn

from paperworks.systems.advgan import Discriminator, Generator, advgan_perturb, train_advgan


def _bn_target():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 16 * 16, 3))


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.rand(6, 1, 16, 16, generator=g), torch.tensor([0, 1, 2, 0, 1, 2])


def test_api_qa_advgan_train_leaves_no_gradients_and_target_untouched():
    target = _bn_target().eval()
    x, y = _data()
    sd = {k: v.clone() for k, v in target.state_dict().items()}
    G, D = train_advgan(target, x, y, eps=0.2, epochs=1, batch_size=3, seed=0)
    assert all(torch.equal(v, sd[k]) for k, v in target.state_dict().items())
    assert not target.training and all(p.requires_grad for p in target.parameters())
    # old code: D kept the last G step's gradients in .grad
    assert all(p.grad is None for p in list(G.parameters()) + list(D.parameters()))
    assert all(p.grad is None for p in target.parameters())
    assert not G.training and not D.training


class _Recorder(nn.Module):
    """Wraps a network and records the mode it is called in."""

    def __init__(self, net):
        super().__init__()
        self.net, self.modes = net, []

    def forward(self, x):
        self.modes.append(self.training)
        return self.net(x)


def test_api_qa_advgan_passed_back_networks_train_in_train_mode():
    """dynamic_distillation hands G and D (returned in eval mode) back to train_advgan: they must train in train
    mode (old code: a generator with dropout / batch norm trained in eval mode from the second round on)."""
    x, y = _data()
    torch.manual_seed(3)
    G, D = _Recorder(Generator(1, n_res=1)).eval(), _Recorder(Discriminator(1, 16)).eval()
    x16 = x
    t16 = nn.Sequential(nn.Flatten(), nn.Linear(256, 3)).eval()
    train_advgan(t16, x16, y, eps=0.2, epochs=1, batch_size=3, seed=0, generator=G, discriminator=D)
    assert G.modes and all(G.modes) and D.modes and all(D.modes)
    assert not G.training and not D.training                  # returned in eval mode, as documented


def test_api_qa_advgan_default_networks_mode_invariant():
    """The default G / D (instance norm without running statistics) compute the same in either mode, so
    training them in train mode cannot move the system's numbers: G / D passed in eval and in train mode give
    bit-identical results."""
    x, y = _data()
    x16 = x
    t16 = nn.Sequential(nn.Flatten(), nn.Linear(256, 3)).eval()
    torch.manual_seed(3)
    G1, D1 = Generator(1, n_res=1), Discriminator(1, 16)
    G2, D2 = Generator(1, n_res=1), Discriminator(1, 16)
    G2.load_state_dict(G1.state_dict())
    D2.load_state_dict(D1.state_dict())
    with torch.no_grad():
        assert torch.equal(G1.eval()(x16), G2.train()(x16)) and torch.equal(D1.eval()(x16), D2.train()(x16))
    Ga, Da = train_advgan(t16, x16, y, eps=0.2, epochs=1, batch_size=3, seed=0, generator=G1.eval(),
                          discriminator=D1.eval())
    Gb, Db = train_advgan(t16, x16, y, eps=0.2, epochs=1, batch_size=3, seed=0, generator=G2.train(),
                          discriminator=D2.train())
    for p, q in zip(list(Ga.parameters()) + list(Da.parameters()), list(Gb.parameters()) + list(Db.parameters())):
        assert torch.equal(p, q)


class _DropGen(nn.Module):
    def __init__(self):
        super().__init__()
        self.g = Generator(1, n_res=0)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.g(x))


def test_api_qa_advgan_perturb_runs_generator_in_eval_mode():
    torch.manual_seed(0)
    G = _DropGen().train()
    x, _ = _data()
    a = advgan_perturb(G, x, 0.3)
    b = advgan_perturb(G, x, 0.3)
    assert torch.equal(a, b)                                  # old code: two different dropout masks
    with torch.no_grad():
        G.eval()
        ref = (x + G(x).clamp(-0.3, 0.3)).clamp(0, 1)
        G.train()
    assert torch.allclose(a, ref, atol=1e-7) and G.training and G.drop.training


def test_api_qa_advgan_perturb_dtype_mismatch_is_data_error():
    import pytest

    from paperworks.core.errors import DataError

    G = Generator(1, n_res=0).eval()
    x, _ = _data()
    with pytest.raises(DataError, match="float64 but the generator is torch.float32"):  # old: RuntimeError
        advgan_perturb(G, x.double(), 0.1)
    assert advgan_perturb(G.double(), x.double(), 0.1).dtype == torch.float64
