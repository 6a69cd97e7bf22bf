"""Complex vectors in the curvature engine. conjugate_gradient on a complex right-hand side failed inside its
dot products ("value cannot be converted to type double without overflow"); InverseHVP.solve (every solver),
KFAC.inverse_vp, hvp and hvp_func converted a complex v to the parameters' real dtype, so the result was that
of v.real: the imaginary part dropped with at most torch's once-per-process "Casting complex values to real"
warning. The curvature is real, so these now apply it by linearity (result of v.real + i result of v.imag);
conjugate_gradient, whose operator may be any, refuses a complex b in one error (lissa already handled it)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError

C128 = torch.complex128


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    v = torch.randn(26, dtype=C128, generator=torch.Generator().manual_seed(1))
    return m, (lambda mm, b: F.cross_entropy(mm(b[0]), b[1])), (x, y), v


def _by_parts(f, v):
    return torch.complex(f(v.real), f(v.imag))


@pytest.mark.filterwarnings("ignore:lissa. the series stopped")     # (a short series: the same one each time)
@pytest.mark.parametrize("solver", ["exact", "cg", "lissa", "kfac", "ekfac"])
def test_inverse_hvp_of_a_complex_vector(solver):
    m, lf, data, v = _setup()
    ih = C.InverseHVP(m, lf, data, damping=1.0, solver=solver, lissa_depth=20, lissa_scale=10.0)
    got = ih.solve(v)
    assert got.dtype == C128 and got.shape == v.shape
    assert torch.equal(got, _by_parts(ih.solve, v))
    assert float(got.imag.abs().max()) > 1e-3        # (was 0: the imaginary part dropped)
    block = torch.stack([v, 2 * v], 1)
    assert torch.equal(ih.solve(block), _by_parts(ih.solve, block))
    if solver in ("exact", "cg"):                     # and it solves (H + I) x = v
        H = C.exact_hessian(m, lf, data) + torch.eye(26, dtype=torch.float64)
        assert torch.allclose(H.to(C128) @ got, v, atol=1e-6)


def test_kfac_inverse_vp_and_hvp_of_a_complex_vector():
    m, lf, data, v = _setup()
    k = C.KFAC(m, lf, data).fit()
    assert torch.equal(k.inverse_vp(v, 0.5), _by_parts(lambda u: k.inverse_vp(u, 0.5), v))
    H = C.exact_hessian(m, lf, data).to(C128)
    for f in (C.hvp, C.hvp_func):
        got = f(m, lf, data, v)
        assert got.dtype == C128 and torch.allclose(got, H @ v, atol=1e-12)


def test_cg_refuses_a_complex_right_hand_side():
    torch.manual_seed(0)
    Q = torch.randn(5, 5, dtype=torch.float64)
    H = Q @ Q.T + torch.eye(5, dtype=torch.float64)
    b = torch.randn(5, dtype=C128)
    for kw in ({}, {"on_max_iter": "warn"}, {"M": lambda r: r}, {"on_max_iter": "return"}):
        with pytest.raises(PaperworksError, match="right-hand side is complex .* b.real and b.imag separately"):
            C.conjugate_gradient(lambda u: H.to(u.dtype) @ u, b, **kw)
    x = C.lissa(lambda u: H.to(u.dtype) @ u, b, depth=5000)      # lissa's series is fine with it
    assert torch.allclose(x, torch.linalg.solve(H.to(C128), b), atol=1e-6)
