"""The class prior of the Gaussian head follows the head's dtype: a float64 head has float64 log-priors
(it got float32-rounded ones: class_prior was cast to float32 always, and .double() cast those up)."""

import math

import pytest
import torch

from paperworks.systems.variational_classification import GaussianHead

P64 = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)


def _closed_form_logits(h, z):
    """l_y(z) = -1/2 [sum_d log var_yd + sum_d (z_d - mu_yd)^2 / var_yd] + log p(y), written out in float64."""
    mu, lv = h.mu.detach(), h.log_var.detach()
    out = torch.empty(z.shape[0], mu.shape[0], dtype=torch.float64)
    for y in range(mu.shape[0]):
        out[:, y] = -0.5 * (lv[y].sum() + ((z - mu[y]) ** 2 / lv[y].exp()).sum(1)) + math.log(float(P64[y]))
    return out


@pytest.mark.parametrize("how", ["double()", "default_dtype"])
def test_float64_head_has_float64_log_prior(how):
    torch.manual_seed(0)
    if how == "double()":
        h = GaussianHead(3, 4, class_prior=P64).double()
    else:
        old = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            h = GaussianHead(3, 4, class_prior=P64)
        finally:
            torch.set_default_dtype(old)
    with torch.no_grad():
        h.log_var.copy_(0.3 * torch.randn(4, 3, dtype=torch.float64))
    assert h.log_prior.dtype == torch.float64 and h.mu.dtype == torch.float64
    # old code: log of the float32-rounded prior (errors ~1e-8; e.g. log(float32(0.1)) - log(0.1) = -1.5e-8)
    assert torch.equal(h.log_prior, P64.log())
    z = torch.randn(20, 3, dtype=torch.float64)
    torch.testing.assert_close(h(z), _closed_form_logits(h, z), rtol=0, atol=1e-13)
    lin = GaussianHead(3, 4, covariance="identity", class_prior=P64).double().as_linear()
    # the equivalent linear layer's bias b_y = -||mu_y||^2 / 2 + log p(y) carries the float64 prior too
    torch.testing.assert_close(lin.bias.detach() + 0.5 * lin.weight.detach().pow(2).sum(1), P64.log(),
                               rtol=0, atol=1e-15)
    # the uniform prior too: exactly -log C in float64
    assert torch.equal(GaussianHead(3, 7).double().log_prior, torch.full((7,), -math.log(7), dtype=torch.float64))


def test_float32_prior_unchanged_and_round_trip_and_loaded_buffers_kept():
    h = GaussianHead(3, 4, class_prior=P64)
    want32 = P64.to(torch.float32).log()                      # the float32 path as it always was
    assert h.log_prior.dtype == torch.float32 and torch.equal(h.log_prior, want32)
    assert torch.equal(h.double().float().log_prior, want32)  # back to float32: the built values again
    # a buffer changed after construction (e.g. load_state_dict) is cast as it is, not replaced
    g = GaussianHead(3, 4, class_prior=P64)
    new = torch.tensor([0.4, 0.3, 0.2, 0.1]).log()
    g.load_state_dict({**g.state_dict(), "log_prior": new})
    assert torch.equal(g.double().log_prior, new.double())
    # a float64 state dict of a float64 head loads exactly into another float64 head
    a, b = GaussianHead(3, 4, class_prior=P64).double(), GaussianHead(3, 4).double()
    b.load_state_dict(a.state_dict())
    assert torch.equal(b.log_prior, P64.log())
