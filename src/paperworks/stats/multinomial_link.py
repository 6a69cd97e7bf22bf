"""Multinomial link models (Wang, Tong & Yang, "Multinomial Link Models", arXiv:2312.16260).

One class for the whole family the paper unifies:

* families: baseline-category, cumulative, adjacent-categories, continuation-ratio;
* links g_j per predictor (mixed links): logit, probit, cloglog, loglog, cauchit, t_nu;
* slope structures: po (common slopes), npo (category-specific slopes), ppo (a chosen subset common);
* two-group models, in particular a response with an NA / unknown level kept as a special last category.

Model (paper Sec. 2): for setting i with covariates x_i and counts Y_i ~ Multinomial(n_i; pi_i),

    g_j(rho_ij) = eta_ij = beta_j0 + x_i' beta_j      (npo slopes)
                         = beta_j0 + x_i' zeta         (po slopes)          j = 1..J-1

and eta_i = X_i theta with X_i the (J-1) x p model matrix. The map rho -> pi is the family's (see
:mod:`paperworks.stats.families`). Two-group model with groups {1..k} and {k+1..J}: predictor k models the
split, rho_ik = P(Y <= k), predictors 1..k-1 the conditional model inside group 1 (any family) and
predictors k+1..J-1 the one inside group 2; pi_ij = rho_ik pi^(1)_ij (j <= k), (1 - rho_ik) pi^(2)_ij
(j > k). The NA model is the case k = J-1 (group 2 = {NA}).

Estimation (paper Sec. 4): Fisher scoring theta <- theta + F(theta)^{-1} score(theta) with
score = sum_i X_i' G_i' diag(pi_i)^{-1} Y_i and F = sum_i n_i X_i' U_i X_i, started from the feasible
point "intercepts = g_j(pooled rho_j), slopes = 0"; a step that leaves the feasible region (some
pi_ij <= 0, which can happen only for cumulative models) or lowers the log-likelihood is halved
(at most ``max_halving`` times), so every iterate is a valid model.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from paperworks.core.config import is_real
from paperworks.stats.families import (FAMILIES, DiagMinusOuter, _row_max, _row_sum, family_eval, pooled_rho,
                                       pooled_rho_sf)
from paperworks.stats.links import Link, make_link

__all__ = ["MultinomialLinkModel", "MultinomialLinkResults", "PerfectSeparationError",
           "InfeasibleError", "MODELS", "ASSUMPTIONS"]

MODELS = FAMILIES
ASSUMPTIONS = ("po", "npo", "ppo")
_W = "MultinomialLinkModel"


class PerfectSeparationError(ValueError):
    """The categories are perfectly separated by the covariates: the MLE does not exist."""


class InfeasibleError(ValueError):
    """An iterate left the feasible region (some fitted probability <= 0)."""


@dataclass
class _Block:
    family: str
    cats: slice      # categories of this block
    preds: slice     # predictors (columns of eta) of this block
    kind: str        # "main", "group1", "split", "group2"


def _as_2d_float(x, what):
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{_W}: expected '{what}' of shape (n,) or (n, d) (got shape {a.shape})")
    return a


def _clearly_full_rank(Z) -> bool:
    """A cheap sufficient test that np.linalg.matrix_rank(Z) (an SVD of the whole (n, q) matrix) is q: the
    eigenvalues of Z'Z give sigma_min^2 / sigma_max^2 up to a relative error ~ n q eps, and a ratio above
    max(1e-8, 1e3 n q eps) puts sigma_min / sigma_max near 1e-4 or more, far above matrix_rank's
    threshold n eps. Anything less (or a non-finite Z'Z) is left to matrix_rank, so its answer is unchanged."""
    n, q = Z.shape
    if n < q:
        return False
    with np.errstate(all="ignore"):
        G = Z.T @ Z
    if not np.isfinite(G).all():
        return False
    try:
        ev = np.linalg.eigvalsh(G)
    except np.linalg.LinAlgError:
        return False
    return bool(ev[-1] > 0 and ev[0] > max(1e-8, 1e3 * n * q * np.finfo(float).eps) * ev[-1])


class MultinomialLinkModel:
    """Multinomial link model; see the module docstring for the equations.

    Args:
        endog: response. Either codes / labels of shape (n,) (a pandas ordered Categorical keeps its level
            order; other values are sorted; numeric codes must be integers) or a counts matrix (n, J)
            (grouped data; non-negative, fractional counts act as weights).
        exog: covariates (n, d) WITHOUT a constant (each predictor has its own intercept); an exactly
            constant column (e.g. from ``sm.add_constant``) is dropped with a warning. None: intercepts only.
        model: "baseline" | "cumulative" | "adjacent" | "continuation" (the family; for two-group models the
            family used inside group 1). The baseline family's reference is the LAST category (paper).
        link: a link name or a list of J-1 names (mixed links, one per predictor). Names: logit, probit,
            cloglog, loglog, cauchit, t (with ``df``).
        assumption: "po" (all slopes common to the J-1 predictors), "npo" (all category-specific),
            "ppo" (the covariates in ``po_columns`` common, the rest category-specific).
        po_columns: names or indices of the covariates with common slopes under "ppo" (indices of the columns of
            ``exog`` as passed; in ``from_formula``, of the design's columns without its intercept).
        df: degrees of freedom nu of the t link (a number, or a list aligned with ``link``).
        na_category: treat missing responses as a last category "NA" via the two-group model with
            groups {observed levels} and {NA}. Codes: NaN/None entries are NA. Counts: the last column is NA.
        group1_size: general two-group model: the first ``group1_size`` categories form group 1.
        group2_model: family used inside group 2 (default "baseline").
        collapse: "auto" groups identical covariate rows into settings before fitting (the paper's
            grouped form; identical estimates, faster), True / False to force.
        freq_weights: optional (n,) non-negative frequencies, one per row: row i counts as ``freq_weights[i]``
            identical responses (R's ``weights = Freq`` for long-format tables; the fit equals the fit on the
            rows repeated). Rows of weight 0 are dropped. In ``from_formula`` it may name a column of data.
    """

    def __init__(self, endog, exog=None, model: str = "cumulative", link="logit", assumption: str = "npo",
                 po_columns=None, df=None, na_category: bool = False, group1_size: int | None = None,
                 group2_model: str = "baseline", exog_names=None, collapse="auto", freq_weights=None):
        if model not in MODELS:
            raise ValueError(f"{_W}: unknown model {model!r}; valid: {', '.join(MODELS)}")
        if group2_model not in MODELS:
            raise ValueError(f"{_W}: unknown group2_model {group2_model!r}; valid: {', '.join(MODELS)}")
        if assumption not in ASSUMPTIONS:
            raise ValueError(f"{_W}: unknown assumption {assumption!r}; valid: {', '.join(ASSUMPTIONS)}")
        self.model = model
        self.assumption = assumption
        self.na_category = bool(na_category)
        self.group2_model = group2_model
        self._formula = getattr(self, "_formula", None)          # set by from_formula
        self._design_info = getattr(self, "_design_info", None)

        self._check_aligned(endog, exog, freq_weights)
        self._sorted_text_levels = False
        Y, labels = self._parse_endog(endog)
        ordered_by = [m for m, used in ((model, True), (group2_model, group1_size is not None or self.na_category))
                      if used and m != "baseline"]
        n_levels = len(labels) - (1 if self.na_category else 0)
        if self._sorted_text_levels and ordered_by and n_levels >= 3:
            # a silent wrong order before: 'low' / 'medium' / 'high' was fitted as high < low < medium
            warnings.warn(f"{_W}: the response's text labels were sorted alphabetically ({', '.join(labels[:n_levels])}) "
                          f"and the {ordered_by[0]!r} model reads them in this order; pass a pandas ordered "
                          f"Categorical (pd.Categorical(y, categories=[...], ordered=True)) to set the order",
                          UserWarning, stacklevel=2)
        if freq_weights is not None:
            Y, exog = self._apply_freq_weights(Y, exog, freq_weights)
        n, J = Y.shape
        self.J = J
        self.categories = labels
        self._parse_exog(exog, n, exog_names)
        self.endog_counts = Y
        tot = Y.sum(axis=0)
        if (tot == 0).any():
            miss = [str(labels[j]) for j in np.flatnonzero(tot == 0)]
            raise ValueError(f"{_W}: response category(ies) {', '.join(miss)} never observed; "
                             f"the MLE does not exist (drop the level)")
        K = J - 1

        # --- blocks (single family or two-group)
        if self.na_category and group1_size is None:
            group1_size = J - 1
        self.group1_size = group1_size
        if group1_size is None:
            self.blocks = [_Block(model, slice(0, J), slice(0, K), "main")]
        else:
            # an integer (numpy's too): 1.5 was cut to 1 and the string '2' read as 2 by int(), True as 1, silently;
            # a real holding an integer exactly (2.0, Fraction(2)) is that integer: core.config's shared rule
            from paperworks.core.config import is_whole

            if not is_whole(group1_size):
                raise ValueError(f"{_W}: group1_size must be an integer in [1, {J - 1}] (got {group1_size!r})")
            k = int(group1_size)
            if not 1 <= k <= J - 1:
                raise ValueError(f"{_W}: group1_size must be in [1, {J - 1}] (got {group1_size})")
            self.group1_size = k   # stored as the int it is (2.0 was kept as 2.0, np.float32(2.0) as such)
            self.blocks = [_Block(model, slice(0, k), slice(0, k - 1), "group1"),
                           _Block("continuation", slice(0, 2), slice(k - 1, k), "split"),
                           _Block(group2_model, slice(k, J), slice(k, K), "group2")]

        # --- links
        links = link if isinstance(link, (list, tuple)) else [link] * K
        if len(links) != K:
            raise ValueError(f"{_W}: 'link' must be one name or a list of J-1 = {K} names (got {len(links)})")
        dfs = df if isinstance(df, (list, tuple)) else [df] * K
        if len(dfs) != K:
            raise ValueError(f"{_W}: 'df' must be one number or a list of J-1 = {K} numbers (got {len(dfs)})")
        self.links: list[Link] = [make_link(lk, d, _W) for lk, d in zip(links, dfs)]

        # --- slope structure: vec(B) = C theta, B: (q, K), row 0 = intercepts
        self._build_constraints(po_columns)
        self._collapse(collapse)

    # ------------------------------------------------------------------ input parsing
    @staticmethod
    def _check_aligned(endog, exog, freq_weights):
        """pandas inputs are read by position: refuse endog / exog / freq_weights whose indexes differ (as
        statsmodels does), which paired each response with another row's covariates silently."""
        framed = [(k, v) for k, v in (("endog", endog), ("exog", exog), ("freq_weights", freq_weights))
                  if isinstance(v, (pd.Series, pd.DataFrame))]
        for k, v in framed[1:]:
            if not framed[0][1].index.equals(v.index):
                raise ValueError(f"{_W}: the pandas indexes of {framed[0][0]} and {k} are not aligned (rows are "
                                 f"read by position); reindex one of them or pass numpy arrays")

    def _parse_endog(self, endog):
        nd = np.ndim(endog)
        if nd not in (1, 2):
            raise ValueError(f"{_W}: expected endog of shape (n,) (codes / labels) or (n, J) (counts) "
                             f"(got shape {np.shape(endog)})")
        if isinstance(endog, pd.DataFrame) or nd == 2:
            names = list(endog.columns) if isinstance(endog, pd.DataFrame) else None
            Y = np.asarray(endog, dtype=float)
            if not np.isfinite(Y).all():
                raise ValueError(f"{_W}: endog counts contain NaN/inf")
            if (Y < 0).any():
                raise ValueError(f"{_W}: endog counts must be >= 0 (got min {Y.min():g})")
            if Y.shape[1] < 2:
                raise ValueError(f"{_W}: a 2-D endog is read as a counts matrix (n, J), and shape {Y.shape} has "
                                 f"one level; pass category codes as shape (n,) or counts with J >= 2 columns")
            if (Y.sum(axis=1) == 0).any():
                raise ValueError(f"{_W}: {int((Y.sum(axis=1) == 0).sum())} rows of endog counts are all 0")
            labels = names or [str(j + 1) for j in range(Y.shape[1])]
            if self.na_category:
                labels = labels[:-1] + ["NA"] if names is None else labels
            return Y, labels
        if not self.na_category and not isinstance(endog, (pd.Series, pd.Categorical)):
            codes_in = np.asarray(endog)
            if codes_in.ndim == 1 and codes_in.dtype.kind in "iu":
                # integer codes: no missing values, no fractions, sorted levels; np.unique gives the levels
                # and codes of the general path below without a pandas Series (its cost rivals the fit's)
                lo, hi = (int(codes_in.min()), int(codes_in.max())) if codes_in.size else (0, -1)
                if hi - lo <= 4 * codes_in.size + 64 and hi <= np.iinfo(np.intp).max:
                    # codes in a short range: count instead of sort
                    off = codes_in.astype(np.intp) - lo
                    present = np.bincount(off, minlength=hi - lo + 1) > 0
                    uniq = (np.flatnonzero(present) + lo).astype(codes_in.dtype)
                    codes = (np.cumsum(present) - 1)[off]
                else:
                    uniq, codes = np.unique(codes_in, return_inverse=True)
                cats = list(uniq)
                if len(cats) < 2:
                    raise ValueError(f"{_W}: the response has one level ({cats!r}); need J >= 2 categories")
                Y = np.zeros((len(codes_in), len(cats)))
                Y[np.arange(len(codes_in)), codes.ravel()] = 1.0
                return Y, [str(c) for c in cats]
        s = pd.Series(np.asarray(endog) if not isinstance(endog, (pd.Series, pd.Categorical)) else endog)
        if s.ndim != 1:
            raise ValueError(f"{_W}: expected endog of shape (n,) or (n, J)")
        na = s.isna().to_numpy()
        if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype) \
                and np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).any():
            raise ValueError(f"{_W}: endog has inf values; expected category codes / labels (NaN = missing)")
        if na.any() and not self.na_category:
            raise ValueError(f"{_W}: endog has {int(na.sum())} missing values; drop them or pass "
                             f"na_category=True to model them as an NA category")
        if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
            v = s.to_numpy(dtype=float, na_value=np.nan)[~na]
            frac = v != np.round(v)
            if frac.any():
                # a continuous response would otherwise become one category per distinct value
                raise ValueError(f"{_W}: endog has {int(frac.sum())} non-integer value(s) (e.g. {v[frac][0]:g}); "
                                 f"expected integer category codes or labels (a pandas Categorical for "
                                 f"non-integer levels), or counts of shape (n, J)")
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = list(s.cat.categories)
            codes = s.cat.codes.to_numpy().astype(int)
            used = np.unique(codes[codes >= 0])
            if len(used) < len(cats):   # drop unused levels, keep order
                unused = [str(c) for k, c in enumerate(cats) if k not in set(used.tolist())]
                warnings.warn(f"{_W}: dropped never-observed response level(s) {', '.join(unused)} of the "
                              f"Categorical (the MLE needs every level observed); J = {len(used)}",
                              UserWarning, stacklevel=3)
                cats = [cats[u] for u in used]
                remap = -np.ones(len(s.cat.categories) + 1, dtype=int)
                remap[used] = np.arange(len(used))
                codes = np.where(codes >= 0, remap[codes], -1)
        else:
            vals = s[~na]
            cats = sorted(pd.unique(vals))
            # text labels have no order of their own: sorted ('high' < 'low' < 'medium'); __init__ warns where
            # the family reads the order (every family but baseline) and J >= 3
            self._sorted_text_levels = any(isinstance(c, str) for c in cats)   # object-dtype codes sort as numbers
            codes = np.full(len(s), -1, dtype=int)
            codes[~na] = pd.Index(cats).get_indexer(vals)
        if self.na_category:
            if not na.any():
                warnings.warn(f"{_W}: na_category=True but endog has no missing values; the NA category "
                              f"is empty", UserWarning, stacklevel=3)
            cats = cats + ["NA"]
            codes = np.where(codes < 0, len(cats) - 1, codes)
        if len(cats) < 2:
            raise ValueError(f"{_W}: the response has one level ({cats!r}); need J >= 2 categories")
        Y = np.zeros((len(s), len(cats)))
        Y[np.arange(len(s)), codes] = 1.0
        return Y, [c if isinstance(c, str) else str(c) for c in cats]

    @staticmethod
    def _apply_freq_weights(Y, exog, freq_weights):
        """Scale each response row by its frequency; drop rows of weight 0 (from exog too)."""
        try:
            w = np.asarray(freq_weights, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{_W}: freq_weights must be numbers (got {type(freq_weights).__name__})") from None
        if w.ndim != 1 or w.shape[0] != Y.shape[0]:
            raise ValueError(f"{_W}: freq_weights must have shape ({Y.shape[0]},), one per row of endog "
                             f"(got shape {w.shape})")
        if not np.isfinite(w).all():
            raise ValueError(f"{_W}: freq_weights contain NaN/inf")
        if (w < 0).any():
            raise ValueError(f"{_W}: freq_weights must be >= 0 (got min {w.min():g})")
        if exog is not None and np.ndim(exog) >= 1 and np.shape(exog)[0] != Y.shape[0]:
            raise ValueError(f"{_W}: endog has {Y.shape[0]} rows but exog has {np.shape(exog)[0]}")
        keep = w > 0
        if not keep.any():
            raise ValueError(f"{_W}: every freq_weight is 0; nothing to fit")
        Y = Y * w[:, None]
        if not keep.all():
            Y = Y[keep]
            if exog is not None and np.ndim(exog) >= 1:
                exog = exog.iloc[keep] if isinstance(exog, (pd.DataFrame, pd.Series)) else np.asarray(exog)[keep]
        return Y, exog

    def _parse_exog(self, exog, n, exog_names):
        if exog is None:
            X = np.zeros((n, 0))
            names = []
            if exog_names is not None and len(exog_names) > 0:
                raise ValueError(f"{_W}: exog_names given ({list(exog_names)}) but there is no exog")
        else:
            names = list(exog.columns) if isinstance(exog, pd.DataFrame) else (
                [exog.name] if isinstance(exog, pd.Series) and exog.name is not None else None)
            try:
                X = _as_2d_float(exog, "exog")
            except (TypeError, ValueError) as e:
                if "expected" in str(e):
                    raise
                raise ValueError(f"{_W}: exog must be numeric (got {e})") from None
            if exog_names is not None:
                names = list(exog_names)
                # names of another length were replaced by x1, x2, ... without a word (and po_columns by those
                # names then failed as 'not an exog column')
                if len(names) != X.shape[1]:
                    raise ValueError(f"{_W}: exog_names has {len(names)} name(s) ({', '.join(map(str, names))}) but "
                                     f"exog has {X.shape[1]} column(s); give one name per column of exog as passed")
            if names is None or len(names) != X.shape[1]:
                names = [f"x{k + 1}" for k in range(X.shape[1])]
            names = [str(c) for c in names]
        if X.shape[0] != n:
            raise ValueError(f"{_W}: endog has {n} rows but exog has {X.shape[0]}")
        # column checks by whole-array or per-column passes: numpy's all(axis=0) of a tall (n, d) array runs
        # d-long inner loops n times (~0.3 ms each at n = 10^4, a tenth of a fit)
        finite = np.isfinite(X)
        bad = np.zeros(X.shape[1], bool) if finite.all() else ~finite.all(axis=0)
        if bad.any():
            raise ValueError(f"{_W}: exog has NaN/inf in column(s) {', '.join(np.array(names)[bad])}")
        const = np.array([X.shape[0] > 1 and bool(np.all(X[:, j] == X[0, j])) for j in range(X.shape[1])],
                         dtype=bool)
        if np.any(const):
            dropped = [names[k] for k in np.flatnonzero(const)]
            if self._formula is None and not set(dropped) <= {"Intercept", "const"}:
                warnings.warn(f"{_W}: dropped constant exog column(s) {dropped}: every predictor has its "
                              f"own intercept", UserWarning, stacklevel=3)
            X = X[:, ~const]
            names = [c for c, k in zip(names, const) if not k]
        self._const_mask = const
        Z = np.concatenate([np.ones((n, 1)), X], axis=1)
        rank = Z.shape[1] if _clearly_full_rank(Z) else np.linalg.matrix_rank(Z)
        if rank < Z.shape[1]:
            # collinearity does not depend on the columns' scales, but matrix_rank's tolerance does: a column of
            # scale 1e200 swamped the intercept (and columns of scale 1e-200 vanished beside it), which was
            # reported as collinear with no or the wrong culprits. Decide on the columns scaled to max |z| = 1.
            scale = np.abs(Z).max(axis=0)
            Zs = Z / scale
            rank_s = np.linalg.matrix_rank(Zs)
            if rank_s == Z.shape[1]:
                far = [k for k in range(1, Z.shape[1]) if not 1e-8 <= scale[k] <= 1e8] or range(1, Z.shape[1])
                raise ValueError(f"{_W}: the design is numerically singular at the scale of exog, though its "
                                 f"columns are not collinear (max |x|: "
                                 f"{', '.join(f'{names[k - 1]} {scale[k]:.3g}' for k in far)}; the intercept's is 1); "
                                 f"rescale those columns (e.g. standardize them) before fitting")
            # name the columns that are linear combinations of the others
            culprits = []
            for k in range(1, Z.shape[1]):
                if np.linalg.matrix_rank(np.delete(Zs, k, axis=1)) == rank_s:
                    culprits.append(names[k - 1])
            raise ValueError(f"{_W}: exog columns are collinear (with each other or the intercept): "
                             f"{', '.join(culprits)}; drop redundant columns")
        self.exog = X
        self.exog_names = names

    def _build_constraints(self, po_columns):
        d = self.exog.shape[1]
        K = self.J - 1
        q = d + 1
        if self.assumption != "ppo" and po_columns is not None and len(po_columns) > 0:   # (a numpy array's
            # truth value is ambiguous); under 'po' a list was ignored without a word (every slope is common)
            every = "common" if self.assumption == "po" else "category-specific"
            raise ValueError(f"{_W}: po_columns is only used with assumption='ppo' (got assumption="
                             f"{self.assumption!r}, under which every slope is {every})")
        if self.assumption == "po":
            common = set(range(d))
        elif self.assumption == "npo":
            common = set()
        else:
            if po_columns is None or len(po_columns) == 0:
                raise ValueError(f"{_W}: assumption='ppo' needs po_columns (covariates with common slopes); "
                                 f"available: {', '.join(self.exog_names) or '(none)'}")
            common = set()
            for c in po_columns:
                if isinstance(c, (int, np.integer)):
                    c = int(c)
                    const = self._const_mask
                    if self._formula is None and const.any():
                        # an index of the exog as passed: a dropped constant column (e.g. sm.add_constant's
                        # 'const') shifted the later ones, and po_columns=[1] made the wrong covariate common
                        if not 0 <= c < const.size:
                            raise ValueError(f"{_W}: po_columns index {c} out of range [0, {const.size})")
                        if const[c]:
                            raise ValueError(f"{_W}: po_columns index {c} is a constant exog column, which was "
                                             f"dropped (each predictor has its own intercept)")
                        c = int(np.count_nonzero(~const[:c]))
                    elif not 0 <= c < d:
                        raise ValueError(f"{_W}: po_columns index {c} out of range [0, {d})")
                    common.add(c)
                elif c in self.exog_names:
                    common.add(self.exog_names.index(c))
                else:
                    raise ValueError(f"{_W}: po_columns entry {c!r} is not an exog column; "
                                     f"available: {', '.join(self.exog_names)}")
        self.po_columns = sorted(common)
        cols = []   # each: list of (row a, predictor k)
        names = []
        for k in range(K):
            cols.append([(0, k)])
            names.append(f"(Intercept):{k + 1}")
        for a in range(d):
            nm = self.exog_names[a]
            if a in common:
                cols.append([(a + 1, k) for k in range(K)])
                names.append(nm)
            else:
                for k in range(K):
                    cols.append([(a + 1, k)])
                    names.append(f"{nm}:{k + 1}")
        C = np.zeros((q * K, len(cols)))
        for p, entries in enumerate(cols):
            for a, k in entries:
                C[a * K + k, p] = 1.0
        self._C = C
        self.param_names = names
        self.k_params = len(names)

    def _collapse(self, collapse):
        Z = np.concatenate([np.ones((self.exog.shape[0], 1)), self.exog], axis=1)
        Y = self.endog_counts
        self._Z, self._Y = Z, Y
        self._nZZ = None                             # cache of n_i Z_i Z_i' for the information matrix
        self._N = None                               # cache of n_i (responses per setting)
        self._collapsed = False                      # _Z / _Y are the rows of exog / endog_counts, in order
        if collapse is False or Z.shape[0] < 50:
            return
        probe = Z[: min(2000, Z.shape[0])]
        if collapse == "auto" and (
                # a row has at least as many distinct values as any one of its columns: one continuous
                # column settles it without sorting whole rows (several times slower than the fit at n = 10^3)
                any(np.unique(probe[:, j]).shape[0] > probe.shape[0] // 2 for j in range(1, probe.shape[1]))
                or np.unique(probe, axis=0).shape[0] > probe.shape[0] // 2):
            return                                   # continuous covariates: nothing to group
        uniq, inv = np.unique(Z, axis=0, return_inverse=True)
        inv = inv.ravel()
        if collapse == "auto" and uniq.shape[0] > Z.shape[0] // 2:
            return
        Yc = np.zeros((uniq.shape[0], Y.shape[1]))
        for j in range(Y.shape[1]):
            Yc[:, j] = np.bincount(inv, weights=Y[:, j], minlength=uniq.shape[0])
        self._Z, self._Y = uniq, Yc
        self._collapsed = True

    # ------------------------------------------------------------------ formula interface
    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, **kwargs) -> "MultinomialLinkModel":
        """Build from a formula ``"y ~ x1 + C(g)"`` (patsy) on a pandas DataFrame.

        The left side is a response column (codes / labels / ordered Categorical) or ``cbind(a, b, c)`` of
        count columns (grouped data). The right side's intercept is absorbed by the J-1 intercepts.
        """
        import patsy

        if not isinstance(data, pd.DataFrame):
            raise ValueError(f"{_W}.from_formula: data must be a pandas DataFrame (got {type(data).__name__})")
        if "~" not in formula:
            raise ValueError(f"{_W}.from_formula: formula must look like 'y ~ x1 + x2' (got {formula!r})")
        lhs, rhs = (s.strip() for s in formula.split("~", 1))
        m = re.fullmatch(r"cbind\((.*)\)", lhs)
        ycols = [c.strip() for c in m.group(1).split(",")] if m else [lhs]
        for c in ycols:
            if c not in data.columns:
                raise ValueError(f"{_W}.from_formula: response column {c!r} not in data "
                                 f"(columns: {', '.join(map(str, data.columns))})")
        try:
            X = patsy.dmatrix(rhs, data, return_type="dataframe", NA_action="raise", eval_env=1)
        except patsy.PatsyError as e:
            msg = str(e).splitlines()[0]
            raise ValueError(f"{_W}.from_formula: cannot build the design from {rhs!r}: {msg}") from None
        endog = data[ycols] if m else data[ycols[0]]       # NA_action="raise": rows are aligned
        fw = kwargs.get("freq_weights")
        if isinstance(fw, str):
            if fw not in data.columns:
                raise ValueError(f"{_W}.from_formula: freq_weights column {fw!r} not in data "
                                 f"(columns: {', '.join(map(str, data.columns))})")
            kwargs["freq_weights"] = data[fw].to_numpy()
        obj = cls.__new__(cls)
        obj._formula = formula
        obj._design_info = X.design_info
        obj.__init__(endog, X, **kwargs)
        return obj

    # ------------------------------------------------------------------ core computations
    def _unpack(self, theta):
        K = self.J - 1
        return (self._C @ theta).reshape(-1, K)          # B: (q, K)

    def _params(self, theta, who: str) -> np.ndarray:
        """A parameter vector of the public methods: shape (k_params,) (a wrong length failed inside matmul), every
        entry finite (NaN / inf is no point of the parameter space: loglike gave -inf, information a NaN matrix or
        'outside the feasible region', score and observed_information blamed the feasible region)."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.k_params,):
            raise ValueError(f"{_W}.{who}: params must have shape ({self.k_params},) ({', '.join(self.param_names)}) "
                             f"(got shape {theta.shape})")
        if not np.isfinite(theta).all():
            raise ValueError(f"{_W}.{who}: params contain NaN/inf")
        return theta

    def _link_terms(self, eta):
        logF = np.empty_like(eta)
        logS = np.empty_like(eta)
        logf = np.empty_like(eta)
        groups: dict[tuple, list[int]] = {}
        for k, lk in enumerate(self.links):
            groups.setdefault((lk.name, lk.df), []).append(k)
        for _, ks in groups.items():
            lk = self.links[ks[0]]
            e = eta[:, ks]
            logF[:, ks], logS[:, ks], logf[:, ks] = lk.log_terms(e)
        return logF, logS, logf

    def _evaluate(self, theta, Z=None, Y=None, need_score=True, need_info=True):
        """log pi (m, J), per-row score wrt eta (m, K), per-unit U (m, K, K)."""
        Z = self._Z if Z is None else Z
        B = self._unpack(theta)
        eta = Z @ B
        if len(self.blocks) == 1:
            fam, Ys = self.blocks[0].family, (Y if need_score else None)
            N = self._counts() if Ys is not None and Ys is self._Y else None    # fixed: summed once
            if fam in ("baseline", "adjacent") and all(lk.name == "logit" for lk in self.links):
                # canonical case: the log odds are eta itself, no link terms needed (same values, fewer passes)
                return family_eval(fam, None, None, None, Ys, need_info, log_odds=eta, low_rank=True, N=N)
            return family_eval(fam, *self._link_terms(eta), Ys, need_info, low_rank=True, N=N,
                               order=self._order(eta, self.blocks[0]))
        logF, logS, logf = self._link_terms(eta)
        m, K = eta.shape
        J = self.J
        g1, sp, g2 = self.blocks
        k = g1.cats.stop
        logp = np.empty((m, J))
        s = np.zeros((m, K)) if need_score else None
        U = np.zeros((m, K, K)) if need_info else None
        # split: binary continuation step on (group 1 vs group 2)
        Ysp = np.stack([_row_sum(Y[:, :k]), _row_sum(Y[:, k:])], axis=1) if need_score else None
        lp_s, s_s, U_s = family_eval("continuation", logF[:, sp.preds], logS[:, sp.preds], logf[:, sp.preds],
                                     Ysp, need_info)
        ps = np.exp(lp_s)
        for blk, col in ((g1, 0), (g2, 1)):
            nc = blk.cats.stop - blk.cats.start
            if nc == 1:
                logp[:, blk.cats] = lp_s[:, col:col + 1]
                continue
            Yb = Y[:, blk.cats] if need_score else None
            lp_b, s_b, U_b = family_eval(blk.family, logF[:, blk.preds], logS[:, blk.preds],
                                         logf[:, blk.preds], Yb, need_info, order=self._order(eta, blk))
            logp[:, blk.cats] = lp_s[:, col:col + 1] + lp_b
            if need_score:
                s[:, blk.preds] = s_b
            if need_info:
                U[:, blk.preds, blk.preds] = ps[:, col, None, None] * U_b
        if need_score:
            s[:, sp.preds] = s_s
        if need_info:
            U[:, sp.preds, sp.preds] = U_s
        return logp, s, U

    def _order(self, eta, blk):
        """eta of a cumulative or baseline block whose predictors share one link (then F_j increases with eta_j):
        it orders two cdfs that both round to 0 or 1 in log space, or two baseline log odds that are both +inf in
        doubles (family_eval's ``order``)."""
        if blk.family not in ("cumulative", "baseline") or blk.preds.stop - blk.preds.start < 2:
            return None
        lks = {(lk.name, lk.df) for lk in self.links[blk.preds]}
        return eta[:, blk.preds] if len(lks) == 1 else None

    @staticmethod
    def _feasible(logp) -> bool:
        # NaN marks an infeasible point (family_eval); log pi = -inf is a probability that underflowed to 0
        return not np.isnan(logp).any()

    def _ll_from(self, logp) -> float:
        if np.isfinite(logp).all():
            return float(np.vdot(self._Y, logp))
        return self._ll_cells(logp)

    def _ll_cells(self, logp) -> float:
        """sum Y_ij log pi_ij cell by cell: a cell with Y_ij = 0 adds 0 whatever its probability (0 log 0 = 0),
        Y_ij > 0 at pi_ij = 0 gives -inf; -inf outside the feasible region (NaN in logp)."""
        if not self._feasible(logp):
            return -np.inf
        with np.errstate(invalid="ignore"):
            return float(np.sum(np.where(self._Y > 0, self._Y * logp, 0.0)))

    def _zero_prob_observed(self, logp) -> int:
        """Number of cells with a count whose probability is 0 in double precision (l = -inf there)."""
        return int(np.count_nonzero((self._Y > 0) & np.isneginf(logp)))

    def loglike(self, theta) -> float:
        """l(theta) = sum_i sum_j Y_ij log pi_ij (no multinomial constant; 0 log 0 = 0); -inf outside the
        feasible region or where an observed category has probability 0 in double precision."""
        return self._loglike(self._params(theta, "loglike"))

    def _loglike(self, theta) -> float:
        # unchecked: the fit's SLSQP polish reads -inf at any iterate it proposes
        logp, _, _ = self._evaluate(theta, need_score=False, need_info=False)
        return self._ll_cells(logp)

    def score(self, theta) -> np.ndarray:
        """Analytic score sum_i X_i' G_i' diag(pi_i)^{-1} Y_i (paper Sec. 4)."""
        return self._score(self._params(theta, "score"))

    def _score(self, theta) -> np.ndarray:
        # unchecked: observed_information's difference steps and the SLSQP polish call it at points of their own
        logp, s, _ = self._evaluate(theta, Y=self._Y, need_info=False)
        if not self._feasible(logp):
            raise InfeasibleError(f"{_W}.score: theta is outside the feasible region (some pi_ij <= 0)")
        n_zero = 0 if np.isfinite(logp).all() else self._zero_prob_observed(logp)
        if n_zero:
            raise InfeasibleError(f"{_W}.score: the log-likelihood is -inf at theta ({n_zero} "
                                  f"observed cell(s) with probability 0 in double precision); no score there")
        return self._C.T @ (s.T @ self._Z).T.ravel()

    def information(self, theta) -> np.ndarray:
        """Fisher information F(theta) = sum_i n_i X_i' U_i X_i (paper Sec. 4)."""
        theta = self._params(theta, "information")
        logp, _, U = self._evaluate(theta, Y=self._Y, need_score=False)
        if not self._feasible(logp):
            raise InfeasibleError(f"{_W}.information: theta is outside the feasible region")
        return self._info_from_U(U)

    def _counts(self) -> np.ndarray:
        if self._N is None:              # reset by _collapse, the only place _Y is set
            self._N = self._Y.sum(axis=1)
            self._unit = bool(np.all(self._N == 1.0))
        return self._N

    def _info_from_U(self, U, work=None):
        # F_B[(a,k),(b,l)] = sum_i n_i Z_ia Z_ib U_i[k,l]: one GEMM of (Z_a Z_b)_i against (n_i U_i)
        if isinstance(U, DiagMinusOuter):
            return self._C.T @ self._info_diag_minus_outer(U.d, U.a, work=work) @ self._C
        Z = self._Z
        m, q = Z.shape
        K = self.J - 1
        if self._nZZ is None:
            # n_i Z_ia Z_ib depends on the data only: built once per model, not once per iteration
            N = self._counts()
            self._nZZ = ((Z[:, :, None] * Z[:, None, :]).reshape(m, q * q) * N[:, None])
        W = U.reshape(m, K * K)
        # W' nZZ, not nZZ' W: OpenBLAS is ~100x slower on the (small x n)(n x small) transposed-view form
        FB = (W.T @ self._nZZ).T.reshape(q, q, K, K).transpose(0, 2, 1, 3).reshape(q * K, q * K)
        return self._C.T @ FB @ self._C

    def _info_diag_minus_outer(self, d, a, chunk: int = 32768, work: dict | None = None) -> np.ndarray:
        """F_B = sum_i n_i (Z_i Z_i') x (diag(d_i) - a_i a_i') in blocks of rows.

        = [sum_i n_i d_ik Z_i Z_i'] delta_kl - G'G with G_i = sqrt(n_i) Z_i x a_i: small GEMMs on row
        blocks that stay in cache, and no (m, K, K) or (m, q^2) array (first-touch page faults of
        arrays that size cost more than the arithmetic).
        work: a dict kept by the caller across calls (fit: across its iterations) holding one row-block
        array that G and then Zw are written into, instead of two new arrays per call (the same products,
        so the same bits). Fresh arrays of this size are page-faulted in anew on every call (glibc returns
        them to the system on free), which cost as much as the GEMMs at n ~ 10^4."""
        Z = self._Z
        m, q = Z.shape
        K = a.shape[1]
        N = self._counts()
        unit = self._unit                             # one response per row: no count weights to apply
        GtG = np.zeros((q * K, q * K))
        D = np.zeros((K * q, q))
        buf = None
        if work is not None:
            if work.get("rows") is None or work["rows"].size != min(m, chunk) * q * K:
                work["rows"] = np.empty(min(m, chunk) * q * K)
            buf = work["rows"]
        for s in range(0, m, chunk):
            Zc, nc = Z[s:s + chunk], N[s:s + chunk, None]
            r = Zc.shape[0]
            G = np.einsum("ia,ik->iak", Zc if unit else Zc * np.sqrt(nc), a[s:s + chunk],
                          out=None if buf is None else buf[:r * q * K].reshape(r, q, K)).reshape(-1, q * K)
            GtG += G.T @ G
            Zw = np.einsum("ik,ia->ika", d[s:s + chunk] if unit else d[s:s + chunk] * nc, Zc,
                           out=None if buf is None else buf[:r * K * q].reshape(r, K, q)).reshape(-1, K * q)
            D += Zw.T @ Zc
        FB = -GtG
        FB4 = FB.reshape(q, K, q, K)
        D = D.reshape(K, q, q)
        for k in range(K):
            FB4[:, k, :, k] += D[k]
        return FB

    def _param_units(self) -> np.ndarray:
        """max |x| of each parameter's covariate over the rows (1 for an intercept): the size of eta's change per
        unit change of the parameter."""
        q, K = self._Z.shape[1], self.J - 1
        zmax = np.abs(self._Z).max(axis=0) if self._Z.shape[0] else np.ones(q)
        rows = np.argmax(self._C != 0, axis=0) // K       # vec(B) = C theta, B[a, k] at a * K + k
        return zmax[rows]

    def observed_information(self, theta, h: float = 1e-6) -> np.ndarray:
        """-Hessian of l by central differences of the analytic score (for cov_type='observed').

        The step of parameter a is h * max(|theta_a|, 1 / s_a), s_a = max |x| of its covariate (1 for an
        intercept): it moves eta by about h whatever the covariate's units. A step of h * max(1, |theta_a|)
        moved eta by h * s_a, and the truncation error grew as s_a^2 (SEs 0.7% off at s_a ~ 1e5).

        At an estimate on the feasibility boundary of a cumulative model (some rho_i,j+1 - rho_ij ~ 1e-10) a step
        to one side of theta may leave the feasible region: that column then uses the second-order one-sided
        difference (-3 s(theta) + 4 s(theta + e) - s(theta + 2e)) / 2e on the feasible side (first order if only
        theta + e is feasible). Central differences everywhere else, as before."""
        if not is_real(h, 0.0, open_low=True):     # h = 0 gave a matrix of NaN (0 / 0) without a word
            raise ValueError(f"{_W}.observed_information: h must be a finite number > 0 (got {h!r})")
        theta = self._params(theta, "observed_information")
        p = theta.size
        inv_units = 1.0 / self._param_units()

        def score_or_none(th):
            try:
                return self._score(th)
            except InfeasibleError:
                return None

        H = np.zeros((p, p))
        s0 = None
        for a in range(p):
            e = np.zeros(p)
            step = h * max(inv_units[a], abs(theta[a]))
            e[a] = step
            sp, sm = score_or_none(theta + e), score_or_none(theta - e)
            if sp is not None and sm is not None:
                H[:, a] = (sp - sm) / (2 * step)
                continue
            if sp is None and sm is None:
                raise InfeasibleError(f"{_W}.observed_information: theta lies on the feasibility boundary in both "
                                      f"directions of {self.param_names[a]} (steps of +-{step:.1e} leave the "
                                      f"feasible region); use cov_type='expected'")
            if s0 is None:
                s0 = self._score(theta)
            sign, s1 = (1.0, sp) if sp is not None else (-1.0, sm)
            s2 = score_or_none(theta + 2 * sign * e)
            if s2 is None:
                H[:, a] = (s1 - s0) / (sign * step)
            else:
                H[:, a] = (-3.0 * s0 + 4.0 * s1 - s2) / (2 * sign * step)
        return -(H + H.T) / 2

    def start_params(self) -> np.ndarray:
        """Paper's feasible start: intercepts g_j(pooled rho_j), slopes 0. Where rho_j rounds to 1 (counts below
        the split ~1e16 times those above; g_j(1) = inf) the intercept is g_j from 1 - rho_j instead."""
        tot = self._Y.sum(axis=0)
        K = self.J - 1
        rho = np.empty(K)
        sf = np.empty(K)
        for b in self.blocks:
            if b.kind == "split":
                k = b.preds.start + 1
                rho[b.preds] = tot[:k].sum() / tot.sum()
                sf[b.preds] = tot[k:].sum() / tot.sum()
            elif b.cats.stop - b.cats.start > 1:
                rho[b.preds] = pooled_rho(b.family, tot[b.cats])
                sf[b.preds] = pooled_rho_sf(b.family, tot[b.cats])
        theta = np.zeros(self.k_params)
        with np.errstate(divide="ignore"):                  # g_j(1) = inf: replaced below
            theta[:K] = [lk.quantile(r) for lk, r in zip(self.links, rho)]
        for j in np.flatnonzero(~np.isfinite(theta[:K])):
            theta[j] = self.links[j].quantile_sf(sf[j])
        return theta

    # ------------------------------------------------------------------ fitting
    def fit(self, start_params=None, maxiter: int = 200, tol: float = 1e-9, max_halving: int = 30,
            step_halving: bool = True, cov_type: str = "expected", check_separation: bool = True,
            polish: bool = True, disp: bool = False) -> "MultinomialLinkResults":
        """Maximum likelihood by Fisher scoring with the paper's feasibility safeguard.

        tol: stop when the largest parameter change of a step is below tol (or the log-likelihood no
        longer changes in floating point). step_halving=False gives the naive Fisher scoring iteration
        (for comparison): an infeasible iterate raises :class:`InfeasibleError`.
        cov_type: "expected" (inverse Fisher information, the paper's SE) or "observed" (inverse of the
        negative Hessian by differencing the analytic score).
        polish: when Fisher scoring stops on the boundary of the feasible region of a cumulative model
        (halved steps no longer raise l), finish with SLSQP under the feasibility constraints
        rho_i,j+1 - rho_ij >= 1e-10 (our addition: step halving alone crawls along the boundary).
        """
        if cov_type not in ("expected", "observed"):
            raise ValueError(f"{_W}.fit: cov_type must be 'expected' or 'observed' (got {cov_type!r})")
        _check_fit_settings(maxiter, tol, max_halving, step_halving=step_halving, check_separation=check_separation,
                            polish=polish, disp=disp)
        t0 = time.perf_counter()
        theta = self.start_params() if start_params is None else np.asarray(start_params, dtype=float).copy()
        if theta.shape != (self.k_params,):
            raise ValueError(f"{_W}.fit: start_params must have shape ({self.k_params},) (got {theta.shape})")
        if not np.isfinite(theta).all():    # was reported as 'outside the feasible region'
            if start_params is None:
                raise ValueError(f"{_W}.fit: the default starting values (link quantiles of the pooled category "
                                 f"proportions) are not finite: {theta}; pass start_params")
            raise ValueError(f"{_W}.fit: start_params contain NaN/inf")
        cur = self._evaluate(theta, Y=self._Y)          # (log pi, score wrt eta, U) at theta
        ll = self._ll_from(cur[0])
        if not np.isfinite(ll):
            if not self._feasible(cur[0]):
                if start_params is None:
                    # the pooled rho_j of two cumulative predictors round to the same double: a category whose
                    # share is below ~1e-16 of the ones around it
                    raise InfeasibleError(f"{_W}.fit: the default starting values are outside the feasible region "
                                          f"(two pooled cumulative proportions are equal in double precision: a "
                                          f"category ~1e16 times rarer than its neighbours); pass start_params")
                raise InfeasibleError(f"{_W}.fit: start_params are outside the feasible region")
            raise InfeasibleError(f"{_W}.fit: the log-likelihood is -inf at start_params "
                                  f"({self._zero_prob_observed(cur[0])} observed cell(s) with probability 0 in "
                                  f"double precision); start closer to the data")
        converged = False
        boundary = False
        history = [ll]
        n_halvings = 0
        halved: list[bool] = []
        it = 0
        work: dict = {}                                  # row-block buffer of the information, reused
        for it in range(1, maxiter + 1):
            logp, s, U = cur
            g = self._C.T @ (s.T @ self._Z).T.ravel()
            Fi = self._info_from_U(U, work)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", linalg.LinAlgWarning)
                    step = linalg.solve(Fi, g, assume_a="pos")
            except (linalg.LinAlgError, ValueError):
                step = np.linalg.lstsq(Fi, g, rcond=None)[0]
            if not np.all(np.isfinite(step)):
                break
            t = 1.0
            accepted = False
            for _h in range(max_halving + 1):
                new = theta + t * step
                trial = self._evaluate(new, Y=self._Y)       # reused as the next iterate's score/info
                ll_new = self._ll_from(trial[0])
                if not step_halving:
                    if not np.isfinite(ll_new):
                        raise InfeasibleError(
                            f"{_W}.fit: naive Fisher scoring left the feasible region at iteration {it} "
                            f"(some fitted pi_ij <= 0)" if not self._feasible(trial[0]) else
                            f"{_W}.fit: naive Fisher scoring reached log-likelihood -inf at iteration {it} "
                            f"(an observed category with probability 0 in double precision)")
                    accepted = True
                    break
                if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * (abs(ll) + 1.0):
                    accepted = True
                    break
                t *= 0.5
                n_halvings += 1
            if not accepted:
                boundary = True       # no feasible ascent along the scoring direction
                converged = True
                break
            dl = ll_new - ll
            dstep = np.max(np.abs(t * step)) if step.size else 0.0
            theta, ll, cur = new, ll_new, trial
            history.append(ll)
            if dstep < tol or abs(dl) <= 1e-15 * (abs(ll) + 1.0):
                converged = True
                boundary = t < 1.0     # a tiny halved step is stagnation at the boundary, not a stationary point
                break
            halved.append(t < 1.0)
            if (t < 1.0 and abs(dl) < 1e-11 * (abs(ll) + 1.0)) or (
                    len(history) > 4 and all(halved[-3:])
                    and history[-1] - history[-4] < 1e-7 * (abs(ll) + 1.0)):
                # halved steps that no longer raise l: the supremum lies on the boundary of the
                # feasible region (cumulative npo); stop there with a feasible estimate
                converged = boundary = True
                break
        polished = False
        if not converged and any(halved[-5:]):
            boundary = converged = True    # still crawling along the feasibility boundary
        if boundary and polish and any(b.family == "cumulative" and b.preds.stop - b.preds.start > 1
                                       for b in self.blocks):
            theta2, ll2 = self._polish_boundary(theta)
            if ll2 > ll:
                theta, ll, polished = theta2, ll2, True
                history.append(ll)
                cur = self._evaluate(theta, Y=self._Y)
        if not converged:
            warnings.warn(f"{_W}.fit: Fisher scoring did not converge in {maxiter} iterations "
                          f"(last log-likelihood change {history[-1] - history[-2] if len(history) > 1 else 0:.3g})",
                          UserWarning, stacklevel=2)
        logp, s, U = cur
        if check_separation:
            self._check_separation(logp)
            if not boundary:
                self._warn_quasi_separation(logp)
        info = self._info_from_U(U, work) if cov_type == "expected" else self.observed_information(theta)
        # the fitted probabilities at the training rows are exp(log pi) of the last evaluation (when the rows
        # were not collapsed into settings): the same numbers predict() would compute again
        fitted = None if self._collapsed else np.exp(logp)
        res = MultinomialLinkResults(self, theta, info, ll, converged, it, boundary, cov_type,
                                     time.perf_counter() - t0, history, n_halvings, fitted=fitted)
        res.polished = polished
        if disp:
            print(res.summary())
        return res

    def _polish_boundary(self, theta, eps: float = 1e-10):
        """Maximize l under rho_i,j+1 - rho_ij >= eps (cumulative blocks) with SLSQP from a feasible theta."""
        from scipy.optimize import minimize

        q, K, p = self._Z.shape[1], self.J - 1, self.k_params
        A = np.einsum("ia,akp->ikp", self._Z, self._C.reshape(q, K, p))      # eta_ik = A[i, k] @ theta
        pairs = [(k, k + 1) for b in self.blocks if b.family == "cumulative"
                 for k in range(b.preds.start, b.preds.stop - 1)]
        lo = np.array([a for a, _ in pairs])
        hi = np.array([b for _, b in pairs])
        scale = max(float(self._Y.sum()), 1.0)

        def rho_terms(th):
            eta = self._Z @ self._unpack(th)
            logF, _, logf = self._link_terms(eta)
            return np.exp(logF), np.exp(logf)

        def cons(th):
            F, _ = rho_terms(th)
            return (F[:, hi] - F[:, lo]).ravel() - eps

        def cons_jac(th):
            _, f = rho_terms(th)
            J = f[:, hi, None] * A[:, hi, :] - f[:, lo, None] * A[:, lo, :]
            return J.reshape(-1, p)

        def obj(th):
            v = self._loglike(th)
            return 1e6 if not np.isfinite(v) else -v / scale

        def jac(th):
            try:
                return -self._score(th) / scale
            except InfeasibleError:
                return np.zeros(p)

        # SLSQP is not scale-invariant (its first quasi-Newton matrix is the identity): with a covariate in units
        # of 1e4 or more (or 1e-6) it stopped where it started, 20 log-likelihood units below the fit of the same
        # data in units of 1. Parameters of covariates whose max |x| is outside [1e-2, 1e2] are optimised in
        # units u = theta * max|x| (the others, and every intercept, unchanged: u = theta exactly).
        units = self._param_units()
        D = np.where((units < 1e-2) | (units > 1e2), 1.0 / units, 1.0)
        if np.all(D == 1.0):
            fun, fjac, fcons, fcons_jac, x0 = obj, jac, cons, cons_jac, theta
        else:
            def fun(u):
                return obj(D * u)

            def fjac(u):
                return jac(D * u) * D

            def fcons(u):
                return cons(D * u)

            def fcons_jac(u):
                return cons_jac(D * u) * D

            x0 = theta / D
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = minimize(fun, x0, jac=fjac, method="SLSQP",
                         constraints=[{"type": "ineq", "fun": fcons, "jac": fcons_jac}],
                         options={"maxiter": 500, "ftol": 1e-15})
        th = r.x if x0 is theta else D * r.x
        ll = self._loglike(th)
        return (th, ll) if np.isfinite(ll) else (theta, -np.inf)

    def _check_separation(self, logp):
        Y = self._Y
        pos = Y > 0
        single = _row_sum(pos.astype(float)) == 1           # (Y > 0).sum(axis=1) == 1, by columns
        if single.all():
            p_obs = np.exp(_row_max(np.where(pos, logp, -np.inf)))
            if np.all(p_obs > 1 - 1e-6):
                raise PerfectSeparationError(
                    f"{_W}.fit: perfect separation: the covariates predict every response exactly "
                    f"(all fitted probabilities of the observed categories > 1 - 1e-6); the MLE does not exist")

    def _warn_quasi_separation(self, logp, eps: float = 10 * np.finfo(float).eps):
        """Warn (as R's glm does, same threshold 10 * machine epsilon; legitimate fits with extreme-value
        links reach 1e-12) when fitted probabilities are numerically 0 or 1 at an interior estimate:
        the usual sign of quasi-complete separation, where the MLE does not exist and some estimates and
        their SEs diverge."""
        p = np.exp(logp)
        if np.any(p < eps) or np.any(p > 1 - eps):
            warnings.warn(f"{_W}.fit: fitted probabilities numerically 0 or 1 occurred (min {p.min():.1e}): "
                          f"quasi-complete separation is likely, the MLE may not exist and the estimates / SEs "
                          f"of the separating covariates are unreliable", UserWarning, stacklevel=3)

    # ------------------------------------------------------------------ prediction
    def _design(self, exog):
        if exog is None:
            return np.concatenate([np.ones((self.exog.shape[0], 1)), self.exog], axis=1)
        if self._design_info is not None and isinstance(exog, pd.DataFrame):
            import patsy
            X = np.asarray(patsy.build_design_matrices([self._design_info], exog, NA_action="raise")[0])
        else:
            if isinstance(exog, pd.DataFrame) and exog.columns.is_unique:
                # a DataFrame is read by column NAME when it holds every covariate of the fit (the rows were
                # silently mis-read when its columns came in another order); otherwise by position, as before
                by_name = {str(c): c for c in exog.columns}
                if set(self.exog_names) <= set(by_name):
                    exog = exog[[by_name[c] for c in self.exog_names]]
            X = _as_2d_float(exog, "exog")
            if X.shape[1] == len(self._const_mask) and X.shape[1] != len(self.exog_names):
                X = X[:, ~self._const_mask]
        if self._design_info is not None and X.shape[1] == len(self._const_mask):
            X = X[:, ~self._const_mask]
        if X.shape[1] != len(self.exog_names):
            raise ValueError(f"{_W}.predict: exog must have {len(self.exog_names)} columns "
                             f"({', '.join(self.exog_names)}) (got {X.shape[1]})")
        if not np.isfinite(X).all():
            raise ValueError(f"{_W}.predict: exog has NaN/inf")
        return np.concatenate([np.ones((X.shape[0], 1)), X], axis=1)

    def predict(self, params, exog=None) -> np.ndarray:
        """Category probabilities (n, J) at params for exog (default: the training rows)."""
        Z = self._design(exog)
        params = self._params(params, "predict")   # NaN / inf were reported as an infeasible cumulative model
        logp, _, _ = self._evaluate(params, Z=Z, need_score=False, need_info=False)
        P = np.exp(logp)
        bad = np.isnan(logp).any(axis=1)          # NaN: infeasible; -inf is a probability that underflowed to 0
        if bad.any():
            # cumulative predictors out of order at these rows: some "pi_ij" would be <= 0 (never at the
            # training rows of a fit, which stays feasible); baseline / adjacent rows whose log odds are inf - inf
            # in doubles (family_eval); return NaN rather than invalid probabilities
            warnings.warn(f"{_W}.predict: the model is infeasible at {int(bad.sum())} of "
                          f"{len(bad)} rows of exog (cumulative predictors not ordered there, some pi_ij <= 0; or "
                          f"baseline log odds of +inf at equal predictors or predictors of different links, or "
                          f"adjacent log odds of +inf and -inf, that double precision cannot resolve); "
                          f"returning NaN for them", UserWarning, stacklevel=2)
            P[bad] = np.nan
        return P

    def describe(self) -> str:
        links = [lk.label for lk in self.links]
        lk = links[0] if len(set(links)) == 1 else "(" + ", ".join(links) + ")"
        fam = self.model if len(self.blocks) == 1 else \
            f"two-group[{self.model} | {self.blocks[1].family}-split | {self.group2_model}]"
        if self.na_category:
            fam = f"{self.model} + NA category (two-group)"
        return f"{fam}, link {lk}, {self.assumption}"


def _check_fit_settings(maxiter, tol, max_halving, **flags) -> None:
    """The solver settings of :meth:`MultinomialLinkModel.fit`, refused one by one when they make no sense. Before:
    max_halving=-1 tried no step and reported the start values as converged (on the boundary); maxiter=0 or -3
    ran no iteration; tol=-1 or NaN never stopped on the step size and tol=inf after the first step; a string
    flag (step_halving='no') counted as True; maxiter=2.5 failed inside range()."""
    from paperworks.core.config import as_flag, is_int

    if not is_int(maxiter, 1):
        raise ValueError(f"{_W}.fit: maxiter must be an integer >= 1 (got {maxiter!r})")
    if not is_real(tol, 0.0):
        raise ValueError(f"{_W}.fit: tol must be a finite number >= 0 (got {tol!r})")
    if not is_int(max_halving, 0):
        raise ValueError(f"{_W}.fit: max_halving must be an integer >= 0 (got {max_halving!r})")
    for name, v in flags.items():
        if as_flag(v) is None:   # (bool, numpy bool, a 0-d boolean array / tensor: core.config.as_flag)
            raise ValueError(f"{_W}.fit: {name} must be True or False (got {v!r})")


def _scaled_cond(info) -> float:
    """Condition number of the information with each parameter in its own units, D^-1/2 info D^-1/2 with
    D = diag(info): singularity does not depend on the covariates' units, but cond(info) does (a covariate in
    units of 1e7 gave cond ~ 1e14 and a false 'singular' warning at a well-determined estimate). Falls back to
    cond(info) where a diagonal entry is not positive and finite."""
    d = np.diag(info)
    if not (np.all(d > 0) and np.all(np.isfinite(d))):
        return float(np.linalg.cond(info))
    s = 1.0 / np.sqrt(d)
    return float(np.linalg.cond(info * s[:, None] * s[None, :]))


class MultinomialLinkResults:
    """Fit of a :class:`MultinomialLinkModel` (statsmodels-like)."""

    def __init__(self, model, params, info, llf, converged, n_iter, boundary, cov_type, fit_time, history,
                 n_halvings, fitted=None):
        self.model = model
        self.params = np.asarray(params, float)
        self.param_names = list(model.param_names)
        self.llf = float(llf)
        self.converged = converged
        self.n_iter = n_iter
        self.boundary = boundary
        self.cov_type = cov_type
        self.fit_time = fit_time
        self.llf_history = history
        self.n_halvings = n_halvings
        self.fisher_information = info
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", linalg.LinAlgWarning)
                self.cov_params_ = linalg.inv(info)
            if _scaled_cond(info) > 1e13:
                raise linalg.LinAlgError
            if not np.all(np.isfinite(self.cov_params_)) or np.any(np.diag(self.cov_params_) < 0):
                raise linalg.LinAlgError
        except (linalg.LinAlgError, ValueError):
            warnings.warn(f"{_W}: Fisher information is singular at the estimate (boundary of the parameter "
                          f"space or non-identifiable parameters); using a pseudo-inverse", UserWarning)
            self.cov_params_ = np.linalg.pinv(info)
        self.bse = np.sqrt(np.clip(np.diag(self.cov_params_), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tvalues = self.params / self.bse
        self.zvalues = self.tvalues
        self.pvalues = 2 * special.ndtr(-np.abs(self.tvalues))      # = 2 stats.norm.sf(|t|), without its overhead
        Y = model.endog_counts
        self.nobs = float(Y.sum())              # number of individual responses
        self.n_settings = int(Y.shape[0])
        self.df_model = model.k_params
        self.df_resid = int(Y.shape[0] * (model.J - 1) - model.k_params)
        self.aic = -2 * self.llf + 2 * self.df_model
        self.bic = -2 * self.llf + np.log(self.nobs) * self.df_model
        N = Y.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            sat = float(np.sum(np.where(Y > 0, Y * np.log(Y / N), 0.0)))
        self.llf_saturated = sat
        self.deviance = 2 * (sat - self.llf)
        if fitted is None:                      # fit() passes exp(log pi) of its last evaluation
            fitted = model.predict(self.params)
        self.fittedvalues = fitted
        self.min_prob = float(fitted.min())

    def cov_params(self) -> np.ndarray:
        return self.cov_params_

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        # any real number: numpy scalars of any width pass (np.float32(0.05) is not a Python float)
        if not is_real(alpha, 0.0, 1.0, open_low=True, open_high=True):
            raise ValueError(f"{_W}.conf_int: alpha must be in (0, 1) (got {alpha!r})")  # gave NaN bounds
        # isf(alpha / 2), not ppf(1 - alpha / 2): 1 - alpha / 2 rounds (2e-9 relative error in z at alpha = 1e-10,
        # z = inf below alpha ~ 1e-16)
        z = stats.norm.isf(alpha / 2)
        return np.stack([self.params - z * self.bse, self.params + z * self.bse], axis=1)

    def predict(self, exog=None) -> np.ndarray:
        """Category probabilities (n, J) for exog (default: training rows)."""
        return self.model.predict(self.params, exog)

    def lr_test(self, restricted: "MultinomialLinkResults") -> tuple[float, int, float]:
        """Likelihood-ratio test of a nested restricted fit: (statistic, df, p-value)."""
        if not isinstance(restricted, MultinomialLinkResults):
            raise ValueError(f"{_W}.lr_test: 'restricted' must be a fitted MultinomialLinkResults "
                             f"(got {type(restricted).__name__})")
        a, b = self.model.endog_counts, restricted.model.endog_counts
        if a.shape != b.shape or not np.array_equal(a, b):
            # fits of different responses (say a complete-case fit vs one with an NA category) gave a
            # statistic and p-value without meaning, silently
            raise ValueError(f"{_W}.lr_test: the two fits are not of the same responses ({self.nobs:g} vs "
                             f"{restricted.nobs:g} responses in {a.shape[0]} vs {b.shape[0]} rows); "
                             f"a likelihood-ratio test needs nested models of the same data")
        stat = 2 * (self.llf - restricted.llf)
        dof = self.df_model - restricted.df_model
        if dof <= 0:
            raise ValueError(f"{_W}.lr_test: the restricted model must have fewer parameters "
                             f"({restricted.df_model} >= {self.df_model})")
        return float(stat), int(dof), float(stats.chi2.sf(max(stat, 0.0), dof))

    def summary_frame(self) -> pd.DataFrame:
        ci = self.conf_int()
        return pd.DataFrame({"coef": self.params, "std err": self.bse, "z": self.tvalues,
                             "P>|z|": self.pvalues, "[0.025": ci[:, 0], "0.975]": ci[:, 1]},
                            index=self.param_names)

    def summary(self) -> str:
        m = self.model
        head = [
            "Multinomial link model (Wang, Tong & Yang, arXiv:2312.16260)",
            f"Model:        {m.describe()}",
            f"Categories:   {', '.join(map(str, m.categories))}",
            f"Observations: {self.nobs:.0f} in {self.n_settings} rows    Parameters: {self.df_model}",
            f"Log-lik:      {self.llf:.4f}    Deviance: {self.deviance:.4f}",
            f"AIC:          {self.aic:.4f}    BIC: {self.bic:.4f}",
            f"Converged:    {self.converged} in {self.n_iter} Fisher-scoring iterations "
            f"({self.n_halvings} step halvings){'; estimate on the boundary' if self.boundary else ''}",
            f"Covariance:   {self.cov_type} information",
            "",
        ]
        return "\n".join(head) + self.summary_frame().to_string(float_format=lambda v: f"{v:.4f}")

    def __repr__(self) -> str:
        return f"<MultinomialLinkResults {self.model.describe()}: llf={self.llf:.4f}, aic={self.aic:.2f}>"
