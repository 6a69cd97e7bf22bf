"""Exact MILP encoding of piecewise-affine ReLU networks (Linear / ReLU / identity / removed neurons).

Each hidden neuron j has pre-activation z_j = w_j' h + b_j with bounds l_j <= z_j <= u_j and one of three
activations (the SparseMPC neuron types, Liu et al. 2023 Sec. 3): ReLU, identity (ID) or removed (ZERO).
A ReLU y = max(0, z) with l < 0 < u gets one binary d (big-M, Tjeng et al. 2019 style)::

    y >= z,   y >= 0,   y <= z - l (1 - d),   y <= u d,   d in {0, 1}

If u <= 0 the neuron is stably inactive (y = 0), if l >= 0 stably active (y = z): no binary in either case.
ID neurons are y = z and ZERO neurons drop out. Bounds come from interval arithmetic over the input box,
optionally tightened by LP (minimise / maximise z_j over the LP relaxation of everything encoded so far).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from paperworks.mip.model import (INF, MILP, InfeasibleError, MIPError, UnboundedInputError, UnsupportedLayerError,
                                  _as_indices)

__all__ = ["RELU", "ID", "ZERO", "AffineLayer", "network_layers", "interval_bounds", "encode_layers",
           "EncodingInfo", "forward_layers", "count_unstable", "fold_identity", "lp_bounds"]

RELU, ID, ZERO = 0, 1, 2
BIG_BOUND = 1e9   # encode_layers warns above this pre-activation bound (wrong HiGHS answers seen from 1e10)
_KIND_NAMES = {RELU: "relu", ID: "identity", ZERO: "zero"}


@dataclass
class AffineLayer:
    """z = W h + b followed by a per-neuron activation kind (RELU / ID / ZERO)."""

    W: np.ndarray        # [out, in]
    b: np.ndarray        # [out]
    kinds: np.ndarray    # [out] int in {RELU, ID, ZERO}

    def __post_init__(self):
        self.W = np.asarray(self.W, dtype=np.float64)
        self.b = np.asarray(self.b, dtype=np.float64).reshape(-1)
        k = np.asarray(self.kinds)
        # a cast truncated without a word: kinds [0.6] became RELU, a bool mask [True, False] ("is it a ReLU?") became
        # [ID, RELU]
        if k.dtype == bool or (k.size and k.dtype.kind not in "iu" and not (
                k.dtype.kind == "f" and np.isfinite(k).all() and (k == np.round(k)).all())):
            raise ValueError(f"AffineLayer: kinds must be the integers RELU (0), ID (1) or ZERO (2) (got "
                             f"{k.reshape(-1)[:5].tolist()}, dtype {k.dtype})")
        self.kinds = k.astype(np.int64).reshape(-1)
        if self.W.ndim != 2 or self.W.shape[0] != self.b.size or self.kinds.size != self.b.size:
            raise ValueError(f"AffineLayer: W [out, in], b [out], kinds [out] expected (got W {self.W.shape}, "
                             f"b {self.b.shape}, kinds {self.kinds.shape})")
        if not np.isin(self.kinds, (RELU, ID, ZERO)).all():
            raise ValueError("AffineLayer: kinds must be RELU (0), ID (1) or ZERO (2)")
        if not (np.isfinite(self.W).all() and np.isfinite(self.b).all()):
            raise ValueError("AffineLayer: weights and biases must be finite (got NaN or inf)")

    @property
    def n_relu(self) -> int:
        return int((self.kinds == RELU).sum())


def network_layers(net) -> list[AffineLayer]:
    """Translate a torch network into AffineLayers.

    Accepts an object with a ``mip_layers()`` method (returning AffineLayers), a ``torch.nn.Linear``, or a
    ``torch.nn.Sequential`` of Linear / ReLU / Identity / Flatten / Dropout (eval no-op). Consecutive
    affine maps are merged. Anything else raises UnsupportedLayerError naming the layer, and so does a subclass
    of those with its own forward, a module with forward hooks (torch's pruning hooks excepted: a pruned weight is
    read as orig * mask) or Linear widths that do not chain.
    """
    if hasattr(net, "mip_layers"):
        return list(net.mip_layers())
    import torch.nn as nn

    def flat(seq):   # nested Sequentials (blocks) are one chain of modules
        _check_plain(seq, nn.Sequential, "the network" if seq is net else "a nested block")
        for m in seq:
            yield from (flat(m) if isinstance(m, nn.Sequential) else (m,))

    if isinstance(net, nn.Linear):
        mods = [net]
    elif isinstance(net, nn.Sequential):
        mods = list(flat(net))
    else:
        raise UnsupportedLayerError(f"network_layers: expected nn.Sequential, nn.Linear or an object with "
                                    f"mip_layers() (got {type(net).__name__})")
    layers: list[AffineLayer] = []
    pending = None   # (W, b) not yet followed by an activation
    for pos, m in enumerate(mods):
        if isinstance(m, nn.Linear):
            _check_plain(m, nn.Linear, f"layer {pos}")
            W, b = _linear_params(m, pos)
            width = (pending[0].shape[0] if pending is not None else layers[-1].b.size if layers else W.shape[1])
            if W.shape[1] != width:   # failed inside numpy's matmul ("mismatch in its core dimension 0 ...")
                raise UnsupportedLayerError(f"network_layers: layer {pos} (Linear) takes {W.shape[1]} inputs but "
                                            f"the layer before it gives {width} values")
            if pending is not None:   # merge affine maps: W2 (W1 h + b1) + b2
                W, b = W @ pending[0], W @ pending[1] + b
            pending = (W, b)
        elif isinstance(m, nn.ReLU):
            _check_plain(m, nn.ReLU, f"layer {pos}")
            if pending is None and layers and (layers[-1].kinds == RELU).all():
                continue   # relu(relu(z)) = relu(z)
            if pending is None:
                raise UnsupportedLayerError(f"network_layers: ReLU at position {pos} does not follow a Linear "
                                            f"layer")
            layers.append(AffineLayer(pending[0], pending[1], np.full(pending[1].size, RELU)))
            pending = None
        elif isinstance(m, (nn.Identity, nn.Flatten, nn.Dropout)):
            _check_plain(m, next(c for c in (nn.Identity, nn.Flatten, nn.Dropout) if isinstance(m, c)), f"layer {pos}")
            continue
        else:
            raise UnsupportedLayerError(
                f"network_layers: layer {pos} ({type(m).__name__}) is not supported by the MILP encoding "
                f"(supported: Linear, ReLU, Identity, Flatten, Dropout)")
    if pending is not None:
        layers.append(AffineLayer(pending[0], pending[1], np.full(pending[1].size, ID)))
    if not layers:
        raise UnsupportedLayerError("network_layers: the network has no Linear layer")
    return layers


def _check_plain(m, base, where: str) -> None:
    """m computes what its supported base class computes: the class keeps the base's forward and the module has
    no forward hooks (torch's pruning pre-hooks excepted, read by _linear_params). A subclass of nn.Linear that
    masks its weight in forward, an nn.Sequential subclass with a residual forward (h + f(h)) or a forward hook
    that rescales the output were encoded as the plain layer, a different function, without a word."""
    from torch.nn.parameter import is_lazy
    from torch.nn.utils import prune

    name = type(m).__name__
    if any(is_lazy(p) for p in m.parameters(recurse=False)):
        raise UnsupportedLayerError(f"network_layers: {where} ({name}) has uninitialized lazy parameters; run "
                                    f"one forward pass first")
    if type(m).forward is not base.forward:
        raise UnsupportedLayerError(f"network_layers: {where} ({name}) subclasses {base.__name__} with its own "
                                    f"forward, which the MILP encoding cannot read (supported: Linear, ReLU, "
                                    f"Identity, Flatten, Dropout and nn.Sequential as torch defines them)")
    pre = [h for h in m._forward_pre_hooks.values() if not isinstance(h, prune.BasePruningMethod)]
    if pre or m._forward_hooks:
        raise UnsupportedLayerError(f"network_layers: {where} ({name}) has forward hooks, which may change its "
                                    f"output and are not part of the MILP encoding; remove them first")


def _linear_params(m, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of an nn.Linear as float64. A tensor pruned with torch.nn.utils.prune is recomputed from its
    original and mask (orig * mask, as its pre-hook does at the next forward): the stored m.weight is the value
    of the last forward, stale once an optimizer step has changed weight_orig."""
    from torch.nn.utils import prune

    pruned = {h._tensor_name: h for h in m._forward_pre_hooks.values() if isinstance(h, prune.BasePruningMethod)}

    def get(name):
        t = pruned[name].apply_mask(m) if name in pruned else getattr(m, name)
        return None if t is None else t.detach().double().cpu().numpy()

    W, b = get("weight"), get("bias")
    return W, (b if b is not None else np.zeros(W.shape[0]))


def _act(kinds, z):
    return np.where(kinds == RELU, np.maximum(z, 0.0), np.where(kinds == ID, z, 0.0))


def forward_layers(layers: list[AffineLayer], h: np.ndarray) -> np.ndarray:
    """Numpy forward pass, h [B, in] -> [B, out] (float64)."""
    h = np.asarray(h, dtype=np.float64)
    if layers and (h.ndim == 0 or h.shape[-1] != layers[0].W.shape[1]):
        # a wrong width failed inside numpy's matmul ("mismatch in its core dimension 0, with gufunc ...")
        raise ValueError(f"forward_layers: the network takes {layers[0].W.shape[1]} inputs per row "
                         f"(got h of shape {list(h.shape)})")
    for L in layers:
        h = _act(L.kinds, h @ L.W.T + L.b)
    return h


def _check_box(who: str, layers: list[AffineLayer], lo: np.ndarray, hi: np.ndarray) -> None:
    """The box [lo, hi] of an interval pass: one entry per network input, no NaN, lo <= hi. An inverted box gave
    lower bounds above the upper ones and a NaN one NaN bounds, both without a word."""
    n_in = layers[0].W.shape[1] if layers else None
    if lo.shape != hi.shape or lo.ndim != 1 or (n_in is not None and lo.size != n_in):
        raise ValueError(f"{who}: lo and hi must be vectors of the network's {n_in} inputs (got shapes "
                         f"{list(lo.shape)} and {list(hi.shape)})")
    if np.isnan(lo).any() or np.isnan(hi).any():
        raise ValueError(f"{who}: the box [lo, hi] contains NaN")
    _refuse_empty_box(who, lo, hi)


def _refuse_empty_box(who: str, lo: np.ndarray, hi: np.ndarray) -> None:
    if (lo > hi).any():
        j = int(np.argmax(lo > hi))
        raise InfeasibleError(f"{who}: the input box is empty (lo {lo[j]:g} > hi {hi[j]:g} for input {j})")


def interval_bounds(layers: list[AffineLayer], lo, hi) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pre-activation bounds (l, u) of every layer by interval arithmetic over the box [lo, hi]."""
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    _check_box("interval_bounds", layers, lo, hi)
    out = []
    for L in layers:
        Wp, Wn = np.maximum(L.W, 0), np.minimum(L.W, 0)
        zl = Wp @ lo + Wn @ hi + L.b
        zu = Wp @ hi + Wn @ lo + L.b
        out.append((zl, zu))
        lo, hi = _act(L.kinds, zl), _act(L.kinds, zu)
        # the image of [zl, zu] under relu is [relu(zl), relu(zu)]; id keeps it; zero gives 0
    return out


def count_unstable(layers: list[AffineLayer], lo, hi) -> int:
    """Number of ReLU neurons whose interval bounds straddle 0 (each needs one binary)."""
    n = 0
    for L, (zl, zu) in zip(layers, interval_bounds(layers, lo, hi)):
        n += int(((L.kinds == RELU) & (zl < 0) & (zu > 0)).sum())
    return n


def fold_identity(layers: list[AffineLayer]) -> list[AffineLayer]:
    """Equivalent network with ZERO neurons deleted and layers made only of ID neurons merged away.

    A hidden layer whose surviving neurons are all ID is affine and merges into the next layer; the
    output equals the unfolded network exactly (up to float rounding).
    """
    layers = [AffineLayer(L.W.copy(), L.b.copy(), L.kinds.copy()) for L in layers]
    # drop ZERO neurons: delete their rows here and their columns in the next layer
    for i in range(len(layers) - 1):
        keep = layers[i].kinds != ZERO
        L, N = layers[i], layers[i + 1]
        layers[i] = AffineLayer(L.W[keep], L.b[keep], L.kinds[keep])
        layers[i + 1] = AffineLayer(N.W[:, keep], N.b, N.kinds)
    out: list[AffineLayer] = []
    for L in layers:
        if out and (out[-1].kinds == ID).all():
            P = out.pop()
            L = AffineLayer(L.W @ P.W, L.W @ P.b + L.b, L.kinds)
        out.append(L)
    return out


@dataclass
class EncodingInfo:
    """Where one network copy lives in the MILP.

    z_idx[k]: pre-activation variables of layer k; y_idx[k]: output variables (-1 = constant 0);
    d_idx[k]: binary per neuron (-1 = none); bounds[k] = (l, u) used for big-M.
    """

    z_idx: list[np.ndarray] = field(default_factory=list)
    y_idx: list[np.ndarray] = field(default_factory=list)
    d_idx: list[np.ndarray] = field(default_factory=list)
    bounds: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    n_binaries: int = 0
    n_stable_active: int = 0
    n_stable_inactive: int = 0

    def assignment(self, layers: list[AffineLayer], h0: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Write the values of this copy's variables for input h0 into x (for warm starts); returns output."""
        h = np.asarray(h0, dtype=np.float64)
        for L, zi, yi, di in zip(layers, self.z_idx, self.y_idx, self.d_idx):
            z = L.W @ h + L.b
            y = _act(L.kinds, z)
            x[zi] = z
            x[yi[yi >= 0]] = y[yi >= 0]
            x[di[di >= 0]] = (z[di >= 0] > 0).astype(float)
            h = y
        return h


def _lp_bound(m: MILP, j: int, sense: float, time_limit: float | None) -> float | None:
    lo, hi = lp_bounds(m, [j], time_limit)
    return float(lo[0]) if sense > 0 else float(hi[0])


def lp_bounds(m: MILP, idx, time_limit: float | None = None, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """min and max of each variable in idx over the LP relaxation of m (optimisation-based bound tightening).

    One HiGHS instance is loaded once and re-solved with changed costs (warm-started simplex). ``time_limit`` is
    the limit of each LP (seconds); entries whose LP does not solve to optimality keep -inf / +inf. ``threads``:
    HiGHS's threads; its thread pool is one per process, sized by the first HiGHS solve, so a call that opens a
    process's solves sizes it (MILPPlanner passes its own ``threads``). Should the pool have another size, the
    LPs run on it (their values do not depend on it).
    """
    import highspy

    from paperworks.core.config import is_int

    if not is_int(threads, 0):
        raise MIPError(f"lp_bounds: threads must be an integer >= 0 (got {threads!r})")
    idx = [int(j) for j in np.atleast_1d(idx)]
    lo, hi = np.full(len(idx), -INF), np.full(len(idx), INF)
    if not idx:
        return lo, hi
    from paperworks.mip.backends import new_highs

    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    from paperworks.mip.backends import highs_lp, highs_rejection

    n = m.num_vars
    if h.passModel(highs_lp(m, cost=np.zeros(n))) == highspy.HighsStatus.kError:
        # the status was ignored: every LP then ran on an empty model and each bound stayed infinite
        raise MIPError(f"lp_bounds: HiGHS rejected the model '{m.name}' ({n} columns, {m.num_rows} rows): "
                       f"{highs_rejection(h, m)}")
    prev, pooled = None, False
    for k, j in enumerate(idx):
        for sense, store in ((1.0, lo), (-1.0, hi)):
            if prev is not None:
                h.changeColCost(prev, 0.0)
            h.changeColCost(j, sense)
            prev = j
            if time_limit is not None:
                # HiGHS' clock runs on over the re-solves of one instance, so a fixed time_limit was one budget for
                # all of them: every LP after the first time_limit seconds stopped at once, its bound left infinite
                h.setOptionValue("time_limit", h.getRunTime() + float(time_limit))
            if (h.run() == highspy.HighsStatus.kError and not pooled
                    and h.getModelStatus() == highspy.HighsModelStatus.kNotset):
                # the process's thread pool has another size (an earlier solve with another 'threads'): HiGHS
                # refused every LP and each bound stayed infinite without a word; run on the pool there is
                pooled = True
                h.setOptionValue("threads", 0)
                h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                store[k] = sense * h.getInfo().objective_function_value
    return lo, hi


def encode_layers(m: MILP, layers: list[AffineLayer], in_idx, in_lo, in_hi, *, tighten: str = "interval",
                  name: str = "net", lp_time_limit: float | None = 5.0,
                  lp_threads: int = 1) -> tuple[np.ndarray, EncodingInfo]:
    """Add the network h -> f(h) to the MILP for input variables in_idx with box [in_lo, in_hi].

    tighten: ``interval`` (interval arithmetic) or ``lp`` (then LP-tightened per neuron). The box is imposed on
    the input variables (their bounds are intersected with it). Returns the output variable indices (-1 =
    constant 0 output) and an EncodingInfo.
    """
    if tighten not in ("interval", "lp"):
        raise ValueError(f"encode_layers: tighten must be 'interval' or 'lp' (got {tighten!r})")
    # as MILP's own index checks: a bool mask or non-integral floats were cast without a word (1.9 read as variable
    # 1), and any negative index read as a constant 0 input (a NumPy-style -2, "the second to last variable")
    in_idx = _as_indices(in_idx, f"encode_layers('{name}')")
    if in_idx.size and in_idx.min() < -1:
        raise ValueError(f"encode_layers('{name}'): input variable index {int(in_idx.min())}; -1 marks a constant 0 "
                         f"input, other negative indices name no variable (indices from the end are not taken)")
    lo = np.asarray(in_lo, dtype=np.float64).reshape(-1)
    hi = np.asarray(in_hi, dtype=np.float64).reshape(-1)
    if not (in_idx.size == lo.size == hi.size == layers[0].W.shape[1]):
        raise ValueError(f"encode_layers: the network takes {layers[0].W.shape[1]} inputs, got {in_idx.size} "
                         f"variables and boxes of size {lo.size}/{hi.size}")
    bad = ~(np.isfinite(lo) & np.isfinite(hi))
    if bad.any():
        raise UnboundedInputError(f"encode_layers('{name}'): inputs {np.flatnonzero(bad).tolist()} have no finite "
                                  f"box [lo, hi]; big-M needs bounded inputs")
    _refuse_empty_box(f"encode_layers('{name}')", lo, hi)
    # the box is imposed on the input variables (their bounds intersected with it): variables made with wider
    # bounds (add_vars' default: free) let the optimum leave the box through inputs the pre-activation bounds do
    # not pin (probe: max relu(x1 + x2) + (x1 - x2) over [0, 1]^2 came out 3 at x = (1.5, 0.5), not 2)
    for i, a, b in zip(in_idx.tolist(), lo.tolist(), hi.tolist()):
        if i >= m.num_vars:
            raise ValueError(f"encode_layers('{name}'): input variable index {i} out of range [0, {m.num_vars})")
        if i < 0:   # -1: a constant 0 input (e.g. a stably inactive output of a network encoded before)
            continue
        m.lb[i], m.ub[i] = max(m.lb[i], a), min(m.ub[i], b)
        if m.lb[i] > m.ub[i]:
            raise InfeasibleError(f"encode_layers('{name}'): input variable {i}'s bounds do not meet the box "
                                  f"[{a:g}, {b:g}]")
    info = EncodingInfo()
    h_idx, h_lo, h_hi = in_idx, lo, hi
    for k, L in enumerate(layers):
        live = h_idx >= 0
        Wp, Wn = np.maximum(L.W, 0), np.minimum(L.W, 0)
        zl = Wp[:, live] @ h_lo[live] + Wn[:, live] @ h_hi[live] + L.b
        zu = Wp[:, live] @ h_hi[live] + Wn[:, live] @ h_lo[live] + L.b
        n = L.b.size
        z = m.add_vars(n, zl - 1e-9 * (1 + np.abs(zl)), zu + 1e-9 * (1 + np.abs(zu)), name=f"{name}.z{k}")
        cols = h_idx[live]
        for j in range(n):
            if L.kinds[j] == ZERO:
                continue
            m.add_eq(np.concatenate([[z[j]], cols]), np.concatenate([[1.0], -L.W[j, live]]), L.b[j])
        if tighten == "lp":
            cand = [j for j in range(n) if L.kinds[j] == RELU and zl[j] < 0 < zu[j]]
            a, b = lp_bounds(m, z[cand], lp_time_limit, lp_threads)
            for q, j in enumerate(cand):
                zl[j], zu[j] = max(zl[j], a[q]), min(zu[j], b[q])
        y = np.full(n, -1, dtype=np.int64)
        d = np.full(n, -1, dtype=np.int64)
        ylo, yhi = np.zeros(n), np.zeros(n)
        for j in range(n):
            kind = L.kinds[j]
            if kind == ZERO:
                continue
            if kind == ID:
                y[j], ylo[j], yhi[j] = z[j], zl[j], zu[j]
            elif zu[j] <= 0:
                info.n_stable_inactive += 1   # y = 0
            elif zl[j] >= 0:
                info.n_stable_active += 1
                y[j], ylo[j], yhi[j] = z[j], zl[j], zu[j]
            else:
                yj = m.add_var(0.0, zu[j], name=f"{name}.y{k}[{j}]")
                dj = m.add_var(0.0, 1.0, integer=True, name=f"{name}.d{k}[{j}]")
                zj = int(z[j])
                m.add_ge([yj, zj], [1.0, -1.0], 0.0)                       # y >= z
                m.add_le([yj, zj, dj], [1.0, -1.0, -zl[j]], -zl[j])         # y <= z - l (1 - d)
                m.add_le([yj, dj], [1.0, -zu[j]], 0.0)                       # y <= u d
                y[j], d[j], ylo[j], yhi[j] = yj, dj, 0.0, zu[j]
                info.n_binaries += 1
        info.z_idx.append(z)
        info.y_idx.append(y)
        info.d_idx.append(d)
        info.bounds.append((zl.copy(), zu.copy()))
        h_idx, h_lo, h_hi = y, ylo, yhi
    big = max((float(np.abs(np.concatenate(b)).max(initial=0.0)) for b in info.bounds), default=0.0)
    if big > BIG_BOUND:
        # the rows z = W h + b then carry float64 rounding of about big * 1e-16, near HiGHS's absolute tolerances
        # (1e-7 primal, 1e-6 integrality): probe, 3-layer nets with bounds 1e10 to 1e12, 11 of 31 solves wrong (an
        # 'optimal' 775x off the optimum, outputs that are not the forward pass, 'infeasible' for a fixed input)
        warnings.warn(f"encode_layers('{name}'): pre-activation bounds reach {big:.3g}; at that size float rounding "
                      f"meets the solver's absolute tolerances and its answer may be wrong (a false optimum or "
                      f"'infeasible'). Rescale the network's inputs or outputs", RuntimeWarning, stacklevel=2)
    return h_idx, info
