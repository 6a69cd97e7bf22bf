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
            return _log1mexp(-np.exp(np.minimum(eta, 700.0)))
        if n == "loglog":       # F = exp(-exp(-eta))
            return -np.exp(np.minimum(-eta, 700.0))
        if n == "cauchit":      # F = 1/2 + atan(eta)/pi = atan2(1, -eta)/pi (accurate in both tails)
            return np.log(np.arctan2(1.0, -eta) / np.pi)
        return np.log(special.stdtr(self.df, eta))

    def logsf(self, eta):
        n = self.name
        if n == "logit":
            return special.log_expit(-eta)
        if n == "probit":
            return special.log_ndtr(-eta)
        if n == "cloglog":
            return -np.exp(np.minimum(eta, 700.0))
        if n == "loglog":
            return _log1mexp(-np.exp(np.minimum(-eta, 700.0)))
        if n == "cauchit":
            return np.log(np.arctan2(1.0, eta) / np.pi)
        return np.log(special.stdtr(self.df, -eta))

    def logpdf(self, eta):
        n = self.name
        if n == "logit":
            return special.log_expit(eta) + special.log_expit(-eta)
        if n == "probit":
            return -0.5 * eta * eta - 0.5 * np.log(2.0 * np.pi)
        if n == "cloglog":
            return eta - np.exp(np.minimum(eta, 700.0))
        if n == "loglog":
            return -eta - np.exp(np.minimum(-eta, 700.0))
        if n == "cauchit":
            return -np.log(np.pi) - np.log1p(eta * eta)
        nu = self.df
        return (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
                - (nu + 1) / 2 * np.log1p(eta * eta / nu))

    def log_terms(self, eta):
        """(log F, log(1 - F), log f) at eta in one pass; the logit link shares its two log-expit terms
        (log f = log F + log(1 - F)) instead of evaluating them twice."""
        if self.name == "logit":
            logF = special.log_expit(eta)
            logS = special.log_expit(-eta)
            return logF, logS, logF + logS
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
            return np.tan(np.pi * (p - 0.5))
        return stats.t.ppf(p, self.df)


def make_link(spec, df: float | None = None, where: str = "MultinomialLinkModel") -> Link:
    """Build a Link from a name ('logit', ..., 't') or a Link; 't' needs df (nu > 0)."""
    if isinstance(spec, Link):
        return spec
    if not isinstance(spec, str) or spec not in LINKS:
        raise ValueError(f"{where}: unknown link {spec!r}; valid links: {', '.join(LINKS)}")
    if spec == "t":
        if df is None:
            raise ValueError(f"{where}: link 't' needs its degrees of freedom, pass df=nu (nu > 0)")
        if not np.isfinite(df) or df <= 0:
            raise ValueError(f"{where}: link 't' needs df > 0 (got {df!r})")
        return Link("t", float(df))
    return Link(spec)
