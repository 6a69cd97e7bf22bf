"""Public-API QA of paperworks.curvature against torch.func and invariances: chunk sizes, empty data, vector
shapes, K-FAC with shared / unused / frozen layers, dtype of the right-hand side (each test fails on the code
before its fix)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.errors import DataError, PaperworksError
from paperworks.curvature import (KFAC, InverseHVP, SingularHessianError, data_grad, exact_hessian, hvp, hvp_func,
                                  per_sample_grads, select_params)


def _setup():
    torch.manual_seed(0)
    X = torch.randn(12, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (12,))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    return model, (X, y)


def _loss(m, b):
    return F.cross_entropy(m(b[0]), b[1])


def test_negative_batch_size_is_refused_not_a_zero_hvp():
    model, data = _setup()
    ps = select_params(model)
    v = torch.randn(ps.numel, dtype=torch.float64)

    def L(flat):
        return F.cross_entropy(torch.func.functional_call(model, dict(zip(ps.names, ps.unflat(flat))), (data[0],)),
                               data[1])

    ref = torch.func.hessian(L)(ps.flat().detach()) @ v          # peer: torch.func
    assert torch.allclose(hvp(model, _loss, data, v, batch_size=5), ref, atol=1e-13)
    for bad in (-1, -5, 2.5, True):
        with pytest.raises(PaperworksError, match="batch_size"):   # old: -1 returned an all-zero H v
            hvp(model, _loss, data, v, batch_size=bad)
        with pytest.raises(PaperworksError, match="batch_size"):
            exact_hessian(model, _loss, data, batch_size=bad)
        with pytest.raises(PaperworksError, match="batch_size"):
            data_grad(model, _loss, data, batch_size=bad)


def test_empty_data_named_and_empty_per_sample_grads():
    model, (X, y) = _setup()
    empty = (X[:0], y[:0])
    P = select_params(model).numel
    for fn in (lambda: hvp(model, _loss, empty, torch.zeros(P, dtype=torch.float64)),
               lambda: data_grad(model, _loss, empty), lambda: exact_hessian(model, _loss, empty),
               lambda: KFAC(model, _loss, empty).fit()):
        with pytest.raises(DataError, match="empty"):                 # old: range() arg 3 / eigh failure
            fn()
    G = per_sample_grads(model, _loss, empty)                          # old: torch.cat of nothing
    assert G.shape == (0, P) and G.dtype == torch.float64


def test_hvp_vector_shape_is_checked():
    model, data = _setup()
    P = select_params(model).numel
    v = torch.randn(P, dtype=torch.float64)
    for bad in (v[:, None], v[:-1]):
        with pytest.raises(PaperworksError, match=f"v must be a vector of {P} entries"):
            hvp(model, _loss, data, bad)
        with pytest.raises(PaperworksError, match=f"v must be a vector of {P} entries"):
            hvp_func(model, _loss, data, bad)


def test_kfac_refuses_shared_unused_and_random_layers():
    _, (X, y) = _setup()

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)

        def forward(self, x):                     # the same layer twice: the factors mixed the two calls
            return self.a(torch.tanh(self.a(x)))[:, :2]

    with pytest.raises(PaperworksError, match="more than once"):
        KFAC(Shared().double(), _loss, (X, y)).fit()

    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x):
            return self.a(x)

    with pytest.raises(PaperworksError, match="'b' is not called"):      # old: KeyError 'a'
        KFAC(Unused().double(), _loss, (X, y)).fit()
    drop = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2)).double()
    with pytest.raises(DataError, match="train mode"):                  # old: two fits disagreed
        KFAC(drop, _loss, (X, y)).fit()


def test_kfac_factors_do_not_depend_on_requires_grad():
    model, data = _setup()
    ref = KFAC(model, _loss, data).fit()
    frozen = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    frozen.load_state_dict(model.state_dict())
    frozen[0].weight.requires_grad_(False)        # old: RuntimeError from autograd.grad
    got = KFAC(frozen, _loss, data).fit()
    for name in ("0", "2"):
        for a, b in zip(ref.factors(name), got.factors(name)):
            assert torch.equal(a, b)


def test_kfac_inverse_vp_dtype_shape_and_nan():
    model, data = _setup()
    k = KFAC(model, _loss, data).fit()
    P = sum(p.numel() for p in model.parameters())
    v = torch.randn(P, dtype=torch.float64)
    dense = torch.linalg.solve(k.dense() + 0.1 * torch.eye(P, dtype=torch.float64), v.float().double())
    got = k.inverse_vp(v.float(), 0.1)                                 # old: dtype error inside matmul
    assert got.dtype == torch.float64 and torch.allclose(got, dense, atol=1e-10)
    with pytest.raises(PaperworksError, match="NaN"):
        k.inverse_vp(torch.full((P,), float("nan"), dtype=torch.float64), 0.1)
    with pytest.raises(PaperworksError, match=r"\[P\] or \[P, k\]"):     # old: a [P, 1] came back
        k.inverse_vp(v[:, None, None], 0.1)


def test_inverse_hvp_nan_vector_is_named_not_blamed_on_the_hessian():
    model, data = _setup()
    P = select_params(model).numel
    for solver in ("cg", "lissa", "kfac"):
        ih = InverseHVP(model, _loss, data, damping=1.0, solver=solver)
        with pytest.raises(PaperworksError, match="right-hand side contains NaN") as e:
            ih.solve(torch.full((P,), float("nan"), dtype=torch.float64))
        assert not isinstance(e.value, SingularHessianError)              # old: "increase damping"
    with pytest.raises(PaperworksError, match=r"\[P\] or \[P, k\]"):
        InverseHVP(model, _loss, data, damping=1.0, solver="exact").solve(torch.ones(P, 1, 1, dtype=torch.float64))


def test_kfac_solver_on_a_bare_linear_model_equals_the_wrapped_one():
    torch.manual_seed(1)
    X = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    lin = nn.Linear(3, 2).double()
    wrapped = nn.Sequential(lin)
    v = torch.randn(8, dtype=torch.float64)
    for solver in ("kfac", "ekfac"):     # old: "KFAC: no submodule named 'weight'" for the bare layer
        a = InverseHVP(lin, _loss, (X, y), damping=0.1, solver=solver).solve(v)
        b = InverseHVP(wrapped, _loss, (X, y), damping=0.1, solver=solver).solve(v)
        assert torch.equal(a, b)


def test_cg_zero_right_hand_side_with_a_start_point_returns_zero():
    from paperworks.curvature import conjugate_gradient

    A = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    b = torch.zeros(2, dtype=torch.float64)
    x = conjugate_gradient(lambda u: A @ u, b, damping=0.1, x0=torch.ones(2, dtype=torch.float64))
    assert torch.equal(x, torch.zeros(2, dtype=torch.float64))          # old: returned x0 = [1, 1]
    rhs = torch.tensor([1.0, -2.0], dtype=torch.float64)                 # peer: torch.linalg.solve
    x = conjugate_gradient(lambda u: A @ u, rhs, damping=0.1, x0=torch.ones(2, dtype=torch.float64))
    assert torch.allclose(x, torch.linalg.solve(A + 0.1 * torch.eye(2, dtype=torch.float64), rhs), atol=1e-12)


def test_lissa_non_positive_scale_is_named():
    from paperworks.curvature import lissa

    A = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    for bad in (-1.0, 0.0, float("nan")):
        with pytest.raises(PaperworksError, match="scale must be a finite number > 0") as e:
            lissa(lambda u: A @ u, torch.ones(2, dtype=torch.float64), scale=bad)
        assert not isinstance(e.value, SingularHessianError)             # old: "the Hessian is zero"
    x = lissa(lambda u: A @ u, torch.ones(2, dtype=torch.float64), scale=3.0, depth=400)
    assert torch.allclose(x, torch.linalg.solve(A, torch.ones(2, dtype=torch.float64)), atol=1e-10)


def test_a_tuple_mixing_tensors_and_constants_is_not_a_dataset():
    from paperworks.curvature import n_samples

    model, (X, y) = _setup()
    assert n_samples((X, y)) == 12
    with pytest.raises(DataError, match="must hold only tensors"):   # old: 3 (the tuple's length)
        n_samples((X, y, 0.5))
    with pytest.raises(DataError, match="must hold only tensors"):   # old: TypeError deep in torch.cat
        data_grad(model, _loss, (X, y, 0.5))
    samples = [(X[i], y[i]) for i in range(12)]                      # a list of samples stays a Dataset
    assert n_samples(samples) == 12
    assert torch.allclose(data_grad(model, _loss, samples), data_grad(model, _loss, (X, y)), atol=1e-15)
