"""Oracles for variational classification: sklearn GaussianNB (Bayes-rule head), the linear-softmax special
case, beta = 0 reductions (GM / CE), closed-form gradients and KL, the density-ratio critic, bad input."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperworks.core.errors import ConfigError, DataError
from paperworks.systems.variational_classification import (ClassCritic, GaussianHead, VariationalObjective,
                                                           critic_loss, density_ratio_kl, gaussian_kl,
                                                           split_classifier)

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _head(d=3, c=4, seed=0, **kw):
    torch.manual_seed(seed)
    h = GaussianHead(d, c, **kw).double()
    with torch.no_grad():
        h.log_var.copy_(0.5 * torch.randn(c, d, dtype=torch.float64))
    return h


def test_bayes_rule_head_equals_sklearn_gaussian_nb():
    nb_mod = pytest.importorskip("sklearn.naive_bayes")
    prior = torch.tensor([0.1, 0.2, 0.3, 0.4])
    h = _head(class_prior=prior)
    z = torch.randn(50, 3, dtype=torch.float64)
    nb = nb_mod.GaussianNB()
    nb.classes_ = np.arange(4)
    nb.theta_ = h.mu.detach().numpy()
    nb.var_ = h.log_var.exp().detach().numpy()
    nb.class_prior_ = prior.double().numpy()
    want = nb.predict_proba(z.numpy())
    got = h(z).softmax(1).detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    # log p(z|y) is the normal log density (torch.distributions as the reference)
    ref = torch.distributions.Normal(h.mu, h.log_var.exp().sqrt()).log_prob(z[:, None, :]).sum(-1)
    torch.testing.assert_close(h.log_density(z), ref)


def test_identity_covariance_is_a_linear_softmax_layer():
    h = GaussianHead(5, 3, covariance="identity", class_prior=torch.tensor([0.5, 0.3, 0.2])).double()
    assert not h.log_var.requires_grad
    lin = h.as_linear().double()
    z = torch.randn(20, 5, dtype=torch.float64)
    # logits differ by -||z||^2/2, the same for every class: equal softmax and equal CE
    torch.testing.assert_close(h(z) + 0.5 * z.pow(2).sum(1, keepdim=True), lin(z))
    torch.testing.assert_close(h(z).softmax(1), lin(z).softmax(1))
    y = torch.randint(0, 3, (20,))
    # ... so with the KL term switched off the VC objective is plain softmax cross-entropy
    vc = VariationalObjective(h, 0.0, 0.0)
    torch.testing.assert_close(vc.loss(z, y)[0], F.cross_entropy(lin(z), y))
    with pytest.raises(ConfigError, match="identity"):
        GaussianHead(5, 3).as_linear()


def test_beta_zero_is_gm_cross_entropy_bit_for_bit_and_critic_untouched():
    h = _head()
    vc = VariationalObjective(h, 0.0, 0.0, seed=0)
    w0 = vc.critic.w.detach().clone()
    z = torch.randn(16, 3, dtype=torch.float64)
    y = torch.randint(0, 4, (16,))
    for _ in range(3):
        loss, stats = vc.loss(z, y)
        assert torch.equal(loss, F.cross_entropy(h(z), y))
    assert torch.equal(vc.critic.w, w0) and set(stats) == {"ce"}


def test_full_loss_closed_form_and_critic_order():
    torch.manual_seed(1)
    h = GaussianHead(3, 4)
    vc = VariationalObjective(h, beta_likelihood=0.3, beta_adversarial=0.7, seed=2)
    z1, y1 = torch.randn(8, 3), torch.randint(0, 4, (8,))
    z2, y2 = torch.randn(8, 3), torch.randint(0, 4, (8,))
    loss1, _ = vc.loss(z1, y1)
    nll = -h.log_density(z1)[torch.arange(8), y1].mean()
    t = (vc.critic.w[y1] * z1).sum(1) + vc.critic.b[y1]
    torch.testing.assert_close(loss1, F.cross_entropy(h(z1), y1) + 0.3 * nll + 0.7 * t.mean())
    # the critic is stepped (once, AdamW) on call 1's cached latents at the start of call 2
    zc, zp, yc = vc._pending
    torch.testing.assert_close(zc, z1)
    ref = ClassCritic(3, 4)
    ref.load_state_dict(vc.critic.state_dict())
    opt = torch.optim.AdamW(ref.parameters(), lr=1e-3)
    critic_loss(ref, zc, zp, yc).backward()
    opt.step()
    vc.loss(z2, y2)
    torch.testing.assert_close(vc.critic.w, ref.w)
    torch.testing.assert_close(vc.critic.b, ref.b)


def test_logit_gradient_closed_form_and_gradcheck():
    h = _head()
    z = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    logits = h(z)
    # d l_y / dz = -(z - mu_y) / sigma_y^2
    for c in range(4):
        (g,) = torch.autograd.grad(logits[:, c].sum(), z, retain_graph=True)
        torch.testing.assert_close(g, -(z - h.mu[c]) / h.log_var[c].exp())
    assert torch.autograd.gradcheck(lambda zz, mu, lv: torch.func.functional_call(
        h, {"mu": mu, "log_var": lv}, (zz,)), (z, h.mu.detach().clone().requires_grad_(),
                                             h.log_var.detach().clone().requires_grad_()))
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    vc = VariationalObjective(h, 0.2, 0.5)
    assert vc.critic.w.dtype == torch.float64

    def loss(zz):
        vc._pending = None          # keep the critic fixed between gradcheck's evaluations
        return vc.loss(zz, y)[0]

    assert torch.autograd.gradcheck(loss, (z,))


def test_encoder_likelihood_switch_routes_the_likelihood_gradient():
    h = _head()
    z = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    g_with = torch.autograd.grad(VariationalObjective(h, 1.0, 0.0).loss(z, y)[0], z)[0]
    g_without = torch.autograd.grad(VariationalObjective(h, 1.0, 0.0, encoder_likelihood=False).loss(z, y)[0], z)[0]
    g_ce = torch.autograd.grad(F.cross_entropy(h(z), y), z)[0]
    torch.testing.assert_close(g_without, g_ce)
    # the likelihood part of the gradient: d/dz mean(-log p(z|y)) = (z - mu_y) / sigma_y^2 / N
    torch.testing.assert_close(g_with - g_ce, (z - h.mu[y]) / h.log_var[y].exp() / 6)


def test_gaussian_kl_matches_torch_distributions():
    m_q, m_p = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    v_q, v_p = torch.rand(5, 4, dtype=torch.float64) + 0.1, torch.rand(5, 4, dtype=torch.float64) + 0.1
    D = torch.distributions
    want = D.kl_divergence(D.Independent(D.Normal(m_q, v_q.sqrt()), 1), D.Independent(D.Normal(m_p, v_p.sqrt()), 1))
    torch.testing.assert_close(gaussian_kl(m_q, v_q, m_p, v_p), want)


def test_density_ratio_critic_recovers_kl_of_shifted_gaussians():
    # q = N(m, 1), p = N(0, 1): log q/p = m z - m^2/2 is linear, so the 1-layer critic can represent it and
    # E_q[T] -> KL = m^2 / 2
    m, n = 1.0, 10_000
    g = torch.Generator().manual_seed(0)
    zq, zp = m + torch.randn(n, 1, generator=g), torch.randn(n, 1, generator=g)
    y = torch.zeros(n, dtype=torch.long)
    torch.manual_seed(0)
    critic = ClassCritic(1, 2)
    opt = torch.optim.Adam(critic.parameters(), lr=0.1)
    for _ in range(100):
        opt.zero_grad()
        critic_loss(critic, zq, zp, y).backward()
        opt.step()
    assert density_ratio_kl(critic, zq, y) == pytest.approx(m * m / 2, rel=0.05)
    assert float(critic.w[0, 0].detach()) == pytest.approx(m, rel=0.05)
    assert float(critic.b[0].detach()) == pytest.approx(-m * m / 2, abs=0.05)


def test_split_classifier_drop_in_for_library_models():
    mnist = pytest.importorskip("paperworks.models.mnist")
    torch.manual_seed(0)
    model = mnist.SmallCNN().eval()
    enc, d, c = split_classifier(model)
    x = torch.rand(4, 1, 28, 28)
    lin = model.classifier[1]
    torch.testing.assert_close(lin(enc(x)), model(x))
    assert (d, c) == (lin.in_features, 10)
    with pytest.raises(ConfigError, match="no nn.Linear"):
        split_classifier(torch.nn.Conv2d(1, 1, 3))


def test_bad_input_one_clear_error():
    h = GaussianHead(3, 4)
    vc = VariationalObjective(h)
    z, y = torch.randn(5, 3), torch.tensor([0, 1, 2, 3, 0])
    with pytest.raises(DataError, match="NaN"):
        vc.loss(torch.where(torch.eye(5, 3).bool(), torch.nan, z), y)
    with pytest.raises(DataError, match=r"labels must lie in \[0, 3\].*max 4"):
        vc.loss(z, torch.tensor([0, 1, 2, 3, 4]))
    with pytest.raises(DataError, match=r"labels must lie in \[0, 3\].*min -1"):
        vc.loss(z, torch.tensor([0, 1, 2, 3, -1]))
    with pytest.raises(DataError, match=r"shape \[N, 3\]"):
        vc.loss(torch.randn(5, 2), y)
    with pytest.raises(DataError, match="integer labels"):
        vc.loss(z, y.float())
    with pytest.raises(ConfigError, match="beta_adversarial"):
        VariationalObjective(h, 0.1, -1.0)
    with pytest.raises(ConfigError, match="beta_likelihood"):
        VariationalObjective(h, math.nan, 0.1)
    with pytest.raises(ConfigError, match="covariance"):
        GaussianHead(3, 4, covariance="full")
    with pytest.raises(ConfigError, match="class_prior"):
        GaussianHead(3, 2, class_prior=torch.tensor([0.7, 0.7]))


def test_head_trains_at_a_tenth_of_the_encoder_lr_like_the_official_optimizer_2():
    """Official code: SGD lr 0.1 for the network, 0.01 for the Gaussian head. Adam's first step moves each
    parameter by lr * g / (|g| + eps) ~ lr * sign(g), so the head's first-step change must be 0.1 x the
    encoder's (closed form), and CE's linear head must stay in the encoder's group."""
    from paperworks.core.trainer import TrainerConfig
    from paperworks.systems.variational_classification import LatentClassifier
    from paperworks.systems.variational_classification.experiment import _HeadLrTrainer

    torch.manual_seed(0)
    enc = torch.nn.Linear(5, 3)
    head = GaussianHead(3, 4)
    model = LatentClassifier(enc, head)
    x, y = torch.randn(32, 5), torch.randint(0, 4, (32,))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    tc = TrainerConfig(max_steps=1, batch_size=32, lr=1e-2, optimizer="adam", log_every=1, progress=False)
    tr = _HeadLrTrainer(model, torch.utils.data.TensorDataset(x, y),
                        lambda m, b: F.cross_entropy(m(b[0]), b[1]), tc, device="cpu", head=head, head_lr_scale=0.1)
    assert [g["lr"] for g in tr.optimizer.param_groups] == pytest.approx([1e-2, 1e-3])
    tr.fit()
    for n, p in model.named_parameters():
        step = (p.detach() - before[n]).abs()
        moved = step[step > 0]
        want = 1e-3 if n.startswith("head.") else 1e-2
        assert moved.numel() > 0 and torch.allclose(moved, torch.full_like(moved, want), rtol=1e-3), n
    ce_model = LatentClassifier(torch.nn.Linear(5, 3), torch.nn.Linear(3, 4))
    tr = _HeadLrTrainer(ce_model, torch.utils.data.TensorDataset(x, y),
                        lambda m, b: F.cross_entropy(m(b[0]), b[1]), tc, device="cpu", head=None, head_lr_scale=0.1)
    assert len(tr.optimizer.param_groups) == 1


@pytest.mark.parametrize("method", ["ce", "vc"])
def test_sgd_official_recipe_is_what_the_config_says(monkeypatch, method):
    """optimizer=sgd_official (official VC.py scaled to our budget): SGD, Nesterov momentum 0.9, the configured
    weight decay in every group, the Gaussian head at sgd_head_lr_scale x sgd_lr (CE: one group), and the lr of
    every group x0.1 from update round(T/3) and again from round(2T/3) (T = 12 updates here: 4 and 8)."""
    from paperworks.systems.variational_classification import VariationalClassification as S
    from paperworks.systems.variational_classification import experiment as E

    seen = []

    class Recording(E._HeadLrTrainer):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.trace = []
            self.optimizer.register_step_pre_hook(
                lambda o, *_: self.trace.append([g["lr"] for g in o.param_groups]))
            seen.append(self)

    monkeypatch.setattr(E, "_HeadLrTrainer", Recording)
    cfg = S.make_config({"optimizer": "sgd_official", "sgd_lr": "0.05", "sgd_weight_decay": "0.002",
                         "sgd_head_lr_scale": "0.1", "batch_size": "16", "critic_hidden": "8"}, preset="smoke")
    torch.manual_seed(0)
    task = E.Task("t", torch.rand(64, 1, 2, 2), torch.arange(64) % 3, torch.rand(8, 1, 2, 2), torch.arange(8) % 3, 3)
    E.train(method, task, cfg, seed=0, epochs=3)
    tr = seen[0]
    opt = tr.optimizer
    assert isinstance(opt, torch.optim.SGD)
    assert all(g["nesterov"] and g["momentum"] == 0.9 and g["weight_decay"] == 0.002 for g in opt.param_groups)
    base = [0.05] if method == "ce" else [0.05, 0.005]
    if method == "vc":
        assert {id(p) for p in opt.param_groups[1]["params"]} == {id(p) for p in tr.model.head.parameters()}
    assert len(tr.trace) == 12
    for t, lrs in enumerate(tr.trace):
        want = [b * 0.1 ** ((t >= 4) + (t >= 8)) for b in base]
        assert lrs == pytest.approx(want, rel=1e-12), t
    assert E.step_milestones(930) == (310, 620)            # 30 epochs x 31 steps: after epochs 10 and 20
    with pytest.raises(ConfigError, match="optimizer"):
        S.make_config({"optimizer": "sgd"})


def test_latent_fit_is_the_mean_scaled_mahalanobis_distance_and_one_for_samples_of_the_head():
    """latent_fit = mean_i sum_d (z_id - mu_{y_i d})^2 / sigma_{y_i d}^2 / d (hand loop): about 1 when z is drawn
    from the head's own class Gaussians (E chi2_d / d = 1), about 4 when the spread is doubled; NaN for a linear
    head. (It was untested; it is the 'latent_fit' metric the report prints.)"""
    from paperworks.systems.variational_classification import LatentClassifier
    from paperworks.systems.variational_classification.experiment import latent_fit

    h = _head(d=3, c=4, seed=2)
    g = torch.Generator().manual_seed(0)
    y = torch.arange(4000) % 4
    sd = h.log_var.detach().exp().sqrt()
    z = h.mu.detach()[y] + sd[y] * torch.randn(4000, 3, generator=g, dtype=torch.float64)
    model = LatentClassifier(torch.nn.Identity(), h)
    got = latent_fit(model, z, y)
    want = sum(float(((z[i] - h.mu[y[i]]) ** 2 / sd[y[i]] ** 2).sum()) for i in range(4000)) / 4000 / 3
    assert got == pytest.approx(want, rel=1e-9)
    assert got == pytest.approx(1.0, abs=0.05)
    z2 = h.mu.detach()[y] + 2 * (z - h.mu.detach()[y])
    assert latent_fit(model, z2, y) == pytest.approx(4 * got, rel=1e-9)
    assert math.isnan(latent_fit(LatentClassifier(torch.nn.Identity(), torch.nn.Linear(3, 4)), z[:5], y[:5]))
