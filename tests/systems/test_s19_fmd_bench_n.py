"""fmd bench: the batched-vs-loop influence check took n = 2000 rows of the training features but, with fewer
training samples (n_train=300), got only 300 rows while still scaling the loop's scores by 2000 and reporting
'influence on 2000 samples': max_rel_disagreement was (2000 - n) / n (2.33 for the smoke preset's 600), not
the engines' actual ~1e-7. Now n = min(2000, training samples)."""

from paperworks.core.registry import get_system


def test_bench_influence_check_uses_the_rows_it_has():
    S = get_system("fmd")
    out = S(S.make_config({"n_train": "300"}, preset="smoke")).bench(quick=True)
    assert out["n_influence"] == 300
    assert out["max_rel_disagreement"] < 1e-4, out["max_rel_disagreement"]
    assert "influence on 300 samples" in out["summary"]
