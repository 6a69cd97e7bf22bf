"""Errors that blamed the wrong thing, or none:

- KFAC with a per-sample (unreduced) loss failed in autograd ("grad can be implicitly created only for scalar
  outputs"); hvp / exact_hessian name it. Now "KFAC: loss_fn must return a scalar tensor".
- KFAC on data holding a NaN failed in eigh ("_LinAlgError: linalg.eigh: The algorithm failed to converge
  because the input matrix is ill-conditioned"). Now one error naming the layer and what is not finite.
- top_eigenvalue of an operator that returns NaN returned NaN, which lissa (InverseHVP(solver='lissa'), full-
  or mini-batch) reported as "the Hessian is zero; increase damping"; lissa with a given scale called a NaN
  Hessian-vector product a divergence ("scale too small or Hessian indefinite"). Now both name the NaN."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError
from paperworks.curvature import SingularHessianError


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    return m, (lambda mm, b: F.cross_entropy(mm(b[0]), b[1])), (x, y)


def test_kfac_names_a_per_sample_loss():
    m, _, data = _setup()
    with pytest.raises(PaperworksError, match=r"KFAC: loss_fn must return a scalar tensor.*\(got Tensor\[10\]\)"):
        C.KFAC(m, lambda mm, b: F.cross_entropy(mm(b[0]), b[1], reduction="none"), data).fit()
    k = C.KFAC(m, lambda mm, b: F.cross_entropy(mm(b[0]), b[1]).reshape(1), data).fit()   # one element: fine
    assert torch.equal(k.layers[0].A, C.KFAC(m, _setup()[1], data).fit().layers[0].A)


@pytest.mark.parametrize("eigen_correct", [False, True])
def test_kfac_names_non_finite_factors(eigen_correct):
    m, lf, (x, y) = _setup()
    xn = x.clone()
    xn[3, 1] = float("nan")
    with pytest.raises(PaperworksError, match=r"factors of layer '0' contain NaN/inf \(its inputs are not finite\)"):
        C.KFAC(m, lf, (xn, y), eigen_correct=eigen_correct).fit()
    t = torch.randn(10, 2, dtype=torch.float64)
    t[4, 0] = float("inf")

    def mse(mm, b):
        return ((mm(b[0]) - b[1]) ** 2).mean()

    with pytest.raises(PaperworksError, match=r"layer '0' contain NaN/inf \(the gradients of its outputs"):
        C.KFAC(m, mse, (x, t), eigen_correct=eigen_correct).fit()


@pytest.mark.parametrize("kw", [{}, {"lissa_batch_size": 4, "lissa_depth": 5}])
def test_lissa_names_a_nan_hessian(kw):
    m, lf, (x, y) = _setup()
    xn = x.clone()
    xn[3, 1] = float("nan")
    ih = C.InverseHVP(m, lf, (xn, y), damping=0.1, solver="lissa", **kw)
    with pytest.raises(PaperworksError, match="NaN/inf for a finite vector; check the loss, the data") as e:
        ih.solve(torch.ones(26, dtype=torch.float64))
    assert "zero" not in str(e.value)


def test_top_eigenvalue_and_lissa_on_a_nan_operator():
    b = torch.ones(3, dtype=torch.float64)
    nan_op = lambda v: v * float("nan")     # noqa: E731
    with pytest.raises(PaperworksError, match="top_eigenvalue: the operator returned NaN/inf"):
        C.top_eigenvalue(nan_op, 3)
    with pytest.raises(PaperworksError, match="NaN/inf"):
        C.lissa(nan_op, b)
    with pytest.raises(PaperworksError, match="lissa: the Hessian-vector product is NaN/inf") as e:
        C.lissa(nan_op, b, scale=2.0)
    assert not isinstance(e.value, SingularHessianError)
    with pytest.raises(SingularHessianError, match="diverged"):       # a true divergence is still one
        C.lissa(lambda v: -v, b, scale=1.0, depth=200)
