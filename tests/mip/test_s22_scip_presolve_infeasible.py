"""Session-22: SCIP's presolve declared feasible models infeasible and the SCIP backend reported it: a 3-layer ReLU
net with weights ~1e-3 and its input fixed (the exact forward pass violates no row or bound; HiGHS and SCIP without
presolve: optimal). Probe: 22 of 1440 fixed-input SCIP solves of random small nets 'infeasible'. As the HiGHS
backend does since session 12, an infeasibility is now reported only once the solve without presolve confirms it."""

import numpy as np
import pytest

from paperworks.mip import ID, MILP, RELU, AffineLayer, encode_layers

pytest.importorskip("pyscipopt")

LAYERS = [AffineLayer([[0.001232220602876641]], [0.0005408804151080859], [RELU]),
          AffineLayer([[0.0014447046215745366], [0.0013367957258209168]],
                      [-0.00029475543731597066, 0.00012892675831073874], [RELU, RELU]),
          AffineLayer([[-0.0006982653292335809, -1.2766706617149427e-05]], [0.0002502671004938741], [ID])]
LO, HI, X = [-0.7207570122839064], [0.33496514751432005], [-0.3700286998647563]


def _model():
    m = MILP()
    x = m.add_vars(1, LO, HI)
    out, info = encode_layers(m, LAYERS, x, LO, HI)
    m.fix(x, X)
    m.set_objective(out, [1.0])
    v = np.zeros(m.num_vars)
    v[x] = X
    want = info.assignment(LAYERS, np.array(X), v)[0]
    assert m.max_violation(v) == 0.0          # the forward pass is a feasible point
    return m, want


def test_scip_presolve_infeasibility_of_a_feasible_encoding_is_not_reported():
    m, want = _model()
    r = m.solve("scip")
    assert r.status == "optimal", (r.status, r.raw_status)     # old code: 'infeasible'
    assert r.objective == pytest.approx(want, abs=1e-8)
    assert m.solve("highs").status == "optimal"


def test_scip_still_reports_a_true_infeasibility():
    m = MILP()
    x = m.add_vars(2, 0, 10, integer=True)
    m.add_eq(x, [2.0, 2.0], 1.0)                # 2 (x0 + x1) is even: never 1
    r = m.solve("scip")
    assert r.status == "infeasible", (r.status, r.raw_status)
