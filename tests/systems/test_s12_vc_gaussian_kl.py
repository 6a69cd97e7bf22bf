"""gaussian_kl at legitimate extremes, against a 60-digit mpmath evaluation of the closed form."""

import mpmath
import pytest
import torch

from paperworks.systems.variational_classification import gaussian_kl


def _oracle(m_q, v_q, m_p, v_p):
    with mpmath.workdps(60):
        s = mpmath.mpf(0)
        for a, b, c, d in zip(m_q, v_q, m_p, v_p):
            a, b, c, d = (mpmath.mpf(float(t)) for t in (a, b, c, d))
            s += (mpmath.log(d / b) + (b + (a - c) ** 2) / d - 1) / 2
        return float(s)


@pytest.mark.parametrize("dtype,m_q,v_q,m_p,v_p,rel", [
    # near-equal variances: x - 1 - log x cancelled (float32: 6% off; float64: 0 instead of 2.5e-19)
    (torch.float32, [0.0] * 4, [1.0001, 0.9999, 1.001, 1.00001], [0.0] * 4, [1.0] * 4, 1e-6),
    (torch.float64, [0.0], [1 + 1e-9], [0.0], [1.0], 1e-12),
    (torch.float64, [0.0], [1e10 * (1 + 1e-6)], [0.0], [1e10], 1e-12),
    # variance ratio beyond float32's range: var_p / var_q overflowed (inf; true 68.58)
    (torch.float32, [0.0], [1e-30], [0.0], [1e30], 1e-6),
    # a mean gap whose square overflows float32 while the KL does not
    (torch.float32, [1e20], [1.0], [-1e20], [1e20], 1e-6),
    # textbook values
    (torch.float64, [0.3, -1.0], [0.5, 2.0], [0.1, 0.4], [1.5, 0.7], 1e-14),
])
def test_gaussian_kl_matches_mpmath_at_extremes(dtype, m_q, v_q, m_p, v_p, rel):
    args = [torch.tensor(v, dtype=dtype) for v in (m_q, v_q, m_p, v_p)]
    got = float(gaussian_kl(*args))
    want = _oracle(*(a.tolist() for a in args))
    assert got == pytest.approx(want, rel=rel, abs=0)


def test_gaussian_kl_ratio_past_the_range_is_inf_not_nan():
    # true value 5e59 exceeds float32: +inf, not the NaN of -inf + inf
    got = gaussian_kl(torch.zeros(1), torch.tensor([1e30]), torch.zeros(1), torch.tensor([1e-30]))
    assert torch.isposinf(got).all()


def test_gaussian_kl_identical_is_zero_and_gradient_matches_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    g = torch.Generator().manual_seed(0)
    m_q, m_p = (torch.randn(4, 3, generator=g, dtype=torch.float64).requires_grad_() for _ in range(2))
    v_q, v_p = ((torch.rand(4, 3, generator=g, dtype=torch.float64) + 0.5).requires_grad_() for _ in range(2))
    assert float(gaussian_kl(m_q, v_q, m_q, v_q).abs().max()) == 0.0
    ours = torch.autograd.grad(gaussian_kl(m_q, v_q, m_p, v_p).sum(), (m_q, v_q, m_p, v_p))
    ref = torch.autograd.grad(kl_divergence(Normal(m_q, v_q.sqrt()), Normal(m_p, v_p.sqrt())).sum(),
                              (m_q, v_q, m_p, v_p))
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
