"""The four families of multinomial link models, on the predictor (eta) scale.

Wang, Tong & Yang (arXiv:2312.16260, Sec. 2) define for setting i and j = 1..J-1 a quantity rho_ij in (0, 1)
with g_j(rho_ij) = eta_ij, i.e. rho_ij = F_j(eta_ij):

    baseline-category   rho_ij = pi_ij / (pi_ij + pi_iJ)
    cumulative          rho_ij = pi_i1 + ... + pi_ij
    adjacent-categories rho_ij = pi_ij / (pi_ij + pi_i,j+1)
    continuation-ratio  rho_ij = pi_ij / (pi_ij + ... + pi_iJ)

For each family this module returns, from (log F, log(1-F), log f) of every predictor and the counts Y_i,

    log pi_i                 (J,)        category log-probabilities
    s_i = dl_i / d eta_i     (J-1,)      = G_i' diag(pi_i)^{-1} Y_i, with G_i = d pi_i / d eta_i'
    U_i                      (J-1, J-1)  = G_i' diag(pi_i)^{-1} G_i   (Fisher information per unit count)

so that the score is sum_i X_i' s_i and the Fisher information is F = sum_i n_i X_i' U_i X_i (the paper's
Theorem on the Fisher information; for logit links these reduce to Bu, Majumdar & Yang 2020, Cor. 3.1).
The closed forms below are derived by the chain rule through rho (d rho_ij / d eta_ij = f_j(eta_ij)):

    baseline:     U = r r' o (diag(pi_1..J-1) - pi pi'),     r_k = f_k / (F_k (1 - F_k))
    adjacent:     U = r r' o (P_min(k,l) - P_k P_l),          P_k = pi_1 + ... + pi_k
    continuation: U = diag(P(Y >= k) f_k^2 / (F_k (1 - F_k)))  (conditional binomials: diagonal)
    cumulative:   U tridiagonal, U_kk = f_k^2 (1/pi_k + 1/pi_k+1), U_k,k+1 = -f_k f_k+1 / pi_k+1

Every quantity is computed on the log scale where it helps (probabilities near 0 or 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["FAMILIES", "DiagMinusOuter", "family_eval", "pooled_rho", "pooled_rho_sf"]

FAMILIES = ("baseline", "cumulative", "adjacent", "continuation")


# Row-wise reductions over the few (J <= ~10) columns of an (m, J) array, done as J column passes: numpy
# reduces along a short last axis one row at a time (~10x slower at m = 10^4). Each helper returns the
# numpy result bit for bit (same operations in the same order; tests/stats/test_h3_speed.py checks it).

def _row_max(c):
    """c.max(axis=1): a max is exact in any order; only which of +0.0 / -0.0 wins a tie depends on it, and
    numpy's order (the later operand on a tie) is the left-to-right one for rows of n <= 8 terms only."""
    if c.shape[1] > 8:
        return c.max(axis=1)
    out = c[:, 0].copy()
    for j in range(1, c.shape[1]):
        np.maximum(out, c[:, j], out=out)
    return out


def _row_sum(c):
    """c.sum(axis=1) in numpy's order: a float64 row is added by pairwise summation, which for n < 8
    terms is a plain left-to-right loop and for 8 <= n <= 128 keeps 8 running sums r_0..r_7 (r_k takes the
    terms k, k+8, ...), adds them as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) and then the n mod 8 last terms;
    the reduction starts from 0.0 (so an all-zero row sums to +0.0). numpy adds along the rows only when
    they are contiguous in memory (otherwise column by column, left to right), so for n >= 8 the other
    layouts are left to numpy."""
    n = c.shape[1]
    if (n >= 8 and not c.flags.c_contiguous) or c.dtype != np.float64:
        return c.sum(axis=1)                            # integer / float32 counts: numpy's own dtype rules
    if n < 8:
        out = c[:, 0].copy()
        for j in range(1, n):
            out += c[:, j]
    elif n <= 128:
        r = [c[:, k].copy() for k in range(8)]
        i = 8
        while i < n - n % 8:
            for k in range(8):
                r[k] += c[:, i + k]
            i += 8
        out = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for j in range(i, n):
            out += c[:, j]
    else:
        return c.sum(axis=1)
    out += 0.0
    return out


def _row_cumsum(c):
    """np.cumsum(c, axis=1) (a left-to-right running sum)."""
    if c.dtype != np.float64:
        return np.cumsum(c, axis=1)
    out = np.empty(c.shape)
    out[:, 0] = c[:, 0]
    for j in range(1, c.shape[1]):
        np.add(out[:, j - 1], c[:, j], out=out[:, j])
    return out


def _log1mexp(a):
    """log(1 - exp(a)) for a <= 0 (log1p / expm1 on the two sides of -log 2)."""
    with np.errstate(divide="ignore"):
        return np.where(a > -np.log(2.0), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def _softmax_log(c):
    """(log softmax, softmax) of each row of c; one exp pass serves both."""
    logp = c - _row_max(c)[:, None]
    p = np.exp(logp)
    z = _row_sum(p)[:, None]
    p /= z
    logp -= np.log(z)
    return logp, p


def _tail_log_odds(family, lo, r, c, order=None):
    """Rows of the baseline / adjacent families where a predictor lies in a tail beyond the doubles: its log odds
    lo_k = log F_k - log(1 - F_k) is +-inf (e.g. cloglog eta > 709.78, where log(1 - F) = -e^eta overflows) or
    d lo_k / d eta_k = f / (F (1 - F)) overflows, which made log pi NaN (inf - inf). In the limit the categories
    that lo_k = +inf puts below the others get pi = 0 (log pi = -inf), and every score and information term
    of predictor k tends to 0 (each has a factor f_k^2 / F_k or f_k^2 / (1 - F_k) -> 0, or multiplies a zero
    count); those are returned as the mask ``tails`` (m, K). Returns (c, tails) with the rows' c replaced:
    baseline, one lo_k = +inf: category k has pi = 1. Several: pi_k / pi_l = e^(lo_k - lo_l), and two log odds
    beyond the doubles that are not equal differ by far more than 745 (cloglog: e^eta2 - e^eta1 >= e^709.78 x
    1e-13 ~ 2e295 for eta1 < eta2 one ulp apart; probit beyond eta ~ 1.9e154: (eta2^2 - eta1^2) / 2 ~ 4e292), so
    the largest one takes pi = 1 and the others 0. Which one is largest is read from ``order`` (values that
    increase with lo_k across the predictors: eta when every predictor has the same link); without it (mixed
    links) or on an exact tie (equal predictors, whose derivatives overflow) the row is not resolvable in
    double precision (NaN row).
    Adjacent: pi_k / pi_k+1 = e^lo_k, so the first k with lo_k = +inf takes every category after it to 0,
    unless a later lo_l is -inf (then not resolvable: NaN row)."""
    tails = ~(np.isfinite(lo) & np.isfinite(r))
    pinf = np.isposinf(lo)
    rows = pinf.any(axis=1)
    if rows.any():
        c = c.copy()
        m, K = lo.shape
        if family == "baseline":
            pr = pinf[rows]
            several = pr.sum(axis=1) > 1
            if order is not None and several.any():
                # several log odds beyond the doubles: the largest predictor's category takes pi = 1
                key = np.where(pr, order[rows], -np.inf)
                top = key == key.max(axis=1, keepdims=True)
                win = pr & top
                single = several & (win.sum(axis=1) == 1)
                pr = np.where(single[:, None], win, pr)
                several = several & ~single
            cr = np.where(pr, 0.0, -np.inf)
            cr = np.concatenate([cr, np.full((cr.shape[0], 1), -np.inf)], axis=1)
            cr[several] = np.nan
        else:
            first = np.argmax(pinf[rows], axis=1)[:, None]             # first k with lo_k = +inf
            col = np.arange(K + 1)[None, :]
            part = np.where(col[:, :K] < first, lo[rows], 0.0)
            cr = np.concatenate([np.cumsum(part[:, ::-1], axis=1)[:, ::-1], np.zeros((part.shape[0], 1))], axis=1)
            cr[col > first] = -np.inf
            # a lo_l = -inf after the first +inf (mixed links, e.g. cloglog e^720 then loglog -e^800): the sum
            # lo_first + ... + lo_l is inf - inf, which category dominates is not resolvable in double precision
            cr[(np.isneginf(lo[rows]) & (col[:, :K] > first)).any(axis=1)] = np.nan
        c[rows] = cr
    return c, tails


class DiagMinusOuter(NamedTuple):
    """U_i = diag(d_i) - a_i a_i' per row, kept factored: (m, K) each instead of a dense (m, K, K)."""
    d: np.ndarray
    a: np.ndarray

    def dense(self) -> np.ndarray:
        m, K = self.d.shape
        U = self.a[:, :, None] * self.a[:, None, :]
        np.negative(U, out=U)
        U.reshape(m, K * K)[:, :: K + 1] += self.d
        return U


def family_eval(family: str, logF, logS, logf, Y, need_info: bool = True, log_odds=None,
                low_rank: bool = False, N=None, order=None):
    """Evaluate one family. logF/logS/logf: (m, K); Y: (m, K+1) counts (or None).

    log_odds: for the baseline and adjacent families with logit links only, eta itself (then
    log(rho / (1 - rho)) = eta and d/d eta = 1 exactly, and logF/logS/logf are not needed: pass None).
    low_rank: for the baseline family, return U as :class:`DiagMinusOuter` (d = r^2 o pi, a = r o pi), the
    exact factored form of r r' o (diag(pi) - pi pi'), which the information matrix uses without forming U.
    N: Y.sum(axis=1) when the caller has it (the counts are fixed during a fit).
    order: for the cumulative and baseline families, optional (m, K) values increasing with F_j (eta itself when
    every predictor has the same link); used only where F_j-1 and F_j both round to 0 (or both to 1) in log space
    (cumulative) or where several log odds are +inf in doubles (baseline: the largest predictor wins).
    Returns (logp (m, K+1), score (m, K) or None, U (m, K, K) or None). logp = -inf is a probability that
    is 0 in double precision (an underflow: feasible; a cell with no count adds 0 to l, its score and U);
    logp = NaN marks a cumulative cell with pi_ij <= 0 (an infeasible point) or a row that cannot be
    evaluated in double precision (baseline: several log odds that overflow at equal predictors or with no
    ``order``; adjacent: a +inf log odds before a -inf one); callers check for NaN.
    """
    if log_odds is not None and family not in ("baseline", "adjacent"):
        raise ValueError(f"family_eval: log_odds is only defined for the baseline and adjacent families "
                         f"(got {family!r})")
    m, K = (logF if log_odds is None else log_odds).shape
    if Y is not None and N is None:
        N = _row_sum(Y)
    s = U = None
    if family in ("baseline", "adjacent"):
        if log_odds is None:
            with np.errstate(invalid="ignore"):             # -inf - -inf far in a tail: see _tail_log_odds
                lo = logF - logS                            # log odds: log(rho / (1 - rho))
                r = np.exp(logf - logF - logS)              # d lo / d eta
        else:
            lo, r = log_odds, None                          # logit links: r = 1
        if family == "baseline":
            c = np.concatenate([lo, np.zeros((m, 1))], axis=1)
        else:                                               # c_j = sum_{l >= j} lo_l, c_J = 0
            with np.errstate(invalid="ignore"):             # +inf + -inf: resolved in _tail_log_odds
                c = np.concatenate([_row_cumsum(lo[:, ::-1])[:, ::-1], np.zeros((m, 1))], axis=1)
        tails = None
        if r is not None and not (np.isfinite(lo).all() and np.isfinite(r).all()):
            c, tails = _tail_log_odds(family, lo, r, c, order if family == "baseline" else None)
        with np.errstate(invalid="ignore"):
            logp, p = _softmax_log(c)
        if family == "baseline":
            q = p[:, :K]
            if Y is not None:
                s = Y[:, :K] - N[:, None] * q
                if r is not None:
                    s *= r
            if need_info:
                # r r' o (diag(q) - q q') = diag(r o r o q) - (r o q)(r o q)'
                a = q if r is None else r * q
                U = DiagMinusOuter(q if r is None else r * a, a)
                if tails is not None:                       # limits 0 (see _tail_log_odds)
                    U.d[tails] = 0.0
                    U.a[tails] = 0.0
                if not low_rank:
                    U = U.dense()
        else:
            P = _row_cumsum(p)[:, :K]
            if Y is not None:
                s = _row_cumsum(Y)[:, :K] - N[:, None] * P
                if r is not None:
                    s *= r
            if need_info:
                idx = np.minimum.outer(np.arange(K), np.arange(K))
                U = P[:, idx] - P[:, :, None] * P[:, None, :]
                if r is not None:
                    with np.errstate(invalid="ignore"):
                        U *= r[:, :, None] * r[:, None, :]
                if tails is not None:
                    U[tails[:, :, None] | tails[:, None, :]] = 0.0
        if tails is not None and s is not None:
            s[tails] = 0.0
        return logp, s, U

    if family == "continuation":
        # log pi_j = log F_j + sum_{k<j} log S_k ; log pi_J = sum_k log S_k
        cumS = np.concatenate([np.zeros((m, 1)), _row_cumsum(logS)], axis=1)  # (m, K+1)
        logp = np.concatenate([logF + cumS[:, :K], cumS[:, K:]], axis=1)
        with np.errstate(invalid="ignore"):
            if Y is not None:
                a = np.exp(logf - logF)
                b = np.exp(logf - logS)
                tail = _row_cumsum(Y[:, ::-1])[:, ::-1]                          # sum_{j >= k} Y_j
                s = a * Y[:, :K] - b * tail[:, 1:]
                if not np.isfinite(s).all():
                    # log F_k (or log(1 - F_k)) and log f_k both -inf (a tail beyond the doubles): the term
                    # of a zero count is 0 (0 log 0 = 0); with a positive count l = -inf there anyway
                    s = np.where(np.isfinite(s), s, np.where(Y[:, :K] > 0, a * Y[:, :K], 0.0)
                                 - np.where(tail[:, 1:] > 0, b * tail[:, 1:], 0.0))
            if need_info:
                d = np.exp(cumS[:, :K] + 2.0 * logf - logF - logS)                 # P(Y>=k) f^2/(F S)
                if np.isnan(d).any():
                    d = np.where(np.isnan(d), 0.0, d)   # -inf - -inf: f^2 / (F (1 - F)) -> 0 in either tail
                U = np.zeros((m, K, K))
                U[:, np.arange(K), np.arange(K)] = d
        return logp, s, U

    if family == "cumulative":
        F = np.exp(logF)
        S = np.exp(logS)
        one = np.ones((m, 1))
        zero = np.zeros((m, 1))
        Fp = np.concatenate([zero, F, one], axis=1)
        Sp = np.concatenate([one, S, zero], axis=1)
        # pi_j = F_j - F_{j-1} = S_{j-1} - S_j ; use the difference with less cancellation
        p = np.where(Fp[:, 1:] <= 0.5, Fp[:, 1:] - Fp[:, :-1], Sp[:, :-1] - Sp[:, 1:])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # 1 / pi of a subnormal pi: below
            logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), -np.inf)
            f = np.exp(logf)
            if Y is not None:
                ratio = np.where(Y > 0, Y / np.where(p > 0, p, np.nan), 0.0)
                s = f * (ratio[:, :K] - ratio[:, 1:])
            if need_info:
                inv = 1.0 / p
                U = np.zeros((m, K, K))
                ar = np.arange(K)
                U[:, ar, ar] = f * f * (inv[:, :K] + inv[:, 1:])
                if K > 1:
                    off = -f[:, :-1] * f[:, 1:] * inv[:, 1:K]
                    U[:, ar[:-1], ar[1:]] = off
                    U[:, ar[1:], ar[:-1]] = off
            # a probability that underflowed to 0 at an ordered (feasible) point: F_j - F_j-1 (or S_j-1 - S_j)
            # of two tails below 1e-308 gave pi = 0, log pi = -inf, i.e. 'infeasible'. Those rows take log pi,
            # the score and U from the log-space difference (every other row keeps the values above).
            zero = p <= 0
            # a subnormal pi (> 0 but below 2.2e-308) is feasible, but 1 / pi overflowed (U = 0 * inf = NaN) and
            # its log had lost digits: it takes the log-space path as well
            sub = (p > 0) & (p < np.finfo(float).tiny)
            under = zero | sub
            if under.any():
                lFp = np.concatenate([np.full((m, 1), -np.inf), logF, np.zeros((m, 1))], axis=1)
                lSp = np.concatenate([np.zeros((m, 1)), logS, np.full((m, 1), -np.inf)], axis=1)
                useF = Fp[:, 1:] <= 0.5
            if zero.any():
                under = sub | (zero & np.where(useF, lFp[:, :-1] < lFp[:, 1:], lSp[:, 1:] < lSp[:, :-1]))
                # both ends -inf in log space (a tail beyond the doubles): pi_1 = F_1 and pi_J = 1 - F_J-1 are
                # > 0 for every finite eta, an inner cell when its predictors are ordered (order, if given);
                # log pi = -inf then is an underflow, not an infeasible point
                gone = zero & ~under & np.where(useF, np.isneginf(lFp[:, 1:]), np.isneginf(lSp[:, :-1]))
                if gone.any():
                    ok = np.zeros((m, K + 1), bool)
                    ok[:, 0] = ok[:, K] = True
                    if order is not None and K > 1:
                        ok[:, 1:K] = order[:, :-1] < order[:, 1:]
                    under = under | (gone & ok)
                # pi <= 0 for real (predictors out of order): the point is infeasible, marked by NaN
                logp[zero & ~under] = np.nan
            if under.any():
                rows = under.any(axis=1)
                hi = np.where(useF, lFp[:, 1:], lSp[:, :-1])[rows]
                lo = np.where(useF, lFp[:, :-1], lSp[:, 1:])[rows]
                lp = np.where(under[rows], np.where(np.isneginf(hi), -np.inf,
                                                    hi + _log1mexp(np.minimum(lo - hi, 0.0))), logp[rows])
                # a subnormal pi whose two log ends coincide: keep log(pi)
                lp = np.where(sub[rows] & ~(lp > -np.inf), logp[rows], lp)
                logp[rows] = lp
                lf = logf[rows]
                if Y is not None:
                    Yr = Y[rows]
                    s[rows] = (np.where(Yr[:, :K] > 0, Yr[:, :K] * np.exp(lf - lp[:, :K]), 0.0)
                               - np.where(Yr[:, 1:] > 0, Yr[:, 1:] * np.exp(lf - lp[:, 1:]), 0.0))
                if need_info:
                    Ur = np.zeros((int(rows.sum()), K, K))
                    Ur[:, ar, ar] = np.exp(2.0 * lf - lp[:, :K]) + np.exp(2.0 * lf - lp[:, 1:])
                    if K > 1:
                        off = -np.exp(lf[:, :-1] + lf[:, 1:] - lp[:, 1:K])
                        Ur[:, ar[:-1], ar[1:]] = off
                        Ur[:, ar[1:], ar[:-1]] = off
                    # log f and log pi both -inf: f^2 / pi -> 0 (f^2 / F and f^2 / (1 - F) -> 0 in the tails)
                    Ur[np.isnan(Ur)] = 0.0
                    U[rows] = Ur
        return logp, s, U
    raise ValueError(f"unknown family {family!r}; valid: {', '.join(FAMILIES)}")


def _pooled_rho(family: str, counts, upper: bool) -> np.ndarray:
    """rho_j (``upper=False``) or 1 - rho_j (``upper=True``) of the pooled category proportions: both share
    each family's split of the categories and its denominator; 1 - rho_j is formed from the proportions above
    the split, never as 1 - rho_j (which cancels)."""
    p = np.asarray(counts, dtype=float)
    p = p / p.sum()
    if family == "baseline":
        return (p[-1] if upper else p[:-1]) / (p[:-1] + p[-1])
    if family == "cumulative":
        return np.cumsum(p[::-1])[::-1][1:] if upper else np.cumsum(p)[:-1]
    if family == "adjacent":
        return (p[1:] if upper else p[:-1]) / (p[:-1] + p[1:])
    if family == "continuation":
        tail = np.cumsum(p[::-1])[::-1]
        return (tail[1:] if upper else p[:-1]) / tail[:-1]
    raise ValueError(f"unknown family {family!r}; valid: {', '.join(FAMILIES)}")


def pooled_rho(family: str, counts) -> np.ndarray:
    """rho_j of the pooled (covariate-free) category proportions: the paper's feasible starting point."""
    return _pooled_rho(family, counts, upper=False)


def pooled_rho_sf(family: str, counts) -> np.ndarray:
    """1 - rho_j of :func:`pooled_rho`, from the counts above the split (no cancellation): rho_j itself rounds to
    1 once the counts below outnumber those above by ~1e16, and g_j(1) = inf."""
    return _pooled_rho(family, counts, upper=True)
