"""damping as a NumPy scalar or a bool. The solvers' damping check took Python int / float only: np.float32(0.25)
and np.int64(1) (a value read from an array or a NumPy config) were refused ("damping must be a finite number
>= 0 or 'auto' (got np.float32(0.25))") while np.float64, a float subclass, passed; and True passed as an int,
so influence_scores(..., damping=True) ran with damping 1 without a word. Now any finite real number >= 0 is
taken (as its float value: the same result as the Python float) and a bool is refused."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError
from paperworks.influence import influence_scores


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    return m, (lambda mm, b: F.cross_entropy(mm(b[0]), b[1])), (x, y)


@pytest.mark.filterwarnings("ignore:lissa. the series stopped")
@pytest.mark.parametrize("solver", ["exact", "cg", "lissa", "kfac"])
@pytest.mark.parametrize("value", [np.float32(0.75), np.int64(1), np.float16(0.5)])
def test_numpy_damping_is_its_float_value(solver, value):
    m, lf, data = _setup()
    v = torch.linspace(-1, 1, 26, dtype=torch.float64)
    kw = {"lissa_depth": 20, "lissa_scale": 5.0}
    want = C.InverseHVP(m, lf, data, damping=float(value), solver=solver, **kw).solve(v)
    got = C.InverseHVP(m, lf, data, damping=value, solver=solver, **kw).solve(v)
    assert torch.equal(got, want)
    obj = lambda mm: lf(mm, (data[0][:3], data[1][:3]))      # noqa: E731
    assert torch.equal(influence_scores(m, lf, data, obj, damping=value, solver=solver, **kw),
                       influence_scores(m, lf, data, obj, damping=float(value), solver=solver, **kw))


def test_numpy_damping_in_the_direct_solvers():
    torch.manual_seed(0)
    Q = torch.randn(5, 5, dtype=torch.float64)
    H = Q @ Q.T
    b = torch.randn(5, dtype=torch.float64)
    d = np.float32(0.5)
    assert torch.equal(C.conjugate_gradient(lambda u: H @ u, b, d), C.conjugate_gradient(lambda u: H @ u, b, 0.5))
    assert torch.equal(C.lissa(lambda u: H @ u, b, d, scale=40.0, depth=50, tol=0.0),
                       C.lissa(lambda u: H @ u, b, 0.5, scale=40.0, depth=50, tol=0.0))
    assert torch.equal(C.solve_dense(H, b, d)[0], C.solve_dense(H, b, 0.5)[0])
    m, lf, data = _setup()
    k = C.KFAC(m, lf, data).fit()
    v = torch.ones(26, dtype=torch.float64)
    assert torch.equal(k.inverse_vp(v, d), k.inverse_vp(v, 0.5))


@pytest.mark.parametrize("bad", [True, False, np.bool_(True), np.float32("nan"), np.int64(-1), torch.tensor(0.1)])
def test_bools_and_other_non_numbers_are_refused(bad):
    m, lf, data = _setup()
    with pytest.raises(PaperworksError, match="damping must be"):
        C.InverseHVP(m, lf, data, damping=bad, solver="cg")
    with pytest.raises(PaperworksError, match="damping must be"):
        C.conjugate_gradient(lambda u: u, torch.ones(3, dtype=torch.float64), bad)
