"""Influence engine: first-order effect of removing / up-weighting training points on any differentiable
function of the model (a test loss, a bias measure, ...), over a chosen parameter subset, batched.

Koh & Liang (2017), Eq. (2) and Sec. 2.1: up-weighting z by eps moves the minimizer by
d theta / d eps = -H^{-1} grad L(z, theta_hat), hence d f / d eps = -grad f^T H^{-1} grad L(z, theta_hat)
(FMD, Chen et al. 2023, Eq. 5 applies it with f = the bias measure).
"""

from paperworks.influence.core import (
    influence_scores,
    influence_scores_loop,
    inverse_hvp,
    objective_grad,
    upweight_influence,
)

__all__ = ["influence_scores", "influence_scores_loop", "upweight_influence", "inverse_hvp", "objective_grad"]
