"""Exact training of small binarized (step-activation) networks as a MILP, and the straight-through
estimator (STE) baseline.

Architecture (one hidden layer, integer weights in {-1, 0, 1}, step activations in {0, 1})::

    h_j(x) = 1[ sum_k W_jk x_k + b_j >= 0 ],   y_hat(x) = 1[ sum_j v_j h_j(x) + c >= 0 ]

MILP (in the style of Bah & Kurtz 2020 / Toro Icarte et al. 2019, as used by Aspman et al. 2024):
W, b, v, c are integer variables in [-1, 1]; per sample i, binaries h_ij with
a_ij >= -M_ij (1 - h_ij) and a_ij <= -eps + (M_ij + eps) h_ij (M_ij bounds |a_ij|); the products
v_j h_ij are linearised by u_ij with -h <= u <= h, v - (1 - h) <= u <= v + (1 - h); a binary e_i per sample
switches off the margin constraint of a misclassified sample; the objective is sum_i e_i (training errors).
The strict side of the step uses eps: with inputs on a grid of spacing q >= eps (we round inputs to 0.1,
eps 0.05) every pre-activation is a multiple of q, none lies in (-eps, 0), and the MILP is exact. Off that
grid the eps rows forbid weights that are legal in the step network, so the "certified" optimum could exceed
the true one: such inputs raise DataError.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

from paperworks.core.config import check_lr   # the one lr rule of the training loops (graphs, BNNs)
from paperworks.core.errors import DataError
from paperworks.mip.model import MILP, MILPResult

__all__ = ["BNNWeights", "bnn_forward", "bnn_errors", "train_bnn_milp", "brute_force_bnn", "train_bnn_ste",
           "ste_surrogate_loss"]

# the step's tie tolerance (float rounding): a pre-activation >= -_TIE gives 1, in bnn_forward, the error count of
# the MILP's weights, the STE's forward and its error count alike
_TIE = 1e-12


@dataclass
class BNNWeights:
    W: np.ndarray   # [H, d] in {-1, 0, 1}
    b: np.ndarray   # [H]
    v: np.ndarray   # [H]
    c: float


def _check_data(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise DataError(f"BNN: expected X [N, d] and y [N] (got {X.shape} and {y.shape})")
    if X.shape[0] == 0:   # was numpy's "zero-size array to reduction operation maximum"
        raise DataError("BNN: no training samples (X has 0 rows)")
    if not np.isfinite(X).all():
        raise DataError("BNN: X contains NaN or inf")
    # initial=0: a network without inputs (X [N, 0], only biases) is valid; max() of its empty X raised
    if np.abs(X).max(initial=0.0) > 1 + 1e-12:
        raise DataError(f"BNN: inputs must lie in [-1, 1] (bounded data is the tameness precondition; "
                        f"max |x| = {np.abs(X).max():g})")
    if not np.isin(y, (0, 1)).all():
        raise DataError("BNN: labels must be 0 or 1")
    return X, y.astype(int)


def _check_hidden(hidden) -> int:
    if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)) or hidden < 1:
        raise ValueError(f"BNN: hidden must be an integer >= 1 (got {hidden!r})")
    return int(hidden)


def _input_grid(X) -> float:
    """Spacing q = 1/k of the coarsest grid {j/k} (k <= 1000) holding every input, or 0 if there is none.

    "Holding" means up to float rounding: each sample's total distance to the grid (L1) is at most 1e-12, the
    tie tolerance of the step (:func:`bnn_forward`). An input 5e-10 below 1 passed the old check (1e-9 k): the
    MILP then saw a pre-activation of 0 (h = 1) where the step network gives h = 0, and certified 1 error
    where 0 are possible."""
    if X.size == 0:
        return 1.0
    for k in range(1, 1001):
        if np.abs(X - np.round(k * X) / k).sum(axis=1).max() <= _TIE:
            return 1.0 / k
    return 0.0


def bnn_forward(w: BNNWeights, X) -> tuple[np.ndarray, np.ndarray]:
    """(hidden activations [N, H], predictions [N]) of the step network."""
    X = np.asarray(X, dtype=np.float64)
    H = (X @ w.W.T + w.b >= -_TIE).astype(int)
    return H, (H @ w.v + w.c >= -_TIE).astype(int)


def bnn_errors(w: BNNWeights, X, y) -> int:
    """Training errors of the step network: samples whose prediction differs from the 0 / 1 label."""
    pred = bnn_forward(w, X)[1]
    y = np.asarray(y)
    # y [N, 1] broadcast against the [N] predictions (8 'errors' on 4 samples), one label against all of them,
    # and -1 / +1 labels counted every -1 as an error, all silently
    if y.shape != pred.shape:
        raise DataError(f"bnn_errors: expected y of shape {list(pred.shape)}, one label per row of X "
                        f"(got {list(y.shape)})")
    if not np.isin(y, (0, 1)).all():
        raise DataError("bnn_errors: labels must be 0 or 1")
    return int((pred != y).sum())


def train_bnn_milp(X, y, hidden: int, *, eps: float = 0.05, time_limit: float | None = 60.0,
                   solver: str = "highs", mip_gap: float = 0.0) -> tuple[BNNWeights | None, MILPResult, dict]:
    """Minimum-training-error BNN by MILP. Returns (weights or None, solver result, index map)."""
    X, y = _check_data(X, y)
    H = _check_hidden(hidden)
    if not 0.0 < eps <= 1.0:   # the output o is an integer: "o <= -eps" must mean o <= -1
        raise ValueError(f"train_bnn_milp: eps must lie in (0, 1] (got {eps!r})")
    q = _input_grid(X)
    if q < eps:
        found = "none with denominator <= 1000" if q == 0 else f"spacing {q:g}"
        raise DataError(f"train_bnn_milp: inputs must lie on a grid of spacing >= eps = {eps:g} (found {found}); "
                        f"otherwise a pre-activation in (-eps, 0) is excluded and the optimum is not certified. "
                        f"Round the inputs or lower eps")
    N, d = X.shape
    m = MILP("bnn")
    W = m.add_vars(H * d, -1, 1, integer=True, name="W").reshape(H, d)
    b = m.add_vars(H, -1, 1, integer=True, name="b")
    v = m.add_vars(H, -1, 1, integer=True, name="v")
    c = m.add_var(-1, 1, integer=True, name="c")
    h = m.add_vars(N * H, 0, 1, integer=True, name="h").reshape(N, H)
    u = m.add_vars(N * H, -1, 1, name="u").reshape(N, H)
    e = m.add_vars(N, 0, 1, integer=True, name="e")
    for i in range(N):
        Mi = float(np.abs(X[i]).sum() + 1.0)   # |W x + b| <= ||x||_1 + 1
        for j in range(H):
            cols = np.concatenate([W[j], [b[j], h[i, j]]])
            # a >= -M (1 - h)  <=>  W x + b - M h >= -M
            m.add_ge(cols, np.concatenate([X[i], [1.0, -Mi]]), -Mi)
            # a <= -eps + (M + eps) h  <=>  W x + b - (M + eps) h <= -eps
            m.add_le(cols, np.concatenate([X[i], [1.0, -(Mi + eps)]]), -eps)
            # u = v h
            m.add_le([u[i, j], h[i, j]], [1, -1], 0)
            m.add_ge([u[i, j], h[i, j]], [1, 1], 0)
            m.add_ge([u[i, j], v[j], h[i, j]], [1, -1, -1], -1)
            m.add_le([u[i, j], v[j], h[i, j]], [1, -1, 1], 1)
        Mo = H + 1.0 + eps
        cols = np.concatenate([u[i], [c, e[i]]])
        if y[i] == 1:   # o_i >= 0 unless e_i
            m.add_ge(cols, np.concatenate([np.ones(H), [1.0, Mo]]), 0.0)
        else:           # o_i <= -eps unless e_i
            m.add_le(cols, np.concatenate([np.ones(H), [1.0, -Mo]]), -eps)
    m.set_objective(e, 1.0)
    res = m.solve(solver, time_limit=time_limit, mip_gap=mip_gap)
    idx = {"W": W, "b": b, "v": v, "c": c, "h": h, "e": e}
    if res.x is None:
        return None, res, idx
    r = np.round(res.x)
    return BNNWeights(r[W], r[b], r[v], float(r[c])), res, idx


def brute_force_bnn(X, y, hidden: int) -> tuple[int, BNNWeights]:
    """Global minimum of the training errors by enumerating every weight in {-1, 0, 1} (tiny nets only)."""
    X, y = _check_data(X, y)
    N, d = X.shape
    H = _check_hidden(hidden)
    n_first = H * (d + 1)
    if n_first + H + 1 > 14:
        raise ValueError(f"brute_force_bnn: 3^{n_first + H + 1} weight settings is too many to enumerate")
    vals = np.array([-1.0, 0.0, 1.0])
    # hidden-unit patterns of one unit for all 3^(d+1) (w, b): [P, N]
    wb = np.array(list(itertools.product(vals, repeat=d + 1)))
    A = (X @ wb[:, :d].T + wb[:, d] >= -_TIE).T.astype(int)            # [P, N]
    best, arg = N + 1, None
    out_w = np.array(list(itertools.product(vals, repeat=H + 1)))       # [Q, H+1]
    for combo in itertools.product(range(wb.shape[0]), repeat=H):
        Hm = A[list(combo)].T                                             # [N, H]
        pred = (Hm @ out_w[:, :H].T + out_w[:, H] >= -_TIE)             # [N, Q]
        err = (pred != y[:, None]).sum(0)
        q = int(err.argmin())
        if err[q] < best:
            best = int(err[q])
            arg = BNNWeights(wb[list(combo), :d], wb[list(combo), d], out_w[q, :H], float(out_w[q, H]))
    return best, arg


class _TernarySTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w):
        ctx.save_for_backward(w)
        return torch.round(torch.clamp(w, -1, 1))

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        return g * (w.abs() <= 1).to(g.dtype)   # straight through, cancelled outside [-1, 1]


class _StepSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        # the tie tolerance of bnn_forward and the MILP: 0.3 - 0.1 - 0.2 is -2.8e-17 in floats, a step of 1 in
        # exact arithmetic; with (a >= 0) the STE counted 1 error for weights that make 0 (bnn_errors)
        return (a >= -_TIE).to(a.dtype)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * (a.abs() <= 1).to(g.dtype)




def ste_surrogate_loss(o: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean logistic loss of the integer output pre-activation o for labels y in {0, 1}, centred on the
    network's output rule y_hat = 1[o >= 0]: logit = 2 (o + 1/2). The outputs nearest the decision, o = 0
    (class 1) and o = -1 (class 0), get logits +1 and -1, so the sign of the logit is the network's decision
    for every integer o. (Logit 2 o would give p = 1/2 at o = 0, an output the network and the MILP classify
    as 1: a correct positive there would pay the loss of a wrong negative.)"""
    return torch.nn.functional.binary_cross_entropy_with_logits(2.0 * o + 1.0, y)


def train_bnn_ste(X, y, hidden: int, *, epochs: int = 500, lr: float = 1e-2, seed: int = 0) -> tuple[BNNWeights, int]:
    """Straight-through-estimator training (Adam, full batch) of the same ternary-weight step network.

    Latent real weights are rounded to {-1, 0, 1} in the forward pass (straight-through backward, cancelled
    outside [-1, 1]) and clipped to [-1, 1] after every step (Hubara et al. 2016, Alg. 1; without the clip a
    weight that leaves the box would never get a gradient again). The step activation's backward is the
    identity on |a| <= 1 and 0 outside (the usual hard-tanh STE). Loss: :func:`ste_surrogate_loss` on the
    output pre-activation. Returns the best weights seen (by training errors) and their error count.
    """
    X, y = _check_data(X, y)
    hidden = _check_hidden(hidden)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"train_bnn_ste: epochs must be an integer >= 1 (got {epochs!r})")
    check_lr(lr, "train_bnn_ste")
    from paperworks.core.config import check_seed

    g = torch.Generator().manual_seed(check_seed(seed, "train_bnn_ste"))
    N, d = X.shape
    Xt = torch.tensor(X)
    yt = torch.tensor(y, dtype=torch.float64)
    W = (torch.rand(hidden, d, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_()
    b = (torch.rand(hidden, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_()
    v = (torch.rand(hidden, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_()
    c = (torch.rand(1, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_()
    opt = torch.optim.Adam([W, b, v, c], lr=lr)
    best, best_w = N + 1, None
    for _ in range(epochs):
        q = [_TernarySTE.apply(p) for p in (W, b, v, c)]
        Hh = _StepSTE.apply(Xt @ q[0].T + q[1])
        o = Hh @ q[2] + q[3]
        loss = ste_surrogate_loss(o, yt)
        err = int(((o.detach() >= -_TIE).to(torch.float64) != yt).sum())   # bnn_forward's output rule
        if err < best:
            best, best_w = err, BNNWeights(*(t.detach().numpy().copy() for t in q[:3]), float(q[3].detach()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for p in (W, b, v, c):
                p.clamp_(-1.0, 1.0)
    return best_w, best
