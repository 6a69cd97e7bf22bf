"""Independent jobs of a reproduction in worker processes (one torch thread each).

Small CPU models gain little from a second intra-op thread, but two independent trainings on two cores run
in about half the wall time. ``run_jobs`` runs module-level functions in "spawn" worker processes (no state
is inherited, so results do not depend on what the parent did before) and returns their results in job
order; ``workers <= 1`` runs the same calls in this process, in order. A job's randomness must come from its
own arguments (seed it inside the job), which makes the result independent of the worker that ran it.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

__all__ = ["run_jobs", "iter_jobs", "in_background", "default_workers"]


def default_workers(n_jobs: int, requested: int = 0) -> int:
    """``requested`` if > 0, else the number of CPUs this process may use; never more than ``n_jobs``."""
    if requested < 0:
        raise ValueError(f"workers must be >= 0 (got {requested})")
    if requested:
        n = requested
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:
        n = os.cpu_count() or 1
    return max(1, min(n, n_jobs))


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing as mp

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))


def _call(fn: Callable, threads: int | None, kwargs: dict) -> Any:
    from paperworks.core.threads import torch_threads

    with torch_threads(threads):
        return fn(**kwargs)


def iter_jobs(fn: Callable, jobs: Sequence[dict], workers: int = 1, threads: int | None = 1) -> Iterator[Any]:
    """The results of ``fn(**job)`` in job order, each as soon as it and every earlier job have finished (so a
    caller can log them as they come), computed in ``workers`` spawn processes when ``workers > 1``, else here.

    ``fn`` must be importable (a module-level function) and its arguments and result picklable; each call
    runs under ``torch_threads(threads)``. The first exception raised by a job is re-raised here, and the jobs
    not yet started are cancelled (as they are when the caller stops iterating early).
    """
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _call(fn, threads, job)
        return
    with _spawn_pool(min(workers, len(jobs))) as pool:
        futures = [pool.submit(_call, fn, threads, job) for job in jobs]
        try:
            for f in futures:
                yield f.result()
        finally:
            for f in futures:
                f.cancel()


def run_jobs(fn: Callable, jobs: Sequence[dict], workers: int = 1, threads: int | None = 1) -> list[Any]:
    """``[fn(**job) for job in jobs]``, in ``workers`` spawn processes when ``workers > 1``
    (:func:`iter_jobs`, collected)."""
    return list(iter_jobs(fn, jobs, workers, threads))


@contextmanager
def in_background(fn: Callable, threads: int | None = 1, **kwargs: Any) -> Iterator[Future]:
    """``with in_background(fn, **kwargs) as fut: ...``: ``fn(**kwargs)`` runs in one spawn worker while the
    caller goes on; ``fut.result()`` waits for it (re-raising its exception). Leaving the block waits for
    the worker and shuts it down (a job not yet started is cancelled)."""
    pool = _spawn_pool(1)
    try:
        yield pool.submit(_call, fn, threads, kwargs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
