"""Inverse Hessian-vector products (H + damping I)^{-1} v behind one interface.

Solvers:
- ``"exact"``: dense H (P Hessian-vector products), eigendecomposition, solve. For small subsets (P <= ~5000).
- ``"cg"``: conjugate gradient on Hessian-vector products (Hestenes & Stiefel 1952); exact in <= P steps in
  exact arithmetic; needs H + damping I positive definite.
- ``"kfac"`` / ``"ekfac"``: (F~ + damping I)^{-1} v with the K-FAC / EK-FAC approximation of the Fisher (a
  Gauss-Newton-type stand-in for H) of whole Linear / Conv2d layers (see :mod:`paperworks.curvature.kfac`).
- ``"lissa"``: the stochastic/recursive Neumann-series estimator of Agarwal, Bullins & Hazan (2017), as used by
  Koh & Liang (2017): h_j = v + (I - (H + damping I)/scale) h_{j-1}, result h_J / scale; converges when the
  eigenvalues of (H + damping I)/scale lie in (0, 2). ``scale=None`` sets it from a power-iteration estimate
  of the largest eigenvalue (x 1.05). In :class:`InverseHVP` the Hessian is full-batch by default; with
  ``lissa_batch_size`` every recursion step uses the Hessian of a fresh random mini-batch (drawn with
  ``seed``) and the result is the mean of ``lissa_repeats`` independent recursions, as in Koh & Liang. A
  mini-batch of all n samples (``lissa_batch_size=n``, or only ``lissa_repeats`` given) is the full-batch
  Hessian: one deterministic recursion then, with the full-batch run's stopping test and warnings.

A singular or indefinite curvature never yields a silent NaN: the exact solver raises
:class:`SingularHessianError` naming the smallest eigenvalue and the damping that would fix it (or, with
``damping="auto"``, adds that damping and reports it in ``.damping_used`` and a warning); CG raises when it
meets a direction of non-positive curvature (unless told to stop there and return its iterate:
``conjugate_gradient(..., on_nonpositive="stop")``, which also takes a preconditioner ``M``); every result is
checked for NaN/inf.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import torch

from paperworks.core.config import check_int, check_seed, is_real
from paperworks.core.errors import PaperworksError

__all__ = ["SingularHessianError", "SOLVERS", "dense_factor", "solve_dense", "conjugate_gradient", "lissa",
           "top_eigenvalue", "InverseHVP"]

SOLVERS = ("exact", "cg", "lissa", "kfac", "ekfac")


class SingularHessianError(PaperworksError):
    """The curvature (plus damping) is singular or indefinite; the message names a damping that fixes it."""

    def __init__(self, msg: str, suggested_damping: float | None = None):
        self.suggested_damping = suggested_damping
        super().__init__(msg)


def _check_damping(damping: Any) -> float | int | str:
    """A finite real number >= 0 (NumPy scalars too) or 'auto'. NumPy's float32 / int64 were refused as not
    numbers ("damping must be a finite number >= 0 or 'auto' (got np.float32(0.1))") and True ran as damping 1.
    Returns it as the solvers keep it: 'auto', a Python int / float as given, another real (a NumPy scalar, a
    Fraction, which failed later in a format: "unsupported format string passed to Fraction.__format__") as its
    Python float."""
    if isinstance(damping, str):
        if damping != "auto":
            raise PaperworksError(f"damping must be a number >= 0 or 'auto' (got {damping!r})")
    elif not is_real(damping, 0.0):
        raise PaperworksError(f"damping must be a finite number >= 0 or 'auto' (got {damping!r})")
    return damping if isinstance(damping, str) else plain_real(damping)


def _damping_overflow(who: str, damping: float, size: float, what: str, dtype: torch.dtype) -> PaperworksError | None:
    """The NaN/inf error of an iterative solver when the damping itself overflowed: ``damping * size`` (size: the
    squared norm of CG's direction, the largest entry of LiSSA's right-hand side) beyond the largest value of the
    vectors' dtype, None otherwise. Such a damping is too large for that dtype (damping=1e39 on a float32 model;
    the exact / K-FAC solvers handle it), so the NaN/inf errors' advice "increase damping" was the wrong way."""
    big = torch.finfo(dtype).max
    if not damping * size > big:
        return None
    return PaperworksError(f"{who}: damping={damping:.3g} is too large for {dtype}: damping * {what} = "
                           f"{damping * size:.3g} exceeds its largest value {big:.3g}, so (H + damping I) v "
                           "overflows; use a smaller damping (or float64 parameters / vectors)")


def plain_real(x: Any) -> int | float:
    """A real number that passed :func:`is_real` as the solvers and fmd keep it: a Python int / float (or a
    float subclass such as np.float64) as given, so the system's values pass through unchanged; another real
    (np.float32, a NumPy integer, a Fraction: Fractions failed later in a format string or a product) as its
    Python float. The one rule of ``damping`` here, ``damping`` in influence_scores_loop and fmd's ``lam``."""
    return x if isinstance(x, (int, float)) else float(x)


def _finite(x: torch.Tensor, who: str) -> torch.Tensor:
    if not torch.isfinite(x).all():
        raise SingularHessianError(f"{who}: the inverse-HVP produced NaN/inf; the curvature is ill-conditioned, "
                                   "increase damping")
    return x


def dense_factor(H: torch.Tensor, who: str = "exact solver") -> tuple[torch.Tensor, torch.Tensor, float]:
    """Eigendecomposition of a dense symmetric H [P, P] in float64: (eigenvalues, eigenvectors, dtype eps of H).

    Computed once and reused by :func:`solve_dense` (``factor=``) for every right-hand side."""
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise PaperworksError(f"{who}: expected a square matrix (got shape {list(H.shape)})")
    if not torch.isfinite(H).all():
        raise PaperworksError(f"{who}: the Hessian contains NaN/inf (check the loss and the parameters)")
    evals, evecs = torch.linalg.eigh(0.5 * (H + H.T).double())  # singularity judged at H's own precision
    return evals, evecs, float(torch.finfo(H.dtype).eps)


def solve_dense(H: torch.Tensor | None, v: torch.Tensor, damping: float | str = 0.0, rtol: float | None = None,
                who: str = "exact solver", factor: tuple | None = None) -> tuple[torch.Tensor, float]:
    """(H + damping I)^{-1} v for a dense symmetric H [P, P]; v [P] or [P, k]. Returns (x, damping_used).

    ``factor`` = :func:`dense_factor` (H) reuses a precomputed eigendecomposition (then H may be None)."""
    _check_damping(damping)
    evals, evecs, eps = dense_factor(H, who) if factor is None else factor
    if v.shape[0] != evals.shape[0]:
        raise PaperworksError(f"{who}: the right-hand side has {v.shape[0]} entries, the matrix {evals.shape[0]} rows")
    if not torch.isfinite(v).all():
        raise PaperworksError(f"{who}: the right-hand side contains NaN/inf (check the inputs and the loss)")
    out_dtype = v.dtype
    v = v.double()
    scale = float(evals.abs().max()) if evals.numel() else 1.0
    rtol = rtol if rtol is not None else 100 * eps
    floor = max(scale, 1e-30) * rtol
    lam_min = float(evals.min())
    # relative to H's scale only (1e-8 only for H = 0): an absolute floor of 1e-8 swamped a Hessian of scale
    # 1e-8 (a training loss scaled by 1e-8 halved the damping='auto' influence scores, which are scale-free)
    suggested = max(0.0, -lam_min) + (scale * 1e-3 if scale > 0 else 1e-8)
    if damping == "auto":
        d = 0.0 if lam_min > floor else suggested
        if d > 0:
            warnings.warn(f"{who}: the Hessian is singular/indefinite (min eigenvalue {lam_min:.3g}); "
                          f"added damping {d:.3g}", stacklevel=3)
    else:
        d = float(damping)
        if lam_min + d <= floor:
            raise SingularHessianError(
                f"{who}: H + damping*I is singular or indefinite (min eigenvalue of H = {lam_min:.3g}, "
                f"damping = {d:g}); pass damping >= {suggested:.3g} (or damping='auto')", suggested)
    inv = 1.0 / (evals + d)
    x = evecs @ (inv.unsqueeze(-1) * (evecs.T @ v) if v.ndim == 2 else inv * (evecs.T @ v))
    return _finite(x.to(out_dtype), who), d


def _check_rhs(b: Any, who: str) -> None:
    """b a 1-D floating tensor, finite. A [P, k] block failed with "Boolean value of Tensor with more than one
    value is ambiguous", an integer vector inside torch's vector_norm, a list with an AttributeError. A NaN/inf
    right-hand side is the caller's, not the Hessian's: CG and LiSSA blamed the curvature for it
    ("Hessian-vector product is NaN/inf ... increase damping", "the series diverged ... scale too small")."""
    if not isinstance(b, torch.Tensor) or b.ndim != 1 or not (b.is_floating_point() or b.is_complex()):
        got = (f"{b.dtype} tensor of shape {list(b.shape)}" if isinstance(b, torch.Tensor) else type(b).__name__)
        raise PaperworksError(f"{who}: the right-hand side b must be a 1-D floating tensor (got {got}); solve a "
                              "[P, k] block column by column (InverseHVP.solve does)")
    if not torch.isfinite(b).all():
        raise PaperworksError(f"{who}: the right-hand side contains NaN/inf ({int((~torch.isfinite(b)).sum())} "
                              "entries); check the vector to solve for")


_FIX_RHS = "give the right-hand side in the dtype the operator computes in"


def _checked_operator(A: Callable[[torch.Tensor], torch.Tensor], who: str,
                      fix: str = _FIX_RHS) -> Callable[[torch.Tensor], torch.Tensor]:
    """A, returning its own result, after checking that it is a tensor of its input's shape (an operator of the
    wrong size failed in a broadcast: "The size of tensor a (4) must match the size of tensor b (2)"); ``fix``
    ends the message of a dtype mismatch inside A."""
    if not callable(A):
        raise PaperworksError(f"{who}: A must be a callable applying the operator to a vector (got "
                              f"{type(A).__name__})")

    def op(v: torch.Tensor) -> torch.Tensor:
        return _like_input(_apply_checked(A, v, who, "the operator A", "its input's", fix), v)

    return op


def _apply_checked(f: Callable[[torch.Tensor], torch.Tensor], v: torch.Tensor, who: str, what: str,
                   whose: str, fix: str = _FIX_RHS) -> torch.Tensor:
    """``f(v)`` of a user operator ``what`` (the operator A, the preconditioner M), checked: a dtype mismatch
    inside it is :func:`_dtype_error`'s, and a result that is not a tensor of v's shape (``whose`` shape, in the
    message) is named."""
    try:
        out = f(v)
    except RuntimeError as e:
        raise _dtype_error(e, who, what, v, fix) from e
    if not isinstance(out, torch.Tensor) or out.shape != v.shape:
        got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise PaperworksError(f"{who}: {what} must return a tensor of {whose} shape {list(v.shape)} (got {got})")
    return out


def _like_input(out: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``out`` in v's floating dtype: another one (a float32 H @ v cast back, say) failed in the next dot product
    ("dot : expected both vectors to have same dtype"); the vector's dtype, as InverseHVP converts v."""
    return out if out.dtype == v.dtype or not out.is_floating_point() else out.to(v.dtype)


def _dtype_error(e: RuntimeError, who: str, what: str, v: torch.Tensor, fix: str = _FIX_RHS) -> Exception:
    """A dtype mismatch inside a user operator (b in float32, the operator's matrix in float64: "addmv input
    tensors must have the same dtype, but got Float, Double, and Float") as one error naming the vector's dtype;
    any other RuntimeError as it was."""
    msg = str(e)
    if "dtype" not in msg and "scalar type" not in msg:
        return e
    first = msg.strip().splitlines()[0]
    return PaperworksError(f"{who}: {what} failed on a {v.dtype} vector ({first}); {fix}")


_CG_NONPOSITIVE = ("raise", "stop")
_CG_MAX_ITER = ("raise", "warn", "return")
_CG_TOL = 1e-10      # conjugate_gradient's target for tol=None


def _nonpositive(who: str, damping: float, rq: float) -> SingularHessianError:
    """The CG solvers' error for a direction of (near) non-positive curvature (Rayleigh quotient ``rq``)."""
    return SingularHessianError(f"{who}: met a direction of (near) non-positive curvature (p^T(H+{damping:g}I)p / "
                                f"p^Tp = {rq:.3g}): the Hessian is singular or indefinite; increase damping")


def _true_residual(A, b: torch.Tensor, x: torch.Tensor, damping: float, bnorm: float) -> tuple[torch.Tensor, float]:
    """The recomputed residual b - (A + damping I) x and its norm relative to ||b||."""
    Ax = A(x)
    r = b - (Ax if damping == 0 else Ax + damping * x)
    return r, float(r.norm()) / bnorm


def _cg_tols(tol: float | None, dtype: torch.dtype) -> tuple[float, float]:
    """(target of the recursive residual, largest true relative residual accepted) for ``tol``: both ``tol`` when
    one is given; for ``tol=None``, 1e-10 and min(1e-4, sqrt(eps)) of the dtype (float64 1.5e-8, float32 1e-4)."""
    if tol is not None:
        return tol, tol
    return _CG_TOL, max(_CG_TOL, min(1e-4, math.sqrt(torch.finfo(dtype).eps)))


def _short_of_tol(x: torch.Tensor, who: str, tol: float | None, accept: float, rel: float, policy: str,
                  iters: int, stalled: bool, dtype: torch.dtype) -> torch.Tensor:
    """A CG iterate whose true relative residual ``rel`` is above ``accept``: raise (``on_max_iter="raise"``) or
    warn and return it (``"warn"``). Before, plain CG returned such an iterate without a word when its residual
    was at most 1e-4 at the iteration cap (tol=1e-8 asked: 5.6e-5 returned), or when its recursively updated
    residual passed ``tol`` while the true one had drifted above it (float32, tol=1e-8: 2.2e-6 returned)."""
    asked = f"tol={tol:g}" if tol is not None else f"the default tolerance {accept:.2g} ({str(dtype)[6:]})"
    if stalled:
        why = (f"the true relative residual stops falling at {rel:.2g} > {asked} after {iters} iterations (the "
               f"accuracy {str(dtype)[6:]} arithmetic reaches on this system: the recursively updated residual "
               f"passed tol, the recomputed one did not, also after a restart from it); pass tol >= {rel:.2g}, "
               "solve in float64 or increase damping")
    else:
        why = (f"did not converge in {iters} iterations (relative residual {rel:.2g} > {asked}); the Hessian is "
               "ill-conditioned: increase damping or max_iter")
    if policy == "raise":
        raise SingularHessianError(f"{who}: {why}, or pass on_max_iter='warn' (InverseHVP: cg_on_max_iter) to "
                                   "accept the iterate")
    warnings.warn(f"{who}: {why}; returning the iterate of that residual (on_max_iter='warn')", RuntimeWarning,
                  stacklevel=4)
    return _finite(x, who)


def _judge_iterate(A, b, x, damping, bnorm, accept, best, x_best, who, tol, policy, iters, at_cap):
    """The plain and preconditioned CG's verdict on an iterate x whose recursive residual passed tol (or that
    the iteration cap left), taken on its true residual: ``(x, None)`` to return (accepted, or short of tol:
    :func:`_short_of_tol` raises or warns), else ``(None, (r_true, rel))`` to restart from x on its true
    residual. Short of tol means at the cap, or a restart that no longer halved the smallest true relative
    residual ``best`` met so far (the dtype's floor for this system); then the better of x and ``x_best``."""
    r_true, rel = _true_residual(A, b, x, damping, bnorm)
    if rel <= accept:
        return _finite(x, who), None
    stalled = not at_cap and rel >= 0.5 * best
    if at_cap or stalled:
        x, rel = (x, rel) if rel <= best else (x_best, best)
        return _short_of_tol(x, who, tol, accept, rel, policy, iters, stalled, b.dtype), None
    return None, (r_true, rel)


def conjugate_gradient(A: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, damping: float = 0.0,
                       tol: float | None = None, max_iter: int | None = None, x0: torch.Tensor | None = None,
                       who: str = "cg", M: Callable[[torch.Tensor], torch.Tensor] | None = None,
                       on_nonpositive: str = "raise", on_max_iter: str = "raise") -> torch.Tensor:
    """Solve (A + damping I) x = b by conjugate gradient; A is a symmetric positive-definite operator.

    Iterates until the recursively updated residual is <= ``tol`` ||b|| (at most ``max_iter`` iterations,
    default 10 P); a direction of (near) non-positive curvature raises :class:`SingularHessianError`. The result
    is judged on its true residual ||b - (A + damping I) x|| (recomputed: one more operator call), which in
    floating point drifts away from the recursive one: if it misses, CG restarts from x on it. ``tol`` given: the
    returned x has a true relative residual <= ``tol``. ``tol=None`` (default): the target is 1e-10 and a true
    relative residual up to min(1e-4, sqrt(eps)) of b's dtype (float64 1.5e-8, float32 1e-4) is accepted, the
    accuracy that dtype reaches. An x that still misses (at the iteration cap, or when a restart no longer
    halves the true residual: the dtype's floor for this system) follows ``on_max_iter``: "raise" (default)
    raises :class:`SingularHessianError` naming the residual reached, "warn" warns (RuntimeWarning) and returns
    the iterate of the smallest true residual met, "return" returns without any check (below). With ``M=None``,
    ``on_nonpositive="raise"`` and ``on_max_iter`` "raise" or "warn", the iterations' code and arithmetic are
    those of the plain CG. Opt-in variants:

    - ``M``: a preconditioner, a callable applying M^{-1} (symmetric positive definite) to a vector: the
      preconditioned CG, which solves the same system in fewer iterations when M approximates A + damping I.
      It must return a finite tensor of the residual's shape (else one :class:`PaperworksError`).
    - ``on_nonpositive="stop"``: at the first direction p whose curvature p^T (A + damping I) p is not > 0,
      return the current iterate instead of raising (truncated CG, e.g. for a positive semi-definite A whose
      null space b and M keep out of: the result solves the system on the range); a NaN/inf curvature still
      raises. ``on_max_iter="return"``: return the iterate reached when the recursive residual passes ``tol``
      (1e-10 for None) or after ``max_iter`` iterations, converged or not, with no true-residual check. With any
      of these three, the stopping test is ||r||^2 <= (tol ||b||)^2 and iterates are updated with Python-float
      step sizes (:func:`_pcg`).
    """
    _check_damping(damping)
    if damping == "auto":
        raise PaperworksError(f"{who}: damping='auto' is only supported by the exact solver; give a number")
    damping = float(damping)    # (a NumPy scalar times a tensor is not always a tensor)
    # a NaN tol crashed with ZeroDivisionError; max_iter < 0 ran no step and blamed the Hessian ("did not
    # converge in -5 iterations ... increase damping"); 0 / None = the default 10 P
    if tol is not None and not is_real(tol, 0.0):
        raise PaperworksError(f"{who}: tol must be a finite number >= 0 or None (got {tol!r})")
    _check_rhs(b, who)
    if b.is_complex():
        # float(p @ Ap) failed with "value cannot be converted to type double without overflow"; the real dot
        # products here are not a Hermitian CG's (r^H r), so a complex system is refused, not solved wrongly
        raise PaperworksError(f"{who}: the right-hand side is complex ({b.dtype}); conjugate_gradient solves real "
                              "symmetric systems: for a real operator solve b.real and b.imag separately "
                              "(InverseHVP.solve does), or use lissa")
    A = _checked_operator(A, who)
    if x0 is not None:
        # an x0 of another dtype than b reached the operator as it was (a float64 operator failed inside torch
        # with "addmv input tensors must have the same dtype"); b's dtype and device, as InverseHVP.solve does v
        if not isinstance(x0, torch.Tensor) or x0.shape != b.shape:
            got = list(x0.shape) if isinstance(x0, torch.Tensor) else type(x0).__name__
            raise PaperworksError(f"{who}: x0 must be a tensor of b's shape {list(b.shape)} (got {got})")
        x0 = x0.to(dtype=b.dtype, device=b.device)
    if max_iter is not None:
        check_int("max_iter", max_iter, 0, where=who)
    if on_nonpositive not in _CG_NONPOSITIVE:
        raise PaperworksError(f"{who}: on_nonpositive must be one of {_CG_NONPOSITIVE} (got {on_nonpositive!r})")
    if on_max_iter not in _CG_MAX_ITER:
        raise PaperworksError(f"{who}: on_max_iter must be one of {_CG_MAX_ITER} (got {on_max_iter!r})")
    if M is not None and not callable(M):
        raise PaperworksError(f"{who}: the preconditioner M must be a callable applying M^-1 to a vector "
                              f"(got {type(M).__name__})")
    if M is not None or on_nonpositive != "raise" or on_max_iter == "return":
        return _pcg(A, b, float(damping), tol, max_iter, x0, who, M, on_nonpositive == "stop", on_max_iter)
    target, accept = _cg_tols(tol, b.dtype)
    max_iter = max_iter or 10 * b.numel()
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b - (A(x) + damping * x) if x0 is not None else b.clone()
    p = r.clone()
    rs = r @ r
    bnorm = float(b.norm())
    if bnorm == 0:       # the solution of (A + damping I) x = 0 is 0 (x0 was returned as if it solved it)
        return torch.zeros_like(b)
    rq_max = 0.0
    best, x_best = math.inf, x      # the smallest true relative residual met at a restart, and its iterate
    for it in range(max_iter):
        Ap = A(p) + damping * p
        pAp = p @ Ap
        if not torch.isfinite(pAp):
            if torch.isfinite(p).all() and (e := _damping_overflow(who, damping, float(p.double() @ p.double()),
                                                                    "||p||^2", b.dtype)):
                raise e
            raise SingularHessianError(f"{who}: Hessian-vector product is NaN/inf; check the loss or increase damping")
        pp = float(p @ p)
        rq = float(pAp) / pp
        rq_max = max(rq_max, rq)
        # the exact solver's precision floor (100 eps x the largest curvature): every Rayleigh quotient lies in
        # [lambda_min, lambda_max] of H + damping I, so CG refuses only a system that solve_dense refuses too
        # (1e3 eps refused float32 SPD systems of condition 8e3-8e4, lambda_min = 1, that it solves)
        if rq <= 100 * torch.finfo(b.dtype).eps * rq_max:
            raise _nonpositive(who, damping, rq)
        alpha = rs / pAp
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        if math.sqrt(float(rs_new)) <= target * bnorm:
            done, restart = _judge_iterate(A, b, x, damping, bnorm, accept, best, x_best, who, tol, on_max_iter,
                                           it + 1, False)
            if restart is None:
                return done
            (r, best), x_best = restart, x     # restart from x on its true residual
            p = r.clone()
            rs = r @ r
            continue
        p = r + (rs_new / rs) * p
        rs = rs_new
    # the true residual at the cap (a recursive one between tol and 1e-4 was returned here without a word)
    return _judge_iterate(A, b, x, damping, bnorm, accept, best, x_best, who, tol, on_max_iter, max_iter, True)[0]


def _precondition(M: Callable[[torch.Tensor], torch.Tensor] | None, r: torch.Tensor, who: str) -> torch.Tensor:
    """M^{-1} r (r itself without a preconditioner), checked: a tensor of r's shape, finite where r is."""
    if M is None:
        return r
    z = _apply_checked(M, r, who, "the preconditioner M", "the residual's")
    if not torch.isfinite(z).all():
        if not torch.isfinite(r).all():
            raise SingularHessianError(f"{who}: the residual overflowed to NaN/inf; the Hessian is "
                                       "ill-conditioned, increase damping")
        raise PaperworksError(f"{who}: the preconditioner M returned NaN/inf for a finite residual")
    return _like_input(z, r)


def _pcg(A, b, damping, tol, max_iter, x0, who, M, stop, on_max_iter):
    """Preconditioned CG behind :func:`conjugate_gradient` (its opt-in variants; arguments checked there).

    Scalars are Python floats (float64 division and products, the same bits as 0-d float64 tensors); the
    damping term is added only when damping != 0 (A(p) + 0 * p would turn -0.0 into 0.0 and inf into NaN).
    ``on_max_iter="return"``: the iterate as the recursion leaves it (no true-residual check, as before);
    "raise" / "warn": judged on the true residual with restarts, as the plain CG."""
    target, accept = _cg_tols(tol, b.dtype)
    check = on_max_iter != "return"
    max_iter = max_iter or 10 * b.numel()
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    bnorm = float(b.norm())
    if bnorm == 0:       # the solution of (A + damping I) x = 0 is 0
        return torch.zeros_like(b)
    if x0 is None:
        r = b.clone()
    else:
        Ax = A(x)
        r = b - (Ax if damping == 0 else Ax + damping * x)
    thr = (target * bnorm) ** 2
    z = _precondition(M, r, who)
    p = z
    rz = float(r @ z)
    eps = torch.finfo(b.dtype).eps
    rq_max = 0.0
    best, x_best = math.inf, x
    for it in range(max_iter):
        Ap = A(p)
        if damping != 0:
            Ap = Ap + damping * p
        pAp = float(p @ Ap)
        if math.isnan(pAp) or math.isinf(pAp):
            if torch.isfinite(p).all() and (e := _damping_overflow(who, damping, float(p.double() @ p.double()),
                                                                    "||p||^2", b.dtype)):
                raise e
            raise SingularHessianError(f"{who}: Hessian-vector product is NaN/inf; check the loss or increase damping")
        if stop:
            if not pAp > 0.0:
                return _finite(x, who)
        else:
            # the plain CG's rule: relative to the largest Rayleigh quotient met (the exact solver's floor)
            rq = pAp / float(p @ p)
            rq_max = max(rq_max, rq)
            if rq <= 100 * eps * rq_max:
                raise _nonpositive(who, damping, rq)
        a = rz / pAp
        x = x + a * p
        r = r - a * Ap
        rr = float(r @ r)
        if rr <= thr:
            if not check:
                return _finite(x, who)
            done, restart = _judge_iterate(A, b, x, damping, bnorm, accept, best, x_best, who, tol, on_max_iter,
                                           it + 1, False)
            if restart is None:
                return done
            (r, best), x_best = restart, x
            z = _precondition(M, r, who)
            p = z
            rz = float(r @ z)
            continue
        z = _precondition(M, r, who)
        rz_new = float(r @ z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    if not check:
        return _finite(x, who)
    return _judge_iterate(A, b, x, damping, bnorm, accept, best, x_best, who, tol, on_max_iter, max_iter, True)[0]


def top_eigenvalue(A: Callable[[torch.Tensor], torch.Tensor], dim: int, dtype=torch.float64, iters: int = 50,
                   seed: int = 0) -> float:
    """Largest |eigenvalue| of a symmetric operator by power iteration."""
    # dim 0 failed inside A ("size mismatch, got input (2), mat (2x2), vec (0)"); iters 0 or -2 ran no step and
    # returned 0.0, read by lissa as "the Hessian is zero"; an integer dtype failed inside torch.randn
    check_int("dim", dim, 1, where="top_eigenvalue")
    check_int("iters", iters, 1, where="top_eigenvalue")
    if not isinstance(dtype, torch.dtype) or not (dtype.is_floating_point or dtype.is_complex):
        raise PaperworksError(f"top_eigenvalue: dtype must be a floating torch dtype (got {dtype!r})")
    # called directly with a float32 operator under the float64 default, it failed inside torch ("addmv input
    # tensors must have the same dtype"); lissa passes an operator already checked against its right-hand side
    A = _checked_operator(A, "top_eigenvalue", fix="pass dtype= the dtype the operator computes in")
    # (1.5 / True were torch's bare 'manual_seed expected a long', a NumPy integer 'an integer is required')
    g = torch.Generator().manual_seed(check_seed(seed, "top_eigenvalue"))
    v = torch.randn(dim, generator=g, dtype=dtype)
    v /= v.norm()
    lam = 0.0
    for _ in range(iters):
        w = A(v)
        lam = float(w.norm())
        if not math.isfinite(lam):
            # NaN was returned as the eigenvalue, and lissa read it as "the Hessian is zero; increase damping"
            raise PaperworksError("top_eigenvalue: the operator returned NaN/inf for a finite vector; check the "
                                  "loss, the data and the parameters")
        if lam == 0:
            return 0.0
        v = w / lam
    return lam


def lissa(A: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, damping: float = 0.0,
          scale: float | None = None, depth: int = 1000, tol: float = 1e-10, who: str = "lissa") -> torch.Tensor:
    """(A + damping I)^{-1} b by the recursive Neumann series (LiSSA, Agarwal et al. 2017).

    ``A`` may be a full-batch or a stochastic (mini-batch) Hessian-vector product (the latter with ``tol=0``:
    its updates never vanish). Stops early when the update falls below ``tol`` relative to the iterate; with
    ``tol > 0``, a series still moving at ``depth`` (above the dtype's rounding floor, 100 eps) gives a warning:
    the result is then a truncated series, unless its update grew on the way, which a convergent full-batch
    series never does (the update is M^j b, M = I - (A + damping I)/scale symmetric): then it diverges (an
    eigenvalue of (A + damping I)/scale outside (0, 2)) and a :class:`SingularHessianError` says so. In every
    mode (mini-batch ones too) a step that stretches the iterate, ||(I - (A + damping I)/scale) h|| > ||h|| beyond
    rounding, gives a warning: (A + damping I)/scale then has an eigenvalue outside [0, 2] (a scale below half
    the largest eigenvalue of some mini-batch Hessian, or an indefinite one), and the series does not converge.
    """
    _check_damping(damping)
    if damping == "auto":
        raise PaperworksError(f"{who}: damping='auto' is only supported by the exact solver; give a number")
    damping = float(damping)
    # depth <= 0 ran no step and returned b / scale; tol < 0 never stopped and skipped the truncation warning
    depth = check_int("depth", depth, 1, where=who)
    if not is_real(tol, 0.0):
        raise PaperworksError(f"{who}: tol must be a finite number >= 0 (got {tol!r})")
    _check_rhs(b, who)
    A = _checked_operator(A, who)
    if scale is None and b.numel() == 0:
        # a 0 x 0 system: the empty solution, as conjugate_gradient gives (top_eigenvalue needs dim >= 1)
        return b.clone()
    if scale is None:
        scale = 1.05 * (top_eigenvalue(A, b.numel(), b.dtype) + damping)
    elif not is_real(scale, 0.0, open_low=True):
        # a given scale <= 0 was reported as "the Hessian is zero"
        raise PaperworksError(f"{who}: scale must be a finite number > 0 (got {scale!r})")
    if not scale > 0:
        raise SingularHessianError(f"{who}: the Hessian is zero; increase damping")
    h = b.clone()
    done, rel = False, 0.0
    du_min = math.inf
    grow = 1.0       # the largest ||(I - (A + damping I)/scale) h|| / ||h|| met (<= 1 when the series converges)
    for _ in range(depth):
        Ah = A(h)
        h_new = b + h - (Ah + damping * h) / scale
        if not torch.isfinite(h_new).all() or float(h_new.norm()) > 1e12 * max(float(b.norm()), 1e-30):
            if not torch.isfinite(Ah).all():
                # (h is finite and below 1e12 ||b|| here) a NaN from the loss or the data, not a divergence
                raise PaperworksError(f"{who}: the Hessian-vector product is NaN/inf for a finite vector; check "
                                      "the loss, the data and the parameters")
            if e := _damping_overflow(who, damping, float(b.abs().max()), "max |v|", b.dtype):
                raise e
            raise SingularHessianError(f"{who}: the series diverged (scale={scale:.3g} too small or Hessian "
                                       "indefinite); increase damping or scale")
        nh_old = float(h.norm())
        if nh_old > 0:
            grow = max(grow, float((h_new - b).norm()) / nh_old)
        du, nh = float((h_new - h).norm()), float(h_new.norm())
        done = du <= tol * nh
        rel = du / nh if nh > 0 else (0.0 if du == 0 else math.inf)
        du_min = min(du_min, du)
        h = h_new
        if done:
            break
    eps = torch.finfo(b.dtype).eps
    if tol > 0 and not done and rel > 100 * eps and du > 1.01 * du_min + 1e3 * eps * nh:
        # the update grew beyond rounding: slow divergence (below the 1e12 blow-up test above), e.g. a Hessian
        # eigenvalue of -1e-3 at scale 2.1: the warning below asked for more depth, which makes it worse
        raise SingularHessianError(f"{who}: the series diverges (its update grew from {du_min:.3g} to {du:.3g} in "
                                   f"{depth} steps): H + damping*I is indefinite or scale={scale:.3g} is below half "
                                   "its largest eigenvalue; increase damping or scale, or use cg / exact")
    if grow > 1 + math.sqrt(eps):
        # I - (A + damping I)/scale stretched the iterate: an eigenvalue of (A + damping I)/scale outside [0, 2]
        # (for a symmetric A every step is a contraction otherwise). With mini-batch Hessians (tol=0) nothing
        # else looked: one outlier sample whose own Hessian's top eigenvalue was 78x the full one's (scale: 2x
        # the full one's) gave 6.9x the true result at batch 10 (a 91x one: 18.7x at batch 1) without a word
        warnings.warn(f"{who}: a recursion step stretched the iterate by up to x{grow:.3g}: an eigenvalue of "
                      f"(H + damping I)/scale lies outside [0, 2] (scale={scale:.3g} below half the largest "
                      "eigenvalue of a (mini-batch) Hessian, or it is indefinite), so the series is not a "
                      "convergent one and the result can be far off: increase scale (lissa_scale) or damping, or "
                      "use cg / exact", stacklevel=2)
    if tol > 0 and not done and rel > 100 * eps:
        # the series was cut at `depth` while still moving (not at the dtype's rounding floor): a full-batch
        # run of depth 1000 on a Hessian of condition 1e3 was 26% off (H + damping I)^{-1} b, without a word
        warnings.warn(f"{who}: the series stopped at depth={depth} before converging (last relative update "
                      f"{rel:.2g} > tol={tol:g}); the result is a truncated series: increase the depth or the "
                      "damping, or use cg / exact", stacklevel=2)
    return _finite(h / scale, who)


class InverseHVP:
    """(H + damping I)^{-1} applied to vectors, H the Hessian of ``loss_fn`` over ``data`` for a parameter subset.

    ``solver`` in ``exact | cg | lissa | kfac | ekfac``. ``hessian`` (exact solver only) passes a precomputed
    dense H. The exact solver eigendecomposes H once (on the first ``solve``, reused for every later one); the
    iterative solvers run per right-hand side. ``damping_used`` records the damping actually applied.
    The exact and K-FAC solvers take their curvature at the parameters of construction time (CG and LiSSA
    apply H at the current ones): a ``solve`` after an in-place change of the parameters (an optimizer or
    unlearning step) warns that it uses the old curvature (build a new InverseHVP for the new parameters).
    ``cg_tol`` and ``cg_on_max_iter`` are :func:`conjugate_gradient`'s ``tol`` (None: its default rule) and
    ``on_max_iter`` for solver "cg": "raise" (default) when a solution misses the tolerance on its true residual,
    "warn" to accept it with a warning, "return" to accept it without a check.
    """

    def __init__(self, model, loss_fn, data, params=None, damping: float | str = 0.0, solver: str = "cg",
                 batch_size: int | None = None, cg_tol: float | None = None, cg_max_iter: int | None = None,
                 lissa_depth: int = 1000, lissa_scale: float | None = None, hessian: torch.Tensor | None = None,
                 lissa_batch_size: int | None = None, lissa_repeats: int = 1, seed: int = 0,
                 cg_on_max_iter: str = "raise"):
        from paperworks.curvature.hessian import exact_hessian, make_hvp_operator
        from paperworks.curvature.params import check_batch_size, check_deterministic, select_params

        check_deterministic(model, "InverseHVP")
        check_batch_size(batch_size, "InverseHVP")
        if solver not in SOLVERS:
            from paperworks.core.errors import UnknownNameError

            raise UnknownNameError("inverse-HVP solver", solver, SOLVERS)
        damping = _check_damping(damping)
        if cg_on_max_iter not in _CG_MAX_ITER:
            raise PaperworksError(f"InverseHVP: cg_on_max_iter must be one of {_CG_MAX_ITER} "
                                  f"(got {cg_on_max_iter!r})")
        self.ps = select_params(model, params)
        self.solver = solver
        self.damping = damping
        self.damping_used = damping if not isinstance(damping, str) else 0.0
        self._op = make_hvp_operator(model, loss_fn, data, self.ps, batch_size)
        self._kw = dict(cg_tol=cg_tol, cg_max_iter=cg_max_iter, lissa_depth=lissa_depth, lissa_scale=lissa_scale,
                        cg_on_max_iter=cg_on_max_iter)
        self._stochastic = None
        if lissa_batch_size is not None or lissa_repeats != 1:
            self._stochastic = self._stochastic_operator(model, loss_fn, data, solver, lissa_batch_size,
                                                         lissa_repeats, seed)
        self._H = None
        self._factor = None
        self._kfac = None
        self._versions = None    # the subset's tensor versions when a cached curvature was computed
        self._replaced = False   # the subset's tensors no longer the model's (warned once)
        if hessian is not None and solver != "exact":
            # the K-FAC branch below returned before the check further down: the matrix was ignored silently
            raise PaperworksError(f"InverseHVP: a precomputed 'hessian' needs solver='exact' (got {solver!r})")
        if solver in ("kfac", "ekfac"):
            from paperworks.curvature.kfac import KFAC

            if isinstance(damping, str):
                raise PaperworksError("damping='auto' needs solver='exact' (K-FAC takes a number)")
            # "" = the model itself is the layer (a bare nn.Linear: 'weight' has no module prefix)
            layers = list(dict.fromkeys(n.rsplit(".", 1)[0] if "." in n else "" for n in self.ps.names))  # subset order (not sorted:
            # sorting put layer '10' before layer '2' of a deep nn.Sequential and refused the model's own order)
            # None: K-FAC's chunks of 256; 0 is the whole data in one chunk, as for every other solver and for
            # KFAC itself (`batch_size or 256` made it 256)
            self._kfac = KFAC(model, loss_fn, data, layers=layers, eigen_correct=solver == "ekfac",
                              batch_size=256 if batch_size is None else batch_size).fit()
            if self._kfac.params != self.ps.names:
                raise PaperworksError(f"InverseHVP: solver '{solver}' needs whole Linear/Conv2d layers in model "
                                      f"order as the parameter subset (got {self.ps.names}, expected "
                                      f"{self._kfac.params})")
            self._versions = self._param_versions()
            return
        if hessian is not None:  # a precomputed dense Hessian of the same objective (e.g. a closed form)
            if solver != "exact" or tuple(hessian.shape) != (self.ps.numel, self.ps.numel):
                raise PaperworksError(f"InverseHVP: a precomputed 'hessian' needs solver='exact' and shape "
                                      f"[{self.ps.numel}, {self.ps.numel}] (got {solver!r}, {list(hessian.shape)})")
            self._H = hessian
        elif solver == "exact":
            self._H = exact_hessian(model, loss_fn, data, self.ps, batch_size)
        elif damping == "auto":
            raise PaperworksError("damping='auto' needs solver='exact' (iterative solvers take a number)")
        if solver == "exact":
            self._versions = self._param_versions()

    def _param_versions(self) -> list[int]:
        return [t._version for t in self.ps.tensors]

    def _check_fresh(self) -> None:
        """Warn (once per change) when the parameters changed in place after the exact / K-FAC curvature was
        taken: that solver kept the old one, 69% off the current (H + damping I)^{-1} v after a step of 0.5 on a
        small MLP, while cg on the same object followed the new parameters, without a word."""
        if self._versions is None:
            return
        now = self._param_versions()
        own = {id(p) for p in self.ps.module.parameters()}
        replaced = not all(id(t) in own for t in self.ps.tensors)
        if now != self._versions or (replaced and not self._replaced):
            # a parameter replaced by another tensor (load_state_dict(assign=True), module.weight = Parameter(..))
            # keeps its old version: the exact solver used the old Hessian without a word (cg / lissa refuse)
            self._versions, self._replaced = now, replaced
            what = "Hessian was" if self.solver == "exact" else "K-FAC factors were"
            # versions count writes, not values: a write that restored the old values (load_state_dict of a saved
            # state) is reported too, as a write
            how = "were replaced by other tensors" if replaced else "were written in place"
            warnings.warn(f"InverseHVP: the parameters {how} since the {what} of solver {self.solver!r} "
                          "taken (at construction; cg / lissa use the current parameters): this solve uses the old "
                          "curvature; build a new InverseHVP for the current parameters", stacklevel=3)

    def _stochastic_operator(self, model, loss_fn, data, solver, batch_size, repeats, seed):
        """Mini-batch Hessian-vector products for stochastic LiSSA: each call draws a fresh batch."""
        from paperworks.curvature.hessian import hvp
        from paperworks.curvature.params import n_samples, slice_data

        if solver != "lissa":
            raise PaperworksError(f"InverseHVP: lissa_batch_size / lissa_repeats need solver='lissa' (got {solver!r})")
        n = n_samples(data)
        bs = n if batch_size is None else check_int("lissa_batch_size", batch_size, 1, where="InverseHVP")
        if bs > n:
            raise PaperworksError(f"InverseHVP: lissa_batch_size {bs} exceeds the {n} training samples")
        check_int("lissa_repeats", repeats, 1, where="InverseHVP")
        gen = torch.Generator().manual_seed(check_seed(seed, "InverseHVP"))   # 2**70: a bare overflow

        def op(v):
            idx = torch.randperm(n, generator=gen)[:bs] if bs < n else slice(None)
            return hvp(model, loss_fn, slice_data(data, idx), v, self.ps)

        return op, repeats, bs == n

    def _lissa(self, b: torch.Tensor) -> torch.Tensor:
        if self._stochastic is None:
            return lissa(self._op, b, float(self.damping), self._kw["lissa_scale"], self._kw["lissa_depth"])
        op, repeats, full = self._stochastic
        scale = self._kw["lissa_scale"]
        if scale is None:   # full-batch top eigenvalue, x 2 as a margin for mini-batch Hessians (Koh & Liang fix it)
            scale = 2.0 * (top_eigenvalue(self._op, b.numel(), b.dtype) + float(self.damping))
            if not scale > 0:
                raise SingularHessianError("lissa: the Hessian is zero; increase damping")
            self._kw["lissa_scale"] = scale
        if full:
            # every "mini-batch" is all n samples: one deterministic series, the same in every repeat, so lissa's
            # own stopping test, truncation warning and divergence check apply (run with tol=0 they were off: a
            # series cut at depth 1000, 61% off (H + damping I)^{-1} v, came back without a word)
            return lissa(op, b, float(self.damping), scale, self._kw["lissa_depth"])
        # tol=0: with mini-batch noise the update never vanishes; run the full depth as Koh & Liang do
        runs = [lissa(op, b, float(self.damping), scale, self._kw["lissa_depth"], tol=0.0) for _ in range(repeats)]
        return _finite(torch.stack(runs).mean(0), "lissa")

    def solve(self, v: torch.Tensor) -> torch.Tensor:
        if isinstance(v, torch.Tensor) and v.is_complex():
            # the curvature is real: by linearity, the real and imaginary parts one after the other (converting v
            # to the parameters' dtype dropped the imaginary part, with at most torch's once-per-process warning)
            return torch.complex(self.solve(v.real), self.solve(v.imag))
        if not isinstance(v, torch.Tensor):     # a list / NumPy array: "'list' object has no attribute 'detach'"
            raise PaperworksError(f"InverseHVP.solve: v must be a torch tensor of {self.ps.numel} entries (the "
                                  f"parameter subset), [P] or [P, k] (got {type(v).__name__})")
        v = v.detach().to(dtype=self.ps.dtype, device=self.ps.device)
        if v.ndim not in (1, 2) or v.shape[0] != self.ps.numel:
            raise PaperworksError(f"InverseHVP.solve: expected a vector of {self.ps.numel} entries (the "
                                  f"parameter subset), [P] or [P, k] (got shape {list(v.shape)})")
        if not torch.isfinite(v).all():
            # CG / LiSSA / K-FAC blamed the Hessian ("increase damping") for a NaN right-hand side
            raise PaperworksError(f"InverseHVP.solve: the right-hand side contains NaN/inf "
                                  f"({int((~torch.isfinite(v)).sum())} entries)")
        self._check_fresh()
        if self.solver == "exact":
            if self._factor is None:  # factorized once, on the first solve, reused afterwards
                self._factor = dense_factor(self._H)
            x, self.damping_used = solve_dense(None, v, self.damping, factor=self._factor)
            return x
        if self._kfac is not None:  # (F_kfac + damping I)^{-1} v: the Fisher/GGN approximation of H
            return self._kfac.inverse_vp(v, float(self.damping)).to(v.dtype)
        cols = v.unsqueeze(1) if v.ndim == 1 else v
        if cols.shape[1] == 0:      # a [P, 0] block: its (empty) solution, as the exact solver gives (torch.stack
            return v.clone()        # of no column failed: "stack expects a non-empty TensorList")
        outs = []
        for j in range(cols.shape[1]):
            if self.solver == "cg":
                outs.append(conjugate_gradient(self._op, cols[:, j], float(self.damping), self._kw["cg_tol"],
                                               self._kw["cg_max_iter"], on_max_iter=self._kw["cg_on_max_iter"]))
            else:
                outs.append(self._lissa(cols[:, j]))
        x = torch.stack(outs, 1)
        return x[:, 0] if v.ndim == 1 else x
