"""Mixed dtypes in the curvature engine. The engine's convention is to convert (InverseHVP.solve and hvp take v
in any dtype, KFAC.inverse_vp too); these paths failed inside torch instead:

- a parameter subset of two dtypes (a float32 layer then a float64 one): hvp / hvp_func / InverseHVP(cg) ended
  in "dot : expected both vectors to have same dtype" (the subset's dtype was its first tensor's);
- conjugate_gradient on make_hvp_operator of a float64 model with a float32 b: the operator returns float64,
  and CG failed in "dot : expected both vectors to have same dtype";
- conjugate_gradient's x0 in another dtype than b, a preconditioner returning another dtype;
- a user operator that cannot take b's dtype failed with a bare "addmv input tensors must have the same dtype".
"""

import pytest
import torch
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


class _Mixed(nn.Module):
    def __init__(self, d1, d2):
        super().__init__()
        self.a = nn.Linear(3, 4).to(d1)
        self.b = nn.Linear(4, 1).to(d2)

    def forward(self, x):
        h = torch.tanh(self.a(x.to(self.a.weight.dtype)))
        return self.b(h.to(self.b.weight.dtype)).squeeze(-1)


def _loss(m, batch):
    x, y = batch
    out = m(x)
    return ((out - y.to(out.dtype)) ** 2).mean()


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(6, 3, generator=g), torch.randn(6, generator=g)


def _pair(d1, d2):
    torch.manual_seed(0)
    m = _Mixed(d1, d2).eval()
    ref = _Mixed(torch.float64, torch.float64).eval()
    ref.load_state_dict({k: v.double() for k, v in m.state_dict().items()})
    return m, ref


@pytest.mark.parametrize("d1,d2", [(torch.float32, torch.float64), (torch.float64, torch.float32)])
def test_mixed_subset_hvp_matches_the_float64_model(d1, d2):
    m, ref = _pair(d1, d2)
    data = _data()
    P = sum(p.numel() for p in m.parameters())
    v = torch.randn(P, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    want = C.exact_hessian(ref, _loss, data) @ v          # the same weights, all in float64
    for got in (C.hvp(m, _loss, data, v), C.hvp_func(m, _loss, data, v), C.hvp(m, _loss, data, v.float())):
        assert got.dtype == torch.float64 and got.shape == (P,)
        assert torch.allclose(got, want, rtol=1e-4, atol=1e-5)
    x = C.InverseHVP(m, _loss, data, damping=5.0, solver="cg").solve(v)
    assert torch.allclose((C.exact_hessian(ref, _loss, data) + 5.0 * torch.eye(P, dtype=torch.float64)) @ x, v,
                          rtol=1e-4, atol=1e-4)


def test_mixed_subset_ggn_matches_the_float64_model():
    m, ref = _pair(torch.float64, torch.float32)
    data = _data()
    out_fn = lambda mm, b: mm(b[0])                       # noqa: E731
    loss_out = lambda z, b: ((z - b[1].to(z.dtype)) ** 2).mean()   # noqa: E731
    got = C.ggn_matrix(m, out_fn, loss_out, data)
    want = C.ggn_matrix(ref, out_fn, loss_out, data)
    assert got.dtype == torch.float64 and torch.allclose(got, want, rtol=1e-4, atol=1e-5)


def test_cg_on_a_float64_model_operator_with_a_float32_rhs():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 2)).double().eval()
    x = torch.randn(8, 3, dtype=torch.float64)
    y = torch.randn(8, 2, dtype=torch.float64)
    lf = lambda mm, b: ((mm(b[0]) - b[1]) ** 2).mean()    # noqa: E731
    op = C.make_hvp_operator(m, lf, (x, y))
    b = torch.randn(8)
    H = C.exact_hessian(m, lf, (x, y)) + torch.eye(8, dtype=torch.float64)
    sol = C.conjugate_gradient(op, b, damping=1.0)
    assert sol.dtype == torch.float32
    assert torch.allclose(sol.double(), torch.linalg.solve(H, b.double()), rtol=1e-4, atol=1e-5)
    sol2 = C.conjugate_gradient(op, b, damping=1.0, M=lambda r: r.double())   # a float64 preconditioner output
    assert torch.allclose(sol2.double(), torch.linalg.solve(H, b.double()), rtol=1e-4, atol=1e-5)


def test_cg_x0_of_another_dtype_is_converted_and_a_misshaped_one_named():
    H = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    b = torch.tensor([1.0, 2.0], dtype=torch.float64)
    sol = C.conjugate_gradient(lambda v: H @ v, b, x0=torch.tensor([0.3, 0.1]))
    assert sol.dtype == torch.float64 and torch.allclose(sol, torch.linalg.solve(H, b))
    with pytest.raises(PaperworksError, match="x0 must be a tensor of b's shape"):
        C.conjugate_gradient(lambda v: H @ v, b, x0=torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("solver", ["cg", "lissa"])
def test_an_operator_that_cannot_take_bs_dtype_is_named(solver):
    H = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    b = torch.tensor([1.0, 2.0])        # float32
    f = C.conjugate_gradient if solver == "cg" else C.lissa
    with pytest.raises(PaperworksError, match=r"operator A failed on a torch.float32 vector .*dtype"):
        f(lambda v: H @ v, b)
