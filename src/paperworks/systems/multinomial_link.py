"""Multinomial link models: Wang, Tong & Yang, "Multinomial Link Models", arXiv:2312.16260.

The engine is :class:`paperworks.stats.MultinomialLinkModel`; this system reproduces the paper's claims at
small scale on data that ship offline:

1. Trauma trial (Chuang-Stein & Agresti 1997; the paper's own application, typed in from the published
   table): a mixed-link / non-logit model selected by AIC fits better than the standard multinomial
   logistic model (baseline-category logit npo) by AIC and BIC, and passes the deviance (LR vs saturated)
   goodness-of-fit test.
2. ANES 1996 party identification (statsmodels): same comparison with 5 covariates.
3. NA category (two-group model, paper Sec. 2): the paper's police data do not ship offline, so the claim
   "incorporating NA responses changes / sharpens the conclusion" is shown on data simulated from a
   two-group cumulative logit po model with informative missingness (replicates, fixed seeds).
4. Feasibility (paper Sec. 4): on near-boundary cumulative npo probit data, naive Fisher scoring leaves the
   feasible region on some seeds, the safeguarded algorithm never does.
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from paperworks.core import Claim, Paper, Report, System, check_interval, register
from paperworks.core.config import Config
from paperworks.stats import InfeasibleError, MultinomialLinkModel

PAPER = Paper("T. Wang, L. Tong, J. Yang", "Multinomial Link Models", "arXiv", 2023, "2312.16260")
SINGLE_LINKS = ("logit", "probit", "cloglog", "loglog", "cauchit")


@dataclass(frozen=True)
class MultinomialLinkConfig(Config):
    mixed_link_search: bool = True      # search one link per predictor (trauma data)
    anes: bool = True                   # run the ANES 1996 comparison
    na_replicates: int = 200            # simulated data sets for the NA-category claim
    na_n: int = 400                     # responses per simulated data set
    na_zeta: float = 0.15               # common slope of x in the two-group po model
    feas_seeds: int = 10                # seeds of the near-boundary cumulative npo experiment
    bench_max_n: int = 1_000_000        # `bench`: largest sample size timed (10^3 ... 10^6)
    seed: int = 0

    def validate(self):
        check_interval("na_zeta", self.na_zeta, -5.0, 5.0)
        check_interval("na_replicates", self.na_replicates, 1, 100000)
        check_interval("na_n", self.na_n, 20, 10_000_000)
        check_interval("feas_seeds", self.feas_seeds, 1, 1000)
        check_interval("bench_max_n", self.bench_max_n, 1000, 10_000_000)


def _fit(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MultinomialLinkModel(*args, **kw).fit()


def best_logit_models(endog, exog) -> dict:
    """All multinomial LOGISTIC models (the four logit families of Bu, Majumdar & Yang 2020, po and npo):
    the class the paper's mixed-link models generalise. Returns {(family, assumption): fit}."""
    return {(fam, a): _fit(endog, exog, model=fam, link="logit", assumption=a)
            for fam in ("baseline", "cumulative", "continuation", "adjacent") for a in ("po", "npo")}


def _vs_logit_class(name, sel_aic, sel_bic, logit) -> tuple[list, str]:
    """Rows for the best logit-family models by AIC and by BIC, and a sentence comparing them with the
    models selected by AIC (sel_aic) and by BIC (sel_bic)."""
    ka = min(logit, key=lambda k: logit[k].aic)
    kb = min(logit, key=lambda k: logit[k].bic)
    rows = [[f"best multinomial logistic model by {crit}: {k[0]} logit {k[1]}", k] for crit, k in (("AIC", ka),
                                                                                                ("BIC", kb))]
    da, db = logit[ka].aic - sel_aic.aic, logit[kb].bic - sel_bic.bic
    txt = (f"{name}: against the whole class of multinomial logistic models (baseline, cumulative, adjacent and "
           f"continuation logit, po and npo), the AIC-selected model's AIC is {'lower' if da > 0 else 'HIGHER'} by "
           f"{abs(da):.2f} than the best one ({ka[0]} logit {ka[1]}, {logit[ka].aic:.2f}), and the BIC-selected "
           f"model's BIC is {'lower' if db > 0 else 'HIGHER'} by {abs(db):.2f} than the best one ({kb[0]} logit "
           f"{kb[1]}, {logit[kb].bic:.2f}).")
    return rows, txt


def _gof_p(res) -> float:
    """Deviance (LR vs the saturated model) goodness-of-fit p-value for grouped data."""
    return float(stats.chi2.sf(res.deviance, res.df_resid)) if res.df_resid > 0 else float("nan")


ORDINAL_FAMILIES = ("cumulative", "continuation", "adjacent")


def trauma_candidates(mixed_link_search: bool = True, J: int = 5) -> list:
    """(family, link) specs of the trauma po search: the 3 ordinal families x 5 single links and, with
    mixed_link_search, every assignment of one link per predictor (J-1 of them) for EACH of the 3 families.
    Cumulative mixed-link models are included: ordered predictors no longer imply ordered rho there, and
    keeping those fits feasible is what the paper's algorithm is for (fidelity review 2026-11-26; before,
    only continuation / adjacent mixed links were searched, 'because they are always feasible')."""
    specs = [(fam, lk) for fam in ORDINAL_FAMILIES for lk in SINGLE_LINKS]
    if mixed_link_search:
        specs += [(fam, links) for fam in ORDINAL_FAMILIES
                  for links in itertools.product(SINGLE_LINKS, repeat=J - 1) if len(set(links)) > 1]
    return specs


def _spec_name(key) -> str:
    """'family link' of a trauma candidate (family, link or one link per predictor)."""
    lk = key[1] if isinstance(key[1], str) else "(" + ", ".join(key[1]) + ")"
    return f"{key[0]} {lk}"


def near_boundary_data(seed: int, m: int = 200):
    """Cumulative npo probit data whose true predictors cross just outside the covariate range."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 0.19, (m, 1))
    eta = np.array([-0.2, 0.2]) + x * np.array([1.0, -1.0])
    P = np.diff(np.c_[np.zeros(m), stats.norm.cdf(eta), np.ones(m)], axis=1)
    return (rng.random(m)[:, None] > np.cumsum(P, 1)).sum(1), x


def two_group_data(seed: int, n: int, zeta: float):
    """Two-group cumulative logit po data: 3 ordered levels + NA, common slope zeta for every predictor."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    F = 1 / (1 + np.exp(-(np.array([-0.8, 0.6]) + zeta * x[:, None])))
    p1 = np.diff(np.c_[np.zeros(n), F, np.ones(n)], axis=1)
    r = 1 / (1 + np.exp(-(0.8 + zeta * x)))                     # P(observed)
    P = np.c_[r[:, None] * p1, 1 - r]
    y = (rng.random(n)[:, None] > np.cumsum(P, 1)).sum(1).astype(float)
    y[y == 3] = np.nan
    return pd.Series(y), x[:, None]


@register("multinomial_link", paper=PAPER, config=MultinomialLinkConfig)
class MultinomialLink(System):
    """Unified multinomial link models (4 families x 6 links x po/npo/ppo, mixed links, NA category)."""

    full_scale = False  # one scale: reproduce(quick=False) runs what quick=True runs
    presets = {
        "smoke": {"mixed_link_search": False, "anes": False, "na_replicates": 5, "na_n": 200, "feas_seeds": 2,
                  "bench_max_n": 1000},
        "paper": {},
    }

    # --------------------------------------------------------------------------------- pieces
    @staticmethod
    def _trauma_data():
        from paperworks.data import load

        t = load("trauma")
        return t.iloc[:, 2:], t[["x"]]

    @staticmethod
    def _anes_data():
        from paperworks.data import load

        d = load("anes96")
        return d["PID"].cat.codes.to_numpy(), d[["logpopul", "selfLR", "age", "educ", "income"]]

    def trauma(self):
        Y, X = self._trauma_data()
        mnl = _fit(Y, X, model="baseline", link="logit", assumption="npo")
        cands = {(fam, lk): _fit(Y, X, model=fam, link=lk if isinstance(lk, str) else list(lk), assumption="po")
                 for fam, lk in trauma_candidates(self.config.mixed_link_search)}
        best_key = min(cands, key=lambda k: cands[k].aic)
        return mnl, cands, best_key

    def anes(self):
        """Candidates: po for 3 families x 5 links, npo for the 2 always-feasible ordinal families, and ppo
        (one covariate category-specific, the others common) around the 3 best po models."""
        y, X = self._anes_data()
        cov = list(X.columns)
        mnl = _fit(y, X, model="baseline", link="logit", assumption="npo")
        cands = {(fam, lk, "po"): _fit(y, X, model=fam, link=lk, assumption="po")
                 for fam in ("cumulative", "continuation", "adjacent") for lk in SINGLE_LINKS}
        for fam in ("continuation", "adjacent"):
            for lk in ("logit", "probit", "loglog"):
                cands[(fam, lk, "npo")] = _fit(y, X, model=fam, link=lk, assumption="npo")
        top = sorted((k for k in cands if k[2] == "po"), key=lambda k: cands[k].aic)[:3]
        for fam, lk, _ in top:
            for v in cov:
                cands[(fam, lk, f"ppo ({v} npo)")] = _fit(y, X, model=fam, link=lk, assumption="ppo",
                                                           po_columns=[c for c in cov if c != v])
        by_aic = min(cands, key=lambda k: cands[k].aic)
        by_bic = min(cands, key=lambda k: cands[k].bic)
        return mnl, cands, by_aic, by_bic

    def na_experiment(self):
        c = self.config
        sig_cc = sig_tg = changed = 0
        est_cc, est_tg = [], []
        for r in range(c.na_replicates):
            y, x = two_group_data(c.seed * 100003 + r, c.na_n, c.na_zeta)
            obs = y.notna().to_numpy()
            cc = _fit(y[obs].astype(int), x[obs], model="cumulative", assumption="po")
            tg = _fit(y, x, model="cumulative", assumption="po", na_category=True)
            a, b = cc.pvalues[-1] < 0.05, tg.pvalues[-1] < 0.05
            sig_cc += a
            sig_tg += b
            changed += a != b
            est_cc.append(cc.params[-1])
            est_tg.append(tg.params[-1])
        n = c.na_replicates
        return dict(power_cc=sig_cc / n, power_tg=sig_tg / n, changed=changed / n,
                    se_cc=float(np.std(est_cc)), se_tg=float(np.std(est_tg)),
                    bias_cc=float(np.mean(est_cc) - c.na_zeta), bias_tg=float(np.mean(est_tg) - c.na_zeta))

    def feasibility(self):
        naive_fail = ours_ok = 0
        rows = []
        for s in range(self.config.feas_seeds):
            y, x = near_boundary_data(self.config.seed * 1000 + s)
            m = MultinomialLinkModel(y, x, model="cumulative", link="probit", assumption="npo")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    naive = m.fit(step_halving=False).llf
                except InfeasibleError:
                    naive = None
                    naive_fail += 1
                res = m.fit()
            P = res.predict()
            ok = bool((P > 0).all() and np.allclose(P.sum(1), 1.0))
            ours_ok += ok
            rows.append([s, "left feasible region" if naive is None else f"{naive:.4f}", f"{res.llf:.4f}",
                         f"{res.min_prob:.2e}", "boundary" if res.boundary else "interior"])
        return naive_fail, ours_ok, rows

    def _plot_trauma(self, rep, run_dir, fits: dict) -> None:
        """plots/trauma_fit.png: observed GOS proportions per dose group beside the probabilities fitted by
        each model of ``fits`` ({label: fit on the trauma data})."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from paperworks.data import load

        t = load("trauma")
        Y = t.iloc[:, 2:].to_numpy(dtype=float)
        obs = Y / Y.sum(1, keepdims=True)
        cats = list(t.columns[2:])
        k = np.arange(len(cats))
        fig, axes = plt.subplots(1, len(t), figsize=(3.4 * len(t), 3.4), sharey=True, squeeze=False)
        for i, ax in enumerate(axes[0]):
            ax.bar(k, obs[i], color="lightgrey", edgecolor="grey", label="observed")
            for (label, res), marker in zip(fits.items(), "ox^sv"):
                ax.plot(k, res.predict()[i], marker=marker, linestyle="-", linewidth=1, label=label)
            ax.set_title(f"dose: {t['dose'].iloc[i]} (n = {int(Y[i].sum())})")
            ax.set_xticks(k, cats, rotation=35, ha="right", fontsize="small")
        axes[0, 0].set_ylabel("proportion of patients")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize="small", frameon=False)
        fig.tight_layout(rect=(0, 0, 1, 0.9))
        rep.add_plot(run_dir, fig, "trauma_fit", "Trauma data: observed Glasgow Outcome Scale proportions per dose "
                     "group (bars) and the probabilities fitted by the standard multinomial logit and by the "
                     "model selected by AIC (lines).")

    # ------------------------------------------------------------------------------- API
    def run(self, run_dir) -> dict[str, float]:
        mnl, cands, best = self.trauma()
        m = {"trauma_aic_best": cands[best].aic, "trauma_aic_mnl": mnl.aic,
             "trauma_bic_best": cands[best].bic, "trauma_bic_mnl": mnl.bic}
        run_dir.log_metrics(m)
        return m

    def reproduce(self, run_dir, quick: bool = True) -> Report:
        c = self.config
        rep = Report(self.name, quick)
        t0 = time.perf_counter()

        mnl, cands, best = self.trauma()
        b = cands[best]
        rep.add_claim(Claim.beats("Trauma: selected multinomial link model has lower AIC than the standard "
                                  "multinomial logistic model", "AIC", b.aic, mnl.aic, higher_is_better=False))
        rep.add_claim(Claim.beats("Trauma: ... and lower BIC", "BIC", b.bic, mnl.bic, higher_is_better=False))
        rep.add_claim(Claim.at_least("Trauma: selected model passes the deviance (LR vs saturated) "
                                     "goodness-of-fit test", "GOF p-value", _gof_p(b), 0.05))
        ranked = sorted(cands.items(), key=lambda kv: kv[1].aic)
        rows = [["baseline-category logit npo (standard multinomial logit)", mnl.df_model, f"{mnl.llf:.3f}",
                 f"{mnl.deviance:.3f}", f"{_gof_p(mnl):.3f}", f"{mnl.aic:.3f}", f"{mnl.bic:.3f}"]]
        po_logit = cands[("cumulative", "logit")]
        rows.append(["cumulative logit po (proportional odds)", po_logit.df_model, f"{po_logit.llf:.3f}",
                     f"{po_logit.deviance:.3f}", f"{_gof_p(po_logit):.3f}", f"{po_logit.aic:.3f}",
                     f"{po_logit.bic:.3f}"])
        for k, r in ranked[:5]:
            rows.append([f"{_spec_name(k)} po", r.df_model, f"{r.llf:.3f}", f"{r.deviance:.3f}", f"{_gof_p(r):.3f}",
                         f"{r.aic:.3f}", f"{r.bic:.3f}"])
        tlog = best_logit_models(*self._trauma_data())
        lrows, ltxt = _vs_logit_class("Trauma", b, b, tlog)
        for label, k in lrows:
            r = tlog[k]
            rows.append([label, r.df_model, f"{r.llf:.3f}", f"{r.deviance:.3f}", f"{_gof_p(r):.3f}", f"{r.aic:.3f}",
                         f"{r.bic:.3f}"])
        rep.add_table("Trauma data (802 patients, 4 doses x 5 GOS levels): models ranked by AIC",
                      ["model", "#params", "log-lik", "deviance", "GOF p", "AIC", "BIC"], rows,
                      note=f"{len(cands)} candidate models searched (3 ordinal families x 5 links, po, plus one link per "
                           "predictor for each of the 3 families, cumulative included). Paper: its abstract reports that the new models "
                           "fit real data significantly better than multinomial logistic models; the paper's "
                           "own AIC/BIC values for this table could not be read offline, so none is printed.")

        self._plot_trauma(rep, run_dir, {"standard multinomial logit (baseline logit npo)": mnl,
                                         f"selected by AIC: {_spec_name(best)} po": b})
        rep.add_text(f"Caveat (reviewer): on the trauma data the AIC gain of the selected model over the multinomial "
                     f"logit is {mnl.aic - b.aic:.2f} (BIC gain {mnl.bic - b.bic:.2f}, mostly from 3 fewer "
                     f"parameters), after choosing the best of {len(cands)} candidates by AIC, so the AIC claim is "
                     f"optimistic and not a significance test; the two models are not nested, so no LR test is "
                     f"possible. The standard multinomial logit also passes the deviance GOF test "
                     f"(p = {_gof_p(mnl):.3f}). The table is the dose-only 4 x 5 trauma table; the paper's authors "
                     f"also distribute these 802 patients with a symptom-severity covariate (R package CDsampling), "
                     "which the paper's analysis may use. " + ltxt + " The claims compare with the standard "
                     "(baseline-category) multinomial logit only; the search above covers po models only.")

        if c.anes:
            amnl, acands, a_aic, a_bic = self.anes()
            rep.add_claim(Claim.beats("ANES96: model selected by AIC beats multinomial logit in AIC", "AIC",
                                      acands[a_aic].aic, amnl.aic, higher_is_better=False))
            rep.add_claim(Claim.beats("ANES96: model selected by BIC beats multinomial logit in BIC", "BIC",
                                      acands[a_bic].bic, amnl.bic, higher_is_better=False))
            arows = [["baseline logit npo (MNLogit)", amnl.df_model, f"{amnl.llf:.2f}", f"{amnl.aic:.2f}",
                      f"{amnl.bic:.2f}"]]
            shown = sorted(acands, key=lambda k: acands[k].aic)[:5]
            shown += [k for k in sorted(acands, key=lambda k: acands[k].bic)[:3] if k not in shown]
            for k in shown:
                r = acands[k]
                arows.append([f"{k[0]} {k[1]} {k[2]}", r.df_model, f"{r.llf:.2f}", f"{r.aic:.2f}", f"{r.bic:.2f}"])
            alog = best_logit_models(*self._anes_data())
            lrows, ltxt = _vs_logit_class("ANES96", acands[a_aic], acands[a_bic], alog)
            for label, k in lrows:
                r = alog[k]
                arows.append([label, r.df_model, f"{r.llf:.2f}", f"{r.aic:.2f}", f"{r.bic:.2f}"])
            rep.add_table("ANES 1996 party identification (944 x 7 levels): best models by AIC and by BIC",
                          ["model", "#params", "log-lik", "AIC", "BIC"], arows,
                          note=f"{len(acands)} candidates (po / npo / ppo across families and links).")
            rep.add_text(f"ANES96 (reviewer): the candidates include adjacent logit npo, an exact reparametrisation "
                         f"of the multinomial logit (same likelihood and number of parameters), so AIC(selected) "
                         f"<= AIC(multinomial logit) and BIC(selected) <= BIC(multinomial logit) hold by "
                         f"construction; the content of these two claims is the size of the gaps "
                         f"({amnl.aic - acands[a_aic].aic:.2f} AIC, {amnl.bic - acands[a_bic].bic:.2f} BIC). " + ltxt)
            fam, lk, _ = a_aic
            if (fam, lk, "po") in acands and a_aic[2] != "po":
                stat, dof, p = acands[a_aic].lr_test(acands[(fam, lk, "po")])
                rep.add_claim(Claim.at_most(f"ANES96: LR test rejects po in favour of the selected {fam} {lk} "
                                            f"{a_aic[2]} model", "LR p-value", p, 0.05))
                rep.add_text(f"ANES96 LR test, {fam} {lk} po within {a_aic[2]}: chi2 = {stat:.2f} on {dof} df, "
                             f"p = {p:.3g}.")

        na = self.na_experiment()
        rep.add_claim(Claim.beats("NA category: keeping NA responses (two-group model) detects the covariate "
                                  "effect more often than dropping them", "power at 5%", na["power_tg"],
                                  na["power_cc"]))
        rep.add_claim(Claim.beats("NA category: ... with a smaller sampling SD of the slope", "SD of slope",
                                  na["se_tg"], na["se_cc"], higher_is_better=False))
        rep.add_table("NA category (simulated two-group cumulative logit po; paper's police data not shipped)",
                      ["analysis", "power (5%)", "mean bias of slope", "SD of slope"],
                      [["complete cases (NA dropped)", f"{na['power_cc']:.3f}", f"{na['bias_cc']:+.4f}",
                        f"{na['se_cc']:.4f}"],
                       ["two-group model with NA category", f"{na['power_tg']:.3f}", f"{na['bias_tg']:+.4f}",
                        f"{na['se_tg']:.4f}"]],
                      note=f"{c.na_replicates} data sets of n = {c.na_n}, true common slope {c.na_zeta}; the "
                           f"5%-significance conclusion differs between the two analyses in "
                           f"{100 * na['changed']:.1f}% of them. By construction the simulated missingness "
                           f"depends on x through the SAME slope (two-group po model), which is where the extra "
                           f"power comes from; both analyses are nearly unbiased here, so this shows a gain in "
                           f"power, not the correction of a biased (misleading) complete-case conclusion that "
                           f"the paper reports on its police data.")

        naive_fail, ours_ok, frows = self.feasibility()
        rep.add_claim(Claim.at_least("Feasibility: safeguarded Fisher scoring returns valid probabilities on "
                                     "every seed", "fraction feasible", ours_ok / c.feas_seeds, 1.0))
        rep.add_claim(Claim.at_least("Feasibility: naive Fisher scoring leaves the feasible region on some seeds",
                                     "seeds failing (naive)", naive_fail, 1))
        rep.add_table("Near-boundary cumulative npo probit data (m = 200)",
                      ["seed", "naive Fisher scoring llf", "ours llf", "min fitted prob", "estimate"], frows)
        rep.add_text(f"Total reproduction time {time.perf_counter() - t0:.1f} s (2 shared CPU cores, contended). "
                     "Trauma counts typed in from Chuang-Stein & Agresti (1997); ANES 1996 from statsmodels. "
                     "AIC = -2 l + 2p, BIC = -2 l + p log(N) with N the number of individual responses; l omits "
                     "the multinomial constant (identical for all models of one data set).")
        return rep

    def bench(self, run_dir=None, quick: bool = True) -> dict:
        import statsmodels.api as sm
        from statsmodels.miscmodels.ordinal_model import OrderedModel

        def race(fns, reps):
            """Best-of-reps wall time of each fit, the fits of one rep run back to back so that ours and
            the peer see the same machine load (the machine is shared)."""
            best = dict.fromkeys(fns, np.inf)
            for _ in range(reps):
                for k, fn in fns.items():
                    t = time.perf_counter()
                    fn()
                    best[k] = min(best[k], time.perf_counter() - t)
            return best

        rng = np.random.default_rng(self.config.seed)
        rows = []
        ratios = []
        ns = tuple(n for n in (1000, 10000, 100000, 1000000) if n <= self.config.bench_max_n)
        for J in (3, 5, 8):
            for n in ns:
                if quick and n == 1000000 and J != 5:
                    continue                                 # quick: the 10^6 point for J = 5 only
                X = rng.normal(size=(n, 3))
                eta = X @ np.array([0.5, -0.3, 0.2])
                cuts = np.linspace(-1.5, 1.5, J - 1)
                y = (rng.logistic(size=n)[:, None] + eta[:, None] > cuts).sum(1)
                reps = 7 if n <= 10000 else 3 if n <= 100000 else 2     # best of several against the noise
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t = race({"ours_b": lambda: MultinomialLinkModel(y, X, model="baseline", assumption="npo").fit(),
                              "sm_b": lambda: sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton"),
                              "ours_c": lambda: MultinomialLinkModel(y, X, model="cumulative", assumption="po").fit(),
                              "sm_c": lambda: OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=0)}, reps)
                rows.append({"J": J, "n": n, "ours_baseline_s": t["ours_b"], "mnlogit_s": t["sm_b"],
                             "ours_cumulative_s": t["ours_c"], "orderedmodel_s": t["sm_c"]})
                ratios += [t["sm_b"] / t["ours_b"], t["sm_c"] / t["ours_c"]]
        ratio = float(np.exp(np.mean(np.log(ratios))))
        big = max(rows, key=lambda r: (r["n"], r["J"]))
        worst_mnl = min(r["mnlogit_s"] / r["ours_baseline_s"] for r in rows)
        worst_om = min(r["orderedmodel_s"] / r["ours_cumulative_s"] for r in rows)
        return {"ratio": ratio, "min_ratio_vs_mnlogit": worst_mnl, "min_ratio_vs_orderedmodel": worst_om,
                "summary": f"fit-time ratio statsmodels/ours (geo-mean over baseline-logit vs MNLogit and "
                           f"cumulative-logit-po vs OrderedModel, J in 3,5,8, n up to {ns[-1]}): {ratio:.2f}x; "
                           f"n={big['n']}, J={big['J']}: ours {big['ours_baseline_s']:.2f}s vs MNLogit "
                           f"{big['mnlogit_s']:.2f}s; slowest point vs MNLogit {worst_mnl:.2f}x, vs OrderedModel "
                           f"{worst_om:.2f}x (contended 2-core CPU)",
                "rows": rows}
