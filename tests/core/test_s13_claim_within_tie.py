"""Claim.within decides its ties through Claim._decide_tie (the rule of beats / no_worse), no longer through a
copy of it: every claim it builds equals the one the old code built (copied below as the oracle), on a grid of
ties, near-ties (one ulp off), signed zeros, infinities, NaN and the arguments the reproductions pass; the one
exception, a NaN target (held by the old code), is the fix of test_s13_within_nan_target.py (and an infinite ours,
which no longer holds: test_s23_claim_infinite_ours.py)."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from paperworks.core.report import Claim, _tied_holds


# ---- oracle: Claim.within as it stood before the merge (commit b2c025e)
def _old_within(claim, metric, ours, target, tol, *, paper=None, baseline=None):
    c = Claim(claim, metric, abs(float(ours) - float(target)), "<=", tol, paper, baseline,
              f"|ours - {target:.6g}| <= {tol:g}")
    # the constructor's rule as it stood then (NaN alone failed; an infinite distance was compared as a number)
    c.holds = not (math.isnan(c.ours) or math.isnan(c.reference)) and c.ours <= c.reference
    c.ours = float(ours)
    if tol and not math.isnan(c.ours):
        o, t = float(ours), float(target)
        exact = _tied_holds("<=", max(o, t), min(o, t), tol)
        if exact is not None:
            c.holds = exact
    return c


def _key(c):
    d = c.to_dict()
    # floats compared by their bits (a NaN equals itself, -0.0 differs from 0.0)
    return {k: (np.float64(v).tobytes() if isinstance(v, float) else v) for k, v in d.items()}


def _values():
    base = [0.0, -0.0, 0.1, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.05, 1.15, math.log(2), 10.0, 1e-300, 5e-324,
            1e300, -0.7, math.inf, -math.inf, math.nan]
    near = []
    for v in (0.3, 0.6, 0.8, 0.7 + 0.1, math.log(2) + 0.02, math.log(2) - 0.02, 1.0, 10.0):
        near += [np.nextafter(v, -np.inf), v, np.nextafter(v, np.inf)]
    return base + [float(x) for x in near]


def _tols():
    return [0.0, -0.0, 0.1, 0.02, 1e-9, 0.5, 0.5 - 1.0 / 3 + 1e-9, 1.0, -0.1, 5e-324, math.inf, math.nan]


def test_within_matches_the_old_code_on_a_grid_with_ties():
    vals, n, n_tie_changes = _values(), 0, 0
    for o, t, tol in itertools.product(vals, vals, _tols()):
        new = Claim.within("c", "m", o, t, tol)
        if math.isnan(t) and not math.isnan(o) and tol:
            # the one change (test_s13_within_nan_target.py): the old code could hold |ours - NaN| <= tol (it did
            # for every finite ours and tol > 0); otherwise the claim is the same
            old = _old_within("c", "m", o, t, tol)
            assert new.holds is False and (old.holds or not (math.isfinite(o) and 0 < tol < math.inf))
            old.holds = False
            assert _key(new) == _key(old)
            continue
        old = _old_within("c", "m", o, t, tol)
        if math.isinf(o) and old.holds:
            # the third change (test_s23_claim_infinite_ours.py): an infinite ours never holds (report.json stores
            # it as null, and a holding claim without a number is refused)
            assert new.holds is False
            old.holds = False
        if tol == 0 and new.holds != old.holds:
            # the second change (test_s14_claim_zero_offset_tie.py): with a zero tolerance a rounding tie (a
            # distance within the ulps of the two numbers) now holds, as it did for every nonzero tolerance
            assert new.holds and math.isfinite(o) and math.isfinite(t), (o, t, tol)
            assert abs(Fraction(o) - Fraction(t)) <= Fraction(math.ulp(o)) + Fraction(math.ulp(t)) + Fraction(
                math.ulp(0.0)), (o, t)
            old.holds = True
            n_tie_changes += 1
        assert _key(new) == _key(old), (o, t, tol)
        n += 1
    assert n > 10000
    assert n_tie_changes > 0   # each one checked above to be a rounding tie


@pytest.mark.parametrize("seed", range(3))
def test_within_matches_the_old_code_on_random_near_ties(seed):
    rng = np.random.default_rng(seed)
    for _ in range(3000):
        t = float(rng.choice([0.0, 0.5, math.log(2), 1.0, 7.0]) + rng.normal() * rng.choice([0, 1e-3, 1.0]))
        tol = float(rng.choice([0.02, 0.1, 1e-9, 0.25, 0.5 - 1.0 / int(rng.integers(1, 30)) + 1e-9]))
        o = t + rng.choice([-1.0, 1.0]) * tol
        o = float(np.nextafter(o, np.inf) if rng.random() < 0.3 else np.nextafter(o, -np.inf)
                  if rng.random() < 0.3 else o)
        kw = {"paper": float(rng.random()), "baseline": None}
        assert _key(Claim.within("c", "m", o, t, tol, **kw)) == _key(_old_within("c", "m", o, t, tol, **kw))


def test_within_matches_the_old_code_on_the_reproduction_calls():
    # hdgi: mean initial BCE vs log 2 within 0.02
    for x in np.linspace(math.log(2) - 0.05, math.log(2) + 0.05, 201).tolist() + [math.log(2) + 0.02,
                                                                                    math.log(2) - 0.02]:
        a, b = Claim.within("d", "bce", x, math.log(2), 0.02), _old_within("d", "bce", x, math.log(2), 0.02)
        assert _key(a) == _key(b)
    # tame_bnn some_seeds_claim: a fraction k/n vs 0.5 within 0.5 - 1/n + 1e-9
    for n in range(1, 41):
        for k in range(n + 1):
            frac = float(np.mean([True] * k + [False] * (n - k)))
            args = ("s", "f", frac, 0.5, 0.5 - 1.0 / n + 1e-9)
            assert _key(Claim.within(*args)) == _key(_old_within(*args))
    # tame_bnn: MILP objective vs brute force within 1e-9 (integers, and a solver's near-integers)
    for bf in range(0, 9):
        for obj in (bf, bf + 1e-10, bf - 1e-10, bf + 1e-9, bf - 1e-9, bf + 2e-9, float(np.nextafter(bf + 1e-9, 9e9))):
            args = ("m", "e", obj, bf, 1e-9)
            assert _key(Claim.within(*args)) == _key(_old_within(*args))


def test_beats_and_no_worse_still_decide_ties_as_before():
    # the shared _decide_tie keeps its default (the claim's own number on the left)
    assert Claim.beats("c", "m", 0.8, 0.7, margin=0.1).holds is False
    assert Claim.no_worse("c", "m", 0.3, 0.4, tolerance=0.1).holds is True
    assert Claim.beats("c", "m", 0.2, 0.3, margin=0.1, higher_is_better=False).holds is False
    assert Claim.no_worse("c", "m", 0.5, 0.4, tolerance=0.1, higher_is_better=False).holds is True
    assert Claim.within("c", "m", 0.8, 0.7, 0.1).holds is True
    assert Claim.within("c", "m", 0.6, 0.7, 0.1).holds is True
