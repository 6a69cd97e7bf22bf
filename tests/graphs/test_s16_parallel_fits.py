"""graphs.experiment.fit_all: the independent fits of the graph reproductions in worker processes give the
numbers of a one-thread serial run (same accuracies, best epochs, per-epoch histories, on-model fields), in
job order, and with one torch thread whatever the caller's thread count; closures are refused with one clear
error when they would have to cross a process boundary. The worker tests use the session's one spawn pool
(tests/conftest.py: one_spawn_pool)."""

from functools import partial

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.threads import torch_threads
from paperworks.graphs import HierGCN
from paperworks.graphs.experiment import data_spec, fit_all, load_graphs, seeded_comparison
from paperworks.systems.hgp_sl import _connectivity_fields


def _numbers(results):
    return [(r.test_acc, r.val_loss, r.best_epoch, r.history, extra) for r, extra in results]


def test_workers_give_the_serial_one_thread_numbers(three_fit_jobs, one_spawn_pool):
    with torch_threads(2):      # the caller's thread count does not matter: every fit runs with one thread
        serial = list(fit_all(three_fit_jobs(epochs=3), workers=1))
    parallel = list(fit_all(three_fit_jobs(epochs=3), workers=2))
    assert _numbers(parallel) == _numbers(serial)
    assert set(serial[0][1]) == {"components", "isolated"} and serial[1][1] == {}
    assert all(r.model is None for r, _ in parallel + serial)


def test_closures_are_refused_with_workers(three_fit_jobs):
    jobs = three_fit_jobs(epochs=3)
    jobs[1]["make_model"] = lambda: None
    with pytest.raises(ConfigError, match="make_model must be picklable"):
        list(fit_all(jobs, workers=2))


def test_seeded_comparison_fields_and_log_order():
    data = load_graphs("syn_community_majority", seed=0, n_per_class=10)
    f, k, _ = data_spec(data)
    makers = {"a": partial(HierGCN, f, k, hidden=4, pool="hgpsl"), "b": partial(HierGCN, f, k, hidden=4, pool="none")}
    recs, fields = [], {}
    acc = seeded_comparison(makers, data, [0, 1], "t", recs.append, keep=lambda n: n == "a",
                            on_model=_connectivity_fields, fields=fields, epochs=1, batch_size=4, patience=1)
    assert [(r["seed"], r["model"]) for r in recs] == [(0, "a"), (0, "b"), (1, "a"), (1, "b")]
    assert list(fields) == ["a"] and len(fields["a"]) == 2 and "components" in recs[0] and "components" not in recs[1]
    assert acc["a"] == [recs[0]["test_acc"], recs[2]["test_acc"]]


def test_compare_equals_cross_validate_per_model_serial_and_in_workers(one_spawn_pool):
    from paperworks.graphs.experiment import compare
    from paperworks.graphs.harness import cross_validate, make_splits

    data = load_graphs("syn_community_majority", seed=1, n_per_class=10)
    f, k, _ = data_spec(data)
    splits = make_splits([int(d.y) for d in data], "cv10", 0, 3)
    makers = {"hgpsl": partial(HierGCN, f, k, hidden=4, pool="hgpsl"), "flat": partial(HierGCN, f, k, hidden=4,
                                                                                       pool="none")}
    kw = dict(epochs=2, batch_size=4, patience=1)
    with torch_threads(1):
        want = {n: [(r.test_acc, r.best_epoch, r.history) for r in cross_validate(mk, data, splits, seed=5, **kw).folds]
                for n, mk in makers.items()}
        serial = compare(makers, data, splits, seed=5, **kw)
    par = compare(makers, data, splits, seed=5, workers=2, **kw)
    for got in (serial, par):
        assert list(got) == list(makers)
        assert {n: [(r.test_acc, r.best_epoch, r.history) for r in cv.folds] for n, cv in got.items()} == want

