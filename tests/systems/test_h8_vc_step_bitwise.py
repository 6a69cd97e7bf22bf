"""The VC training step's speed-ups (2026-11-26, H8) are bit-identical to the formulation they replace.

Oracle: the previous formulation, kept here as it was: the Gaussian head with explicit ``[None]`` views, the
encoder loss's critic term computed through the critic's parameters (a gradient that the next critic step
dropped), the critic optimizer's ``zero_grad`` and the KL estimate as a second mean. Every loss, metric,
gradient, parameter (encoder, head, critic), AdamW state and prior-sample generator state must be EQUAL
(``torch.equal``), not close; a control test checks that the comparison does see a mere reassociation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperworks.core.trainer import seed_everything
from paperworks.systems.variational_classification import experiment
from paperworks.systems.variational_classification.objective import (ClassCritic, GaussianHead,
                                                                     LatentClassifier, VariationalObjective,
                                                                     check_latents, critic_loss)

_LOG_2PI = math.log(2 * math.pi)


class _OldHead(GaussianHead):
    """The head before the speed-up (explicit [None] views)."""

    def mahalanobis(self, z):
        diff = z[:, None, :] - self.mu[None]
        return (diff.pow(2) * torch.exp(-self.log_var)[None]).sum(-1)

    def log_density(self, z):
        return -0.5 * (self.log_var.sum(-1)[None] + self.mahalanobis(z) + self.feat_dim * _LOG_2PI)

    def forward(self, z):
        return -0.5 * (self.log_var.sum(-1)[None] + self.mahalanobis(z)) + self.log_prior[None]


class _OldObjective(VariationalObjective):
    """The objective before the speed-up."""

    def critic_step(self):
        if self._pending is None:
            return None
        z, zp, y = self._pending
        self._pending = None
        self.critic_opt.zero_grad(set_to_none=True)
        loss = critic_loss(self.critic, z, zp, y)
        loss.backward()
        self.critic_opt.step()
        self.critic_opt.zero_grad(set_to_none=True)
        self.last_critic_loss = float(loss.detach())
        return self.last_critic_loss

    def loss(self, z, y, validate=True):
        if validate:
            check_latents(z, y, self.head.num_classes, self.head.feat_dim, "VariationalObjective.loss")
        y = y.long()
        training = torch.is_grad_enabled()
        if self.adversarial and training:
            self.critic_step()
        logits = self.head(z)
        ce = F.cross_entropy(logits, y)
        loss = ce
        metrics = {"ce": float(ce.detach())}
        if self.beta_likelihood > 0:
            zl = z if self.encoder_likelihood else z.detach()
            nll_z = -self.head.log_density(zl).gather(1, y[:, None]).mean()
            loss = loss + self.beta_likelihood * nll_z
            metrics["nll_z"] = float(nll_z.detach())
        if self.adversarial:
            t_real = self.critic(z, y)
            loss = loss + self.beta_adversarial * t_real.mean()
            metrics["kl_est"] = float(t_real.detach().mean())
            if training:
                with torch.no_grad():
                    self._pending = (z.detach(), self.head.sample(y, self.generator).detach(), y.detach())
            metrics["critic_loss"] = self.last_critic_loss
        return loss, metrics


class _SharedMahalanobis(VariationalObjective):
    """Control: log p(z|y) taken from the logits' Mahalanobis pass (one pass instead of two). The same maths,
    another floating-point order: the comparison must tell it apart."""

    def loss(self, z, y, validate=True):
        y = y.long()
        if self.adversarial and torch.is_grad_enabled():
            self.critic_step()
        h = self.head
        ld = -0.5 * (h.log_var.sum(-1) + h.mahalanobis(z))
        ce = F.cross_entropy(ld + h.log_prior, y)
        nll_z = -(ld.gather(1, y[:, None]).mean() - 0.5 * h.feat_dim * _LOG_2PI)
        t_mean = self.critic.frozen(z, y).mean()
        loss = ce + self.beta_likelihood * nll_z + self.beta_adversarial * t_mean
        with torch.no_grad():
            self._pending = (z.detach(), h.sample(y, self.generator).detach(), y.detach())
        return loss, {"ce": float(ce.detach()), "nll_z": float(nll_z.detach()), "kl_est": float(t_mean.detach()),
                      "critic_loss": self.last_critic_loss}


def _trace(head_cls, obj_cls, steps=6, layers=1, dtype=torch.float32, b1=0.01, b2=0.01, enc_lik=True,
           validate=True, bs=64, prior=None):
    """Train encoder + head with Adam for ``steps`` VC steps; everything that must stay bit-identical."""
    old_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        seed_everything(0)
        enc = experiment.mlp_encoder(20, 32, 5)
        head = head_cls(5, 4, class_prior=prior)
        obj = obj_cls(head, b1, b2, critic_layers=layers, critic_hidden=8, seed=0, encoder_likelihood=enc_lik)
        model = LatentClassifier(enc, head)
        opt = torch.optim.Adam(model.parameters(), 1e-2)
        g = torch.Generator().manual_seed(5)
        out = []
        for _ in range(steps):
            x = torch.randn(bs, 20, generator=g, dtype=dtype) * 3
            y = torch.randint(0, 4, (bs,), generator=g)
            loss, metrics = obj.loss(model.latent(x), y, validate=validate)
            opt.zero_grad()
            loss.backward()
            out += [("loss", loss.detach().clone()), ("metrics", metrics)]
            out += [("grad " + n, p.grad.clone()) for n, p in model.named_parameters()]
            opt.step()
        with torch.no_grad():                          # an evaluation call: no critic step
            out.append(("eval", obj.loss(model.latent(x), y)[0]))
        obj.critic_step()
        out += [("param " + n, p.detach().clone()) for n, p in model.named_parameters()]
        out += [("critic " + n, p.detach().clone()) for n, p in obj.critic.named_parameters()]
        out += [(f"adamw {k}", v.clone()) for st in obj.critic_opt.state.values() for k, v in st.items()]
        out.append(("generator", obj.generator.get_state()))
        return out
    finally:
        torch.set_default_dtype(old_dtype)


def _equal(a, b) -> bool:
    assert [k for k, _ in a] == [k for k, _ in b]
    for (_, u), (_, v) in zip(a, b):
        if isinstance(u, dict):
            if u.keys() != v.keys() or any(u[k] != v[k] and not (math.isnan(u[k]) and math.isnan(v[k])) for k in u):
                return False
        elif not torch.equal(u, v):
            return False
    return True


CASES = {
    "default": {},
    "two-layer critic": {"layers": 2},
    "float64, head-only likelihood": {"dtype": torch.float64, "enc_lik": False},
    "unvalidated, odd batch, large betas, class prior": {"validate": False, "bs": 37, "b1": 0.3, "b2": 0.7,
                                                         "prior": torch.tensor([0.1, 0.2, 0.3, 0.4])},
    "no critic (beta_adversarial 0)": {"b2": 0.0},
    "GM (both betas 0)": {"b1": 0.0, "b2": 0.0},
}


@pytest.mark.parametrize("case", list(CASES))
def test_training_steps_bit_identical_to_the_old_formulation(case):
    kw = CASES[case]
    old, new = _trace(_OldHead, _OldObjective, **kw), _trace(GaussianHead, VariationalObjective, **kw)
    assert _equal(old, new), case


def test_the_comparison_sees_a_reassociation():
    """Control: the same maths in another order (Mahalanobis shared by logits and log p(z|y)) is NOT equal."""
    old = _trace(_OldHead, _OldObjective)
    assert not _equal(old, _trace(GaussianHead, _SharedMahalanobis))
    assert _equal(old, _trace(GaussianHead, VariationalObjective))


@pytest.mark.parametrize("layers", [1, 2])
def test_frozen_critic_same_values_and_latent_gradient_no_parameter_gradient(layers):
    torch.manual_seed(1)
    critic = ClassCritic(5, 4, layers=layers, hidden=8)
    z = torch.randn(9, 5, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0, 0])
    t, tf = critic(z, y), critic.frozen(z, y)
    assert torch.equal(t, tf)
    g = torch.randn(9)
    (gz,) = torch.autograd.grad(t, z, g)
    (gzf,) = torch.autograd.grad(tf, z, g)
    assert torch.equal(gz, gzf)
    assert all(not p.requires_grad or p.grad is None for p in critic.parameters())
    tf2 = critic.frozen(z, y)
    assert tf2.grad_fn is not None and tf2.requires_grad
    with pytest.raises(RuntimeError):                 # the parameters are not in the graph
        torch.autograd.grad(tf2.sum(), critic.w)


def test_the_encoder_loss_leaves_no_gradient_on_the_critic():
    """The point of the change: the main backward no longer computes a critic gradient (which the next critic
    step used to drop); the critic's own step still trains it exactly as before."""
    seed_everything(0)
    head = GaussianHead(5, 4)
    vc = VariationalObjective(head, 0.01, 0.01)
    z = torch.randn(8, 5, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    vc.loss(z, y)[0].backward()
    assert all(p.grad is None for p in vc.critic.parameters())
    assert z.grad is not None and head.mu.grad is not None
    before = [p.detach().clone() for p in vc.critic.parameters()]
    assert vc.critic_step() is not None
    assert all(not torch.equal(p, q) for p, q in zip(vc.critic.parameters(), before))
    assert all(p.grad is None for p in vc.critic.parameters())


def test_critic_step_drops_a_gradient_left_from_outside():
    """critic_step still starts from no gradient (as zero_grad(set_to_none=True) did): a gradient put on the
    critic by the caller does not leak into its update."""
    seed_everything(0)
    head = GaussianHead(5, 4)
    a, b = VariationalObjective(head, 0.01, 0.01), VariationalObjective(head, 0.01, 0.01)
    z, zp, y = torch.randn(8, 5), torch.randn(8, 5), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    a._pending, b._pending = (z, zp, y), (z, zp, y)
    for p in b.critic.parameters():
        p.grad = torch.full_like(p, 1e3)
    assert a.critic_step() == b.critic_step()
    assert all(torch.equal(p, q) for p, q in zip(a.critic.parameters(), b.critic.parameters()))


def test_experiment_training_bit_identical_to_the_old_formulation(monkeypatch):
    """The system's own training path (shared Trainer, head lr group, validate=False) on a tiny task."""
    g = torch.Generator().manual_seed(0)
    task = experiment.Task("t", torch.rand(96, 1, 4, 4, generator=g), torch.arange(96) % 3,
                           torch.rand(8, 1, 4, 4, generator=g), torch.arange(8) % 3, 3)

    class Cfg:
        hidden, latent_dim, batch_size, lr, head_lr_scale, optimizer = 16, 4, 32, 1e-2, 0.5, "adam"
        beta_likelihood, beta_adversarial, critic_layers, critic_lr, critic_hidden = 0.05, 0.05, 1, 1e-2, 8
        encoder_likelihood = True

    def run():
        model, obj, _ = experiment.train("vc", task, Cfg, seed=0, epochs=3, train_idx=np.arange(90))
        return ([p.detach().clone() for p in model.parameters()] + [p.detach().clone() for p in obj.critic.parameters()]
                + [obj.generator.get_state()])

    new = run()
    monkeypatch.setattr(experiment, "GaussianHead", _OldHead)
    monkeypatch.setattr(experiment, "VariationalObjective", _OldObjective)
    old = run()
    assert len(old) == len(new) and all(torch.equal(u, v) for u, v in zip(old, new))


# ---------------------------------------------------------------------------------------------- review H9
@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.uint64])
def test_wide_unsigned_labels_are_read_as_int64(dtype):
    """'Integer labels of any width are accepted': torch has no min/max/aminmax kernels for uint16/32/64, so the
    label check raised NotImplementedError-like RuntimeErrors (before and after the aminmax change); now the same
    loss as int64 labels, and an out-of-range label is the one clear DataError."""
    from paperworks.core.errors import DataError
    torch.manual_seed(0)
    z = torch.randn(6, 3)
    y = torch.tensor([0, 1, 2, 3, 1, 0])
    obj = VariationalObjective(GaussianHead(3, 4), 0.01, 0.0)
    want = obj.loss(z, y)[0]
    assert torch.equal(obj.loss(z, y.to(dtype))[0], want)
    with pytest.raises(DataError, match=r"labels must lie in \[0, 3\] \(got min 0, max 4\)"):
        obj.loss(z, torch.tensor([0, 4, 1, 1, 1, 1]).to(dtype))
