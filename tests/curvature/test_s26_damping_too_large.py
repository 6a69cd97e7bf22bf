"""A damping too large for the vectors' dtype (damping=1e39 on a float32 model; probe /tmp/h26/p_damp_huge.py): CG
and LiSSA overflowed in damping * v and raised SingularHessianError advising to *increase* the damping ("Hessian-
vector product is NaN/inf; check the loss or increase damping", "the series diverged ...; increase damping or
scale"), the wrong way round; the exact and K-FAC solvers return (H + damping I)^{-1} v ~ v / damping. Now one
PaperworksError saying the damping is too large for the dtype. Values that fit, float64, and genuine NaN
curvature keep their behaviour."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks import curvature as cv
from paperworks.core.errors import PaperworksError
from paperworks.curvature.solvers import SingularHessianError, conjugate_gradient, lissa


def _setup(dtype=torch.float32):
    torch.manual_seed(0)
    m = nn.Linear(3, 2).eval().to(dtype)
    X, Y = torch.randn(8, 3, dtype=dtype), torch.randint(0, 2, (8,))
    return m, (lambda mm, b: F.cross_entropy(mm(b[0]), b[1])), (X, Y), torch.randn(8, dtype=dtype)


def _too_large(fn):
    with pytest.raises(PaperworksError, match="too large for torch.float32") as info:
        fn()
    assert not isinstance(info.value, SingularHessianError)
    assert "increase damping" not in str(info.value)


@pytest.mark.parametrize("solver", ["cg", "lissa"])
@pytest.mark.parametrize("damping", [1e39, 3e38])
def test_inverse_hvp_float32_damping_too_large(solver, damping):
    m, lf, data, v = _setup()
    _too_large(lambda: cv.InverseHVP(m, lf, data, damping=damping, solver=solver).solve(v))


def test_functional_cg_preconditioned_and_lissa():
    b = torch.randn(5)
    _too_large(lambda: conjugate_gradient(lambda x: 2 * x, b, 1e39, M=lambda r: r))   # the preconditioned twin
    _too_large(lambda: conjugate_gradient(lambda x: 2 * x, b, 1e39))
    _too_large(lambda: lissa(lambda x: 2 * x, b, 1e39))


@pytest.mark.parametrize("solver", ["exact", "cg", "lissa"])
def test_damping_that_fits_still_solves(solver):
    m, lf, data, v = _setup()
    x = cv.InverseHVP(m, lf, data, damping=1e36, solver=solver).solve(v)
    assert torch.allclose(x.double() * 1e36, v.double(), rtol=1e-5, atol=0)
    m, lf, data, v = _setup(torch.float64)     # float64 holds 1e39 * v
    x = cv.InverseHVP(m, lf, data, damping=1e39, solver=solver).solve(v)
    assert torch.allclose(x * 1e39, v, rtol=1e-10, atol=0)


def test_nan_curvature_keeps_its_error():
    b = torch.randn(5)
    with pytest.raises(SingularHessianError, match="NaN/inf"):
        conjugate_gradient(lambda x: x * float("nan"), b, 1.0)
