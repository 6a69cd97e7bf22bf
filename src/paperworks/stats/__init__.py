"""Statistics engine: multinomial link models for categorical responses.

    from paperworks.stats import MultinomialLinkModel
    res = MultinomialLinkModel(y, X, model="cumulative", link="probit", assumption="po").fit()
"""

from paperworks.stats.links import LINKS, Link, make_link
from paperworks.stats.multinomial_link import (ASSUMPTIONS, MODELS, InfeasibleError, MultinomialLinkModel,
                                               MultinomialLinkResults, PerfectSeparationError)

__all__ = ["MultinomialLinkModel", "MultinomialLinkResults", "PerfectSeparationError", "InfeasibleError",
           "Link", "make_link", "LINKS", "MODELS", "ASSUMPTIONS"]
