"""Curvature engine: Hessian-vector products, dense Hessian / GGN / empirical Fisher, K-FAC and EK-FAC, and
inverse-HVP solvers (exact, conjugate gradient, LiSSA) over a chosen parameter subset of any ``nn.Module``.

Used by the influence engine (FMD); written to serve also LLM Surgeon (K-FAC pruning) and reinforcement
unlearning, which are not implemented here.
"""

from paperworks.curvature.hessian import (
    data_grad,
    empirical_fisher,
    exact_hessian,
    flat_grad,
    ggn_matrix,
    hvp,
    hvp_func,
    iter_per_sample_grads,
    make_hvp_operator,
    per_sample_grads,
)
from paperworks.curvature.kfac import KFAC, kfac_layers
from paperworks.curvature.params import ParamSubset, n_samples, select_params, slice_data
from paperworks.curvature.solvers import (
    SOLVERS,
    InverseHVP,
    SingularHessianError,
    conjugate_gradient,
    dense_factor,
    lissa,
    solve_dense,
    top_eigenvalue,
)

__all__ = [
    "ParamSubset", "select_params", "n_samples", "slice_data",
    "flat_grad", "data_grad", "per_sample_grads", "iter_per_sample_grads", "hvp", "hvp_func",
    "make_hvp_operator", "exact_hessian", "ggn_matrix", "empirical_fisher",
    "KFAC", "kfac_layers",
    "SOLVERS", "InverseHVP", "SingularHessianError", "dense_factor", "solve_dense", "conjugate_gradient", "lissa",
    "top_eigenvalue",
]
