"""Session-22: encode_layers used the box [in_lo, in_hi] only for its big-M bounds and left the input variables'
own bounds as they were: variables made with add_vars' default (free) bounds let the optimum leave the box through
inputs the pre-activation bounds do not pin. Probe: max relu(x1 + x2) + (x1 - x2) over [0, 1]^2 came out 3 at
x = (1.5, 0.5); the box optimum is 2 (grid oracle). The box is now imposed on the input variables."""

import itertools

import numpy as np
import pytest

from paperworks.mip import ID, MILP, RELU, AffineLayer, InfeasibleError, encode_layers, forward_layers


def _grid_max(layers, c, lo, hi, k=41):
    g = np.array(list(itertools.product(*[np.linspace(a, b, k) for a, b in zip(lo, hi)])))
    return float((forward_layers(layers, g) @ c).max())


@pytest.mark.parametrize("tighten", ["interval", "lp"])
def test_the_optimum_over_free_input_variables_stays_in_the_box(tighten):
    layers = [AffineLayer([[1, 1], [1, -1]], [0, 0], [RELU, ID])]
    lo, hi = np.zeros(2), np.ones(2)
    m = MILP()
    x = m.add_vars(2)                   # free input variables
    out, _ = encode_layers(m, layers, x, lo, hi, tighten=tighten)
    m.set_objective(out, [-1.0, -1.0])
    r = m.solve()
    assert r.status == "optimal"
    assert -r.objective == pytest.approx(2.0, abs=1e-7)          # old code: 3.0 at x = (1.5, 0.5)
    assert (r.x[x] >= lo - 1e-9).all() and (r.x[x] <= hi + 1e-9).all()


def test_random_nets_over_free_inputs_match_the_grid_oracle():
    rng = np.random.default_rng(0)
    for _ in range(15):
        layers = [AffineLayer(rng.normal(size=(4, 2)), rng.normal(size=4), [RELU] * 4),
                  AffineLayer(rng.normal(size=(2, 4)), rng.normal(size=2), [ID, ID])]
        lo = rng.uniform(-1, 0, 2)
        hi = lo + rng.uniform(0.2, 1, 2)
        c = rng.normal(size=2)
        m = MILP()
        x = m.add_vars(2)
        out, _ = encode_layers(m, layers, x, lo, hi)
        m.set_objective(out, -c)
        r = m.solve(mip_gap=1e-9)
        best = _grid_max(layers, c, lo, hi)
        assert best - 1e-9 <= -r.objective <= best + 0.05 * (1 + abs(best))   # grid is a lower bound, 41^2 points
        assert forward_layers(layers, r.x[x][None])[0] @ c == pytest.approx(-r.objective, abs=1e-6)


def test_narrower_variable_bounds_are_kept_and_disjoint_ones_refused():
    layers = [AffineLayer([[1.0]], [0.0], [RELU])]
    m = MILP()
    x = m.add_vars(1, 0.2, 0.5)
    encode_layers(m, layers, x, [0.0], [1.0])
    assert (m.lb[int(x[0])], m.ub[int(x[0])]) == (0.2, 0.5)
    m = MILP()
    x = m.add_vars(1, 2.0, 3.0)
    with pytest.raises(InfeasibleError, match="do not meet the box"):
        encode_layers(m, layers, x, [0.0], [1.0])


def test_chained_networks_with_constant_zero_outputs_still_encode():
    # net1's second output is a stably inactive ReLU (index -1, constant 0): net2 reads it as a 0 input
    net1 = [AffineLayer([[1.0], [-1.0]], [0.0, -2.0], [RELU, RELU])]
    net2 = [AffineLayer([[2.0, 5.0]], [1.0], [ID])]
    m = MILP()
    x = m.add_vars(1, -1.0, 1.0)
    out1, info = encode_layers(m, net1, x, [-1.0], [1.0])
    assert out1[1] == -1
    lo1, hi1 = np.maximum(info.bounds[0][0], 0), np.maximum(info.bounds[0][1], 0)
    out2, _ = encode_layers(m, net2, out1, lo1, hi1)
    m.set_objective(out2, [-1.0])
    r = m.solve()
    assert -r.objective == pytest.approx(3.0, abs=1e-7)    # 2 relu(1) + 5 * 0 + 1
