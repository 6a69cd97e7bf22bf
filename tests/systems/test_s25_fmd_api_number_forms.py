"""fmd's Python API and NumPy / other real numbers: ``lam=np.float32(1e-3)`` (or a Fraction) was refused by
fit_head / bias_influence / fmd_unlearn as "must be a finite number" while ``damping`` took it; fmd_unlearn's
``steps=np.int64(2)`` was refused and ``steps=True`` ended in tensor_split's TypeError."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from paperworks.core.errors import PaperworksError
from paperworks.systems.fmd import FMDNet, bias_influence, fit_head, fmd_unlearn


def _setup():
    torch.manual_seed(0)
    x, y = torch.randn(48, 5), torch.randint(0, 3, (48,))
    x_a = torch.randn(6, 5)
    x_cf = torch.cat([-x_a[:, :1], x_a[:, 1:]], 1)
    y_p = torch.randint(0, 3, (6,))
    model = FMDNet(in_dim=5, hidden=(8,), n_classes=3)
    feats, f_a, f_cf = (model.features(t).detach() for t in (x, x_a, x_cf))
    return model.head, feats, y, f_a, f_cf, y_p


def _state(head):
    return [t.clone() for t in head.state_dict().values()]


@pytest.mark.parametrize("lam", [np.float32(1e-3), np.float16(1e-3), Fraction(1, 1000)])
def test_lam_other_reals_equal_their_python_float(lam):
    ref = float(lam)
    results = []
    for value in (lam, ref):
        head, feats, y, f_a, f_cf, y_p = _setup()
        fit_head(head, feats, y, lam=value)
        fitted = _state(head)
        infl = bias_influence(head, feats, y, f_a, f_cf, y_p, lam=value, damping=0.1)
        info = fmd_unlearn(head, f_a, f_cf, y_p, feats, y, lam=value, damping=0.1)
        results.append((fitted, infl, _state(head), info["step_norm"]))
    (fa, ia, ua, sa), (fb, ib, ub, sb) = results
    assert all(torch.equal(p, q) for p, q in zip(fa, fb))
    assert torch.equal(ia, ib)
    assert all(torch.equal(p, q) for p, q in zip(ua, ub)) and sa == sb


@pytest.mark.parametrize("lam", [-1e-3, float("nan"), float("inf"), True, "0.001", np.float32("nan")])
def test_bad_lam_still_refused(lam):
    head, feats, y, *_ = _setup()
    with pytest.raises(PaperworksError, match="fit_head: lam must be a finite number >= 0"):
        fit_head(head, feats, y, lam=lam)


def test_steps_numpy_int_and_bool():
    head, feats, y, f_a, f_cf, y_p = _setup()
    fit_head(head, feats, y, lam=1e-3)
    start = {k: v.clone() for k, v in head.state_dict().items()}
    a = fmd_unlearn(head, f_a, f_cf, y_p, feats, y, lam=1e-3, damping=0.1, steps=np.int64(2))
    wa = _state(head)
    head.load_state_dict(start)
    b = fmd_unlearn(head, f_a, f_cf, y_p, feats, y, lam=1e-3, damping=0.1, steps=2)
    assert all(torch.equal(p, q) for p, q in zip(wa, _state(head))) and a["step_norm"] == b["step_norm"]
    with pytest.raises(PaperworksError, match="steps must be an integer >= 1 \\(got True\\)"):
        fmd_unlearn(head, f_a, f_cf, y_p, feats, y, lam=1e-3, steps=True)
