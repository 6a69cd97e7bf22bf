"""Shared helpers for the graph tests."""

from functools import partial

import pytest


def three_fits(epochs: int) -> list[dict]:
    """Three graphs.experiment.fit_all jobs on one seeded split of a tiny generated set (syn_community_majority,
    8 graphs per class): HierGCN with HGP-SL pooling (seed 0, on_model = hgp_sl's connectivity fields), flat
    (seed 1) and SAGPool (seed 2), hidden 8, dropout 0.5, ``epochs`` epochs of batches of 4, patience 2."""
    from paperworks.graphs import HierGCN
    from paperworks.graphs.experiment import data_spec, load_graphs, seeded_splits
    from paperworks.systems.hgp_sl import _connectivity_fields

    data = load_graphs("syn_community_majority", seed=0, n_per_class=8)
    f, k, _ = data_spec(data)
    split = seeded_splits(data, [3])[0]
    kw = dict(epochs=epochs, batch_size=4, patience=2)
    return [dict(make_model=partial(HierGCN, f, k, hidden=8, pool=pool, dropout=0.5), data=data, split=split,
                 seed=s, train_kw=kw, name=pool, on_model=_connectivity_fields if pool == "hgpsl" else None)
            for pool, s in (("hgpsl", 0), ("none", 1), ("sag", 2))]


@pytest.fixture
def three_fit_jobs():
    """:func:`three_fits`: ``three_fit_jobs(epochs)`` gives the three jobs (a new list and dicts per call)."""
    return three_fits
