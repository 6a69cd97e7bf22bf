"""Numerical behaviour of the curvature solvers at legitimate extremes (session 12).

- K-FAC's inverse of a rank-deficient factor (fewer samples than inputs) with damping 0 raised or returned a
  1e6-1e8 garbage vector depending on the sign of eigh's rounding noise in the null direction.
- K-FAC's eigendecompositions ran in float32 for a float32 model: (F~ + 1e-4 I)^{-1} v was 7e-4 off the same
  factors' float64 inverse (the exact solver computes in float64).
- CG refused float32 SPD systems (lambda_min = 1, cond 5e4) as "singular or indefinite" that the exact solver
  solves to 1e-8.
"""

import math
import warnings

import pytest
import torch
from torch import nn

from paperworks.curvature import KFAC, SingularHessianError, conjugate_gradient, solve_dense


def _mse(mod, b):
    return ((mod(b[0]) - b[1]) ** 2).mean()


def _kfac_reference(k, v, damping):
    """(G (x) A + damping I)^{-1} v from the fitted float factors, in float64 (K-FAC, not EK-FAC)."""
    outs, i = [], 0
    for L in k.layers:
        lA, QA = torch.linalg.eigh(L.A.double())
        lG, QG = torch.linalg.eigh(L.G.double())
        S = torch.outer(lG.clamp_min(0), lA.clamp_min(0))
        n = L.out * L.inp
        M = L.to_matrix(v[i:i + n].double())
        outs.append(L.from_matrix(QG @ ((QG.T @ M @ QA) / (S + damping)) @ QA.T))
        i += n
    return torch.cat(outs)


@pytest.mark.parametrize("seed", range(8))
def test_kfac_rank_deficient_factor_without_damping_always_raises(seed):
    torch.manual_seed(seed)
    m = nn.Linear(4, 2)                          # A is 5 x 5 (bias coordinate) from 4 samples: rank 4
    data = (torch.randn(4, 4), torch.randn(4, 2))
    k = KFAC(m, _mse, data).fit()
    v = torch.randn(10)
    with pytest.raises(SingularHessianError, match="zero curvature directions.*pass damping >="):
        k.inverse_vp(v, 0.0)
    x = k.inverse_vp(v, 1e-2)                    # damped: fine, and equal to the float64 reference
    torch.testing.assert_close(x.double(), _kfac_reference(k, v, 1e-2), rtol=1e-5, atol=1e-6)


def test_kfac_float32_inverse_is_computed_in_float64():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 10))
    X = torch.randn(200, 20) * torch.logspace(-2, 1, 20)       # A spans 6 decades
    y = torch.randint(0, 10, (200,))
    k = KFAC(m, lambda mod, b: nn.functional.cross_entropy(mod(b[0]), b[1]), (X, y)).fit()
    v = torch.randn(sum(p.numel() for p in m.parameters()))
    for d in (1e-3, 1e-4):
        got = k.inverse_vp(v, d)
        assert got.dtype == torch.float32
        ref = _kfac_reference(k, v, d)
        assert float((got.double() - ref).norm() / ref.norm()) < 1e-6      # was 6.6e-5 and 7.1e-4
    D = k.dense()
    assert D.dtype == torch.float32
    # below the factors' float32 precision (lambda_min(A) / lambda_max(A) ~ 1e-6): refused, as the exact
    # solver refuses the same damping on the dense K-FAC matrix
    with pytest.raises(SingularHessianError, match="pass damping >="):
        k.inverse_vp(v, 1e-5)
    with pytest.raises(SingularHessianError):
        solve_dense(D, v, 1e-5)


def test_ekfac_float32_keeps_dtype_and_matches_its_dense_inverse():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    X, y = torch.randn(40, 5), torch.randint(0, 3, (40,))
    k = KFAC(m, lambda mod, b: nn.functional.cross_entropy(mod(b[0]), b[1]), (X, y), eigen_correct=True).fit()
    D = k.dense().double()
    assert k.dense().dtype == torch.float32
    v = torch.randn(D.shape[0])
    want = torch.linalg.solve(D + 0.1 * torch.eye(D.shape[0], dtype=torch.float64), v.double())
    torch.testing.assert_close(k.inverse_vp(v, 0.1).double(), want, rtol=1e-5, atol=1e-6)


def _spd(P, cond, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(P, P, generator=g, dtype=torch.float64))
    H = Q @ torch.diag(torch.logspace(0, math.log10(cond), P, dtype=torch.float64)) @ Q.T
    return H.to(dtype), torch.randn(P, generator=g, dtype=torch.float64).to(dtype)


@pytest.mark.parametrize("seed", range(5))
def test_cg_solves_float32_spd_systems_the_exact_solver_accepts(seed):
    H, b = _spd(10, 8e4, seed, torch.float32)          # lambda_min = 1 > 100 eps lambda_max: not singular
    want = torch.linalg.solve(H.double(), b.double())
    x, _ = solve_dense(H, b)                            # the exact solver accepts it
    torch.testing.assert_close(x.double(), want, rtol=1e-6, atol=0)
    # was: "met a direction of non-positive curvature". A tol float32 reaches at condition 8e4: with the default
    # (1e-4 in float32) CG now reports the 1.3e-4-7.5e-4 true residual it used to return without a word
    got = conjugate_gradient(lambda u: H @ u, b, tol=1e-3)
    assert got.dtype == torch.float32
    assert float((got.double() - want).norm() / want.norm()) < 1e-3


def test_cg_still_refuses_singular_and_indefinite_float32():
    for ev in ([2.0, 1.0, 0.0], [2.0, 1.0, -1e-3]):
        A = torch.diag(torch.tensor(ev))
        with pytest.raises(SingularHessianError, match="non-positive curvature"):
            conjugate_gradient(lambda u: A @ u, torch.ones(3))


def test_auto_damping_is_relative_to_the_hessians_scale():
    H = torch.diag(torch.tensor([1e-10, 0.0], dtype=torch.float64))
    with pytest.warns(UserWarning, match="added damping"):
        x, d = solve_dense(H, torch.ones(2, dtype=torch.float64), "auto")
    assert d == pytest.approx(1e-13, rel=1e-12)             # was 1e-8: 100 x the whole Hessian
    with pytest.raises(SingularHessianError, match="damping >= 1e-13"):
        solve_dense(H, torch.ones(2, dtype=torch.float64), 0.0)
    with pytest.warns(UserWarning, match="added damping 1e-08"):   # a zero Hessian keeps the old 1e-8
        assert solve_dense(torch.zeros(2, 2, dtype=torch.float64), torch.ones(2, dtype=torch.float64), "auto")[1] == 1e-8


def test_lissa_warns_when_the_series_is_cut_before_it_converges():
    from paperworks.curvature import lissa

    for dtype in (torch.float64, torch.float32):
        H, b = _spd(20, 1e3, 0, dtype)
        want = torch.linalg.solve(H.double(), b.double())
        with pytest.warns(UserWarning, match="stopped at depth=1000 before converging"):
            x = lissa(lambda u: H @ u, b, depth=1000)       # 26% off (H)^{-1} b: was silent
        assert float((x.double() - want).norm() / want.norm()) > 0.1
        H, b = _spd(20, 1e2, 0, dtype)                       # converges (float32: at its rounding floor)
        want = torch.linalg.solve(H.double(), b.double())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = lissa(lambda u: H @ u, b, depth=3000)
        assert float((x.double() - want).norm() / want.norm()) < (1e-4 if dtype == torch.float32 else 1e-7)
