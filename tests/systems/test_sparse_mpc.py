"""sparse_mpc: relaxation sanity, structure equivalence, MILP == model, smoke reproduction, bad input."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.mip import ID, RELU, ZERO, MILPPlanner, PlanCost, forward_layers, layers_step, rollout_cost
from paperworks.systems.sparse_mpc import SparseDynamics, SparseMPC, hard_assign, run_episode, make_env


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _model(seed=0):
    torch.manual_seed(seed)
    P = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    m = SparseDynamics(2, 1, (6, 5), P)
    rng = np.random.default_rng(seed)
    X, U = rng.normal(size=(40, 2)), rng.normal(size=(40, 1))
    m.set_normalization(X, U, X + 0.1 * rng.normal(size=(40, 2)))
    return m


def test_relaxation_with_one_hot_logits_and_small_tau_is_the_hard_network():
    m = _model()
    kinds = [torch.tensor([RELU, ID, ZERO, RELU, ID, ZERO]), torch.tensor([ID, RELU, RELU, ZERO, ID])]
    for i, k in enumerate(kinds):
        m.logits[i].data = torch.nn.functional.one_hot(k, 3).float() * 50.0
    h = hard_assign(m, 4)   # exactly the 4 ReLU-argmax neurons
    for i, k in enumerate(kinds):
        assert torch.equal(h.kinds()[i], k)
    m.mode, m.tau = "relaxed", 0.05
    m.eval()
    x, u = torch.randn(30, 2), torch.randn(30, 1)
    torch.testing.assert_close(m(x, u), h(x, u), atol=1e-5, rtol=1e-5)


def test_hard_assign_respects_budget_and_mip_layers_are_exact():
    m = _model(1)
    for pi in m.logits:
        pi.data = torch.randn_like(pi)
    h = hard_assign(m, 4)
    assert h.n_relu() == 4
    x, u = torch.randn(25, 2), torch.randn(25, 1)
    want = h(x, u).detach().double().numpy()
    got = x.double().numpy() + forward_layers(h.mip_layers(), np.concatenate([x.numpy(), u.numpy()], 1))
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_milp_plan_is_optimal_for_the_sparse_model():
    m = _model(2)
    for pi in m.logits:
        pi.data = torch.randn_like(pi)
    h = hard_assign(m, 3)
    layers = h.mip_layers()
    cost = PlanCost((1,), 0.3, 1.0, 0.0)
    p = MILPPlanner(layers, [-1.0], [1.0], 2, cost, mip_gap=0.0, time_limit=20).plan([0.2, 0.5], [1.0])
    assert p.status == "optimal"
    grid = torch.linspace(-1, 1, 201, dtype=torch.float64)
    U = torch.cartesian_prod(grid, grid).reshape(-1, 2, 1)
    J = rollout_cost(layers_step(layers), torch.tensor([0.2, 0.5]), U, torch.tensor([1.0]), cost)
    assert float(J.min()) >= p.objective - 1e-7
    # and the plan is real: simulating the returned actions through the network costs exactly the MILP's objective
    # (the one-sided check alone passes for an objective that is too low, e.g. a relaxed big-M)
    Up = torch.as_tensor(np.asarray(p.actions, dtype=np.float64)).reshape(1, 2, 1)
    assert bool((Up.abs() <= 1 + 1e-9).all())
    J_plan = rollout_cost(layers_step(layers), torch.tensor([0.2, 0.5], dtype=torch.float64), Up,
                          torch.tensor([1.0], dtype=torch.float64), cost)
    assert float(J_plan[0]) == pytest.approx(p.objective, abs=1e-6)
    assert float(J.min()) <= p.objective + 0.05   # the grid's best (spacing 0.01) is close above the optimum


def test_closed_loop_on_pwa_toy_reaches_goal_with_exact_model():
    env = make_env("pwa")
    from paperworks.mip import AffineLayer
    L1 = AffineLayer(np.array([[1.0, 0, 1], [0, 1, 0], [1, -1, 1]]), [0, 0, 0], [ID, ID, RELU])
    L2 = AffineLayer(np.array([[1.0, 0, 0], [0, 1, 1], [0, 1, 1]]), [0, 0, -3.0], [ID, ID, RELU])
    L3 = AffineLayer(np.array([[1.0, 0, 0], [0, 1, -0.5]]), [0, 0], [ID, ID])
    pl = MILPPlanner([L1, L2, L3], env.u_lo, env.u_hi, 4, PlanCost((1,), 0.0, 1.0, 0.0), residual=False)
    ep = run_episode(env, pl, np.array([-1.5, 0.0]), np.array([1.0]), 4)
    assert ep["final_dist"] < 1e-6


def test_smoke_reproduce(reproduce_smoke):
    d = reproduce_smoke("sparse_mpc")
    assert any("closed loop" in c["claim"] for c in d["claims"])
    assert {p["file"] for p in d["plots"]} == {"plots/sparsity_curve.png", "plots/planning_time.png"}


def test_bad_config():
    with pytest.raises(ConfigError, match="k_mpc"):
        SparseMPC.make_config({"k_mpc": "5"})
    with pytest.raises(ConfigError, match="env"):
        SparseMPC.make_config({"env": "mujoco"})
    with pytest.raises(ConfigError, match="targets"):
        SparseMPC.make_config({"targets": "[100]"})
    with pytest.raises(ConfigError, match="node_limit"):
        SparseMPC.make_config({"node_limit": "0"})
    with pytest.raises(ConfigError, match="dense_epochs"):
        SparseMPC.make_config({"epochs": "30", "dense_epochs": "10"})


def test_dense_baseline_is_not_trained_less_than_the_sparse_models():
    """Equal-budget guard: the dense baseline (MPPI/CEM/GD) gets as many training epochs as any sparse model can
    (the sparse models got 120 against 200 until 2026-11-26). Before that: at least as many as any sparse
    model (dense checkpoint + relaxation + fine-tuning). The first version trained it 30 epochs against 80 for the
    sparse models; its validation MSE was 2.4x that of the 200-epoch model (see docs)."""
    cfg = SparseMPC.make_config({})
    assert cfg.dense_epochs == cfg.epochs + cfg.sparsify_epochs + cfg.finetune_epochs   # equal, since 2026-11-26


@pytest.mark.slow
def test_quick_reproduction(tmp_path):
    """The default quick reproduction (about 3.5 CPU minutes; 15 min wall on a contended 2-core CPU): every claim
    must hold, as issue 8's "done when" asks. It FAILS at present (the closed-loop claim and the 8-ReLU MSE ratio,
    2.51 > 2.5 at equal training budgets; see docs for measured values)."""
    from paperworks.core.registry import get_system
    from paperworks.core.rundir import RunDir

    cls = get_system("sparse_mpc")
    rep = cls(cls.make_config({})).reproduce(RunDir(tmp_path), quick=True)
    by = {c.claim: c for c in rep.claims}
    assert by and all(c.holds for c in by.values()), [c.to_dict() for c in rep.claims if not c.holds]


def test_bad_inputs_to_the_model_give_one_clear_error():
    from paperworks.core.errors import DataError
    m = _model()
    with pytest.raises(ValueError, match="ReLU budget in \\[0, 11\\]"):
        hard_assign(m, -1)          # used to keep all but one neuron as ReLU
    with pytest.raises(ValueError, match="ReLU budget"):
        hard_assign(m, 12)
    X = np.zeros((5, 2))
    with pytest.raises(DataError, match="NaN"):
        m.set_normalization(np.full((5, 2), np.nan), np.zeros((5, 1)), X)
    with pytest.raises(DataError, match="expected X"):
        m.set_normalization(X, np.zeros((5, 2)), X)


@pytest.mark.parametrize("schedule", ["continuous", "staged"])
def test_sparsify_schedules_meet_budgets_and_staged_copies_after_annealing(schedule, monkeypatch):
    import paperworks.systems.sparse_mpc as S
    m = _model(3)
    rng = np.random.default_rng(0)
    X, U = rng.normal(size=(64, 2)), rng.normal(size=(64, 1))
    data = tuple(torch.tensor(a, dtype=torch.float32) for a in (X, U, X + 0.1 * np.tanh(U)))
    seen = []
    real = S.hard_assign
    monkeypatch.setattr(S, "hard_assign", lambda mr, k: (seen.append((k, mr.tau)), real(mr, k))[1])
    out = S.sparsify(m, data, [8, 4, 2], epochs=9, finetune_epochs=1, tau_start=1.0, tau_end=0.1, batch=32,
                     schedule=schedule)
    assert sorted(out) == [2, 4, 8] and all(out[k].n_relu() <= k for k in out)
    assert [k for k, _ in seen] == [8, 4, 2]
    if schedule == "staged":   # each copy is hard-assigned at the end of its stage, after tau has annealed
        assert all(abs(t - 0.1) < 1e-9 for _, t in seen)
    else:                      # mid-anneal (the default; see docs)
        assert seen[0][1] > 0.1
    with pytest.raises(ConfigError, match="schedule"):
        S.sparsify(m, data, [4], 2, 0, schedule="cosine")


def test_bench_reports_time_vs_relus_and_horizon_and_both_samplers(monkeypatch):
    """`bench sparse_mpc` (smoke size): MILP time rows for every sparse model and horizon, and MPPI and CEM on the
    dense model each with the sample count of the run that was measured (the doubling loop used to report twice
    the samples of its last run when the quality was never matched)."""
    import paperworks.systems.sparse_mpc as S

    used = {"mppi": [], "cem": []}
    for name, cls_ in (("mppi", S.MPPIPlanner), ("cem", S.CEMPlanner)):
        monkeypatch.setattr(S, cls_.__name__, lambda *a, _c=cls_, _n=name, **k: (used[_n].append(k["samples"]),
                                                                                  _c(*a, **k))[1])
    sysm = SparseMPC(SparseMPC.make_config({}, preset="smoke"))
    res = sysm.bench(None, quick=True)
    rows = res["milp_time_vs_relus_horizon"]
    cfg = sysm.config
    assert {(r["relus"], r["horizon"]) for r in rows} == {(k, T) for k in cfg.targets for T in (1, 2, 3)}
    for k in cfg.targets:   # the first copy of the dynamics is the same for every horizon: binaries only add up
        b = [next(r["binaries"] for r in rows if r["relus"] == k and r["horizon"] == T) for T in (1, 2, 3)]
        assert b[0] <= b[1] <= b[2]
    for name in ("mppi", "cem"):
        assert res[name]["samples"] == used[name][-1]
        assert used[name][0] == cfg.mppi_samples


def test_bench_doubling_stops_at_the_first_match_and_reports_that_run(monkeypatch):
    """The doubling loop against scripted closed-loop results: MPPI matches the MILP's distance on its third run
    (samples x4, that run's time), CEM never matches (4 quick runs, samples x8, the last run's numbers)."""
    sysm = SparseMPC(SparseMPC.make_config({}, preset="smoke"))
    base = sysm.config.mppi_samples
    script = {"MILP": [(0.5, 0.2)], "mppi": [(0.9, 0.01), (0.7, 0.02), (0.4, 0.04), (0.1, 9.0)],
              "cem": [(0.8, 0.03), (0.7, 0.05), (0.6, 0.07), (0.55, 0.11)]}
    calls = {k: 0 for k in script}

    def fake_closed_loop(env, planners, pairs, run_dir=None):
        (name,) = planners
        d, t = script[name][calls[name]]
        calls[name] += 1
        return {name: {"final_dist": d, "plan_time": t}}

    monkeypatch.setattr(sysm, "closed_loop", fake_closed_loop)
    res = sysm.bench(None, quick=True)
    assert calls == {"MILP": 1, "mppi": 3, "cem": 4}
    assert res["milp"] == {"final_dist": 0.5, "plan_time": 0.2}
    assert res["mppi"]["samples"] == 4 * base and res["mppi"]["matched_quality"] is True
    assert res["mppi"]["final_dist"] == 0.4 and res["mppi"]["time_ratio"] == pytest.approx(0.2)
    assert res["cem"]["samples"] == 8 * base and res["cem"]["matched_quality"] is False
    assert res["cem"]["final_dist"] == 0.55 and res["cem"]["time_ratio"] == pytest.approx(0.55)
    assert res["ratio"] == pytest.approx(0.2)
    assert "never matched" in res["summary"] and f"MPPI dense ({4 * base} samples)" in res["summary"]


def test_relaxed_evaluation_is_the_tempered_softmax_mixture_written_out():
    """Evaluation-mode relaxation with generic logits: each hidden unit outputs p_relu relu(z) + p_id z (+ p_zero 0),
    p = softmax(pi / tau), written out with numpy on the raw layers (x + s * f((P[x, u] - mu) / sd)). The one-hot
    test above cannot see tau (softmax of a one-hot x 50 logit is one-hot at any temperature) or the mixing weights
    of a unit that is not saturated; hard_assign keeps the k units of highest p_relu."""
    m = _model(4)
    g = torch.Generator().manual_seed(0)
    for pi in m.logits:
        pi.data = torch.randn(pi.shape, generator=g)
    m.mode, m.tau = "relaxed", 0.7
    m.eval()
    x, u = torch.randn(9, 2, generator=g), torch.randn(9, 1, generator=g)
    P, mu, sd, s = (t.double().numpy() for t in (m.P, m.mu, m.sd, m.out_scale))
    h = (np.concatenate([x.numpy(), u.numpy()], 1).astype(np.float64) @ P.T - mu) / sd
    for i, lin in enumerate(m.lins):
        z = h @ lin.weight.detach().double().numpy().T + lin.bias.detach().double().numpy()
        if i == len(m.lins) - 1:
            h = z
            break
        e = np.exp(m.logits[i].detach().double().numpy() / 0.7)
        p = e / e.sum(1, keepdims=True)
        h = p[:, 0] * np.maximum(z, 0) + p[:, 1] * z
    want = x.double().numpy() + s * h
    np.testing.assert_allclose(m(x, u).detach().double().numpy(), want, rtol=1e-5, atol=1e-5)
    # hard assignment: the k units with the largest ReLU probability, the rest ID or ZERO by the larger probability
    probs = torch.cat([torch.softmax(pi.detach(), -1) for pi in m.logits])
    top = set(torch.argsort(probs[:, 0], descending=True)[:5].tolist())
    kinds = torch.cat(hard_assign(m, 5).kinds()).tolist()
    for j, kd in enumerate(kinds):
        assert kd == (RELU if j in top else (ID if probs[j, 1] >= probs[j, 2] else ZERO)), j


def test_too_few_transitions_are_named_by_their_key():
    """n_transitions=1 or 2 passed validation and failed inside training with a message about 'rows' that did not
    name the key (10% is held out; the input normalisation needs at least 2 training rows)."""
    with pytest.raises(ConfigError, match="'n_transitions' must be >= 3 \\(got 2\\)"):
        SparseMPC.make_config({"n_transitions": "2"}, preset="smoke")
    assert SparseMPC.make_config({"n_transitions": "3"}, preset="smoke").n_transitions == 3
