"""Black-box query count of AdvGAN's dynamic distillation: the attack's own queries, diagnostics apart.

Before: ``BlackBox.queries`` also counted the surrogate / black-box agreement measured before and after each refit
(diagnostics, not part of the attack) and re-queried b(x) at every refit although the black box is a fixed
eval-mode model (probe: n = 64, 2 rounds -> 576 counted = 256 agreement + 192 on x (64 distinct) + 128 on x_A).
Now the attack queries b(x) once and b(x_A) once per round, n * (1 + rounds), and the agreement measurement is
counted as ``diagnostic_queries``, 2 * n * rounds. The trained surrogate, generator and agreements are
bit-identical to re-querying b(x) at every refit.
"""

import copy

import pytest
import torch
from _advgan_toy import toy_images as _toy

from paperworks import attacks
from paperworks.core.errors import DataError
from paperworks.models.mnist import SmallCNN
from paperworks.systems import advgan as advgan_module
from paperworks.systems.advgan import (AdvGAN, BlackBox, advgan_perturb, distill, dynamic_distillation,
                                       train_advgan)

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

KW = dict(distill_epochs=1, epochs_per_round=1, eps=0.3, alpha=0.1, beta=0.1, c=2.0, kappa=0.0, batch_size=8,
          lr=1e-3, gan_loss="ls", seed=0)


def _net(seed):
    torch.manual_seed(seed)
    return SmallCNN(num_classes=3, image_size=16, width=4)


def _state(m):
    return [v.detach().clone() for v in m.state_dict().values()]


def _same(a, b):
    return len(a) == len(b) and all(torch.equal(u, v) for u, v in zip(a, b))


@pytest.mark.parametrize("n, rounds", [(16, 1), (24, 2), (8, 3)])
def test_attack_queries_and_diagnostics_follow_the_closed_form(n, rounds):
    x, y = _toy(n)
    bb = BlackBox(_net(5).eval())
    seen = []
    probs = BlackBox.probs

    def spy(self, z, *a, **k):
        seen.append((z.clone(), bool(k.get("diagnostic", False))))
        return probs(self, z, *a, **k)

    BlackBox.probs = spy
    try:
        torch.manual_seed(1)
        dynamic_distillation(bb, _net(2), x, y, rounds=rounds, **KW)
    finally:
        BlackBox.probs = probs
    assert bb.queries == n * (1 + rounds)                 # b(x) once + b(x_A) per round
    assert bb.diagnostic_queries == 2 * n * rounds        # agreement before and after each refit
    assert sum(torch.equal(z, x) for z, _ in seen) == 1   # x is queried once
    assert sum(not d for _, d in seen) == 1 + rounds and sum(d for _, d in seen) == 2 * rounds


def _requery_reference(bb, surrogate, x, y, rounds, distill_epochs, epochs_per_round, eps, alpha, beta, c, kappa,
                       batch_size, lr, gan_loss, seed):
    """The same algorithm querying b(x) again at every (re)fit (the old query pattern)."""
    f = distill(surrogate, bb, x, epochs=distill_epochs, batch_size=batch_size, seed=seed)
    kw = dict(eps=eps, alpha=alpha, beta=beta, c=c, kappa=kappa, epochs=epochs_per_round, batch_size=batch_size,
              lr=lr, gan_loss=gan_loss)
    G = D = None
    agree = []
    for r in range(rounds):
        G, D = train_advgan(f, x, y, seed=seed + 10 + r, generator=G, discriminator=D, **kw)
        x_a = advgan_perturb(G, x, eps)
        before = attacks.accuracy(f, x_a, bb.probs(x_a).argmax(1))
        f = distill(f, bb, x, x_adv=x_a, epochs=1, batch_size=batch_size, seed=seed + r)
        agree.append((before, attacks.accuracy(f, x_a, bb.probs(x_a).argmax(1))))
    G, _ = train_advgan(f, x, y, seed=seed + 99, generator=G, discriminator=D, **kw)
    return G, f, agree


def test_cached_b_of_x_is_bit_identical_to_requerying():
    x, y = _toy(24)
    bb = BlackBox(_net(5).eval())
    assert torch.equal(bb.probs(x), bb.probs(x))          # the eval-mode black box answers the same
    f0 = _net(2)
    torch.manual_seed(1)
    G, f, agree = dynamic_distillation(bb, copy.deepcopy(f0), x, y, rounds=2, **KW)
    torch.manual_seed(1)
    G_r, f_r, agree_r = _requery_reference(BlackBox(bb._model), copy.deepcopy(f0), x, y, rounds=2, **KW)
    assert _same(_state(f), _state(f_r)) and _same(_state(G), _state(G_r)) and agree == agree_r


def test_distill_x_probs_equals_querying_and_costs_no_query():
    x, _ = _toy(16)
    bb = BlackBox(_net(5).eval())
    px = bb.probs(x)
    q = bb.queries
    a = distill(_net(2), bb, x, epochs=2, batch_size=8, seed=3, x_probs=px)
    assert bb.queries == q
    b = distill(_net(2), bb, x, epochs=2, batch_size=8, seed=3)
    assert bb.queries == q + x.shape[0]
    assert _same(_state(a), _state(b))
    for bad in (px[:5], px[:, 0], "probs"):
        with pytest.raises(DataError, match="'x_probs' must be the black box's outputs on x"):
            distill(_net(2), bb, x, x_probs=bad)
    assert bb.queries == q + x.shape[0] and bb.diagnostic_queries == 0


def test_reproduce_parts_report_the_split(monkeypatch):
    """The black-box experiment (static + dynamic on one BlackBox) and the emulated challenge report the attacks'
    own queries and the diagnostic ones apart."""
    x, y = _toy(24)
    cfg = AdvGAN.make_config({"batch_size": "8", "pgd_steps": "2", "dynamic_rounds": "2", "challenge_rounds": "3",
                              "distill_epochs": "1", "challenge_distill_epochs": "1", "epochs": "3",
                              "target_epochs": "1"}, preset="smoke")
    monkeypatch.setattr(advgan_module, "make_model", lambda name: SmallCNN(num_classes=3, image_size=16, width=4))
    system = AdvGAN(cfg)
    n = x.shape[0]
    bbx = system._blackbox(x, y, x[:8], y[:8], log=lambda d: None)
    assert (bbx["queries_static"], bbx["queries_dynamic"]) == (n, n * (1 + 2))
    assert bbx["queries"] == n + n * (1 + 2) and bbx["diagnostic_queries"] == 2 * n * 2
    ch = system._challenge(_net(5).eval(), x, y, x[:8], y[:8])
    assert ch["queries"] == n * (1 + 3) and ch["diagnostic_queries"] == 2 * n * 3
