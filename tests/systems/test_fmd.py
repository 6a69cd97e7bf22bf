"""FMD oracles: bias metric invariances, replacement Newton step vs exact refit, sign check, bad input."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError, DataError, PaperworksError, UnknownNameError
from paperworks.curvature import SingularHessianError, exact_hessian, solve_dense
from paperworks.influence import influence_scores
from paperworks.systems.fmd import (
    FMD,
    CounterfactualSet,
    bias_influence,
    counterfactual_bias,
    fit_head,
    fmd_unlearn,
    head_hessian,
    head_loss_fn,
    make_task,
)


def _toy(n=400, seed=0, rho=0.95):
    """Features [signal, attribute, noise...]: the attribute equals the label for a fraction rho."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    a = torch.where(torch.rand(n, generator=g) < rho, y, 1 - y)
    x = torch.cat([(2 * y - 1).double()[:, None] + 1.5 * torch.randn(n, 1, generator=g, dtype=torch.float64),
                   a.double()[:, None], 0.5 * torch.randn(n, 2, generator=g, dtype=torch.float64)], 1)
    return x, y, a


def _fitted_head(x, y, lam=1e-2):
    torch.manual_seed(0)
    head = nn.Linear(x.shape[1], 2).double()
    fit_head(head, x, y, lam, max_iter=500)
    return head


def test_head_hessian_closed_form_matches_autograd():
    x, y, _ = _toy(60)
    head = _fitted_head(x, y)
    torch.testing.assert_close(head_hessian(head, x, 1e-2),
                               exact_hessian(head, head_loss_fn(1e-2), (x, y), params=[head.weight]))


def test_bias_is_zero_without_attribute_weight_and_invariant_to_pair_order():
    x, y, a = _toy(50)
    head = nn.Linear(4, 2).double()
    with torch.no_grad():
        head.weight[:, 1] = 0.0  # no weight on the attribute column
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    assert float(counterfactual_bias(head(x), head(x_cf), y).detach()) == pytest.approx(0.0, abs=1e-12)
    head2 = nn.Linear(4, 2).double()
    b = counterfactual_bias(head2(x), head2(x_cf), y)
    assert float(b) > 0
    # swapping the members of every pair leaves the (absolute) bias unchanged, flips the signed one
    torch.testing.assert_close(counterfactual_bias(head2(x_cf), head2(x), y), b)
    torch.testing.assert_close(counterfactual_bias(head2(x_cf), head2(x), y, signed=True),
                               -counterfactual_bias(head2(x), head2(x_cf), y, signed=True))


def test_replacement_newton_step_matches_exact_refit_to_second_order():
    """Eq. 7 with one pair: theta + H^-1 (g(z) - g(z~)) vs the exact refit on the edited data (O(1/n^2))."""
    errs = []
    for n in (200, 800):
        x, y, _ = _toy(n, seed=1)
        lam = 1e-2
        head = _fitted_head(x, y, lam)
        k = int(torch.nonzero(y == 1)[0])
        z, z_cf = x[k:k + 1].clone(), x[k:k + 1].clone()
        z_cf[:, 1] = 1 - z_cf[:, 1]
        step = head.weight.detach().clone()
        new = nn.Linear(4, 2).double()
        new.load_state_dict(head.state_dict())
        fmd_unlearn(new, z, z_cf, y[k:k + 1], x, y, lam, solver="exact")
        delta = new.weight.detach() - step
        # exact refit of the weights (bias frozen, as in FMD) on the edited data
        x2 = x.clone()
        x2[k] = z_cf[0]
        ref = nn.Linear(4, 2).double()
        ref.load_state_dict(head.state_dict())
        ref.bias.requires_grad_(False)
        opt = torch.optim.LBFGS([ref.weight], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                                line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = head_loss_fn(lam)(ref, (x2, y))
            loss.backward()
            return loss

        opt.step(closure)
        true = ref.weight.detach() - step
        errs.append(float((delta - true).norm() / true.norm()))
    assert errs[0] < 0.05 and errs[1] < errs[0] / 2  # relative error shrinks like O(1/n)


def test_unlearning_harmful_lowers_bias_and_helpful_raises_it():
    x, y, a = _toy(600, seed=2)
    lam = 1e-2
    head = _fitted_head(x, y, lam)
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    ev = slice(0, 200)
    infl = bias_influence(head, x, y, x[ev], x_cf[ev], y[ev], lam, solver="exact")
    aligned = a == y
    order = torch.argsort(infl, descending=True)
    assert aligned[order[:30]].float().mean() > aligned[order[-30:]].float().mean()
    b0 = float(counterfactual_bias(head(x[ev]), head(x_cf[ev]), y[ev]))

    def after(idx):
        h = nn.Linear(4, 2).double()
        h.load_state_dict(head.state_dict())
        fmd_unlearn(h, x[idx], x_cf[idx], y[idx], x, y, lam, solver="exact")
        return float(counterfactual_bias(h(x[ev]), h(x_cf[ev]), y[ev]))

    assert after(order[:30]) < b0 < after(order[-30:])
    # influence over the head equals the engine's removal score scaled by -n
    s = influence_scores(head, head_loss_fn(lam), (x, y),
                         lambda h: counterfactual_bias(h(x[ev]), h(x_cf[ev]), y[ev]), params=[head.weight],
                         solver="exact")
    torch.testing.assert_close(s, -infl / len(y))


def test_bad_inputs():
    x, y, _ = _toy(20)
    with pytest.raises(DataError, match="same shape"):
        CounterfactualSet(x, x[:, :3], y).check()
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    with pytest.raises(DataError, match="do not match the model input"):
        CounterfactualSet(x, x_cf, y).check(in_shape=(5,))
    with pytest.raises(DataError, match="identical"):
        CounterfactualSet(x, x.clone(), y).check()
    with pytest.raises(ConfigError, match="sensitive"):
        FMD.make_config({"dataset": "adult", "sensitive": "gender"})
    with pytest.raises(UnknownNameError, match="FMD dataset"):
        make_task(FMD.make_config({}), "celeba_x", 0)
    head = nn.Linear(4, 2).double()
    xs = torch.zeros(10, 4, dtype=torch.float64)
    xs[:, 0] = torch.randn(10, dtype=torch.float64)
    with pytest.raises(SingularHessianError, match="damping"):  # lam = 0 and constant-zero features
        fmd_unlearn(head, x[:2], x_cf[:2], y[:2], xs, y[:10], 0.0, solver="exact")


def test_reproduce_smoke(reproduce_smoke):
    d = reproduce_smoke("fmd")
    names = " ".join(c["claim"] for c in d["claims"])
    assert "colored_mnist" in names and "adult" in names
    assert [c["claim"].split(":")[0] for c in d["claims"]].count("fortunes_gender") == 4  # text task runs too
    assert any("FMD (ours)" in str(r[0]) for t in d["tables"] for r in t["rows"])


@pytest.mark.slow
def test_reproduce_quick_claims_hold(reproduce_smoke):
    # Every claim must hold, as issue 3's "done when" asks. At present this test FAILS: the four bias claims
    # (Colored MNIST, Adult, COMPAS, text) and, under machine load, the Colored-MNIST wall-clock cost claim
    # (see docs/systems/fmd.md; the Colored-MNIST accuracy claim holds since the make run of 5b9861e). The
    # structure is checked first.
    d = reproduce_smoke("fmd", preset=None)
    assert sum(c["claim"].startswith("fortunes_gender") for c in d["claims"]) == 4
    for ds in ("colored_mnist", "adult", "compas"):
        assert any(c["claim"].startswith(f"{ds}: FMD at least halves") for c in d["claims"]), ds
    rows = {r[0] for t in d["tables"] for r in t["rows"]}
    assert {"retrain all layers on the m-sample edit", "last layer refit on fully debiased data"} <= rows
    assert all(c["holds"] for c in d["claims"]), [c for c in d["claims"] if not c["holds"]]

def test_unlearn_and_influence_refuse_inputs_that_do_not_match_the_head():
    x, y, _ = _toy(40)
    head = nn.Linear(4, 2).double()
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    xn = x.clone()
    xn[0, 0] = float("nan")
    cases = [  # (pair x, pair x~, pair y, hessian x, hessian y, lam, expected message)
        (x[:5, :3], x_cf[:5, :3], y[:5], x, y, 1e-2, r"pair features must be \[m, 4\]"),
        (x[:5], x_cf[:6], y[:5], x, y, 1e-2, "counterfactual features must have the shape"),
        (x[:5], x_cf[:5], y[:4], x, y, 1e-2, "labels of the pair features must be int64"),
        (x[:5], x_cf[:5], y[:5] + 2, x, y, 1e-2, r"must be in \[0, 2\)"),
        (xn[:5], x_cf[:5], y[:5], x, y, 1e-2, "pair features contain NaN"),
        (x[:5], x_cf[:5], y[:5], xn, y, 1e-2, "Hessian features contain NaN"),
        (x[:5], x_cf[:5], y[:5], x, y, -1.0, "lam must be"),
    ]
    for xa, xc, ya, hx, hy, lam, msg in cases:
        with pytest.raises(PaperworksError, match=msg):
            fmd_unlearn(nn.Linear(4, 2).double(), xa, xc, ya, hx, hy, lam)
    with pytest.raises(PaperworksError, match=r"damping must be .* \(got -1.0\)"):
        fmd_unlearn(head, x[:5], x_cf[:5], y[:5], x, y, 1e-2, damping=-1.0)
    with pytest.raises(DataError, match=r"training features must be \[m, 4\]"):
        bias_influence(head, x[:, :3], y, x[:5], x_cf[:5], y[:5], 1e-2)
    with pytest.raises(DataError, match="pair features contain NaN"):
        bias_influence(head, x, y, xn[:5], x_cf[:5], y[:5], 1e-2)
    with pytest.raises(DataError, match=r"logits and logits_cf must both be \[m, C\]"):
        counterfactual_bias(head(x[:5]), head(x_cf[:6]), y[:5])


def test_counterfactual_set_must_flip_only_the_attribute_columns():
    x, y, _ = _toy(20)
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    CounterfactualSet(x, x_cf, y).check(in_shape=(4,), attribute_cols=(1,))
    bad = x_cf.clone()
    bad[3, 2] += 1.0  # a non-attribute column changed as well
    with pytest.raises(DataError, match=r"outside the sensitive attribute column\(s\) \[1\] \(first: column 2\)"):
        CounterfactualSet(x, bad, y).check(in_shape=(4,), attribute_cols=(1,))
    with pytest.raises(DataError, match="not columns"):
        CounterfactualSet(x, x_cf, y).check(attribute_cols=(7,))


def test_singular_hessian_in_unlearning_names_a_damping_on_its_own_scale():
    """fmd_unlearn's damping is added to the Hessian of the SUMMED objective: the suggested damping is n times
    the one the mean-scale engine suggests, and damping='auto' reports the damping it used on that scale."""
    x, y, _ = _toy(20)
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    xs = torch.zeros(10, 4, dtype=torch.float64)
    xs[:, 0] = torch.randn(10, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    head = nn.Linear(4, 2).double()
    with pytest.raises(SingularHessianError) as mean_err:
        solve_dense(head_hessian(head, xs, 0.0), torch.ones(8, dtype=torch.float64), 0.0)
    with pytest.raises(SingularHessianError, match="summed head objective over 10 samples") as e:
        fmd_unlearn(head, x[:2], x_cf[:2], y[:2], xs, y[:10], 0.0, solver="exact")
    assert e.value.suggested_damping == pytest.approx(10 * mean_err.value.suggested_damping)
    with pytest.warns(UserWarning, match="added damping"):
        info = fmd_unlearn(head, x[:2], x_cf[:2], y[:2], xs, y[:10], 0.0, damping="auto", solver="exact")
    assert info["damping"] == pytest.approx(10 * mean_err.value.suggested_damping)
    assert torch.isfinite(head.weight).all()


def test_config_damping_means_the_same_for_influence_and_unlearning(monkeypatch):
    """cfg.damping is added to the mean-objective Hessian in both steps: fmd_unlearn (summed scale) gets n times it."""
    import paperworks.systems.fmd as fmd_mod

    seen = {}
    real_infl, real_unlearn = fmd_mod.bias_influence, fmd_mod.fmd_unlearn

    def infl(*a, **k):
        seen["influence"] = a[7]
        return real_infl(*a, **k)

    def unlearn(head, fa, fc, y, hf, hy, lam, damping, *a, **k):
        seen["unlearn_mean_scale"] = damping / len(hf)
        return real_unlearn(head, fa, fc, y, hf, hy, lam, damping, *a, **k)

    monkeypatch.setattr(fmd_mod, "bias_influence", infl)
    monkeypatch.setattr(fmd_mod, "fmd_unlearn", unlearn)
    cfg = FMD.make_config({"damping": "0.01", "n_train": "300"}, preset="smoke")
    FMD(cfg).experiment("compas", 0, baselines=False)
    assert seen["influence"] == pytest.approx(0.01) and seen["unlearn_mean_scale"] == pytest.approx(0.01)


def test_erm_models_follow_the_official_code(monkeypatch):
    """Official model-debias code: the C-MNIST MLP (mlp.py) and the Adult MLP (mlp2.py) are 3 x 100 ReLU layers
    with a bias-free classifier, trained with Adam(weight_decay=1e-5) (cmnist_removal.py, celeba_removal.py)."""
    import paperworks.core.trainer as trainer_mod
    from paperworks.systems.fmd import train_model

    seen = []

    class Recorder:
        def __init__(self, model, ds, loss_fn, tc, **kw):
            seen.append(tc)

        def fit(self, resume=False):
            return []

    monkeypatch.setattr(trainer_mod, "Trainer", Recorder)
    cfg = FMD.make_config({"n_train": "300"})
    for dataset in ("colored_mnist", "adult"):
        task = make_task(cfg, dataset, 0)
        assert task.hidden == (100, 100, 100)
        model, _ = train_model(cfg, task, task.x_train[:64], task.y_train[:64], 0)
        assert model.head.bias is None and [p.shape for p in model.head.parameters()] == [(task.n_classes, 100)]
        assert [m.out_features for m in model.backbone if isinstance(m, nn.Linear)] == [100, 100, 100]
    assert [(tc.optimizer, tc.weight_decay) for tc in seen] == [("adam", 1e-5)] * 2


def test_counterfactual_bias_closed_form_values():
    """B = mean_i |P(y_i | x_i) - P(y_i | x~_i)| on logits whose softmax is known by hand (before, only zero / > 0 /
    symmetry were checked: the probability of another class, the argmax class, raw logits or a sum would pass)."""
    import math

    from paperworks.systems.fmd import FMDNet, model_bias

    logits = torch.tensor([[0.0, math.log(3.0), 0.0], [math.log(4.0), 0.0, 0.0]], dtype=torch.float64)
    logits_cf = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, math.log(2.0)]], dtype=torch.float64)
    y = torch.tensor([1, 0])
    # sample 0: P(1|x) = 3/5, P(1|x~) = 1/3; sample 1: P(0|x) = 4/6, P(0|x~) = 1/4
    d0, d1 = 3 / 5 - 1 / 3, 4 / 6 - 1 / 4
    assert float(counterfactual_bias(logits, logits_cf, y)) == pytest.approx((d0 + d1) / 2, rel=1e-12)
    assert float(counterfactual_bias(logits_cf, logits, y, signed=True)) == pytest.approx(-(d0 + d1) / 2, rel=1e-12)
    assert float(counterfactual_bias(logits, logits_cf, torch.tensor([2, 2]), signed=True)) == pytest.approx(
        (1 / 5 - 1 / 3 + 1 / 6 - 2 / 4) / 2, rel=1e-12)
    # the model-level (batched) bias is the mean over all pairs, whatever the batch size
    x, _, _ = _toy(7)
    x_cf = x.clone()
    x_cf[:, 1] = 1 - x_cf[:, 1]
    torch.manual_seed(0)
    net = FMDNet(4, (5,), 3).double()
    yy = torch.tensor([0, 1, 2, 0, 1, 2, 0])
    with torch.no_grad():
        p, q = net(x).softmax(1), net(x_cf).softmax(1)
    want = sum(abs(float(p[i, yy[i]] - q[i, yy[i]])) for i in range(7)) / 7
    assert model_bias(net, CounterfactualSet(x, x_cf, yy), batch=3) == pytest.approx(want, rel=1e-12)
