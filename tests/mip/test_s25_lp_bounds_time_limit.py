"""Session-25: lp_bounds' time_limit was one budget for all its LPs, not a limit per LP: HiGHS' clock runs on over
the re-solves of one instance, so every LP after the first time_limit seconds stopped at once and its bound stayed
infinite without a word (probe: 60 variables, 120 LPs of ~2 ms each, time_limit=0.02: 99 of 120 bounds infinite).
encode_layers' lp_time_limit (5 s) passes through it. Each LP now gets time_limit seconds; bounds whose LPs met the
old budget are unchanged (sha256 of encode_layers / encode_rollout LP bounds on 40 random nets)."""

import time

import numpy as np

from paperworks.mip import MILP
from paperworks.mip.relu import lp_bounds


def test_time_limit_is_per_lp():
    rng = np.random.default_rng(0)
    m = MILP()
    x = m.add_vars(80, -1, 1)
    for _ in range(160):
        idx = rng.choice(80, 12, replace=False)
        m.add_le(idx, rng.normal(size=12), 1.0)
    t0 = time.perf_counter()
    lo, hi = lp_bounds(m, x)
    total = time.perf_counter() - t0
    assert np.isfinite(lo).all() and np.isfinite(hi).all()
    # a quarter of the whole run per LP: some 40 times what one of its 160 LPs takes, so none stops now; the old
    # shared budget stopped every LP after the first quarter of them
    lo2, hi2 = lp_bounds(m, x, time_limit=total / 4)
    np.testing.assert_array_equal(lo2, lo)
    np.testing.assert_array_equal(hi2, hi)
