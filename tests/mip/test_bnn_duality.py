"""Oracles: exact BNN training == brute force, weak duality, value derivatives == finite differences,
implicit differentiation == autograd of a closed form."""

import math

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.mip.bnn import (bnn_errors, bnn_forward, brute_force_bnn, ste_surrogate_loss, train_bnn_milp,
                                train_bnn_ste)
from paperworks.mip.duality import (MILPValue, chvatal_dual_value, dual_feasible, implicit_jacobian, lp_dual,
                                    solution_jacobian, solve_value, value_gradient)
from paperworks.mip.model import MIPError


def _xor(n, seed):
    rng = np.random.default_rng(seed)
    s = rng.choice([-1.0, 1.0], size=(n, 2))
    X = np.round(s * rng.uniform(0.2, 1.0, (n, 2)), 1)
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("seed,hidden", [(0, 1), (1, 1), (2, 2)])
def test_milp_training_equals_brute_force(seed, hidden):
    X, y = _xor(8 if hidden == 2 else 10, seed)
    bf, _ = brute_force_bnn(X, y, hidden)
    w, res, idx = train_bnn_milp(X, y, hidden)
    assert res.status == "optimal"
    assert round(res.objective) == bf
    # forward consistency: numpy forward with the solved weights gives the solver's activations and errors
    Hm, _ = bnn_forward(w, X)
    np.testing.assert_array_equal(Hm, np.round(res.x[idx["h"]]))
    assert bnn_errors(w, X, y) == bf


def test_sample_permutation_leaves_optimum_unchanged():
    X, y = _xor(10, 3)
    p = np.random.default_rng(0).permutation(10)
    assert abs(train_bnn_milp(X, y, 1)[1].objective - train_bnn_milp(X[p], y[p], 1)[1].objective) < 1e-6


def test_ste_never_beats_certified_optimum():
    X, y = _xor(10, 4)
    _, res, _ = train_bnn_milp(X, y, 1)
    for s in range(2):
        _, e = train_bnn_ste(X, y, 1, epochs=60, seed=s)
        assert e >= res.objective - 1e-9


def test_ste_surrogate_is_centred_on_the_output_rule():
    """The STE loss must rank the network's own decision 1[o >= 0] as the likelier label at every integer
    output, symmetrically about the threshold between o = -1 and o = 0 (the old logit 2 o gave o = 0 p = 1/2)."""
    o = torch.arange(-5.0, 6.0, dtype=torch.float64)
    for oi in o:
        yhat = float(oi >= 0)
        right = ste_surrogate_loss(oi.view(1), torch.tensor([yhat], dtype=torch.float64))
        wrong = ste_surrogate_loss(oi.view(1), torch.tensor([1.0 - yhat], dtype=torch.float64))
        assert right < wrong, float(oi)
    one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    for k in range(5):   # a positive at o = k is as well placed as a negative at o = -1 - k
        torch.testing.assert_close(ste_surrogate_loss(torch.tensor([float(k)], dtype=torch.float64), one),
                                   ste_surrogate_loss(torch.tensor([-1.0 - k], dtype=torch.float64), zero))


def test_ste_latent_weights_are_clipped_to_the_box(monkeypatch):
    """Hubara et al. (2016) Alg. 1: latent weights are clipped to [-1, 1] after each update. Without it, and with
    the gradient cancelled outside the box, a weight that leaves [-1, 1] is frozen for good."""
    seen = []

    class Recording(torch.optim.Adam):
        def step(self, *a, **k):   # parameters as the next update finds them
            seen.append(max(float(p.detach().abs().max()) for grp in self.param_groups for p in grp["params"]))
            return super().step(*a, **k)

    monkeypatch.setattr(torch.optim, "Adam", Recording)
    X, y = _xor(10, 4)
    w, e = train_bnn_ste(X, y, 2, epochs=40, lr=0.5, seed=0)
    assert len(seen) == 40 and max(seen) <= 1.0
    assert e == bnn_errors(w, X, y)   # the STE's forward is the same network as bnn_forward


def test_milp_refuses_inputs_off_the_eps_grid():
    """Off a grid of spacing >= eps the eps rows forbid legal weights: here the only 0-error split puts a
    pre-activation at -0.02, so the MILP would 'certify' 2 errors while the optimum is 0."""
    X = np.array([[-0.02, 0.0], [0.02, 0.0], [-0.3, 0.0], [0.6, 0.0]])
    y = np.array([0, 1, 0, 1])
    assert brute_force_bnn(X, y, 1)[0] == 0
    with pytest.raises(DataError, match="grid"):
        train_bnn_milp(X, y, 1)
    w, res, _ = train_bnn_milp(X, y, 1, eps=0.01)   # a finer eps makes the same data exact
    assert res.status == "optimal" and round(res.objective) == 0 == bnn_errors(w, X, y)


def test_bnn_bad_arguments():
    X, y = _xor(6, 0)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="hidden"):
            train_bnn_milp(X, y, bad)
    for bad in (0.0, -0.1, 2.0):   # eps <= 0 would certify a wrong optimum, eps > 1 changes the output rule
        with pytest.raises(ValueError, match="eps"):
            train_bnn_milp(X, y, 1, eps=bad)
    with pytest.raises(ValueError, match="epochs"):
        train_bnn_ste(X, y, 1, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        train_bnn_ste(X, y, 1, lr=-1.0)


def test_bnn_bad_input():
    with pytest.raises(DataError, match=r"\[-1, 1\]"):
        train_bnn_milp(np.array([[2.0, 0.0]]), np.array([1]), 1)
    with pytest.raises(DataError, match="labels"):
        train_bnn_milp(np.array([[0.5, 0.0]]), np.array([3]), 1)
    with pytest.raises(DataError, match="NaN"):
        train_bnn_milp(np.array([[np.nan, 0.0]]), np.array([1]), 1)


def _covering(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 6, (3, 5)).astype(float), rng.integers(2, 9, 5).astype(float), rng


def test_weak_duality_lp_and_chvatal():
    A, c, rng = _covering(0)
    strict = 0
    for _ in range(8):
        b = rng.uniform(3, 20, 3)
        z = solve_value(c, A, b, True).objective
        zl, y = lp_dual(c, A, b)
        assert (y >= -1e-9).all() and dual_feasible(y, A, c)
        # y is an optimal LP dual: feasible for A'y <= c and strong duality y'b = z_LP
        assert (A.T @ y <= c + 1e-9).all() and float(y @ b) == pytest.approx(zl, rel=1e-9, abs=1e-9)
        F = chvatal_dual_value(y, b)
        assert F == math.ceil(zl - 1e-7)            # the rank-one Chvatal function ceil(y'b)
        assert zl <= F + 1e-9 <= z + 2e-9
        strict += F > zl + 1e-6                     # the rounding closes part of the gap: not just z_LP
    assert strict >= 4


def test_chvatal_function_closed_form():
    """F(d) = ceil(y'd) with a 1e-9 allowance for LP round-off just above an integer."""
    assert chvatal_dual_value([0.5, 1.5], [1.0, 1.0]) == 2.0
    assert chvatal_dual_value([0.5, 0.25], [1.0, 1.0]) == 1.0
    assert chvatal_dual_value([0.5, 0.25], [-4.0, 1.0]) == -1.0    # ceil(-1.75)
    assert chvatal_dual_value([1.0], [3.0 + 1e-12]) == 3.0          # round-off, not a new integer
    assert chvatal_dual_value([1.0], [3.0 + 1e-6]) == 4.0


def test_value_function_is_subadditive():
    A, c, rng = _covering(1)
    for _ in range(5):
        p, q = rng.uniform(1, 8, 3), rng.uniform(1, 8, 3)
        z = lambda b: solve_value(c, A, b, True).objective  # noqa: E731
        assert z(p + q) <= z(p) + z(q) + 1e-9


def test_value_derivatives_match_finite_differences():
    A, c, rng = _covering(2)
    A2 = np.hstack([A, np.eye(3)])
    c2 = np.concatenate([c + rng.uniform(0, 0.3, 5), [1.7, 2.3, 2.9]])   # generic costs: unique optimum
    integer = np.array([True] * 5 + [False] * 3)
    h, checked = 1e-4, 0
    for _ in range(6):
        b = rng.uniform(3, 20, 3)
        z, gb, gc, r0 = value_gradient(c2, A2, b, integer)
        x0 = np.round(r0.x[integer])
        plus = [solve_value(c2, A2, b + h * e, integer) for e in np.eye(3)]
        minus = [solve_value(c2, A2, b - h * e, integer) for e in np.eye(3)]
        if not all(np.array_equal(np.round(r.x[integer]), x0) for r in plus + minus):
            continue
        fd = np.array([(p.objective - m.objective) / (2 * h) for p, m in zip(plus, minus)])
        np.testing.assert_allclose(gb, fd, atol=1e-6)
        fdc = np.array([(solve_value(c2 + h * e, A2, b, integer).objective -
                         solve_value(c2 - h * e, A2, b, integer).objective) / (2 * h) for e in np.eye(8)])
        np.testing.assert_allclose(gc, fdc, atol=1e-5)
        checked += 1
    assert checked >= 2


def test_milp_value_autograd_function():
    A, c, rng = _covering(2)
    A2 = np.hstack([A, np.eye(3)])
    c2 = np.concatenate([c + rng.uniform(0, 0.3, 5), [1.7, 2.3, 2.9]])
    integer = np.array([True] * 5 + [False] * 3)
    b = rng.uniform(3, 20, 3)
    ct = torch.tensor(c2, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    z = MILPValue.apply(ct, bt, A2, integer)
    z.backward()
    zz, gb, gc, _ = value_gradient(c2, A2, b, integer)
    assert abs(float(z) - zz) < 1e-9
    np.testing.assert_allclose(bt.grad.numpy(), gb)
    np.testing.assert_allclose(ct.grad.numpy(), gc)


def test_implicit_jacobian_matches_closed_form_ridge():
    torch.manual_seed(0)
    X = torch.randn(12, 4, dtype=torch.float64)
    lam = 0.7
    t = torch.randn(12, dtype=torch.float64)
    # F(t, w) = (X'X + lam I) w - X't = 0 defines w(t); dF/dt = -X', dF/dw = X'X + lam I
    B = X.T @ X + lam * torch.eye(4, dtype=torch.float64)
    J = implicit_jacobian(-X.T, B)
    want = torch.autograd.functional.jacobian(lambda tt: torch.linalg.solve(B, X.T @ tt), t)
    torch.testing.assert_close(J, want)


def test_duality_bad_input():
    A, c, _ = _covering(0)
    b = np.array([4.0, 5.0, 6.0])
    with pytest.raises(DataError, match="c contains NaN or inf"):   # an inf cost was solved as 'optimal'
        solve_value(np.r_[np.inf, c[1:]], A, b, True)
    with pytest.raises(DataError, match="b contains NaN or inf"):
        solve_value(c, A, np.array([np.inf, 5.0, 6.0]), True)
    with pytest.raises(DataError, match="integer must be one flag or 5 flags"):
        solve_value(c, A, b, [True, False])
    with pytest.raises(DataError, match=r"A must be \[3, 5\]"):
        solve_value(c, A[:, :4], b, True)
    with pytest.raises(DataError, match="y has 2 entries, d has 3"):
        chvatal_dual_value(np.ones(2), b)


def test_milp_value_layer_inside_a_batched_network_matches_finite_differences():
    """MILPValue as a layer between torch layers on a minibatch: costs and right-hand sides are produced by
    Linear layers from features, one MILP per row; the gradients reaching the Linear weights equal central finite
    differences of the whole network (the integer parts stay put at this step). Batched z and gradients equal the
    per-row unbatched calls."""
    A, _, rng = _covering(2)
    A2 = np.hstack([A, np.eye(3)])
    integer = np.array([True] * 5 + [False] * 3)
    torch.manual_seed(0)
    net_c, net_b = torch.nn.Linear(4, 8).double(), torch.nn.Linear(4, 3).double()
    feats = torch.randn(4, 4, dtype=torch.float64)
    floor = torch.tensor([2.0] * 5 + [0.5] * 3, dtype=torch.float64)

    def loss_fn():
        c = torch.nn.functional.softplus(net_c(feats)) + floor
        b = 8.0 + 3.0 * torch.tanh(net_b(feats))
        z = MILPValue.apply(c, b, A2, integer, 0.0, 50.0)
        assert z.shape == (4,)
        return (z ** 2).mean()

    loss_fn().backward()
    h = 1e-4   # the brief's step; the loss is piecewise smooth in the weights, so central differences are O(h^2)
    for p in (net_c.bias, net_b.bias):   # (the weights' gradients follow from these by torch's own chain rule)
        fd = torch.zeros_like(p)
        for i in range(p.numel()):
            with torch.no_grad():
                p.view(-1)[i] += h
                lp = float(loss_fn())
                p.view(-1)[i] -= 2 * h
                lm = float(loss_fn())
                p.view(-1)[i] += h
            fd.view(-1)[i] = (lp - lm) / (2 * h)
        assert fd.abs().max() > 1e-3          # the check is not vacuous
        # 1e-5 as for dz/dc above: the MILP values the differences are taken of carry HiGHS's 1e-6 feasibility
        # tolerance in their continuous part (a wrong or missing derivative is off by O(0.1))
        torch.testing.assert_close(p.grad, fd, atol=1e-5, rtol=0.0)
    # batch semantics: rows are independent MILPs; an unbatched c is shared and its gradient summed over rows
    c = torch.tensor([3.0, 4.0, 2.5, 5.0, 6.0, 0.5, 0.7, 0.9], dtype=torch.float64, requires_grad=True)
    bs = torch.tensor([[6.3, 7.1, 5.2], [9.4, 4.6, 8.8]], dtype=torch.float64, requires_grad=True)
    zb = MILPValue.apply(c, bs, A2, integer)
    zb.sum().backward()
    gc, gb = c.grad.clone(), bs.grad.clone()
    for k in range(2):
        c.grad = None
        b1 = bs[k].detach().clone().requires_grad_(True)
        z1 = MILPValue.apply(c, b1, A2, integer)
        z1.backward()
        assert z1.dim() == 0 and abs(z1.item() - zb[k].item()) < 1e-12
        torch.testing.assert_close(gb[k], b1.grad)
        gc -= c.grad
    assert float(gc.abs().max()) < 1e-12
    with pytest.raises(DataError, match="batch sizes"):
        MILPValue.apply(c.detach().repeat(3, 1), bs.detach(), A2, integer)


def test_solution_jacobian_by_implicit_differentiation_matches_finite_differences():
    """dx*/db = -B^{-1} dF/db at the optimality map of the fixed-integer LP (implicit_jacobian) equals central
    finite differences of the re-solved MILP's solution where the integer part stays put, and the chain rule
    c' dx*/db reproduces the duals dz/db. At a degenerate vertex (a kink of x*(b)) it refuses."""
    rng = np.random.default_rng(0)
    A = np.hstack([rng.integers(1, 6, (3, 5)).astype(float), rng.uniform(0.5, 2, (3, 3))])
    c = np.concatenate([rng.integers(2, 9, 5) + rng.uniform(0, 0.3, 5), rng.uniform(1.5, 3.0, 3)])
    integer = np.array([True] * 5 + [False] * 3)
    h, checked = 1e-4, 0
    for _ in range(4):
        b = rng.uniform(3, 20, 3)
        x, J = solution_jacobian(c, A, b, integer)
        _, y, _, r = value_gradient(c, A, b, integer)
        np.testing.assert_allclose(c @ J, y, atol=1e-9)
        sols = [value_gradient(c, A, b + s * h * e, integer) for e in np.eye(3) for s in (1, -1)]
        if not all(np.array_equal(np.round(q[3].x[integer]), np.round(r.x[integer])) for q in sols):
            continue
        fd = np.stack([(sols[2 * k][2] - sols[2 * k + 1][2]) / (2 * h) for k in range(3)], 1)
        assert np.abs(J).max() > 0.1                   # the continuous part moves with b: not vacuous
        np.testing.assert_allclose(J, fd, atol=1e-6)
        checked += 1
    assert checked >= 3
    # min x0 + 2 x1, x0 + x1 >= 3, x0 integer: x* = (3, 0) meets the row exactly, z has a kink at b = 3
    with pytest.raises(MIPError, match="degenerate"):
        solution_jacobian(np.array([1.0, 2.0]), np.array([[1.0, 1.0]]), np.array([3.0]), [True, False])
