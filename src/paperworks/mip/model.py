"""A small solver-agnostic MILP model: variables with bounds and integrality, linear rows, a linear objective.

The encoders in :mod:`paperworks.mip.relu` only talk to :class:`MILP`; a backend
(:mod:`paperworks.mip.backends`) turns it into a solver's own model. HiGHS (``highspy``) is the default
backend, SCIP (``pyscipopt``) is used when installed and asked for.

Problem form::

    min  c'x + c0    s.t.   row_lo <= A x <= row_hi,   lb <= x <= ub,   x_j integer for j in I
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paperworks.core.config import as_flag, is_int
from paperworks.core.errors import PaperworksError

__all__ = ["MILP", "MILPResult", "MIPError", "InfeasibleError", "NoSolutionError", "UnboundedInputError",
           "UnsupportedLayerError", "INF"]

INF = math.inf


class MIPError(PaperworksError):
    """Base class of the MIP engine's errors."""


class InfeasibleError(MIPError):
    """The problem has no feasible point (e.g. contradictory constraints or an unreachable state box)."""


class NoSolutionError(MIPError):
    """The solver stopped (time limit, interrupt, ...) without any feasible solution to report."""


class UnboundedInputError(MIPError):
    """An input of a network has no finite box, so big-M bounds cannot be computed."""


class UnsupportedLayerError(MIPError):
    """A network contains a layer the MILP encoding does not handle."""


@dataclass
class MILPResult:
    """Outcome of one solve.

    status: ``optimal`` (proved to the requested gap), ``feasible`` (limit hit with an incumbent),
    ``infeasible``, ``unbounded`` (a feasible point exists and the objective has no lower bound: objective and
    bound are -inf, x a feasible point or None), ``no_solution``
    (limit hit without incumbent; also an 'infeasible or unbounded' or presolve-infeasible verdict that the
    backend's check could not settle within its limits, explained in ``raw_status``) or ``error``.
    ``x`` is None unless a solution exists. ``bound`` is the best proved lower bound (min problems; objective and
    bound are +inf for an infeasible model, the bound -inf while none is proved),
    ``gap`` = (objective - bound) / max(|objective|, 1e-10). ``incumbents`` lists (seconds, objective)
    for every improving solution reported by the solver. For LPs, ``row_duals`` and ``col_duals`` are the
    solver's dual values (d objective / d row bound, reduced costs).
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    runtime: float
    incumbents: list[tuple[float, float]] = field(default_factory=list)
    row_duals: np.ndarray | None = None
    col_duals: np.ndarray | None = None
    solver: str = ""
    raw_status: str = ""
    nodes: int = 0             # branch-and-bound nodes explored (0 for LPs or when the backend does not say)

    @property
    def has_solution(self) -> bool:
        return self.x is not None

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


def first_empty_bound(lo, hi, big: float = INF) -> int | None:
    """Index of the first [lo, hi] pair that admits no value (NaN, a lower bound >= big or an upper bound <= -big;
    big = inf here, a solver's own infinity such as HiGHS' 1e20 for its rejection message), None when all do."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    bad = np.isnan(lo) | np.isnan(hi) | (lo >= big) | (hi <= -big)
    return int(np.argmax(bad)) if bad.any() else None


def _as_indices(idx, who: str) -> np.ndarray:
    """Variable indices as a flat int64 array. A bool array is refused (cast to int, the mask [False, True, True]
    named variables 0, 1, 1), and so is a non-integral float (1.9 became variable 1); integral floats pass."""
    a = np.atleast_1d(np.asarray(idx)).ravel()
    if a.dtype == bool:
        raise MIPError(f"{who}: variable indices must be integers, not a bool mask (use np.flatnonzero(mask))")
    if a.size and a.dtype.kind not in "iu":
        if a.dtype.kind != "f" or not np.isfinite(a).all() or (a != np.round(a)).any():
            raise MIPError(f"{who}: variable indices must be integers (got {a[:5].tolist()}, dtype {a.dtype})")
    return a.astype(np.int64)


class MILP:
    """Builder of a mixed-integer linear program (minimisation)."""

    def __init__(self, name: str = "milp"):
        self.name = name
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[bool] = []
        self.names: list[str] = []
        self.c: list[float] = []
        self.c0 = 0.0
        self._ri: list[np.ndarray] = []   # row column indices
        self._rv: list[np.ndarray] = []   # row coefficients
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []
        self.row_names: list[str] = []

    # ------------------------------------------------------------------ variables
    @property
    def num_vars(self) -> int:
        return len(self.lb)

    @property
    def num_rows(self) -> int:
        return len(self.row_lo)

    @property
    def num_integer(self) -> int:
        return int(sum(self.integer))

    def add_vars(self, n: int, lb=-INF, ub=INF, integer: bool = False, name: str = "x") -> np.ndarray:
        """Add n variables (bounds scalar or length-n); returns their indices as an int array."""
        lb = np.broadcast_to(np.asarray(lb, dtype=float), (n,))
        ub = np.broadcast_to(np.asarray(ub, dtype=float), (n,))
        if np.isnan(lb).any() or np.isnan(ub).any():
            raise MIPError(f"MILP.add_vars('{name}'): bounds contain NaN")
        if (j := first_empty_bound(lb, ub)) is not None:   # (NaN refused above)
            # no value reaches it: HiGHS rejected the whole model without naming the column, and SCIP read a
            # lower bound of +inf as no lower bound (a free variable)
            raise MIPError(f"MILP.add_vars('{name}'): entry {j} has bounds [{lb[j]:g}, {ub[j]:g}]; a lower bound of "
                           "+inf or an upper bound of -inf admits no value")
        if (lb > ub + 1e-12).any():
            j = int(np.argmax(lb > ub + 1e-12))
            raise InfeasibleError(f"MILP.add_vars('{name}'): lower bound {lb[j]:g} > upper bound {ub[j]:g} "
                                  f"for entry {j}")
        # one flag for the n variables, the rule of build_milp's flags (True / False / 0 / 1): bool() made 'no', 2,
        # 0.5 and a per-variable list [False, True] integer for every variable, and an array was numpy's bare
        # 'truth value of an array ... is ambiguous'
        flag = as_flag(integer)
        if flag is None and is_int(integer) and int(integer) in (0, 1):
            flag = bool(integer)
        if flag is None:
            raise MIPError(f"MILP.add_vars('{name}'): integer must be one flag, True / False (or 0 / 1), for all "
                           f"{n} variables (got {integer!r}); add variables of different kinds in separate calls")
        start = self.num_vars
        self.lb.extend(lb.tolist())
        self.ub.extend(ub.tolist())
        self.integer.extend([flag] * n)
        self.c.extend([0.0] * n)
        self.names.extend(f"{name}[{i}]" for i in range(n))
        return np.arange(start, start + n)

    def add_var(self, lb=-INF, ub=INF, integer: bool = False, name: str = "x") -> int:
        return int(self.add_vars(1, lb, ub, integer, name)[0])

    def add_binaries(self, n: int, name: str = "d") -> np.ndarray:
        return self.add_vars(n, 0.0, 1.0, True, name)

    def _check_idx(self, idx, who: str) -> np.ndarray:
        """Variable indices as an int array; a negative or too large index is refused (NumPy-style negative
        indices wrapped around to the last variables without a word)."""
        idx = _as_indices(idx, f"MILP.{who}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_vars):
            bad = int(idx[(idx < 0) | (idx >= self.num_vars)][0])
            raise MIPError(f"MILP.{who}: variable index {bad} out of range [0, {self.num_vars})")
        return idx

    def fix(self, idx, values) -> None:
        """Fix variables to values (lb = ub = value)."""
        idx = self._check_idx(idx, "fix")
        values = np.broadcast_to(np.asarray(values, dtype=float), idx.shape)
        if not np.isfinite(values).all():
            raise MIPError("MILP.fix: values must be finite")
        for i, v in zip(idx.tolist(), values.tolist()):
            self.lb[i] = self.ub[i] = v

    # ------------------------------------------------------------------ rows
    def add_row(self, idx, coef, lo: float = -INF, hi: float = INF, name: str = "") -> int:
        idx = _as_indices(idx, f"MILP.add_row('{name}')")
        # a copy: np.asarray kept a float64 caller's array by reference, so a coefficient buffer refilled for the
        # next row rewrote the rows already added (every row became the last one)
        coef = np.array(coef, dtype=float).ravel()
        if idx.shape != coef.shape:
            raise MIPError(f"MILP.add_row: {idx.size} indices but {coef.size} coefficients")
        if not np.isfinite(coef).all():
            raise MIPError(f"MILP.add_row('{name}'): coefficients must be finite")
        idx = self._check_idx(idx, f"add_row('{name}')")
        try:   # None, a string, an array: a bare TypeError from np.isnan before
            lo_f, hi_f = (math.nan, math.nan) if isinstance(lo, (str, bytes)) or isinstance(hi, (str, bytes)) \
                else (float(lo), float(hi))
        except (TypeError, ValueError):
            lo_f = hi_f = math.nan
        if math.isnan(lo_f) or math.isnan(hi_f):
            raise MIPError(f"MILP.add_row('{name}'): row bounds must be numbers (row {self.num_rows}; got lo={lo!r}, "
                           f"hi={hi!r})")
        if lo_f == INF or hi_f == -INF:
            # HiGHS rejected the whole model ("HiGHS rejected the model") without naming the row
            raise MIPError(f"MILP.add_row('{name}'): row {self.num_rows} has bounds [{lo_f:g}, {hi_f:g}]; a lower "
                           "bound of +inf or an upper bound of -inf admits no value")
        # merge duplicates so every backend sees a clean sparse row
        if idx.size and np.unique(idx).size != idx.size:
            u, inv = np.unique(idx, return_inverse=True)
            coef = np.bincount(inv, weights=coef, minlength=u.size)
            idx = u
        self._ri.append(idx)
        self._rv.append(coef)
        self.row_lo.append(lo_f)
        self.row_hi.append(hi_f)
        self.row_names.append(name)
        return self.num_rows - 1

    def add_eq(self, idx, coef, rhs: float, name: str = "") -> int:
        return self.add_row(idx, coef, rhs, rhs, name)

    def add_le(self, idx, coef, rhs: float, name: str = "") -> int:
        return self.add_row(idx, coef, -INF, rhs, name)

    def add_ge(self, idx, coef, rhs: float, name: str = "") -> int:
        return self.add_row(idx, coef, rhs, INF, name)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self._ri[i], self._rv[i]

    # ------------------------------------------------------------------ objective
    def _objective_terms(self, idx, coef, offset, who: str) -> tuple[np.ndarray, np.ndarray]:
        idx = self._check_idx(idx, who)
        coef = np.broadcast_to(np.asarray(coef, dtype=float).ravel() if np.ndim(coef) else
                               np.asarray(coef, dtype=float), idx.shape)
        if not np.isfinite(coef).all() or not math.isfinite(float(offset)):
            raise MIPError(f"MILP.{who}: objective coefficients and offset must be finite (HiGHS reported a "
                           "NaN objective as 'optimal' at an arbitrary point)")
        return idx, coef

    def set_objective(self, idx=(), coef=(), offset: float = 0.0) -> None:
        idx, coef = self._objective_terms(idx, coef, offset, "set_objective")   # checked before anything changes
        self.c = [0.0] * self.num_vars
        self.c0 = 0.0
        self.add_objective(idx, coef, offset)

    def add_objective(self, idx, coef, offset: float = 0.0) -> None:
        idx, coef = self._objective_terms(idx, coef, offset, "add_objective")
        for i, v in zip(idx.tolist(), coef.tolist()):
            self.c[i] += v
        self.c0 += float(offset)

    def add_abs(self, idx, target, name: str = "abs") -> np.ndarray:
        """New variables e_i >= |x_idx[i] - target_i| (tight when e has a positive objective weight)."""
        idx = self._check_idx(idx, "add_abs")
        target = np.broadcast_to(np.asarray(target, dtype=float), idx.shape)
        e = self.add_vars(idx.size, 0.0, INF, name=name)
        for ei, xi, t in zip(e.tolist(), idx.tolist(), target.tolist()):
            self.add_ge([ei, xi], [1.0, -1.0], -t)   # e >= x - t
            self.add_ge([ei, xi], [1.0, 1.0], t)     # e >= t - x
        return e

    # ------------------------------------------------------------------ export
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, indices, data) of the constraint matrix in CSR form."""
        lens = np.fromiter((r.size for r in self._ri), dtype=np.int64, count=self.num_rows)
        indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        indices = np.concatenate(self._ri) if self._ri else np.zeros(0, np.int64)
        data = np.concatenate(self._rv) if self._rv else np.zeros(0)
        return indptr, indices.astype(np.int64), data

    def dense_matrix(self) -> np.ndarray:
        A = np.zeros((self.num_rows, self.num_vars))
        for i, (ri, rv) in enumerate(zip(self._ri, self._rv)):
            A[i, ri] = rv
        return A

    def objective_value(self, x) -> float:
        return float(np.dot(self.c, x) + self.c0)

    def max_violation(self, x) -> float:
        """Largest violation of bounds, rows and integrality at x (0 = feasible)."""
        x = np.asarray(x, dtype=float)
        v = max(0.0, float(np.max(np.asarray(self.lb) - x, initial=0)), float(np.max(x - np.asarray(self.ub),
                                                                                         initial=0)))
        for ri, rv, lo, hi in zip(self._ri, self._rv, self.row_lo, self.row_hi):
            a = float(rv @ x[ri])
            v = max(v, lo - a, a - hi)
        ints = np.asarray(self.integer, dtype=bool)
        if ints.any():
            v = max(v, float(np.max(np.abs(x[ints] - np.round(x[ints])))))
        return v

    def copy(self) -> "MILP":
        m = MILP(self.name)
        m.lb, m.ub, m.integer, m.names, m.c = (list(self.lb), list(self.ub), list(self.integer),
                                               list(self.names), list(self.c))
        m.c0 = self.c0
        m._ri, m._rv = list(self._ri), list(self._rv)
        m.row_lo, m.row_hi, m.row_names = list(self.row_lo), list(self.row_hi), list(self.row_names)
        return m

    # ------------------------------------------------------------------ solve
    def _check_bounds(self) -> None:
        """One MIPError naming the first variable or row whose bounds admit no value (NaN, a lower bound of +inf,
        an upper bound of -inf), e.g. written into ``lb`` / ``row_lo`` directly past add_vars' / add_row's checks:
        HiGHS rejected the whole model without naming it, SCIP read a lower bound of +inf as none."""
        for kind, lo, hi, names in (("variable", self.lb, self.ub, self.names),
                                    ("row", self.row_lo, self.row_hi, self.row_names)):
            if (i := first_empty_bound(lo, hi)) is not None:
                raise MIPError(f"MILP '{self.name}': {kind} {i}{f' {names[i]!r}' if names[i] else ''} has bounds "
                               f"[{float(lo[i]):g}, {float(hi[i]):g}]; NaN, a lower bound of +inf or an upper bound of -inf admits "
                               "no value")

    def solve(self, solver: str = "highs", *, time_limit: float | None = None, mip_gap: float | None = None,
              warm_start: Any = None, relax: bool = False, threads: int = 1, verbose: bool = False,
              options: dict[str, Any] | None = None) -> MILPResult:
        """Solve with a backend (``highs`` or ``scip``).

        time_limit: seconds; on a hit the best incumbent is returned with status ``feasible`` (or
        ``no_solution``). warm_start: a full vector of values (integer entries are rounded) given to the
        solver as a starting incumbent. relax=True drops integrality (LP relaxation; duals reported).
        """
        from paperworks.mip.backends import get_backend

        self._check_bounds()
        if not is_int(threads, 0):   # the HiGHS backend took 2.5 as 2 and True as 1
            raise MIPError(f"MILP.solve: threads must be an integer >= 0 (got {threads!r}; 0: the solver's choice)")
        if time_limit is not None and not (time_limit > 0):
            raise MIPError(f"MILP.solve: time_limit must be > 0 seconds (got {time_limit!r})")
        if mip_gap is not None and not (0 <= mip_gap < math.inf):
            raise MIPError(f"MILP.solve: mip_gap must be a finite relative gap >= 0 (got {mip_gap!r})")
        if warm_start is not None:
            warm_start = np.asarray(warm_start, dtype=float).ravel()
            if warm_start.size != self.num_vars:
                raise MIPError(f"MILP.solve: warm_start has {warm_start.size} values, the model has "
                               f"{self.num_vars} variables")
            if np.isnan(warm_start).any():   # HiGHS ignored it without a word, SCIP listed an incumbent of value NaN
                raise MIPError(f"MILP.solve: warm_start holds NaN (entry {int(np.argmax(np.isnan(warm_start)))}); "
                               f"give a value for every variable")
        res = get_backend(solver).solve(self, time_limit=time_limit, mip_gap=mip_gap, warm_start=warm_start,
                                        relax=relax, threads=threads, verbose=verbose, options=options or {})
        if res.status == "infeasible":
            # no feasible point: the value of the minimisation and its proved lower bound are +inf; backends reported
            # a bound of +inf (HiGHS MIP), -inf (HiGHS LP: no bound at all) or 1e20 (SCIP)
            res.objective, res.bound, res.gap = math.inf, math.inf, math.inf
        if res.status == "unbounded":
            # the value of an unbounded minimisation is -inf; backends reported the last point's objective (HiGHS
            # LP: 0.0, SCIP: -1e5 or -1e20), +inf (HiGHS MIP) and a bound of -inf or -1e20
            res.objective, res.bound, res.gap = -math.inf, -math.inf, math.inf
        return res
