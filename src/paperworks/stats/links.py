"""Link functions g = F^{-1} of the multinomial link models (Wang, Tong & Yang, arXiv:2312.16260, Sec. 2).

Each predictor j uses rho_ij = F_j(eta_ij) where F_j is a continuous cdf on the real line. The model code
only needs, on the log scale for numerical stability,

    log F(eta),  log(1 - F(eta)),  log f(eta)       (f = F' the density)

and the quantile F^{-1}(p) for starting values. Supported: logit, probit, cloglog, loglog, cauchit and
Student t with nu degrees of freedom (``t``; cauchit is t with nu = 1).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["Link", "LINKS", "make_link"]

LINKS = ("logit", "probit", "cloglog", "loglog", "cauchit", "t")


def _log1mexp(a):
    """log(1 - exp(a)) for a <= 0, accurate on both ends (Maechler 2012)."""
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    small = a > -np.log(2.0)
    with np.errstate(divide="ignore"):
        out[small] = np.log(-np.expm1(a[small]))
        out[~small] = np.log1p(-np.exp(a[~small]))
    return out


# The formulas below run unchanged wherever they are accurate; outside that range (where exp() underflows into
# the subnormals or overflows, a square overflows, a cdf underflows or rounds to 1) an asymptotic or log-space
# form takes over through np.where, so values inside the normal range are bit-for-bit those of the plain formula.
_EXP_LO = -708.0        # exp(x) is a normal double for x >= -708.39
_EXP_HI = 700.0         # the clamp of the plain cloglog / loglog formulas
_SQ_HI = 1e150          # x * x overflows for |x| > 1.34e154
_TINY_P = 1e-300        # a cdf below this lies in (or next to) the subnormals: its log loses digits
_NEAR_ONE = 1e-10       # log(1 - s) with s below this loses > 6 digits: log1p(-s) instead
_T_CHECK = 1e-10        # t quantile: ppf's answers with min(p, 1 - p) below this are checked against the log cdf
_Q_TAIL = 0.25          # cauchit quantile: tan(pi (p - 1/2)) only for 1/4 <= p <= 3/4 (p - 1/2 exact there)


def _cll_logF(x):
    """log(1 - exp(-exp(x))) (cloglog log cdf). For x < -708 exp(x) is subnormal (log F was -inf below -745);
    there log F = x + log1p(-exp(x)/2 + ...) = x in double precision."""
    x = np.asarray(x, dtype=float)
    plain = _log1mexp(-np.exp(np.minimum(x, _EXP_HI)))
    low = x < _EXP_LO
    return np.where(low, x, plain) if low.any() else plain


def _cll_logS(x):
    """-exp(x) (cloglog log survival). The plain formula clamped x at 700 (-1.01e304 for every x > 700); the
    true value is used instead (below -1.8e308 for x > 709.78, which rounds to -inf)."""
    x = np.asarray(x, dtype=float)
    plain = -np.exp(np.minimum(x, _EXP_HI))
    big = x > _EXP_HI
    if not big.any():
        return plain
    with np.errstate(over="ignore"):
        return np.where(big, -np.exp(x), plain)


def _cll_logf(x):
    """x - exp(x) (cloglog log density). The plain formula clamped exp at x = 700 (positive log densities at
    x ~ 1e308, +inf at x = inf); the true value is used instead (-inf once exp(x) overflows)."""
    x = np.asarray(x, dtype=float)
    plain = x - np.exp(np.minimum(x, _EXP_HI))
    big = x > _EXP_HI
    if not big.any():
        return plain
    with np.errstate(over="ignore", invalid="ignore"):
        tail = np.where(np.isposinf(x), -np.inf, x - np.exp(x))
    return np.where(big, tail, plain)


def _log1p_neg(logcdf_plain, sf):
    """log F where F = 1 - sf: the plain log(F) unless sf < 1e-10, where log1p(-sf) keeps the digits."""
    near = sf < _NEAR_ONE
    if not near.any():
        return logcdf_plain
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(near, np.log1p(-sf), logcdf_plain)


# Stirling series of log Gamma(z): sum_k B_2k / (2k (2k - 1) z^(2k - 1)), k = 1..8
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)


def _half_gamma_ratio_rest(a: float) -> float:
    """log Gamma(a + 1/2) - log Gamma(a) - log(a) / 2 for a >= 8, without the cancellation of two gammaln's
    of size a log a (absolute error ~ a * eps: 4e-10 at a = 5e5; scipy's betaln(a, 1/2) does the same below
    a = 5e6): the two Stirling series subtracted term by term, where log a cancels exactly,
    a log1p(1 / (2a)) - 1/2 + sum_k c_k ((a + 1/2)^(1-2k) - a^(1-2k)); truncation < 1e-17."""
    b = a + 0.5
    corr = sum(c * (b ** (1 - 2 * k) - a ** (1 - 2 * k)) for k, c in enumerate(_STIRLING, 1))
    return float(a * np.log1p(0.5 / a) - 0.5 + corr)


def _t_log_norm(nu: float) -> float:
    """log of Student t's normalising constant, log Gamma((nu+1)/2) - log Gamma(nu/2) - log(nu pi) / 2, to a few
    ulps at every nu > 0 (the plain gammaln difference below nu = 16, where it is as accurate)."""
    a = 0.5 * float(nu)
    if a < 8.0:
        return float(special.gammaln(a + 0.5) - special.gammaln(a) - 0.5 * np.log(nu * np.pi))
    return _half_gamma_ratio_rest(a) - 0.5 * np.log(2.0 * np.pi)


def _log_beta_half(a: float) -> float:
    """log B(a, 1/2) = log Gamma(1/2) - (log Gamma(a + 1/2) - log Gamma(a)), accurate at any a > 0."""
    if a < 8.0:
        return float(special.betaln(a, 0.5))
    return 0.5 * np.log(np.pi) - 0.5 * np.log(a) - _half_gamma_ratio_rest(a)


def _t_log_lower_tail(nu: float, x):
    """log F_nu(x) of Student's t for x < 0, in log space: F = I_z(nu/2, 1/2) / 2 with z = nu / (nu + x^2),
    I_z(a, b) = z^a (1 - z)^b / (a B(a, b)) / (1 + d_1 / (1 + d_2 / (1 + ...))) (the continued fraction of the
    incomplete beta function, evaluated by the modified Lentz method). Used where F underflows (< 1e-300).

    Limit: with z within ~x^2 / nu of 1 the fraction is ill-conditioned for very large nu: relative error 7e-13
    at nu = 1e10, 4e-8 at nu = 1e15, and its terms overflow (NaN) beyond nu ~ 1e150. Such a t link is the probit
    link in all but the far tails; use ``probit`` there."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    a, b = 0.5 * nu, 0.5
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = (nu / ax) / ax                                   # nu / x^2 without overflowing x^2
        log1pr = np.log1p(r)
        # log z = -log1p(x^2 / nu); written with log(nu) - 2 log|x| only where x^2 / nu overflows (the two
        # terms of size log nu cancel, and a * log z multiplies their rounding by nu / 2)
        q = (ax / nu) * ax
        lz = np.where(np.isfinite(q), -np.log1p(q), np.log(nu) - 2.0 * np.log(ax) - log1pr)
        l1z = -log1pr                                        # log(1 - z)
        z = np.exp(lz)
        tiny = 1e-300
        f = np.ones_like(z)
        C = np.ones_like(z)
        D = np.zeros_like(z)
        for j in range(1, 20001):
            m = j // 2
            if j % 2:
                d = -(a + m) * (a + b + m) * z / ((a + 2 * m) * (a + 2 * m + 1))
            else:
                d = m * (b - m) * z / ((a + 2 * m - 1) * (a + 2 * m))
            D = 1.0 + d * D
            D = np.where(np.abs(D) < tiny, tiny, D)
            C = 1.0 + d / C
            C = np.where(np.abs(C) < tiny, tiny, C)
            D = 1.0 / D
            delta = C * D
            f = f * delta
            if np.all(np.abs(delta - 1.0) < 1e-16):
                break
        out = np.log(0.5) + a * lz + b * l1z - np.log(a) - _log_beta_half(a) - np.log(f)
    return np.where(np.isneginf(x), -np.inf, out)


def _t_log_F(nu: float, x):
    """log F_nu(x): log(stdtr) unless stdtr underflows (< 1e-300; it returned 0, e.g. at x = -1e308 for
    nu = 3, or for nu < 1 once x^2 overflows), where the log-space lower tail takes over. At nu = 1 (the Cauchy
    distribution) F = atan2(1, -x) / pi: stdtr(1, x) is off by up to 4e-9 relative for 1e-12 < |x| < 1e-5 (F(1e-8)
    = 0.5 + 4.74e-9 instead of 0.5 + 3.18e-9), while every other nu is good to a few ulps there."""
    x = np.asarray(x, dtype=float)
    F = np.arctan2(1.0, -x) / np.pi if nu == 1 else special.stdtr(nu, x)
    with np.errstate(divide="ignore"):
        plain = np.log(F)
    low = F < _TINY_P
    if np.any(low):
        plain = np.where(low, _t_log_lower_tail(nu, np.where(low, x, -1.0)), plain)
    return plain


def _t_log_FS(nu: float, x):
    """(log F_nu(x), log(1 - F_nu(x))), each with log1p(-other) where it rounds to 0 (other < 1e-10)."""
    x = np.asarray(x, dtype=float)
    lF, lS = _t_log_F(nu, x), _t_log_F(nu, -x)
    return _log1p_neg(lF, np.exp(lS)), _log1p_neg(lS, np.exp(lF))


def _cauchy_quantile(p):
    """tan(pi (p - 1/2)) = -1 / tan(pi p) = 1 / tan(pi (1 - p)), the last two used for p < 1/4 and p > 3/4; NaN
    for p outside [0, 1], as every other link's quantile (tan's period gave p = 1.5 the finite -6.1e-17 and
    p = -0.5 6.1e-17). tan(pi (p - 1/2)) rounds p - 1/2 (for p < 1/4) and its argument near -+pi/2, relative
    error ~1e-16 / (pi min(p, 1 - p)): it was 7.8e-9 off just above the old switch at p = 1e-8, 5e-14 at 1e-3;
    each form is now within 2 ulps on its range."""
    with np.errstate(divide="ignore"):
        q = np.where(p < _Q_TAIL, -1.0 / np.tan(np.pi * p),
                     np.where(p > 1.0 - _Q_TAIL, 1.0 / np.tan(np.pi * (1.0 - p)), np.tan(np.pi * (p - 0.5))))
    return np.where((p >= 0.0) & (p <= 1.0), q, np.nan)


def _cauchit_log_FS(x):
    """(log F, log(1 - F)) of the Cauchy cdf F = atan2(1, -x)/pi, 1 - F = atan2(1, x)/pi (accurate in both
    tails), each with log1p(-other) where it rounds to 0."""
    F, S = np.arctan2(1.0, -x) / np.pi, np.arctan2(1.0, x) / np.pi
    return _log1p_neg(np.log(F), S), _log1p_neg(np.log(S), F)


class Link:
    """One link g_j: rho = F(eta). Vectorized over numpy arrays."""

    def __init__(self, name: str, df: float | None = None):
        self.name = name
        self.df = df

    def __repr__(self) -> str:
        return f"Link({self.name!r})" if self.df is None else f"Link('t', df={self.df:g})"

    @property
    def label(self) -> str:
        return self.name if self.name != "t" else f"t{self.df:g}"

    # ---- log cdf, log survival, log density
    def logcdf(self, eta):
        n = self.name
        if n == "logit":
            return special.log_expit(eta)
        if n == "probit":
            return special.log_ndtr(eta)
        if n == "cloglog":      # F = 1 - exp(-exp(eta))
            return _cll_logF(eta)
        if n == "loglog":       # F = exp(-exp(-eta)): the cloglog survival at -eta
            return _cll_logS(-np.asarray(eta, dtype=float))
        if n == "cauchit":      # F = 1/2 + atan(eta)/pi = atan2(1, -eta)/pi (accurate in both tails)
            return _cauchit_log_FS(eta)[0]
        return _t_log_FS(self.df, eta)[0]

    def logsf(self, eta):
        n = self.name
        if n == "logit":
            return special.log_expit(-eta)
        if n == "probit":
            return special.log_ndtr(-eta)
        if n == "cloglog":
            return _cll_logS(eta)
        if n == "loglog":
            return _cll_logF(-np.asarray(eta, dtype=float))
        if n == "cauchit":
            return _cauchit_log_FS(eta)[1]
        return _t_log_FS(self.df, eta)[1]

    def logpdf(self, eta):
        n = self.name
        if n == "logit":
            return special.log_expit(eta) + special.log_expit(-eta)
        if n == "probit":
            with np.errstate(over="ignore"):        # |eta| > 1.34e154: eta^2 overflows, log f = -inf (the value)
                return -0.5 * eta * eta - 0.5 * np.log(2.0 * np.pi)
        if n == "cloglog":
            return _cll_logf(eta)
        if n == "loglog":
            return _cll_logf(-np.asarray(eta, dtype=float))
        eta = np.asarray(eta, dtype=float)
        big = np.abs(eta) > _SQ_HI                       # eta * eta overflows: log1p(eta^2 / nu) in log space
        nu = 1.0 if n == "cauchit" else self.df
        with np.errstate(over="ignore"):
            plain = np.log1p(eta * eta) if n == "cauchit" else np.log1p(eta * eta / nu)
        if big.any():
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):   # eta = 0: -inf + inf, not taken
                ae = np.abs(eta)
                plain = np.where(big, 2.0 * np.log(ae) - np.log(nu) + np.log1p((nu / ae) / ae), plain)
        if n == "cauchit":
            return -np.log(np.pi) - plain
        return _t_log_norm(nu) - (nu + 1) / 2 * plain

    def log_terms(self, eta):
        """(log F, log(1 - F), log f) at eta in one pass; the logit link shares its two log-expit terms
        (log f = log F + log(1 - F)) instead of evaluating them twice."""
        if self.name == "logit":
            logF = special.log_expit(eta)
            logS = special.log_expit(-eta)
            return logF, logS, logF + logS
        if self.name == "cauchit":
            return (*_cauchit_log_FS(eta), self.logpdf(eta))
        if self.name == "t":
            return (*_t_log_FS(self.df, eta), self.logpdf(eta))
        return self.logcdf(eta), self.logsf(eta), self.logpdf(eta)

    def cdf(self, eta):
        return np.exp(self.logcdf(eta))

    def pdf(self, eta):
        return np.exp(self.logpdf(eta))

    def quantile(self, p):
        """g(p) = F^{-1}(p)."""
        p = np.asarray(p, dtype=float)
        n = self.name
        if n == "logit":
            return special.logit(p)
        if n == "probit":
            return special.ndtri(p)
        if n == "cloglog":
            return np.log(-np.log1p(-p))
        if n == "loglog":
            return -np.log(-np.log(p))
        if n == "cauchit":
            return _cauchy_quantile(p)
        return self._t_quantile(p)

    def quantile_sf(self, s):
        """F^{-1}(1 - s) from the upper-tail probability s itself (accurate where 1 - s rounds to 1)."""
        s = np.asarray(s, dtype=float)
        n = self.name
        with np.errstate(divide="ignore"):
            if n == "cloglog":      # 1 - F = exp(-exp(eta))
                return np.log(-np.log(s))
            if n == "loglog":       # 1 - F = 1 - exp(-exp(-eta))
                return -np.log(-np.log1p(-s))
        return -self.quantile(s)    # logit, probit, cauchit, t: symmetric, F^{-1}(1 - s) = -F^{-1}(s)

    def _t_quantile(self, p):
        """stats.t.ppf, except where it fails in the far tails: +inf for tiny p (e.g. p = 1e-300 with nu = 3),
        its saturation near 4.7e153 (nu < 1), and finite but wrong answers (|x| off by up to a factor 2 for
        2 <= nu <= 4 and p below ~1e-120: nu = 3, p = 1e-200 gave -2.40e66 for -4.80e66), found by checking
        the answers with lower-tail probability below 1e-10 against the log cdf. There Newton's method on
        log F(x) = log p, started from ppf's answer where finite, else from the leading tail term
        log F ~ log(1/2) + (nu/2) log(nu / x^2) - log(nu/2) - log B(nu/2, 1/2)."""
        nu = self.df
        p = np.asarray(p, dtype=float)
        if nu == 1:     # the Cauchy quantile: t.ppf(p, 1) was 4e-7 off near p = 1/2 (-3.14159426e-10 for
            return _cauchy_quantile(p)      # -3.14159291e-10 at p = 0.5 - 1e-10), as stdtr(1, x) near x = 0
        q = np.asarray(stats.t.ppf(p, nu), dtype=float)
        lo = np.minimum(p, 1.0 - p)
        bad = (lo > 0) & ~(np.abs(q) <= _SQ_HI)          # +-inf or ppf's saturation near 4.7e153 (nu < 1)
        tail = (lo > 0) & (lo < _T_CHECK) & ~bad
        off = np.zeros_like(bad)
        if np.any(tail):
            with np.errstate(divide="ignore"):
                lF = self.logcdf(-np.abs(np.where(tail, q, -1.0)))
                lpt = np.log(np.where(tail, lo, 0.5))
            off = tail & ~(np.abs(lF - lpt) <= 1e-12 * np.abs(lpt))
            bad = bad | off
        if not np.any(bad):
            return q
        b = np.flatnonzero(bad.ravel())
        lp = np.log(lo.ravel()[b])
        a = 0.5 * nu
        lx = (np.log(0.5) + a * np.log(nu) - np.log(a) - special.betaln(a, 0.5) - lp) / nu   # log |x|
        with np.errstate(over="ignore"):
            x = -np.exp(lx)                                # -inf: |x| beyond the doubles (correct rounding)
        x = np.where(off.ravel()[b], -np.abs(q.ravel()[b]), x)
        fin = np.isfinite(x)
        xs = np.where(fin, x, -1.0)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(100):
                lF = _t_log_lower_tail(nu, xs)
                lf = self.logpdf(xs)
                x_new = np.minimum(xs - (lF - lp) / np.exp(lf - lF), 0.5 * xs)   # Newton, kept in the lower tail
                done = np.all(np.abs(x_new - xs) <= 4e-16 * np.abs(xs))
                xs = x_new
                if done:
                    break
        x = np.where(fin, xs, x)
        out = q.copy()
        out.ravel()[b] = np.where(p.ravel()[b] < 0.5, x, -x)
        return out


def make_link(spec, df: float | None = None, where: str = "MultinomialLinkModel") -> Link:
    """Build a Link from a name ('logit', ..., 't') or a Link; 't' needs df (nu > 0)."""
    if isinstance(spec, Link):
        return spec
    if not isinstance(spec, str) or spec not in LINKS:
        raise ValueError(f"{where}: unknown link {spec!r}; valid links: {', '.join(LINKS)}")
    if spec == "t":
        if df is None:
            raise ValueError(f"{where}: link 't' needs its degrees of freedom, pass df=nu (nu > 0)")
        from paperworks.core.config import is_real

        if isinstance(df, (np.ndarray, np.generic)) and np.ndim(df) == 0:     # numpy scalars: plain numbers
            df = df.item()
        elif type(df).__module__.startswith("torch") and getattr(df, "ndim", None) == 0:   # a 0-d torch tensor
            df = df.item()
        # a number: df='3' failed inside np.isfinite (TypeError, no name) and df=True was taken as nu = 1
        if not is_real(df, 0.0, open_low=True):
            raise ValueError(f"{where}: link 't' needs df > 0, a finite number (got {df!r})")
        return Link("t", float(df))
    return Link(spec)
