"""Duality, value functions and (conservative) derivatives of mixed-integer linear programs.

Problem family (Aspman, Korpas & Marecek 2024, Sec. on the subadditive dual)::

    z(c, b) = min c'x   s.t.  A x >= b,   lb <= x <= ub,   x_j integer for j in I

- LP relaxation: drop integrality; its value is a lower bound (weak duality) and its row duals y >= 0 give
  the linear dual function F(d) = y'd.
- Chvatal-Gomory (subadditive) dual function: for a pure-integer problem with x >= 0, no finite upper
  bounds and integer c, F(d) = ceil(y'd) is subadditive, nondecreasing, F(0) = 0 and F(a_j) <= c_j, so it
  is dual feasible and F(b) <= z(b) (Gomory / Jeroslow; one rounding of the LP dual).
- Derivatives of the value (a conservative field, Bolte et al. 2021): fix the integers at an optimum x*_I,
  re-solve the LP in the continuous part; then dz/db = the LP row duals and dz/dc = x* (Danskin). Where the
  optimal integer part is locally constant and the LP is nondegenerate these are the true gradients; at a
  breakpoint (integer part switching, z may jump) they are one element of a conservative Jacobian.
- :class:`MILPValue`: a torch.autograd.Function returning z(c, b) with those derivatives, so a MILP can sit
  inside a network as a layer.
- :func:`implicit_jacobian`: dy/dx = -B^{-1} A for F(x, y) = 0 with J_F = [A B] (nonsmooth implicit
  function theorem applied at one Clarke element).
- :func:`solution_jacobian`: dx*/db of the MILP's solution map by that theorem, applied to the optimality map of
  the LP with the integers fixed (active rows and variables at their bounds); c' dx*/db equals the duals.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from paperworks.core.errors import DataError
from paperworks.mip.model import MILP, MILPResult, MIPError

__all__ = ["build_milp", "solve_value", "lp_dual", "chvatal_dual_value", "dual_feasible", "value_gradient",
           "MILPValue", "implicit_jacobian", "solution_jacobian"]


def _arr(name, a, ndim):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != ndim:
        raise DataError(f"{name}: expected {ndim}-D array (got shape {a.shape})")
    if not np.isfinite(a).all():
        raise DataError(f"{name} contains NaN or inf")
    return a


def _per_variable(c: np.ndarray, integer, lb, ub) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrality flags and bounds as read-only arrays of c's shape (one value or one per variable)."""
    raw = np.asarray(integer)
    # flags, not indices: integer=[0, 1, 2] (the three variables' indices) was read as [False, True, True], [2] as
    # True for every variable, and [0] (meaning "x0 is integer") as every variable continuous, all silently
    if raw.dtype != bool and (raw.dtype.kind not in "iuf" or not np.isin(raw, (0, 1)).all()
                              or (raw.ndim == 1 and raw.size == 1 and c.size > 1)):
        raise DataError(f"build_milp: integer must be True / False (or 0 / 1) flags, one for all variables or one "
                        f"per variable ({c.size}), not indices of the integer variables (got {integer!r}); "
                        f"for indices idx use flags = np.isin(np.arange({c.size}), idx)")
    integer = raw.astype(bool)
    if integer.ndim > 1 or integer.size not in (1, c.size):
        raise DataError(f"build_milp: integer must be one flag or {c.size} flags (got shape {integer.shape})")
    integer = np.broadcast_to(integer.reshape(-1) if integer.ndim else integer, c.shape)
    return (integer, np.broadcast_to(np.asarray(lb, dtype=float), c.shape),
            np.broadcast_to(np.asarray(ub, dtype=float), c.shape))


def build_milp(c, A, b, integer, lb=0.0, ub=math.inf) -> tuple[MILP, np.ndarray]:
    """MILP for min c'x s.t. A x >= b, lb <= x <= ub, x_j integer where integer[j]."""
    c, A, b = _arr("c", c, 1), _arr("A", A, 2), _arr("b", b, 1)
    if A.shape != (b.size, c.size):
        raise DataError(f"build_milp: A must be [{b.size}, {c.size}] (got {A.shape})")
    integer, lb, ub = _per_variable(c, integer, lb, ub)
    m = MILP("value")
    x = np.concatenate([m.add_vars(1, lb[j], ub[j], integer=bool(integer[j])) for j in range(c.size)])
    for i in range(b.size):
        nz = np.flatnonzero(A[i])
        m.add_ge(x[nz], A[i, nz], b[i])
    m.set_objective(x, c)
    return m, x


def solve_value(c, A, b, integer, lb=0.0, ub=math.inf, **kw) -> MILPResult:
    m, _ = build_milp(c, A, b, integer, lb, ub)
    kw.setdefault("mip_gap", 0.0)
    r = m.solve(**kw)
    if r.status == "infeasible":
        raise MIPError("solve_value: the MILP is infeasible for this right-hand side")
    if r.status != "optimal":
        raise MIPError(f"solve_value: solver status '{r.status}' ({r.raw_status}); no certified value")
    return r


def lp_dual(c, A, b, lb=0.0, ub=math.inf) -> tuple[float, np.ndarray]:
    """(LP-relaxation value, row duals y >= 0 = d z_LP / d b)."""
    m, _ = build_milp(c, A, b, False, lb, ub)
    r = m.solve(relax=True)
    if r.status != "optimal":
        raise MIPError(f"lp_dual: LP relaxation status '{r.status}'")
    return r.objective, r.row_duals.copy()


def chvatal_dual_value(y, d) -> float:
    """F(d) = ceil(y'd) (a Chvatal function of rank one).

    A tolerance of 1e-9 relative to the products' size, max(1, sum |y_i d_i|), absorbs LP and summation
    round-off; an absolute 1e-9 did not at large costs: y'b = 76392710.00000001 (one ulp of round-off above the
    integral LP value) gave F(b) = 76392711 > z = 76392710, a 'lower bound' above the MILP optimum."""
    y, d = _arr("y", y, 1), _arr("d", d, 1)
    if y.size != d.size:
        raise DataError(f"chvatal_dual_value: y has {y.size} entries, d has {d.size}")
    return float(math.ceil(float(np.dot(y, d)) - 1e-9 * max(1.0, float(np.abs(y * d).sum()))))


def dual_feasible(y, A, c) -> bool:
    """Check F(a_j) <= c_j for all columns (subadditive dual feasibility of F(d) = ceil(y'd))."""
    A = np.asarray(A, dtype=np.float64)
    return all(chvatal_dual_value(y, A[:, j]) <= c[j] + 1e-9 for j in range(A.shape[1]))


def value_gradient(c, A, b, integer, lb=0.0, ub=math.inf, **kw) -> tuple[float, np.ndarray, np.ndarray, MILPResult]:
    """(z, dz/db, dz/dc, MILP result): integers fixed at the optimum, duals of the remaining LP.

    z = c'x* for the x* returned as dz/dc (the fixed-integer LP's optimum, feasible to round-off): the value
    function is min c'x over feasible x (paper's z(b)) and Danskin's dz/dc = x* is the derivative of c'x*. The
    MILP's own objective (returned before 2026-11-28) is that of the solver's x, which may break a row within
    HiGHS' feasibility tolerance and sat up to 1e-6 below c'x*."""
    c = np.asarray(c, dtype=np.float64)
    r = solve_value(c, A, b, integer, lb, ub, **kw)
    integer, lbv, ubv = _per_variable(c, integer, lb, ub)
    lbv, ubv = lbv.copy(), ubv.copy()
    xi = np.round(r.x[integer])
    lbv[integer], ubv[integer] = xi, xi
    m, _ = build_milp(c, A, b, False, lbv, ubv)
    lp = m.solve(relax=True)
    if lp.status != "optimal":  # pragma: no cover - the MILP optimum is feasible for this LP
        raise MIPError(f"value_gradient: fixed-integer LP status '{lp.status}'")
    x = lp.x.copy()
    return float(c @ x), lp.row_duals.copy(), x, r


class MILPValue(torch.autograd.Function):
    """z = MILPValue.apply(c, b, A, integer, lb, ub): optimal value of min c'x, A x >= b, as a torch op.

    c [n] or [B, n] and b [m] or [B, m] (a leading batch dimension on either or both, so the layer can sit in
    a network that processes minibatches; one MILP per row, z [B]); unbatched inputs give a scalar z.
    Backward returns the conservative derivatives dz/dc = x*, dz/db = y (LP duals with integers fixed), summed
    over the batch for an unbatched input. A and the integrality pattern are constants (no gradient).
    z has c's dtype; for an integer c, b's floating dtype (or torch's default when both are integer).
    """

    @staticmethod
    def forward(ctx, c, b, A, integer, lb=0.0, ub=math.inf):
        # a NumPy array or a list was a bare "'numpy.ndarray' object has no attribute 'detach'"
        for name, t in (("c", c), ("b", b)):
            if not isinstance(t, torch.Tensor):
                raise DataError(f"MILPValue: {name} must be a torch tensor (got {type(t).__name__}); pass "
                                f"torch.as_tensor({name})")
        cn = c.detach().double().cpu().numpy()
        bn = b.detach().double().cpu().numpy()
        if cn.ndim not in (1, 2) or bn.ndim not in (1, 2):
            raise DataError(f"MILPValue: c must be [n] or [B, n] and b [m] or [B, m] (got {tuple(cn.shape)} and "
                            f"{tuple(bn.shape)})")
        C, Bm = np.atleast_2d(cn), np.atleast_2d(bn)
        if 0 in (C.shape[0], Bm.shape[0]):   # was numpy's "operands could not be broadcast together"
            raise DataError(f"MILPValue: empty batch (c {tuple(cn.shape)}, b {tuple(bn.shape)}): no problem to solve")
        if C.shape[0] != Bm.shape[0] and 1 not in (C.shape[0], Bm.shape[0]):
            raise DataError(f"MILPValue: batch sizes of c ({C.shape[0]}) and b ({Bm.shape[0]}) differ")
        nb = max(C.shape[0], Bm.shape[0])
        C, Bm = np.broadcast_to(C, (nb, C.shape[1])), np.broadcast_to(Bm, (nb, Bm.shape[1]))
        zs, xs, ys = [], [], []
        for ci, bi in zip(C, Bm):
            z, y, x, _ = value_gradient(ci, A, bi, integer, lb, ub)
            zs.append(z)
            xs.append(x)
            ys.append(y)
        ctx.c_batched, ctx.b_batched = cn.ndim == 2, bn.ndim == 2
        # z and x* in c's dtype, y in b's; an integer c or b (integer costs are natural here) takes the other's
        # floating dtype, else torch's default: z = 7/3 came back as the int64 tensor 2, with no gradient to b
        z_dtype = (c.dtype if c.is_floating_point() else b.dtype if b.is_floating_point()
                   else torch.get_default_dtype())
        y_dtype = b.dtype if b.is_floating_point() else z_dtype
        ctx.save_for_backward(torch.tensor(np.stack(xs), dtype=z_dtype, device=c.device),
                              torch.tensor(np.stack(ys), dtype=y_dtype, device=b.device))
        z = torch.tensor(zs, dtype=z_dtype, device=c.device)
        return z if (ctx.c_batched or ctx.b_batched) else z[0]

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = g.reshape(-1, 1)
        gc, gb = g.to(x.dtype) * x, g.to(y.dtype) * y
        return (gc if ctx.c_batched else gc.sum(0)), (gb if ctx.b_batched else gb.sum(0)), None, None, None, None


def implicit_jacobian(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """dy/dx = -B^{-1} A for F(x, y(x)) = 0 with dF/dx = A [m, n], dF/dy = B [m, m] (B invertible)."""
    if B.shape[0] != B.shape[1] or A.shape[0] != B.shape[0]:
        raise ValueError(f"implicit_jacobian: need A [m, n] and B [m, m] (got {tuple(A.shape)}, {tuple(B.shape)})")
    return -torch.linalg.solve(B, A)


def solution_jacobian(c, A, b, integer, lb=0.0, ub=math.inf, *, tol: float = 1e-7,
                      **kw) -> tuple[np.ndarray, np.ndarray]:
    """(x*, dx*/db [n, m]) of min c'x, A x >= b, lb <= x <= ub, x_I integer, by implicit differentiation.

    Integers are fixed at the MILP optimum and the LP in the continuous part is re-solved. At its optimal vertex
    the optimality map F(b, x) = [A_S x - b_S ; x_K - bound_K] = 0 holds, with S the active rows and K the
    integer variables and the continuous ones at a bound; dF/dx = B = [A_S ; E_K], dF/db = [-E_S ; 0], and
    dx*/db = -B^{-1} dF/db (:func:`implicit_jacobian`; Bolte et al. 2021 at one element of the conservative
    Jacobian). This is the true derivative where the integer part and the active set are locally constant.
    A degenerate vertex (B not square and invertible: a kink of x*(b), or a non-unique x*) raises MIPError.
    """
    c, A, b = _arr("c", c, 1), _arr("A", A, 2), _arr("b", b, 1)
    _, _, x, _ = value_gradient(c, A, b, integer, lb, ub, **kw)
    n, m = c.size, b.size
    integer, lbv, ubv = _per_variable(c, integer, lb, ub)
    def near(bound):   # finite bounds only (|x - inf| <= tol * inf would hold)
        fb = np.where(np.isfinite(bound), bound, 0.0)
        return np.isfinite(bound) & (np.abs(x - fb) <= tol * (1 + np.abs(fb)))

    at_bound = integer | near(lbv) | near(ubv)
    rows = np.flatnonzero(np.abs(A @ x - b) <= tol * (1 + np.abs(b)))
    Bx = np.vstack([A[rows], np.eye(n)[at_bound]])
    Fb = np.vstack([-np.eye(m)[rows], np.zeros((int(at_bound.sum()), m))])
    if Bx.shape[0] != n or np.linalg.matrix_rank(Bx) < n:
        raise MIPError(f"solution_jacobian: degenerate optimum at this b ({rows.size} active rows and "
                       f"{int(at_bound.sum())} fixed variables for {n} unknowns): x*(b) has a kink or is not "
                       f"unique here, only a conservative Jacobian exists")
    # the vertex is primal nondegenerate (B square, invertible); x* of the fixed-integer LP is unique iff no
    # multiplier of a continuous element of the active set (an active row, a continuous variable at a bound)
    # vanishes: B' lam = c, and a zero entry is an edge along which c'x stays optimal. min x0 + x1, x0 + x1 >= b
    # returned the vertex (b, 0) and dx*/db = (1, 0), one pick among the optimal segment's points
    lam = np.linalg.solve(Bx.T, c)
    # a variable fixed by its bounds (lb = ub) cannot move, so its zero multiplier opens no edge (it was refused)
    fixed = np.isfinite(lbv) & (lbv == ubv)
    free = np.concatenate([np.ones(rows.size, dtype=bool), ~(integer | fixed)[at_bound]])
    if np.any(np.abs(lam[free]) <= tol * (1 + np.abs(c).max())):
        raise MIPError(f"solution_jacobian: degenerate optimum at this b (a zero multiplier of the active set of the "
                       f"LP with the integers fixed): x* is not unique here, only a conservative Jacobian exists")
    J = implicit_jacobian(torch.tensor(Fb), torch.tensor(Bx)).numpy()
    return x, J
