"""graphs.experiment.seeded_comparison_and_cv: the hgp_sl / diffpool reproductions send the fits of both stages
(generated task over seeds, then MUTAG / B3DB CV) to ONE worker pool. That is only sound if a fit's result does
not depend on which fits ran before it in the same process: checked here in-process (other jobs first, in either
order, and the global RNGs / thread count disturbed) and across worker counts and job orders; and the combined
call gives the numbers and log records of seeded_comparison followed by real_data_cv. The worker tests use the
session's one spawn pool (tests/conftest.py: one_spawn_pool; its workers may already have run other tests' jobs,
which a fit must not depend on either), and the one-pool test counts the _spawn_pool calls on top of it."""

import random
from functools import partial
from types import SimpleNamespace

import numpy as np
import torch

from paperworks.core.threads import torch_threads
from paperworks.graphs import HierGCN
from paperworks.graphs.experiment import (_fit, data_spec, fit_all, load_graphs, real_data_cv, seeded_comparison,
                                          seeded_comparison_and_cv)
from paperworks.systems.hgp_sl import _connectivity_fields


def _num(res):
    r, extra = res
    return (r.test_acc, r.val_acc, r.val_loss, r.best_epoch, r.epochs_run, r.history, extra)


def _disturb(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.rand(seed + 1)
    np.random.rand(seed + 1)


def test_a_fit_does_not_depend_on_the_fits_before_it_in_the_same_process(three_fit_jobs):
    jobs = three_fit_jobs(epochs=2)
    with torch_threads(1):
        first = [_num(_fit(**j)) for j in jobs]
        backwards = [_num(_fit(**j)) for j in reversed(jobs)][::-1]
        disturbed = []
        for i, j in enumerate(jobs):
            _disturb(100 + i)
            disturbed.append(_num(_fit(**j)))
        again = [_num(_fit(**jobs[2])), _num(_fit(**jobs[2]))]
    assert backwards == first and disturbed == first and again == [first[2], first[2]]


def test_results_do_not_depend_on_worker_count_or_job_order(three_fit_jobs, one_spawn_pool):
    jobs = three_fit_jobs(epochs=2)
    with torch_threads(3):
        serial = [_num(r) for r in fit_all(jobs, workers=1)]
    mixed = jobs + jobs[::-1]           # two workers run several fits each, in different orders
    par = [_num(r) for r in fit_all(mixed, workers=2)]
    assert par == serial + serial[::-1]


def _tiny():
    cfg = SimpleNamespace(seed=0, n_per_class=8, max_molecules=24, max_atoms=30, folds=3, mutag_epochs=1,
                          b3db_epochs=2)
    syn = load_graphs("syn_community_majority", seed=0, n_per_class=8)
    f, k, _ = data_spec(syn)
    makers = {"a": partial(HierGCN, f, k, hidden=4, pool="hgpsl"), "b": partial(HierGCN, f, k, hidden=4, pool="none")}

    def makers_for(sp):
        return {"hier": partial(HierGCN, sp[0], sp[1], hidden=4, pool="hgpsl"),
                "flat": partial(HierGCN, sp[0], sp[1], hidden=4, pool="none")}

    def train_kw(epochs):
        return dict(epochs=epochs, batch_size=64, patience=1)

    return cfg, syn, makers, makers_for, train_kw


def _strip(recs):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in recs]


def test_one_pool_for_both_stages_gives_the_two_calls_numbers_and_records(monkeypatch, one_spawn_pool):
    import paperworks.core.parallel as parallel

    pools = []
    real_spawn_pool = parallel._spawn_pool
    monkeypatch.setattr(parallel, "_spawn_pool", lambda workers: pools.append(workers) or real_spawn_pool(workers))
    cfg, syn, makers, makers_for, train_kw = _tiny()
    kw = dict(keep=lambda n: n == "a", on_model=_connectivity_fields, epochs=1, batch_size=4, patience=1)
    recs_old, f_old, h_old = [], {}, {}
    with torch_threads(1):
        acc_old = seeded_comparison(makers, syn, [0, 1], "t", recs_old.append, fields=f_old, histories=h_old, **kw)
        cv_old = real_data_cv(cfg, makers_for, train_kw, recs_old.append)
    for workers in (2,):
        recs, f_new, h_new = [], {}, {}
        acc, cv = seeded_comparison_and_cv(makers, syn, [0, 1], "t", recs.append, cfg, makers_for, train_kw,
                                           fields=f_new, histories=h_new, workers=workers, **kw)
        assert (acc, cv, f_new, h_new) == (acc_old, cv_old, f_old, h_old)
        assert _strip(recs) == _strip(recs_old)
        assert pools == [workers]       # one spawn pool served both stages (two separate calls start two)
    assert [r["model"] for r in recs_old][-4:] == ["hier", "flat", "hier", "flat"] and len(recs_old) == 8
