"""Edge cases of the curvature engine found by probing (session 18): Conv2d with string padding in K-FAC, tied
weights in K-FAC and in select_params, named-tuple data, LiSSA's depth / tol / divergence checks, random modules
other than nn.Dropout in train mode. Each test fails on the code before its fix."""

import collections
import warnings

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from paperworks.core.errors import PaperworksError
from paperworks.curvature import (KFAC, InverseHVP, SingularHessianError, data_grad, empirical_fisher, hvp, lissa,
                                  per_sample_grads, select_params)
from paperworks.curvature.params import check_deterministic

DT = torch.float64


def _ce(m, b):
    return F.cross_entropy(m(b[0]), b[1])


@pytest.mark.parametrize("kw", [dict(padding="same"), dict(padding="valid"), dict(padding="same", dilation=2),
                                dict(padding="same", bias=False)])
@pytest.mark.parametrize("k", [3, 4])
def test_kfac_conv_with_string_padding(kw, k):
    """padding='same' / 'valid' crashed inside F.unfold (a string padding). Oracle: trace(EK-FAC) = trace of the
    exact Fisher block from autograd per-sample gradients (true iff the per-sample DW_n are right; k = 4 with
    'same' pads asymmetrically, one more zero at the end, as torch's Conv2d)."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 2, 6, 6, generator=g, dtype=DT), torch.randint(0, 3, (7,), generator=g)
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, k, **kw).double()
    width = conv(x[:1]).numel()
    model = nn.Sequential(conv, nn.Tanh(), nn.Flatten(), nn.Linear(width, 3).double())
    per = per_sample_grads(model, _ce, (x, y))
    P0 = sum(p.numel() for p in conv.parameters())
    Fx = (per.T @ per / 7)[:P0, :P0]
    ek = KFAC(model, _ce, (x, y), layers=["0"], eigen_correct=True, batch_size=3).fit().dense()
    kf = KFAC(model, _ce, (x, y), layers=["0"], batch_size=3).fit().dense()
    torch.testing.assert_close(ek.trace(), Fx.trace(), rtol=1e-10, atol=0)
    assert (ek - Fx).norm() <= (kf - Fx).norm() + 1e-12


def test_kfac_conv_same_padding_equals_the_explicit_padding():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(5, 2, 5, 5, generator=g, dtype=DT), torch.randint(0, 3, (5,), generator=g)
    torch.manual_seed(0)
    a = nn.Sequential(nn.Conv2d(2, 3, 3, padding="same"), nn.Flatten(), nn.Linear(75, 3)).double()
    b = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Flatten(), nn.Linear(75, 3)).double()
    b.load_state_dict(a.state_dict())
    ka, kb = KFAC(a, _ce, (x, y)).fit(), KFAC(b, _ce, (x, y)).fit()
    for layer in ("0", "2"):
        for fa, fb in zip(ka.factors(layer), kb.factors(layer)):
            assert torch.equal(fa, fb)


class _Tied(nn.Module):
    """c reuses a's weight: the gradient of a.weight has a share from each call site."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3, bias=False)
        self.c = nn.Linear(3, 3)
        self.c.weight = self.a.weight

    def forward(self, x):
        return self.c(torch.tanh(self.a(x))).sum(-1)


def _mse(m, b):
    return 0.5 * ((m(b[0]) - b[1]) ** 2).mean()


def test_kfac_refuses_a_weight_shared_between_two_layers():
    """K-FAC of layer 'a' saw only a's call of the shared weight: on one sample (where K-FAC of an untied layer is
    the exact Fisher) it was 0.47 off the Fisher of 0.53, without a word; InverseHVP(solver='kfac') used it."""
    torch.manual_seed(0)
    m = _Tied().double()
    data = (torch.randn(1, 3, dtype=DT), torch.randn(1, dtype=DT))
    with pytest.raises(PaperworksError, match="shares its weight"):
        KFAC(m, _mse, data, layers=["a"]).fit()
    with pytest.raises(PaperworksError, match="shares its weight"):
        InverseHVP(m, _mse, data, params="a", damping=0.1, solver="kfac")
    # the untied control stays exact: one sample, K-FAC = the Fisher
    m2 = _Tied().double()
    m2.c.weight = nn.Parameter(torch.randn(3, 3, dtype=DT))
    torch.testing.assert_close(KFAC(m2, _mse, data, layers=["a"]).fit().dense(),
                               empirical_fisher(m2, _mse, data, params="a"), rtol=1e-10, atol=1e-12)


def test_select_params_by_name_keeps_a_tied_weight():
    """The name prefix 'c' selected only c.bias (c.weight is a.weight, listed once under 'a.weight') while the module
    m.c selected both, and 'c.weight' was 'no parameter named'. Now a name of either call site gives the tensor."""
    m = _Tied()
    assert select_params(m, "c").names == select_params(m, m.c).names == ["a.weight", "c.bias"]
    assert select_params(m, "c.weight").names == ["a.weight"]
    assert select_params(m, ["a", "c"]).names == ["a.weight", "c.bias"]
    untied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    assert select_params(untied, "1").names == ["1.weight", "1.bias"]


def test_named_tuple_data():
    """A namedtuple batch (a tuple of tensors) crashed in slice_data: Batch.__new__() missing argument 'y'."""
    Batch = collections.namedtuple("Batch", "x y")
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 3, generator=g, dtype=DT), torch.randint(0, 2, (8,), generator=g)
    torch.manual_seed(0)
    m = nn.Linear(3, 2).double()
    v = torch.randn(8, generator=g, dtype=DT)
    torch.testing.assert_close(hvp(m, _ce, Batch(x, y), v, batch_size=3), hvp(m, _ce, (x, y), v), rtol=0, atol=1e-15)
    torch.testing.assert_close(data_grad(m, _ce, Batch(x, y)), data_grad(m, _ce, (x, y)), rtol=0, atol=1e-15)
    for method in ("vmap", "loop"):
        assert torch.equal(per_sample_grads(m, _ce, Batch(x, y), method=method),
                           per_sample_grads(m, _ce, (x, y), method=method))


_H = torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=DT))
_B = torch.ones(3, dtype=DT)


@pytest.mark.parametrize("depth", [0, -3, 2.5, True])
def test_lissa_depth_must_be_a_positive_integer(depth):
    """depth 0 or negative ran no step and returned b / scale (0.3175 for each of 1, 0.5, 0.333) without a word."""
    with pytest.raises(PaperworksError, match="depth"):
        lissa(lambda v: _H @ v, _B, depth=depth)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 2, generator=g, dtype=DT), torch.randint(0, 2, (6,), generator=g)
    m = nn.Linear(2, 2).double()
    with pytest.raises(PaperworksError, match="depth"):
        InverseHVP(m, _ce, (x, y), damping=0.1, solver="lissa", lissa_depth=depth).solve(torch.ones(6, dtype=DT))


@pytest.mark.parametrize("tol", [-1.0, float("nan")])
def test_lissa_tol_must_be_finite_and_non_negative(tol):
    """tol < 0 never stopped and skipped the truncation warning: a cut series came back silently."""
    with pytest.raises(PaperworksError, match="tol"):
        lissa(lambda v: _H @ v, _B, tol=tol, depth=5)


@pytest.mark.parametrize("H, scale", [(torch.diag(torch.tensor([-1e-3, 1.0, 2.0], dtype=DT)), None),
                                      (_H, 3 / 2.01)])
def test_lissa_slow_divergence_is_an_error_not_a_truncation_warning(H, scale):
    """An eigenvalue of (H + damping I)/scale just outside (0, 2) (H slightly indefinite, or a given scale a bit
    small) grows the series slowly: at depth 1000 it returned (610, 1, 0.5) for the solution (-1000, 1, 0.5) and
    (1, 0.5, 7057) for (1, 0.5, 0.333), with a warning to increase the depth (which makes it worse)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SingularHessianError, match="diverg"):
            lissa(lambda v: H @ v, _B, scale=scale)


def test_lissa_convergent_and_truncated_series_unchanged():
    """A convergent series still converges quietly; one cut before converging still warns (and returns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.testing.assert_close(lissa(lambda v: _H @ v, _B), torch.linalg.solve(_H, _B), rtol=1e-9, atol=0)
    Hc = torch.diag(torch.tensor([1e-3, 1.0], dtype=DT))
    with pytest.warns(UserWarning, match="truncated"):
        lissa(lambda v: Hc @ v, torch.ones(2, dtype=DT), depth=50)


class _Att(nn.Module):
    def __init__(self, att):
        super().__init__()
        self.att = att
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(self.att(x, x, x)[0].mean(1)).squeeze(-1)


def _random_modules():
    from paperworks.attention import MultiHeadAttention

    return [nn.MultiheadAttention(4, 1, dropout=0.5, batch_first=True), MultiHeadAttention(4, 1, dropout=0.5),
            nn.RReLU(), nn.LSTM(4, 4, num_layers=2, dropout=0.5)]


@pytest.mark.parametrize("i", range(4))
def test_random_modules_in_train_mode_are_refused(i):
    """Attention dropout (a float, not an nn.Dropout module), RReLU's random slopes and a stacked RNN's dropout
    made the loss random in train mode, yet InverseHVP / KFAC / influence accepted them: two influence_scores
    calls on the same attention model gave (0.37, 3.16, -0.33) and (0.18, 2.92, 0.35)."""
    mod = _random_modules()[i]
    with pytest.raises(PaperworksError, match="train mode"):
        check_deterministic(nn.Sequential(mod), "probe")
    mod.eval()
    check_deterministic(nn.Sequential(mod), "probe")


def test_attention_model_in_train_mode_refused_by_inverse_hvp():
    torch.manual_seed(0)
    m = _Att(nn.MultiheadAttention(4, 1, dropout=0.5, batch_first=True)).double()
    x, y = torch.randn(5, 3, 4, dtype=DT), torch.randn(5, dtype=DT)
    with pytest.raises(PaperworksError, match="train mode"):
        InverseHVP(m, _mse, (x, y), params="fc", damping=0.1, solver="exact")
    m.eval()
    InverseHVP(m, _mse, (x, y), params="fc", damping=0.1, solver="exact").solve(torch.ones(5, dtype=DT))


def test_deterministic_modules_in_train_mode_still_accepted():
    """No dropout probability, a one-layer RNN (its dropout applies between layers only) and LayerNorm stay
    accepted in train mode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # torch warns about dropout on a one-layer RNN
        one_layer = nn.GRU(4, 4, num_layers=1, dropout=0.5)
    from paperworks.attention import MultiHeadAttention

    for mod in (nn.MultiheadAttention(4, 1), MultiHeadAttention(4, 1), one_layer, nn.LayerNorm(4),
                nn.LSTM(4, 4, num_layers=2), nn.Dropout(0.0)):
        check_deterministic(nn.Sequential(mod).train(), "probe")


@pytest.mark.parametrize("kw, what", [(dict(tol=float("nan")), "tol"), (dict(tol=-1.0), "tol"),
                                      (dict(max_iter=-5), "max_iter"), (dict(max_iter=2.5), "max_iter")])
def test_cg_tol_and_max_iter_are_checked(kw, what):
    """A NaN tol crashed with ZeroDivisionError; max_iter=-5 ran no step and was blamed on the Hessian ('did not
    converge in -5 iterations ... increase damping'). Valid values still solve the system."""
    from paperworks.curvature import conjugate_gradient

    with pytest.raises(PaperworksError, match=what):
        conjugate_gradient(lambda v: _H @ v, _B, **kw)
    for mi in (None, 0, 3):
        torch.testing.assert_close(conjugate_gradient(lambda v: _H @ v, _B, max_iter=mi), torch.linalg.solve(_H, _B))


def test_ggn_names_an_unreduced_loss_and_empty_data():
    """A per-sample loss_of_output (reduction='none') was "shape '[14, 14]' is invalid for input of size 1372" and
    empty data a reshape error inside jacrev; a scalar loss still gives J^T H_out J."""
    from paperworks.curvature import ggn_matrix

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=g, dtype=DT), torch.randint(0, 2, (7,), generator=g)
    m = nn.Linear(3, 2).double()

    def out(mod, b):
        return mod(b[0])

    with pytest.raises(PaperworksError, match="loss_of_output must return a scalar"):
        ggn_matrix(m, out, lambda z, b: F.cross_entropy(z, b[1], reduction="none"), (x, y))
    with pytest.raises(PaperworksError, match="empty"):
        ggn_matrix(m, out, lambda z, b: F.cross_entropy(z, b[1]), (x[:0], y[:0]))
    # linear outputs: the GGN is the Hessian
    from paperworks.curvature import exact_hessian

    torch.testing.assert_close(ggn_matrix(m, out, lambda z, b: F.cross_entropy(z, b[1]), (x, y)),
                               exact_hessian(m, _ce, (x, y)), rtol=1e-10, atol=1e-12)


def test_batch_norm_without_running_statistics_is_refused_in_eval_mode_too():
    """BatchNorm(track_running_stats=False) normalizes with the batch's statistics also in eval mode: influence
    on such an eval-mode model failed with "Expected more than 1 value per channel when training" (a per-sample
    batch of one). Now one line names the module; BatchNorm with running statistics in eval mode stays accepted."""
    from paperworks.influence import influence_scores

    torch.manual_seed(0)
    x, y = torch.randn(12, 3, dtype=DT), torch.randint(0, 2, (12,))
    for track, ok in ((False, False), (True, True)):
        m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, track_running_stats=track), nn.Tanh(),
                          nn.Linear(4, 2)).double().eval()
        if ok:
            influence_scores(m, _ce, (x, y), lambda mod: _ce(mod, (x[:3], y[:3])), params="3", damping=0.1,
                             solver="exact")
        else:
            with pytest.raises(PaperworksError, match="track_running_stats"):
                influence_scores(m, _ce, (x, y), lambda mod: _ce(mod, (x[:3], y[:3])), params="3", damping=0.1,
                                 solver="exact")


def test_a_dict_mixing_tensors_and_constants_is_named():
    """{'x': X, 'y': y, 'w': 0.5} was counted as 7 samples by its tensors, then slicing it failed with KeyError: 0
    (hvp, influence_scores); the tuple case was already one DataError. A dict of tensors still works."""
    from paperworks.core.errors import DataError
    from paperworks.curvature import n_samples
    from paperworks.influence import influence_scores

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=g, dtype=DT), torch.randint(0, 2, (7,), generator=g)
    m = nn.Linear(3, 2).double()

    def loss(mod, b):
        return F.cross_entropy(mod(b["x"]), b["y"]) * b.get("w", 1.0)

    bad = {"x": x, "y": y, "w": 0.5}
    with pytest.raises(DataError, match="w: float"):
        n_samples(bad)
    with pytest.raises(DataError, match="only tensors"):
        hvp(m, loss, bad, torch.ones(8, dtype=DT))
    with pytest.raises(DataError, match="only tensors"):
        influence_scores(m, loss, bad, lambda mod: loss(mod, bad), damping=0.1)
    good = {"x": x, "y": y}
    torch.testing.assert_close(hvp(m, loss, good, torch.ones(8, dtype=DT), batch_size=3),
                               hvp(m, _ce, (x, y), torch.ones(8, dtype=DT)), rtol=0, atol=1e-15)


@pytest.mark.parametrize("solver", ["kfac", "ekfac", "cg", "lissa"])
def test_a_precomputed_hessian_with_another_solver_is_refused(solver):
    """solver='kfac' / 'ekfac' returned before the check of 'hessian': the given matrix was ignored silently
    (cg / lissa were already refused)."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=g, dtype=DT), torch.randint(0, 2, (7,), generator=g)
    m = nn.Linear(3, 2).double()
    with pytest.raises(PaperworksError, match="needs solver='exact'"):
        InverseHVP(m, _ce, (x, y), damping=0.1, solver=solver, hessian=torch.eye(8, dtype=DT))
    H = torch.eye(8, dtype=DT)
    torch.testing.assert_close(InverseHVP(m, _ce, (x, y), damping=1.0, solver="exact", hessian=H).solve(
        torch.ones(8, dtype=DT)), torch.full((8,), 0.5, dtype=DT))


@pytest.mark.parametrize("call", ["cg", "pcg", "lissa"])
def test_nan_right_hand_side_of_cg_and_lissa_is_named(call):
    """Called directly (as fmd's Newton steps call conjugate_gradient), CG blamed the Hessian for a NaN right-hand
    side ("Hessian-vector product is NaN/inf ... increase damping"), preconditioned CG too ("the residual
    overflowed"), LiSSA called it a divergence ("scale too small"). InverseHVP.solve already named it."""
    from paperworks.curvature import conjugate_gradient

    b = torch.tensor([1.0, float("nan"), 1.0], dtype=DT)
    f = {"cg": lambda: conjugate_gradient(lambda v: _H @ v, b),
         "pcg": lambda: conjugate_gradient(lambda v: _H @ v, b, M=lambda r: r),
         "lissa": lambda: lissa(lambda v: _H @ v, b)}[call]
    with pytest.raises(PaperworksError, match="right-hand side contains NaN"):
        f()


def test_a_param_subset_of_another_model_is_refused():
    """A ParamSubset built on model b and passed with model a was used as given: hvp gave 0, InverseHVP v / damping
    (10 for damping 0.1), influence_scores all zeros, silently. A subset of the model's own submodule still works."""
    from paperworks.influence import influence_scores

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=g, dtype=DT), torch.randint(0, 2, (7,), generator=g)
    a, b = nn.Linear(3, 2).double(), nn.Linear(3, 2).double()
    psb = select_params(b)
    v = torch.ones(8, dtype=DT)
    for f in (lambda: hvp(a, _ce, (x, y), v, params=psb),
              lambda: InverseHVP(a, _ce, (x, y), params=psb, damping=0.1).solve(v),
              lambda: influence_scores(a, _ce, (x, y), lambda m: _ce(m, (x, y)), params=psb, damping=0.1)):
        with pytest.raises(PaperworksError, match="not parameters of this model"):
            f()
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    sub = select_params(net[2])          # names relative to the submodule, tensors of the model
    torch.testing.assert_close(hvp(net, _ce, (x, y), torch.ones(10, dtype=DT), params=sub),
                               hvp(net, _ce, (x, y), torch.ones(10, dtype=DT), params="2"), rtol=0, atol=0)
