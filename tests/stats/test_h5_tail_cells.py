"""Multinomial link models with a predictor beyond the doubles (cloglog eta > 709.78, loglog eta < -709.78, where
log(1 - F) or log F = -e^|eta| overflows to -inf): a category whose probability underflows to 0 is a feasible
point. A cell with no count adds 0 to the log-likelihood, the score and the information (0 log 0 = 0); a cell
with a count gives l = -inf. The code before called every such point infeasible (loglike -inf, score raised,
predict NaN), so fits whose iterates crossed |eta| = 709.78 stopped short of the MLE. Oracles: the
log-likelihood, score and expected information evaluated independently in mpmath (40 digits, unbounded
exponents), and the invariance 'a far outlier whose observed category has fitted probability 1 leaves the MLE
unchanged'."""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.families import family_eval
from paperworks.stats.multinomial_link import InfeasibleError

mp = pytest.importorskip("mpmath")

FAMILIES = ("baseline", "adjacent", "continuation", "cumulative")
# (eta_1, eta_2): each but the last puts some category beyond the doubles (|log pi| > 1e4) in some family / link;
# the counts are 2, 3, 4 on the other categories and 0 there
ETAS = [(-1.0, 800.0), (-800.0, -1.0), (-900.0, 715.0), (-1.0, 720.0), (0.5, 1.0)]


def _mp_FS(link, x):
    x = mp.mpf(x)
    if link == "cloglog":
        return -mp.expm1(-mp.exp(x)), mp.exp(-mp.exp(x))
    return mp.exp(-mp.exp(-x)), -mp.expm1(-mp.exp(-x))          # loglog


def _mp_logp(family, link, eta):
    """log pi in mpmath, each family from its definition (Sec. 2 of the paper)."""
    F, S = zip(*[_mp_FS(link, e) for e in eta])
    K = len(eta)
    lo = [mp.log(F[k]) - mp.log(S[k]) for k in range(K)]           # log(rho / (1 - rho))
    if family in ("baseline", "adjacent"):
        if family == "baseline":                                   # pi_j / pi_J = e^lo_j
            c = lo + [mp.mpf(0)]
            diff = lambda j, k: c[k] - c[j]                        # noqa: E731
        else:                                                      # pi_j / pi_j+1 = e^lo_j
            diff = lambda j, k: (-mp.fsum(lo[j:k]) if k > j else mp.fsum(lo[k:j]))   # noqa: E731
        # log pi_j = -log sum_k pi_k / pi_j, from differences only (no cancellation of huge log odds)
        return [-mp.log(mp.fsum(mp.exp(diff(j, k)) for k in range(K + 1))) for j in range(K + 1)]
    if family == "continuation":
        out, acc = [], mp.mpf(0)
        for k in range(K):
            out.append(mp.log(F[k]) + acc)
            acc += mp.log(S[k])
        return out + [acc]
    Fp, Sp = [mp.mpf(0), *F, mp.mpf(1)], [mp.mpf(1), *S, mp.mpf(0)]
    return [mp.log(Fp[j + 1] - Fp[j] if Fp[j + 1] <= 0.5 else Sp[j] - Sp[j + 1]) for j in range(K + 1)]


def _mp_ll(family, link, eta, y):
    return mp.fsum(yj * lp for yj, lp in zip(y, _mp_logp(family, link, eta)) if yj > 0)


def _dbl(v):
    return -np.inf if v < -1.7976931348623157e308 else float(v)


ETA1 = (0.5, 1.0)                     # the helper row's predictors (every category once, an ordinary point)


def _model(family, link, y):
    """Row 0: the counts y at x = 0; row 1: counts (1, 1, 1) at x = 1 (every level must be observed); npo, so
    theta = (eta_0, eta_1 - eta_0): l = l_0 + l_1, score = (s_0 + s_1, s_1), F = [[U0 + U1, U1], [U1, U1]]."""
    return MultinomialLinkModel(np.array([y, (1, 1, 1)], float), np.array([0.0, 1.0]), model=family, link=link)


def _theta(eta):
    return np.r_[eta, np.subtract(ETA1, eta)]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("link", ["cloglog", "loglog"])
def test_zero_count_cells_beyond_the_doubles_match_mpmath(family, link):
    mp.mp.dps = 40
    n_tail = 0
    for eta in ETAS:
        lp = _mp_logp(family, link, eta)
        live = [j for j in range(3) if lp[j] > -1e4]
        y = tuple(2 + j if j in live else 0 for j in range(3))
        n_tail += len(live) < 3
        m = _model(family, link, y)
        th = _theta(eta)
        ll1 = _mp_ll(family, link, ETA1, (1, 1, 1))
        ll_ref = _dbl(_mp_ll(family, link, eta, y) + ll1)
        assert np.isfinite(ll_ref)
        np.testing.assert_allclose(m.loglike(th), ll_ref, rtol=1e-14, err_msg=f"{family} {link} {eta}")
        # the score wrt the intercepts is d l / d eta; the information n sum_j (d pi_j / d eta)(..)' / pi_j
        # over the cells that are not 0 in double precision (a cell beyond them adds (d pi)^2 / pi -> 0)
        s_ref = [float(mp.diff(lambda t, k=k: _mp_ll(family, link, [t if i == k else eta[i] for i in (0, 1)], y),
                               eta[k])) for k in (0, 1)]
        sc = m.score(th)
        s = sc[:2] - sc[2:]                                         # row 0's d l / d eta
        np.testing.assert_allclose(s, s_ref, rtol=1e-10, atol=1e-12 * (1 + np.abs(s_ref).max()),
                                   err_msg=f"{family} {link} {eta}")
        dpi = [[mp.diff(lambda t, j=j, k=k: mp.exp(_mp_logp(family, link, [t if i == k else eta[i]
                                                                           for i in (0, 1)])[j]), eta[k])
                for k in (0, 1)] for j in live]
        info_ref = sum(y) * np.array([[float(mp.fsum(dpi[a][k] * dpi[a][l] / mp.exp(lp[j])
                                                     for a, j in enumerate(live))) for l in (0, 1)] for k in (0, 1)])
        info = m.information(th)
        info = info[:2, :2] - info[2:, 2:]                          # row 0's n U
        np.testing.assert_allclose(info, info_ref, rtol=1e-9, atol=1e-12 * (1 + np.abs(info_ref).max()),
                                   err_msg=f"{family} {link} {eta}")
        # predict gives the probabilities, 0 for the cells beyond the doubles (was NaN: 'infeasible')
        np.testing.assert_allclose(m.predict(th)[0], [float(mp.exp(v)) for v in lp], rtol=1e-13, atol=1e-300)
        assert m.predict(th)[0][[j for j in range(3) if j not in live]].tolist() == [0.0] * (3 - len(live))
    assert n_tail >= 2


@pytest.mark.parametrize("family", FAMILIES)
def test_observed_cell_with_zero_probability_is_minus_inf_not_infeasible(family):
    mp.mp.dps = 40
    eta, y = (-1.0, 800.0), (3, 2, 1)            # baseline: pi = (0, 1, 0); the others: pi_3 = exp(-e^800)
    assert _dbl(_mp_ll(family, "cloglog", eta, y)) == -np.inf
    m = _model(family, "cloglog", y)
    assert m.loglike(_theta(eta)) == -np.inf
    with pytest.raises(InfeasibleError, match="log-likelihood is -inf at theta"):
        m.score(_theta(eta))
    with pytest.raises(InfeasibleError, match="log-likelihood is -inf at start_params"):
        m.fit(start_params=_theta(eta))


def test_cumulative_inner_cell_beyond_the_doubles_is_ordered_by_eta():
    """J = 4 cumulative cloglog: eta = (0.5, 750, 760) puts 1 - F_2 and 1 - F_3 below the doubles, so
    pi_3 = (1 - F_2) - (1 - F_3) has both logs -inf; ordered it is an underflow (l = 2 log F(0.5) +
    log(1 - F(0.5))), out of order (760 > 750) the point is infeasible."""
    m = MultinomialLinkModel(np.array([[2.0, 1.0, 0.0, 0.0], [1, 1, 1, 1]]), np.array([0.0, 1.0]),
                             model="cumulative", link="cloglog")
    F1 = -np.expm1(-np.exp(np.array([-1.0, 0.0, 1.0])))           # helper row at eta = (-1, 0, 1)
    l1 = np.sum(np.log([F1[0], F1[1] - F1[0], F1[2] - F1[1], 1 - F1[2]]))
    e = np.exp(0.5)
    th = np.array([0.5, 750.0, 760.0, -1.5, -750.0, -759.0])
    np.testing.assert_allclose(m.loglike(th), 2 * np.log(-np.expm1(-e)) - e + l1, rtol=1e-14)
    assert np.all(np.isfinite(m.information(th))) and np.all(np.isfinite(m.score(th)))
    th = np.array([0.5, 760.0, 750.0, -1.5, -760.0, -749.0])
    assert m.loglike(th) == -np.inf
    with pytest.raises(InfeasibleError, match="outside the feasible region"):
        m.score(th)
    lF, lS, lf = np.array([[0.0, 0.0]]), np.array([[-1.0, -3.0]]), np.array([[-1.0, -3.0]])
    lp = family_eval("cumulative", lS, lF, lf, np.array([[1.0, 1.0, 1.0]]))[0]   # F_2 < F_1: pi_2 < 0
    assert np.isnan(lp[0, 1]) and np.all(np.isfinite(lp[0, [0, 2]]))            # NaN marks the infeasible cell


@pytest.mark.parametrize("family,assumption", [("cumulative", "po"), ("continuation", "po"),
                                               ("adjacent", "npo"), ("baseline", "npo")])
def test_far_outlier_in_its_fitted_category_leaves_the_mle_unchanged(family, assumption):
    """A row at x = 5000 whose observed category has fitted probability 1 (the others below the doubles)
    adds 0 to l and its score at the MLE, so the fit with it equals the fit without it. The code before
    halted where an iterate crossed eta = 709.78 at that row (llf -118.67 vs -106.15 cumulative, -130.17 vs
    -129.99 continuation, -130.04 vs -129.99 adjacent, each flagged 'boundary')."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=120)
    eta = np.stack([-0.5 + x, 0.7 + x], 1)
    F = 1 - np.exp(-np.exp(eta))
    P = np.c_[F[:, 0], F[:, 1] - F[:, 0], 1 - F[:, 1]]
    ys = {"cumulative": np.array([rng.choice(3, p=p) for p in P])}     # a cumulative cloglog po sample
    for fam in ("continuation", "baseline", "adjacent"):
        ys[fam] = rng.integers(0, 3, 120)
    y = ys[family]
    r0 = MultinomialLinkModel(y, x, model=family, link="cloglog", assumption=assumption).fit()
    p_out = r0.predict(np.array([[5000.0]]))[0]
    assert np.sum(p_out == 1.0) == 1 and np.sum(p_out == 0.0) == 2
    with pytest.warns(UserWarning, match="fitted probabilities numerically 0 or 1"):   # at the outlier
        r1 = MultinomialLinkModel(np.r_[y, np.argmax(p_out)], np.r_[x, 5000.0], model=family, link="cloglog",
                                  assumption=assumption).fit()
    assert r1.converged and not r1.boundary
    np.testing.assert_allclose(r1.llf, r0.llf, rtol=1e-12)
    np.testing.assert_allclose(r1.params, r0.params, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(r1.bse, r0.bse, rtol=1e-5)


def test_ordinary_rows_are_bit_identical_beside_a_tail_row():
    """Rows are independent: a row's log pi, score and U do not change when a row beyond the doubles is
    evaluated beside it (the tail repair touches only its own rows)."""
    from paperworks.stats.links import Link
    lk = Link("cloglog")
    eta = np.array([[-0.3, 0.4], [-1.0, 800.0], [0.2, 1.1]])
    Y = np.array([[1.0, 2.0, 1.0], [3.0, 2.0, 0.0], [0.0, 1.0, 2.0]])
    for fam in FAMILIES:
        both = family_eval(fam, *lk.log_terms(eta), Y, order=eta if fam == "cumulative" else None)
        alone = family_eval(fam, *lk.log_terms(eta[[0, 2]]), Y[[0, 2]])
        for b, a in zip(both, alone):
            b, a = (b.dense(), a.dense()) if hasattr(b, "dense") else (b, a)
            np.testing.assert_array_equal(b[[0, 2]], a)
            assert not np.isnan(b).any() and np.all(np.isfinite(b) | (b == -np.inf))


# ------------------------------------------------------------------------------------------ review H9
@pytest.mark.parametrize("links, eta", [(("cloglog", "loglog"), (720.0, -800.0)),
                                        (("cloglog", "loglog"), (800.0, -720.0)),
                                        (("cloglog", "cloglog", "loglog"), (720.0, 0.0, -800.0))])
def test_adjacent_mixed_links_with_log_odds_plus_and_minus_inf_are_not_resolved_wrongly(links, eta):
    """Adjacent family, mixed links: lo_0 = +inf (cloglog e^720) and a later lo_l = -inf (loglog -e^800): c_0 =
    lo_0 + ... + lo_l is inf - inf in doubles. mpmath says category J has pi = 1 in the first and third cases,
    category 0 in the second; the code before gave pi_0 = 1 in all three (a wrong answer where the code before
    that gave NaN). Either the mpmath answer or NaN (not resolvable) is acceptable; no RuntimeWarning leaks."""
    from paperworks.stats.links import make_link
    with mp.workdps(40):
        lo = []
        for lk, e in zip(links, eta):
            F, S = _mp_FS(lk, e)
            lo.append(mp.log(F) - mp.log(S))
        K = len(eta)
        c = [mp.fsum(lo[j:]) for j in range(K)] + [mp.mpf(0)]
        top = max(c)
        want = np.array([float(mp.exp(cj - top) / mp.fsum(mp.exp(ck - top) for ck in c)) for cj in c])
    parts = [make_link(lk).log_terms(np.array([[e]])) for lk, e in zip(links, eta)]
    logF, logS, logf = (np.concatenate([p[i] for p in parts], axis=1) for i in range(3))
    Y = np.zeros((1, K + 1))
    Y[0, int(np.argmax(want))] = 1.0
    with np.errstate(all="raise"):
        logp, _, _ = family_eval("adjacent", logF, logS, logf, Y, True)
    assert np.isnan(logp).all() or np.allclose(np.exp(logp), want, atol=1e-12), (np.exp(logp), want)


def test_predict_adjacent_mixed_links_far_exog_is_nan_with_an_accurate_warning():
    """Public path of the case above: a new exog far out puts cloglog eta_0 = 2773 (lo_0 = +inf) and loglog
    eta_1 = -32250 (lo_1 = -inf) in one row; the true answer is pi = (0, 0, 1); the code before returned
    (1, 0, 0). Now NaN, and the warning names this cause, not only 'cumulative predictors not ordered'."""
    m = MultinomialLinkModel(np.array([0, 1, 2, 1, 0, 2]), np.arange(6.0)[:, None], model="adjacent",
                             link=["cloglog", "loglog"], assumption="npo")
    params = np.array([-0.227, 0.2185, -0.02774, 0.3225])
    with pytest.warns(UserWarning, match=r"infeasible at 1 of 2 rows .*adjacent log odds of \+inf and -inf"):
        P = m.predict(params, np.array([[0.0], [-1e5]]))
    assert np.all(np.isfinite(P[0])) and np.isnan(P[1]).all()
