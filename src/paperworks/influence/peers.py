"""Captum 0.9.0's ``NaiveInfluenceFunction`` read on the scale of :func:`paperworks.influence.influence_scores`
(the peer used by the influence oracle test and by ``paperworks bench fmd``; captum is an optional dependency,
in the ``test`` extra).

How Captum's numbers relate to ours (read from captum/influence/_core/influence_function.py and
captum/influence/_utils/common.py, version 0.9.0):

- Captum forms the Hessian of the *summed* training loss, H_sum = sum_i hess L(z_i) (a ``reduction="none"``
  loss is summed per batch, batches are added), over all parameters of the module named ``layer``, adds
  ``hessian_reg`` to its diagonal, eigendecomposes it and builds R = V diag(lambda)^(-1/2), so that
  R R' = (H_sum + hessian_reg I)^(-1) when every eigenvalue is kept (``projection_dim`` >= #params,
  ``hessian_inverse_tol`` 0).
- ``influence(test)[j, k] = grad L_test(j)' R R' grad L(z_k)`` with ``L_test`` = ``test_loss_fn`` per test
  example and ``L`` = ``loss_fn`` per training example (model outputs and labels only: a regulariser on the
  weights cannot be expressed in Captum's loss). No minus sign: positive = up-weighting z_k lowers the test
  loss = removing z_k raises it, the same sign as ours.

Ours: (1/n) grad f' (H + damping I)^(-1) grad l_k with H the Hessian of the MEAN training objective
J = (1/n) sum L + R(theta) and l_k = L(z_k) + R(theta). For R = lam/2 |theta|^2 over the layer's parameters,
H = H_sum / n + lam I, so with hessian_reg = n (lam + damping), (H_sum + hessian_reg I)^(-1) = (1/n)
(H + damping I)^(-1), and for f = the mean over the test examples of L_test:

    ours[k] = mean_j captum[j, k]  +  lam * mean_j (grad L_test(j)' R) . (R' theta)   (the same for every k)

(the second term is the regulariser's share of grad l_k, computed from Captum's own R).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import TensorDataset

__all__ = ["captum_naive_influence"]


def _no_checkpoint(model, path):
    """Captum loads a checkpoint at construction; the model already holds the parameters to analyse."""
    return 1.0


def captum_naive_influence(model: nn.Module, layer: str, train: tuple, test: tuple, loss_fn, test_loss_fn=None,
                           *, lam: float = 0.0, damping: float = 0.0,
                           per_test: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Captum's exact influence of every training point of ``train`` on the mean of ``test_loss_fn`` (default:
    ``loss_fn``; both per-example, ``reduction="none"``) over ``test``, mapped to our scale as in the module
    docstring. Returns (mean over test examples of Captum's scores [n], the regulariser's share: a scalar,
    the same for every training point since grad R = lam theta does not depend on it); their sum is comparable with ``influence_scores(..., damping=damping)`` of a loss with ``lam/2 |theta|^2``
    over the parameters of ``layer``. Captum runs under the default dtype of ``train[0]`` (it adds
    ``hessian_reg * eye`` in the default dtype, which would otherwise round the damping to float32).
    ``per_test=True`` returns Captum's whole matrix [m, n] and the share per test example [m] instead of means
    (comparable with an objective that returns the m test losses)."""
    from captum.influence import NaiveInfluenceFunction

    n = len(train[0])
    old = torch.get_default_dtype()
    # Captum iterates torch DataLoaders, each of which draws a seed from the global torch RNG: the caller's
    # random stream is saved and restored around the whole computation (it moved on before)
    with torch.random.fork_rng(devices=[]):
        torch.set_default_dtype(train[0].dtype)
        try:
            inst = NaiveInfluenceFunction(model, TensorDataset(*train), "in-memory",
                                          checkpoints_load_func=_no_checkpoint, layers=[layer], loss_fn=loss_fn,
                                          test_loss_fn=test_loss_fn, batch_size=n, projection_dim=10 ** 6,
                                          hessian_reg=n * (lam + damping), hessian_inverse_tol=0.0)
        finally:
            torch.set_default_dtype(old)
        scores = inst.influence(test)                                      # [m, n]
        emb = inst.compute_intermediate_quantities(test, test=True) if lam else None   # [m, P]: grad L_test(j)' R
    reg_share = torch.zeros((), dtype=scores.dtype)
    if lam:
        theta = torch.cat([p.detach().reshape(-1) for p in model.get_submodule(layer).parameters()])
        # per test example [m]; the mean keeps its original order of operations (the fmd bench's numbers)
        reg_share = lam * emb @ (inst.R.T @ theta) if per_test else lam * emb.mean(0) @ (inst.R.T @ theta)
    return (scores, reg_share) if per_test else (scores.mean(0), reg_share)
