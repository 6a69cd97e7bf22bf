"""sparse_mpc: the MILP-time claim divides the dense model's time by the FASTEST model's (min over all sizes);
its label said "dense / sparsest". The label now names what is computed; the value is unchanged."""

from paperworks.systems.sparse_mpc import SparseMPC


def test_time_ratio_label_names_the_fastest_model(monkeypatch, reproduce_smoke):
    # a timing where the sparsest model (2 ReLUs) is not the fastest (4 ReLUs): dense / sparsest would be 5,
    # dense / fastest is 10
    times = {2: 0.4, 4: 0.2}

    def milp_timing(self, env, models, horizons=None):
        return [{"relus": k, "horizon": 2, "time": times.get(k, 2.0), "binaries": 0.0, "timeouts": 0, "n": 1,
                 "gap": 0.0, "nodes": 0.0} for k in sorted(models)]

    monkeypatch.setattr(SparseMPC, "milp_timing", milp_timing)
    d = reproduce_smoke("sparse_mpc")
    (c,) = [c for c in d["claims"] if c["metric"] == "time ratio"]
    assert abs(c["ours"] - 10.0) < 1e-12
    assert "dense / fastest model" in c["claim"] and "sparsest" not in c["claim"]
