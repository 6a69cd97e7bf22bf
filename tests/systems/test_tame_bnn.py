"""tame_bnn: data generators are bounded, smoke reproduction, end-to-end step lowers the loss, bad config."""

import numpy as np
import pytest

from paperworks.core.errors import ConfigError
from paperworks.systems.tame_bnn import TameBNN, inverse_optimization, make_digits_small, make_xor


def test_data_are_bounded_and_on_grid():
    X, y = make_xor(20, 0)
    assert np.abs(X).max() <= 1 and np.allclose(X * 10, np.round(X * 10)) and set(y) <= {0, 1}
    Xtr, ytr, Xte, yte = make_digits_small(4)
    assert Xtr.shape == (8, 16) and set(np.unique(Xtr)) <= {-1.0, 1.0} and ytr.sum() == 4


def test_inverse_optimization_decreases_loss(one_torch_thread):
    rng = np.random.default_rng(0)
    A = np.hstack([rng.integers(1, 6, (2, 3)).astype(float), np.eye(2)])
    c_true = np.array([3.2, 4.1, 5.3, 1.9, 2.4])
    integer = np.array([True, True, True, False, False])
    bs = [rng.uniform(3, 12, 2) for _ in range(4)]
    losses, _ = inverse_optimization(A, bs, integer, c_true, np.full(5, 3.0), 15, 0.1, ub=50.0)
    assert losses[-1] < 0.5 * losses[0]


def test_smoke_reproduce(reproduce_smoke):
    d = reproduce_smoke("tame_bnn")
    names = " ".join(c["claim"] for c in d["claims"])
    assert "brute force" in names and "weak duality" in names
    # the oracle claims hold even in the smoke preset
    for c in d["claims"]:
        if "brute force" in c["claim"] or "weak duality" in c["claim"]:
            assert c["holds"], c


def test_bad_config():
    with pytest.raises(ConfigError, match="hidden"):
        TameBNN.make_config({"hidden": "0"})


@pytest.mark.slow
def test_quick_reproduction_claims_hold(tmp_path):
    from paperworks.core.registry import get_system
    from paperworks.core.rundir import RunDir

    cls = get_system("tame_bnn")
    rep = cls(cls.make_config({})).reproduce(RunDir(tmp_path), quick=True)
    # every claim must hold, as issue 8's "done when" asks; at present "STE matches only in some seeds" fails
    # (STE reaches the certified optimum in no seed, as measured; see docs), so this test fails
    assert rep.claims and all(c.holds for c in rep.claims), [c.to_dict() for c in rep.claims if not c.holds]


def test_bench_exact_methods_agree():
    from paperworks.core.registry import get_system

    cls = get_system("tame_bnn")
    res = cls(cls.make_config({"ste_epochs": "5"}, preset="smoke")).bench(None, quick=True)
    assert res["ratio"] > 0
    for r in res["rows"]:
        assert r["milp_status"] != "optimal" or r["milp_errors"] == r["optimum"]
        assert r["ste_errors"] >= r["optimum"]


def test_only_some_seeds_claim_needs_a_matching_and_a_failing_seed():
    """The STE claim's rule matches its words: no seed or every seed at the optimum both fail it."""
    from paperworks.systems.tame_bnn import some_seeds_claim

    assert not some_seeds_claim([1, 2, 1, 2], 0.0).holds
    assert some_seeds_claim([0, 2, 1, 2], 0.0).holds
    assert some_seeds_claim([0, 0, 0, 2], 0.0).holds
    assert not some_seeds_claim([0, 0, 0, 0], 0.0).holds
    assert not some_seeds_claim([3], 3.0).holds
