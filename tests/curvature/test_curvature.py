"""Oracles for the curvature engine: finite differences, exact Hessians, closed-form Kronecker factors,
torch.linalg.solve."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from paperworks.core.errors import PaperworksError
from paperworks.curvature import (
    KFAC,
    InverseHVP,
    SingularHessianError,
    conjugate_gradient,
    data_grad,
    empirical_fisher,
    exact_hessian,
    ggn_matrix,
    hvp,
    hvp_func,
    lissa,
    per_sample_grads,
    select_params,
    solve_dense,
)



@pytest.fixture(autouse=True)
def _float64():
    """Oracles compare in float64; restore the global default afterwards (other tests rely on float32)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _mlp_data(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    return model, (x, y)


def _ce(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y) + 0.01 * sum((p ** 2).sum() for p in model.parameters())


def test_hvp_matches_finite_differences_and_exact_hessian():
    model, data = _mlp_data()
    ps = select_params(model, None)
    P = ps.numel
    H = exact_hessian(model, _ce, data)
    assert H.shape == (P, P)
    torch.testing.assert_close(H, torch.autograd.functional.hessian(
        lambda th: _ce_flat(model, ps, th, data), ps.flat().detach()), rtol=1e-8, atol=1e-10)
    v = torch.randn(P, generator=torch.Generator().manual_seed(1))
    hv = hvp(model, _ce, data, v)
    torch.testing.assert_close(hv, H @ v, rtol=1e-9, atol=1e-11)
    torch.testing.assert_close(hvp_func(model, _ce, data, v), hv, rtol=1e-9, atol=1e-11)
    # chunked = full batch (mean-loss weighting)
    torch.testing.assert_close(hvp(model, _ce, data, v, batch_size=7), hv, rtol=1e-9, atol=1e-11)
    # central finite differences of the gradient
    eps = 1e-5
    theta = ps.flat().detach().clone()
    ps.set_(theta + eps * v)
    gp = data_grad(model, _ce, data)
    ps.set_(theta - eps * v)
    gm = data_grad(model, _ce, data)
    ps.set_(theta)
    torch.testing.assert_close((gp - gm) / (2 * eps), hv, rtol=1e-6, atol=1e-8)


def _ce_flat(model, ps, th, data):
    out = torch.func.functional_call(model, ps.as_dict(th), (data[0],))
    return F.cross_entropy(out, data[1]) + 0.01 * (th ** 2).sum()


def test_parameter_subset_hessian_is_the_block_of_the_full_hessian():
    model, data = _mlp_data()
    H = exact_hessian(model, _ce, data)
    Hs = exact_hessian(model, _ce, data, params="2")  # last layer only
    P_last = 5 * 3 + 3
    torch.testing.assert_close(Hs, H[-P_last:, -P_last:], rtol=1e-9, atol=1e-12)


def test_per_sample_grads_vmap_equals_loop():
    model, data = _mlp_data(n=10)
    a = per_sample_grads(model, _ce, data, method="vmap", batch_size=4)
    b = per_sample_grads(model, _ce, data, method="loop")
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a.mean(0), data_grad(model, _ce, data))


def test_ggn_equals_hessian_for_linear_outputs_and_fisher_is_mean_outer_product():
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(15, 3, generator=g), torch.randint(0, 4, (15,), generator=g)
    model = nn.Linear(3, 4)

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    G = ggn_matrix(model, lambda m, b: m(b[0]), lambda z, b: F.cross_entropy(z, b[1]), (x, y))
    torch.testing.assert_close(G, exact_hessian(model, loss, (x, y)), rtol=1e-8, atol=1e-10)
    per = per_sample_grads(model, loss, (x, y))
    torch.testing.assert_close(empirical_fisher(model, loss, (x, y)), per.T @ per / 15)


def _linear_fisher_setup(n, bias, seed=0):
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 3, bias=bias))

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    per = per_sample_grads(model, loss, (x, y))
    return model, loss, (x, y), per.T @ per / n


@pytest.mark.parametrize("bias", [True, False])
def test_kfac_is_exact_for_one_sample_of_a_linear_layer(bias):
    model, loss, data, Fx = _linear_fisher_setup(1, bias)
    k = KFAC(model, loss, data).fit()
    torch.testing.assert_close(k.dense(), Fx, rtol=1e-9, atol=1e-12)
    A, G = k.factors("0")
    x = data[0][0]
    a = torch.cat([x, torch.ones(1)]) if bias else x
    torch.testing.assert_close(A, torch.outer(a, a))


def test_kfac_conv_exact_with_one_sample_and_one_position():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(1, 2, 3, 3, generator=g), torch.tensor([1])
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Flatten())  # output 1x1: a single spatial position

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    per = per_sample_grads(model, loss, (x, y))
    k = KFAC(model, loss, (x, y)).fit()
    torch.testing.assert_close(k.dense(), per.T @ per, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ekfac_never_worse_than_kfac_in_frobenius_norm(seed):
    model, loss, data, Fx = _linear_fisher_setup(40, True, seed)
    kf = KFAC(model, loss, data).fit().dense()
    ek = KFAC(model, loss, data, eigen_correct=True).fit().dense()
    e_k, e_e = (kf - Fx).norm(), (ek - Fx).norm()
    assert e_e <= e_k + 1e-12
    assert e_k > 1e-6  # multi-sample K-FAC is not exact, so the comparison is not vacuous


def test_ekfac_never_worse_on_conv_net():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(12, 2, 5, 5, generator=g), torch.randint(0, 3, (12,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(27, 3))

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    per = per_sample_grads(model, loss, (x, y))
    k = KFAC(model, loss, (x, y))
    Fx = per.T @ per / 12
    # compare per layer block (K-FAC is block-diagonal)
    kf = KFAC(model, loss, (x, y)).fit().dense()
    ek = KFAC(model, loss, (x, y), eigen_correct=True).fit().dense()
    mask = torch.block_diag(torch.ones(57, 57), torch.ones(84, 84)).bool()
    assert (ek - Fx)[mask].norm() <= (kf - Fx)[mask].norm() + 1e-12
    assert k.params == ["0.weight", "0.bias", "3.weight", "3.bias"]


def test_kfac_inverse_vp_matches_dense_solve():
    model, loss, data, _ = _linear_fisher_setup(30, True)
    for ec in (False, True):
        k = KFAC(model, loss, data, eigen_correct=ec).fit()
        v = torch.randn(15, generator=torch.Generator().manual_seed(5))
        want = torch.linalg.solve(k.dense() + 0.1 * torch.eye(15), v)
        torch.testing.assert_close(k.inverse_vp(v, damping=0.1), want, rtol=1e-8, atol=1e-10)


def _spd(P=12, seed=0, cond=50.0):
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(P, P, generator=g))
    ev = torch.logspace(0, torch.log10(torch.tensor(cond)), P)
    return Q @ torch.diag(ev) @ Q.T, torch.randn(P, generator=g)


def test_cg_and_lissa_match_linalg_solve():
    A, b = _spd()
    want = torch.linalg.solve(A + 0.5 * torch.eye(12), b)
    torch.testing.assert_close(conjugate_gradient(lambda v: A @ v, b, damping=0.5), want, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(lissa(lambda v: A @ v, b, damping=0.5, depth=5000, tol=1e-14), want,
                               rtol=1e-7, atol=1e-9)
    x, d = solve_dense(A, b, 0.5)
    torch.testing.assert_close(x, want)


def test_inverse_hvp_solvers_agree_on_a_model():
    model, data = _mlp_data()
    H = exact_hessian(model, _ce, data, params="2")
    v = torch.randn(H.shape[0], generator=torch.Generator().manual_seed(2))
    want = torch.linalg.solve(H + 0.5 * torch.eye(H.shape[0]), v)
    for solver in ("exact", "cg", "lissa"):
        kw = {"lissa_depth": 5000} if solver == "lissa" else {}
        got = InverseHVP(model, _ce, data, params="2", damping=0.5, solver=solver, **kw).solve(v)
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-8)


def test_singular_hessian_is_reported_never_nan():
    A = torch.diag(torch.tensor([2.0, 1.0, 0.0]))
    b = torch.ones(3)
    with pytest.raises(SingularHessianError, match="damping >="):
        solve_dense(A, b, 0.0)
    with pytest.warns(UserWarning, match="added damping"):
        x, d = solve_dense(A, b, "auto")
    assert d > 0 and torch.isfinite(x).all()
    with pytest.raises(SingularHessianError, match="damping"):
        conjugate_gradient(lambda v: A @ v, b, 0.0)
    torch.testing.assert_close(conjugate_gradient(lambda v: A @ v, b, 1.0), torch.linalg.solve(A + torch.eye(3), b))


def test_bad_inputs_have_clear_errors():
    model, data = _mlp_data()
    with pytest.raises(PaperworksError, match="no parameter named 'fc'"):
        select_params(model, "fc")
    with pytest.raises(PaperworksError, match="damping"):
        solve_dense(torch.eye(2), torch.ones(2), -1.0)
    with pytest.raises(PaperworksError, match="only Linear and Conv2d"):
        KFAC(model, _ce, data, layers="1")
    with pytest.raises(KeyError, match="inverse-HVP solver"):
        InverseHVP(model, _ce, data, solver="newton")
    with pytest.raises(PaperworksError, match="scalar"):
        hvp(model, lambda m, b: m(b[0]), data, torch.zeros(43))


def test_inverse_hvp_kfac_solver_matches_dense_kfac_solve():
    model, loss, data, _ = _linear_fisher_setup(30, True)
    v = torch.randn(15, generator=torch.Generator().manual_seed(7))
    for solver, ec in (("kfac", False), ("ekfac", True)):
        k = KFAC(model, loss, data, eigen_correct=ec).fit()
        want = torch.linalg.solve(k.dense() + 0.1 * torch.eye(15), v)
        got = InverseHVP(model, loss, data, damping=0.1, solver=solver).solve(v)
        torch.testing.assert_close(got, want, rtol=1e-8, atol=1e-10)
    with pytest.raises(PaperworksError, match="whole Linear/Conv2d layers"):
        InverseHVP(model, loss, data, params="0.weight", damping=0.1, solver="kfac")


def test_kfac_is_exact_for_one_output_with_constant_size_output_gradients():
    """One output unit: G is a scalar, so G (x) A equals the Fisher exactly when every per-sample output
    gradient has the same magnitude (absolute-error loss: g_n = +-1), for any number of samples."""
    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(30, 4, generator=g), torch.randn(30, generator=g)
    model = nn.Sequential(nn.Linear(4, 1))

    def loss(m, b):
        return (m(b[0]).squeeze(-1) - b[1]).abs().mean()

    per = per_sample_grads(model, loss, (x, y))
    Fx = per.T @ per / 30
    for ec in (False, True):
        torch.testing.assert_close(KFAC(model, loss, (x, y), eigen_correct=ec, batch_size=7).fit().dense(), Fx,
                                   rtol=1e-9, atol=1e-12)


def test_exact_inverse_hvp_factorizes_once_and_refuses_nan(monkeypatch):
    model, data = _mlp_data()
    calls = []
    eigh = torch.linalg.eigh
    monkeypatch.setattr(torch.linalg, "eigh", lambda *a, **k: calls.append(1) or eigh(*a, **k))
    ih = InverseHVP(model, _ce, data, params="2", damping=0.5, solver="exact")
    H = exact_hessian(model, _ce, data, params="2")
    g = torch.Generator().manual_seed(3)
    for _ in range(3):
        v = torch.randn(H.shape[0], generator=g)
        torch.testing.assert_close(ih.solve(v), torch.linalg.solve(H + 0.5 * torch.eye(H.shape[0]), v))
    assert len(calls) == 1  # one eigendecomposition for every right-hand side
    v[0] = float("nan")
    with pytest.raises(PaperworksError, match="right-hand side contains NaN"):
        ih.solve(v)


def test_kfac_solver_accepts_every_layer_of_a_deep_sequential():
    """Layer names '2' and '10': the subset order is the model's order, not the names' sorted order."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(20, 3, generator=g), torch.randint(0, 2, (20,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Identity(), nn.Identity(), nn.Linear(3, 4), *[nn.Tanh() for _ in range(7)],
                          nn.Linear(4, 2))

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    v = torch.randn(26, generator=g)
    k = KFAC(model, loss, (x, y)).fit()
    assert k.params == ["2.weight", "2.bias", "10.weight", "10.bias"]
    want = torch.linalg.solve(k.dense() + 0.1 * torch.eye(26), v)
    torch.testing.assert_close(InverseHVP(model, loss, (x, y), damping=0.1, solver="kfac").solve(v), want,
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kw", [dict(stride=1, padding=1), dict(stride=2, padding=0, dilation=2, bias=False),
                                dict(stride=2, padding=2)])
def test_ekfac_keeps_the_fisher_trace_for_any_conv_geometry(kw):
    """EK-FAC's diagonal is E[(Q^T vec DW_n)^2] in an orthonormal basis, so trace(EK-FAC) = E||DW_n||^2 =
    trace of the exact Fisher block whenever the per-sample gradients DW_n = sum_t g_nt a_nt^T are right
    (several output positions, stride, dilation, padding, with and without bias); EK-FAC <= K-FAC in Frobenius."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(9, 2, 7, 7, generator=g), torch.randint(0, 3, (9,), generator=g)
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, **kw)
    with torch.no_grad():
        width = conv(x[:1]).numel()
    model = nn.Sequential(conv, nn.Tanh(), nn.Flatten(), nn.Linear(width, 3))

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    per = per_sample_grads(model, loss, (x, y))
    P0 = sum(p.numel() for p in conv.parameters())
    Fx = (per.T @ per / 9)[:P0, :P0]
    ek = KFAC(model, loss, (x, y), eigen_correct=True, batch_size=4).fit().dense("0")
    kf = KFAC(model, loss, (x, y), batch_size=4).fit().dense("0")
    torch.testing.assert_close(ek.trace(), Fx.trace(), rtol=1e-10, atol=0)
    assert (ek - Fx).norm() <= (kf - Fx).norm() + 1e-12


def test_per_sample_grads_carry_no_graph_when_other_parameters_require_grad():
    """vmap gradients over a subset depend on the other (grad-requiring) parameters: they are returned
    detached, like the loop's, so an iterative solve on them builds no graph (and warns nothing)."""
    import warnings

    model, data = _mlp_data(n=10)
    for method in ("vmap", "loop"):
        G = per_sample_grads(model, _ce, data, params="2.weight", method=method)
        assert not G.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = InverseHVP(model, _ce, data, params="2.weight", damping=0.1, solver="cg").solve(G.sum(0))
    assert not x.requires_grad


def test_a_frozen_parameter_named_in_params_is_refused_by_name():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model[0].weight.requires_grad_(False)
    assert select_params(model, None).names == ["0.bias", "2.weight", "2.bias"]   # None skips frozen ones
    with pytest.raises(PaperworksError, match=r"0\.weight do not require grad"):
        select_params(model, "0")          # was an autograd error deep inside the HVP
    with pytest.raises(PaperworksError, match=r"0\.weight do not require grad"):
        select_params(model, [model[0].weight])


def test_stochastic_lissa_minibatches_estimate_the_full_inverse_hvp():
    # Koh & Liang's LiSSA: every recursion step uses the Hessian of a fresh random mini-batch; the mean of
    # independent recursions estimates (H + lambda I)^{-1} v of the full-batch H
    model, data = _mlp_data(n=100)
    H = exact_hessian(model, _ce, data, params="2")
    v = torch.randn(H.shape[0], generator=torch.Generator().manual_seed(2))
    want = torch.linalg.solve(H + 0.1 * torch.eye(H.shape[0]), v)

    def solve(depth=150, **kw):
        return InverseHVP(model, _ce, data, params="2", damping=0.1, solver="lissa", lissa_depth=depth,
                          **kw).solve(v)

    full = solve(400, lissa_batch_size=100)                     # a "mini-batch" of every sample: deterministic
    torch.testing.assert_close(full, want, rtol=1e-6, atol=1e-8)
    one = solve(lissa_batch_size=10, seed=1)
    rel = lambda got: float((got - want).norm() / want.norm())   # noqa: E731
    assert 1e-4 < rel(one) < 0.05                            # noisy (not the full batch), but close
    assert rel(solve(lissa_batch_size=10, lissa_repeats=4, seed=1)) < 0.02
    torch.testing.assert_close(one, solve(lissa_batch_size=10, seed=1), rtol=0, atol=0)   # seeded
    assert not torch.equal(one, solve(lissa_batch_size=10, seed=2))
    with pytest.raises(PaperworksError, match="need solver='lissa'"):
        InverseHVP(model, _ce, data, params="2", solver="cg", lissa_batch_size=20)
    with pytest.raises(PaperworksError, match="exceeds the 100 training samples"):
        InverseHVP(model, _ce, data, params="2", solver="lissa", lissa_batch_size=101)
