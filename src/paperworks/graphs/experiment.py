"""Shared pieces of the graph systems' reproductions: dataset loading by name, model comparisons under
one protocol, community recovery and timing."""

from __future__ import annotations

import itertools
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from paperworks.core.config import check_choice, check_interval, check_positive, check_seed
from paperworks.core.errors import ConfigError
from paperworks.core.trainer import eval_mode
from paperworks.graphs._checks import check_dataset
from paperworks.graphs.harness import (CVResult, FoldResult, Split, make_splits, mean_std, random_splits,
                                      train_eval)
from paperworks.graphs.metrics import community_nmi

__all__ = ["GRAPH_DATASETS", "SYN_FEATURES", "REAL_DATASETS", "check_experiment_config", "load_graphs", "data_spec",
           "compare", "seeded_splits", "fit_all", "seeded_comparison", "loss_panels", "real_data_cv",
           "seeded_comparison_and_cv", "run_folds",
           "bench_epoch_times", "diffpool_nmi", "random_nmi", "epoch_time", "fewer_epochs_note"]

GRAPH_DATASETS = ("syn_community1v2", "syn_community_wiring", "syn_community_majority", "syn_motif", "mutag",
                  "b3db_bbbp", "tu")


# node features of the generated tasks as load_graphs builds them (for report texts)
SYN_FEATURES = {"syn_community1v2": "one-hot degree (capped at 10)",
                "syn_community_wiring": "one-hot degree (capped at 10)",
                "syn_community_majority": "one-hot community type (flipped with probability 0.2) and a constant 1",
                "syn_motif": "one-hot degree (capped at 10) plus Gaussian noise (std 0.1)"}

# the real datasets of the graph systems' reproductions: (load_graphs name, report label)
REAL_DATASETS = (("mutag", "MUTAG"), ("b3db_bbbp", "B3DB BBBP"))


def fewer_epochs_note(quick: bool, caps, paper_cap: int, words: str) -> str:
    """A reproduction report's note that its epoch ``caps`` are below the paper's ``paper_cap`` (diffpool, hgp_sl).
    It followed the --quick flag alone: a quick run at the paper's caps (`--preset paper --quick`) read "quick mode
    uses far fewer", and a run without --quick at the quick caps said nothing. A quick run below the paper's cap
    keeps its words ("; quick mode " + ``words``)."""
    if min(caps) >= paper_cap:
        return ""
    return f"; quick mode {words}" if quick else "; this run's caps are lower"


def check_experiment_config(cfg, positive: Sequence[str]) -> None:
    """The checks every graph system's config shares: dataset (and its TU folder), the generated task, folds >= 3,
    lr > 0, and each field named in ``positive`` > 0."""
    check_choice("dataset", cfg.dataset, GRAPH_DATASETS)
    if cfg.dataset == "tu" and not cfg.tu_root:
        raise ConfigError("'tu_root' must name a TU-format folder when dataset=tu")
    if cfg.dataset != "tu" and cfg.tu_root:  # it was silently ignored: the run used the named dataset
        raise ConfigError(f"'tu_root' ({cfg.tu_root}) is read only by dataset=tu, not dataset={cfg.dataset}; "
                          "set dataset=tu or drop tu_root")
    check_choice("syn_task", cfg.syn_task, [d for d in GRAPH_DATASETS if d.startswith("syn_")])
    for k in positive:
        check_positive(k, getattr(cfg, k))
    check_interval("folds", cfg.folds, 3, None)
    check_positive("lr", cfg.lr)


def load_graphs(name: str, seed: int = 0, n_per_class: int = 100, max_molecules: int | None = None,
                max_atoms: int | None = 60, tu_root: str | None = None):
    """Dataset by name; "tu" reads the local TU-format folder ``tu_root`` (e.g. a downloaded ENZYMES/)."""
    from paperworks.data import load

    if name not in GRAPH_DATASETS:
        raise ConfigError(f"'dataset' must be one of {', '.join(GRAPH_DATASETS)} (got {name!r})")
    if name == "tu":
        if not tu_root:
            raise ConfigError("dataset=tu needs 'tu_root', the path of a TU-format folder (NAME/NAME_A.txt, ...)")
        return load("tu", root=tu_root)
    if name.startswith("syn_community"):
        kw = {"feature": "degree"} if name in ("syn_community1v2", "syn_community_wiring") else {}
        return load(name, n_per_class=n_per_class, seed=seed, **kw)
    if name == "b3db_bbbp":
        return load(name, max_molecules=max_molecules, max_atoms=max_atoms, seed=seed)
    return load(name)


def data_spec(data) -> tuple[int, int, int]:
    """(feature width, number of classes, largest graph); checks the dataset (one clear error per problem)."""
    check_dataset("dataset", data)
    return (int(data[0].x.size(1)), int(max(int(d.y) for d in data)) + 1, int(max(d.num_nodes for d in data)))


def seeded_splits(data, seeds: Sequence[int]) -> list[Split]:
    """One random stratified 80/10/10 split per seed (for tasks repeated over seeds)."""
    # the graphs themselves: the harness reads their labels (a fractional target is refused, not truncated)
    return [random_splits(data, runs=1, seed=s)[0] for s in seeds]


def compare(makers: dict[str, Callable[[], torch.nn.Module]], data, splits: Sequence[Split], seed: int = 0,
            log: Callable[[dict], None] | None = None, workers: int = 1, **train_kw) -> dict[str, CVResult]:
    """Every model on the same splits with the same training settings (split i seeded ``seed + i``, as
    :func:`~paperworks.graphs.harness.cross_validate`), every fit through :func:`fit_all` (``workers``)."""
    jobs = [job for mk in makers.values() for job in _fold_jobs(mk, data, splits, seed, train_kw)]
    results = iter(fit_all(jobs, workers))
    out = {}
    for name in makers:
        r = CVResult([next(results)[0] for _ in splits])
        out[name] = r
        if log is not None:
            log({"model": name, "acc_mean": r.mean, "acc_std": r.std, "seconds": r.seconds,
                 "folds": len(r.folds)})
    return out


def _fold_jobs(make_model: Callable[[], torch.nn.Module], data, splits: Sequence[Split], seed: int,
               train_kw: dict) -> list[dict]:
    """:func:`fit_all` jobs of one model on every split, split i seeded ``seed + i`` (as ``cross_validate``)."""
    return [dict(make_model=make_model, data=data, split=s, seed=seed + i, train_kw=train_kw)
            for i, s in enumerate(splits)]


def _fit(make_model: Callable[[], torch.nn.Module], data, split: Split, seed: int, train_kw: dict,
         name: str = "", on_model: Callable[..., dict] | None = None) -> tuple[FoldResult, dict]:
    """One train_eval (a job of :func:`fit_all`): the result without its model, and ``on_model(name, result,
    test_graphs)``'s fields when ``on_model`` is given (it sees the trained model)."""
    r = train_eval(make_model, data, split, seed=seed, keep_model=on_model is not None, **train_kw)
    extra = on_model(name, r, [data[i] for i in split.test]) if on_model is not None else {}
    r.model = None
    return r, extra


def fit_all(jobs: Sequence[dict], workers: int = 1) -> Iterator[tuple[FoldResult, dict]]:
    """:func:`_fit` of every job ({make_model, data, split, seed, train_kw[, name, on_model]}), yielded in job
    order as they finish (``core.parallel.iter_jobs``: a failing fit cancels the fits not yet started).
    Each fit reseeds every RNG from its own ``seed`` and runs with one torch thread, in this process
    (``workers=1``) or in ``workers`` spawn processes (0 = one per CPU), so the numbers do not depend on
    ``workers`` (nor on the caller's thread count); with ``workers > 1``, ``make_model`` and ``on_model`` must be
    picklable (module-level functions, classes or ``functools.partial`` of them, not lambdas)."""
    from paperworks.core.parallel import default_workers, iter_jobs

    jobs = list(jobs)
    w = default_workers(len(jobs), workers) if workers != 1 else 1
    if w > 1:
        for job in jobs:
            for key in ("make_model", "on_model"):
                try:
                    pickle.dumps(job.get(key))
                except Exception as e:
                    raise ConfigError(f"fit_all: with workers={workers} the jobs' {key} must be picklable (a module-"
                                      f"level function or class, or functools.partial of one); got "
                                      f"{job.get(key)!r} ({type(e).__name__}); use workers=1 for closures") from None
    yield from iter_jobs(_fit, jobs, workers=w, threads=1)


def seeded_comparison(makers: dict[str, Callable[[], torch.nn.Module]], data, seeds: Sequence[int], task: str,
                      log: Callable[[dict], None], keep: Callable[[str], bool] = lambda name: False,
                      on_model: Callable[..., dict] | None = None, histories: dict | None = None,
                      fields: dict | None = None, workers: int = 1, **train_kw) -> dict[str, list[float]]:
    """Every model on one random stratified 80/10/10 split per seed (:func:`seeded_splits`; seed ``s`` also
    seeds the training), in ``makers`` order within a seed. One log record per (seed, model); for the models
    with ``keep(name)``, ``on_model(name, result, test_graphs)`` (a function of the trained model, without side
    effects) adds its fields to the record, and a ``fields`` dict receives {name: those fields in seed order}.
    A ``histories`` dict receives {name: per-epoch records of the last seed's training} (train_eval's history:
    epoch, train_loss, aux_loss, val_acc, val_loss), e.g. for :func:`loss_panels`. ``workers``: see
    :func:`fit_all` (0 = one per CPU; the fits are independent, so the numbers do not depend on it).
    Returns {name: test accuracies in seed order}."""
    keys, jobs = _seeded_jobs(makers, data, seeds, keep, on_model, train_kw)
    results = fit_all(jobs, workers)
    try:
        return _seeded_collect(keys, jobs, results, task, log, histories, fields)
    finally:
        results.close()


def _seeded_jobs(makers: dict, data, seeds: Sequence[int], keep: Callable[[str], bool],
                 on_model: Callable[..., dict] | None, train_kw: dict) -> tuple[list, list[dict]]:
    """The (seed, name) keys and :func:`fit_all` jobs of :func:`seeded_comparison`, in its order."""
    jobs, keys = [], []
    for si, split in zip(seeds, seeded_splits(data, seeds)):
        for name, mk in makers.items():
            jobs.append(dict(make_model=mk, data=data, split=split, seed=si, train_kw=train_kw, name=name,
                             on_model=on_model if keep(name) else None))
            keys.append((si, name))
    return keys, jobs


def _seeded_collect(keys: list, jobs: list[dict], results: Iterator, task: str, log: Callable[[dict], None],
                    histories: dict | None, fields: dict | None) -> dict[str, list[float]]:
    """:func:`seeded_comparison`'s log records and result from the next ``len(jobs)`` fit results of ``results``."""
    acc: dict[str, list[float]] = {}
    for (si, name), job, (r, extra) in zip(keys, jobs, itertools.islice(results, len(jobs))):
        acc.setdefault(name, []).append(r.test_acc)
        if histories is not None:
            histories[name] = r.history
        if job["on_model"] is not None and fields is not None:
            fields.setdefault(name, []).append(extra)
        log({"task": task, "model": name, "seed": si, "test_acc": r.test_acc, "best_epoch": r.best_epoch,
             "seconds": r.seconds, **extra})
    return acc


def loss_panels(histories: dict[str, list[dict]]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Training cross-entropy and validation loss per epoch of each model, from train_eval histories
    ({name: records}, as :func:`seeded_comparison` fills them), as panels of
    :func:`paperworks.core.report.line_figure`."""
    return {title: {name: [(h["epoch"], h[key]) for h in hist] for name, hist in histories.items()}
            for title, key in (("training loss (cross-entropy)", "train_loss"), ("validation loss", "val_loss"))}


def real_data_cv(cfg, makers_for: Callable[[tuple[int, int, int]], dict[str, Callable[[], torch.nn.Module]]],
                 train_kw: Callable[[int], dict], log: Callable[[dict], None], workers: int = 1) -> dict:
    """MUTAG (``cfg.mutag_epochs``) and the B3DB BBBP subset (``cfg.b3db_epochs``), ``cfg.folds``-fold stratified
    CV: every model of ``makers_for(data_spec)`` on the same folds (fold i seeded ``cfg.seed + i``), one log
    record per model (mean and std of the fold accuracies, and each fold's best and last epoch, which show
    whether the epoch cap or early stopping ended it), written when its last fold ends; every fit of both
    datasets through :func:`fit_all` (``workers``). Returns {(dataset, model): fold accuracies, (dataset, "n"):
    number of graphs}."""
    keys, jobs, cv = _cv_jobs(cfg, makers_for, train_kw)
    results = fit_all(jobs, workers)
    try:
        return _cv_collect(keys, results, cv, log)
    finally:
        results.close()


def _cv_jobs(cfg, makers_for: Callable, train_kw: Callable[[int], dict]) -> tuple[list, list[dict], dict]:
    """The (dataset, model) keys and :func:`fit_all` jobs of :func:`real_data_cv`, in its order, and its result
    dict holding {(dataset, "n"): number of graphs} so far."""
    cv: dict = {}
    jobs, keys = [], []
    for dname, epochs in (("mutag", cfg.mutag_epochs), ("b3db_bbbp", cfg.b3db_epochs)):
        data = load_graphs(dname, cfg.seed, cfg.n_per_class, cfg.max_molecules, cfg.max_atoms)
        sp = data_spec(data)
        splits = make_splits(data, "cv10", cfg.seed, cfg.folds)
        for name, mk in makers_for(sp).items():
            jobs += _fold_jobs(mk, data, splits, cfg.seed, train_kw(epochs))
            keys += [(dname, name)] * len(splits)
        cv[(dname, "n")] = len(data)
    return keys, jobs, cv


def _cv_collect(keys: list, results: Iterator, cv: dict, log: Callable[[dict], None]) -> dict:
    """:func:`real_data_cv`'s log records and result from the next ``len(keys)`` fit results of ``results``."""
    n_folds = Counter(keys)
    stops: dict = {}
    for key, (r, _) in zip(keys, itertools.islice(results, len(keys))):
        cv.setdefault(key, []).append(r.test_acc)
        stops.setdefault(key, []).append((r.best_epoch, r.epochs_run))
        if len(cv[key]) == n_folds[key]:      # the key's last fold: log it now
            accs = cv[key]
            log({"task": key[0], "model": key[1], "acc_mean": float(np.mean(accs)), "acc_std": float(np.std(accs)),
                 "best_epochs": [b for b, _ in stops[key]], "epochs_run": [e for _, e in stops[key]]})
    return cv


def seeded_comparison_and_cv(makers: dict[str, Callable[[], torch.nn.Module]], data, seeds: Sequence[int],
                             task: str, log: Callable[[dict], None], cfg, cv_makers_for: Callable,
                             cv_train_kw: Callable[[int], dict], keep: Callable[[str], bool] = lambda name: False,
                             on_model: Callable[..., dict] | None = None, histories: dict | None = None,
                             fields: dict | None = None, workers: int = 1, **train_kw) -> tuple[dict, dict]:
    """``(seeded_comparison(makers, data, seeds, task, log, keep, on_model, histories, fields, workers,
    **train_kw), real_data_cv(cfg, cv_makers_for, cv_train_kw, log, workers))`` with every fit of both through
    ONE :func:`fit_all` call: one worker pool for both stages (one start-up, and no worker idles at the end of
    the first stage while the last fits run). Same numbers and the same log records in the same order (every fit
    seeds itself, so it does not depend on which worker runs it nor on what ran before it there); the real
    datasets are loaded before the first stage's fits instead of after them."""
    s_keys, s_jobs = _seeded_jobs(makers, data, seeds, keep, on_model, train_kw)
    c_keys, c_jobs, cv = _cv_jobs(cfg, cv_makers_for, cv_train_kw)
    results = fit_all(s_jobs + c_jobs, workers)
    try:
        acc = _seeded_collect(s_keys, s_jobs, results, task, log, histories, fields)
        return acc, _cv_collect(c_keys, results, cv, log)
    finally:
        results.close()


def run_folds(make_model: Callable[[], torch.nn.Module], data, splits: Sequence[Split], seed: int,
              log: Callable[[dict], None], key: str = "fold", workers: int = 1, **train_kw) -> dict[str, float]:
    """train_eval on every split (split i seeded ``seed + i``) through :func:`fit_all` (``workers``), one log
    record per split in split order (``key``: its index); returns {"accuracy", "accuracy_std"} of the test
    accuracies (the graph systems' ``run``)."""
    accs = []
    for i, (r, _) in enumerate(fit_all(_fold_jobs(make_model, data, splits, seed, train_kw), workers)):
        accs.append(r.test_acc)
        log({key: i, "test_acc": r.test_acc, "val_acc": r.val_acc, "best_epoch": r.best_epoch})
    m, sd = mean_std(accs)
    return {"accuracy": m, "accuracy_std": sd}


def bench_epoch_times(makers_for: Callable[[tuple[int, int, int]], dict[str, Callable[[], torch.nn.Module]]],
                      cfg, quick: bool = True) -> tuple[dict[str, float], int]:
    """:func:`compare_epoch_times` of the models ``makers_for(data_spec)`` on syn_community1v2 (``cfg.n_per_class``
    graphs per class, at most 50 when ``quick``, else 200), batches of ``cfg.batch_size``; returns (median
    seconds per epoch by name, number of graphs)."""
    data = load_graphs("syn_community1v2", cfg.seed, min(cfg.n_per_class, 50) if quick else 200)
    return compare_epoch_times(makers_for(data_spec(data)), data, cfg.batch_size), len(data)


@torch.no_grad()
def diffpool_nmi(model, data) -> float:
    """NMI between the argmax of the first-level assignment and the planted communities (the model runs in eval
    mode; every submodule's own mode is restored afterwards: a model in train mode was left in eval mode)."""
    with eval_mode(model):
        graphs = [d for d in data if int(d.community.max()) > 0]
        ss, cs = [], []
        for batch in DataLoader(graphs, batch_size=64):
            model(batch)
            s = model.assignments[0]
            counts = torch.bincount(batch.batch).tolist()
            for i, n in enumerate(counts):
                ss.append(s[i, :n])
            cs += list(torch.split(batch.community, counts))
    return community_nmi(ss, cs)


def random_nmi(data, clusters: int, seed: int = 0) -> float:
    """NMI of uniformly random hard assignments to ``clusters`` clusters (the chance level)."""
    g = torch.Generator().manual_seed(check_seed(seed, "random_nmi"))
    graphs = [d for d in data if int(d.community.max()) > 0]
    ss = [torch.rand(d.num_nodes, clusters, generator=g) for d in graphs]
    return community_nmi(ss, [d.community for d in graphs])


def compare_epoch_times(makers: dict, data, batch_size: int = 32, repeats: int = 3, epochs: int = 2
                        ) -> dict[str, float]:
    """Median seconds per epoch of each model, built by ``makers[name]()``; models are interleaved over
    ``repeats`` rounds (torch's global RNG reseeded with the round index) so that both see the same machine
    load."""
    times: dict[str, list[float]] = {name: [] for name in makers}
    for r in range(repeats):
        for name, make in makers.items():
            torch.manual_seed(r)
            times[name].append(epoch_time(make(), data, batch_size, epochs=epochs))
    return {name: float(np.median(t)) for name, t in times.items()}


def epoch_time(model, data, batch_size: int = 32, epochs: int = 3, lr: float = 1e-3) -> float:
    """Seconds per training epoch (mean of ``epochs`` after one warm-up epoch)."""
    import torch.nn.functional as F

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(list(data), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(0))
    times = []
    for ep in range(epochs + 1):
        model.train()
        t0 = time.perf_counter()
        for batch in loader:
            opt.zero_grad()
            logits, aux = model(batch)
            (F.cross_entropy(logits, batch.y.view(-1)) + aux).backward()
            opt.step()
        if ep:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))
