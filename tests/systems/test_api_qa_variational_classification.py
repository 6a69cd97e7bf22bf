"""Python-API QA of variational classification (2026-11-26): silent side effects and edge cases."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from paperworks.core.errors import DataError
from paperworks.systems.variational_classification import GaussianHead, VariationalObjective, split_classifier


def _trained_step(vc, head, seed=0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(6, head.feat_dim, generator=g, requires_grad=True)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    vc.loss(z, y)[0].backward()
    return z, y


def test_api_qa_vc_loss_under_no_grad_is_an_evaluation():
    torch.manual_seed(0)
    head = GaussianHead(4, 3)
    vc = VariationalObjective(head, beta_likelihood=0.01, beta_adversarial=0.01)
    _trained_step(vc, head)                                  # leaves a pending critic step
    before = [p.detach().clone() for p in vc.critic.parameters()]
    zv = torch.randn(5, 4)
    yv = torch.tensor([0, 1, 2, 1, 0])
    with torch.no_grad():                                    # old code: RuntimeError (critic step without grad)
        loss, m = vc.loss(zv, yv)
    for p, q in zip(vc.critic.parameters(), before):
        assert torch.equal(p.detach(), q)                    # validation did not train the critic
    # the loss value is the closed form CE + b_l * NLL + b_a * mean T on the validation latents
    expect = (F.cross_entropy(head(zv), yv) - 0.01 * head.log_density(zv).gather(1, yv[:, None]).mean()
              + 0.01 * vc.critic(zv, yv).mean())
    assert torch.allclose(loss, expect, atol=1e-6)
    # the pending training batch is still the one the critic trains on next (not the validation batch)
    assert vc._pending is not None and vc._pending[0].shape[0] == 6


def test_api_qa_vc_no_grad_first_call_caches_nothing():
    head = GaussianHead(4, 3)
    vc = VariationalObjective(head)
    with torch.no_grad():
        vc.loss(torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0]))
    assert vc.critic_step() is None                          # old code: the critic trained on validation data


@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.uint8])
def test_api_qa_vc_loss_accepts_narrow_integer_labels(dtype):
    torch.manual_seed(0)
    h1 = GaussianHead(4, 3)
    h2 = GaussianHead(4, 3)
    h2.load_state_dict(h1.state_dict())
    a, b = VariationalObjective(h1), VariationalObjective(h2)
    z = torch.randn(6, 4)
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    la, _ = a.loss(z, y)
    lb, _ = b.loss(z, y.to(dtype))                           # old code: RuntimeError from cross_entropy
    assert torch.equal(la, lb)


def test_api_qa_vc_bool_labels_rejected():
    vc = VariationalObjective(GaussianHead(4, 2))
    with pytest.raises(DataError, match="integer labels"):
        vc.loss(torch.randn(3, 4), torch.tensor([True, False, True]))


def test_api_qa_split_classifier_bare_linear_is_identity_encoder():
    lin = nn.Linear(5, 3)
    enc, d, c = split_classifier(lin)
    x = torch.randn(4, 5)
    assert (d, c) == (5, 3)
    assert torch.equal(enc(x), x)                            # old code: enc was a copy of the Linear (logits)


def test_api_qa_split_classifier_leaves_model_untouched():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3)).eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    enc, d, c = split_classifier(model)
    x = torch.randn(2, 5)
    assert torch.equal(model[2](enc(x)), model(x))
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert isinstance(model[2], nn.Linear) and not model.training and not enc.training


def test_api_qa_identity_head_is_softmax_of_negative_half_squared_distances():
    torch.manual_seed(0)
    head = GaussianHead(3, 4, covariance="identity")
    z = torch.randn(7, 3, dtype=torch.float64)
    head = head.double()
    p = torch.softmax(head(z), 1)
    d2 = torch.cdist(z, head.mu.detach()) ** 2
    assert torch.allclose(p, torch.softmax(-0.5 * d2, 1), atol=1e-12)
    assert head(z).dtype == torch.float64


def test_api_qa_vc_empty_batch_is_an_error():
    vc = VariationalObjective(GaussianHead(3, 2))
    with pytest.raises(DataError, match="empty batch"):       # old code: loss tensor(nan), silently
        vc.loss(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))


def test_api_qa_gaussian_kl_closed_form_and_bad_variances():
    from paperworks.systems.variational_classification import gaussian_kl

    m_q, v_q = torch.tensor([0.5, -1.0], dtype=torch.float64), torch.tensor([2.0, 0.5], dtype=torch.float64)
    m_p, v_p = torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([1.0, 3.0], dtype=torch.float64)
    peer = torch.distributions.kl_divergence(torch.distributions.Normal(m_q, v_q.sqrt()),
                                             torch.distributions.Normal(m_p, v_p.sqrt())).sum()
    assert torch.allclose(gaussian_kl(m_q, v_q, m_p, v_p), peer, atol=1e-12)
    assert gaussian_kl(m_p, v_p, m_p, v_p).item() == 0.0
    for bad in (torch.tensor([0.0, 1.0]), torch.tensor([-1.0, 1.0]), torch.tensor([float("nan"), 1.0])):
        with pytest.raises(DataError, match="variances"):     # old code: inf / NaN, silently
            gaussian_kl(m_q.float(), bad, m_p.float(), v_p.float())
        with pytest.raises(DataError, match="variances"):
            gaussian_kl(m_q.float(), v_q.float(), m_p.float(), bad)


def test_api_qa_gaussian_head_nan_class_prior_rejected():
    from paperworks.core.errors import ConfigError

    for prior in ([float("nan"), 1.0], [float("nan"), float("nan")], [float("inf"), 0.5]):
        with pytest.raises(ConfigError, match="class_prior"):  # old code: accepted, logits NaN silently
            GaussianHead(3, 2, class_prior=torch.tensor(prior))
    h = GaussianHead(3, 2, class_prior=torch.tensor([0.25, 0.75]))
    assert torch.allclose(h.log_prior.exp(), torch.tensor([0.25, 0.75]))
