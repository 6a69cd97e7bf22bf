"""Fixtures shared by the whole suite."""

import pytest

from paperworks.core.threads import torch_threads


@pytest.fixture
def one_torch_thread():
    """Tiny models and small sparse kernels: one intra-op thread is fastest, and two threads spin-wait for
    seconds on a shared 2-core CI machine. The previous thread count is restored afterwards."""
    with torch_threads(1):
        yield


class _KeptPool:
    """One test's view of the session's spawn pool: it submits to that pool, and its ``with`` exit / ``shutdown``
    waits for (or, with ``cancel_futures``, cancels) only the futures it submitted, as a pool of its own would,
    but leaves the worker processes running for the next test."""

    def __init__(self, pool):
        self._pool, self._futures = pool, []

    def submit(self, fn, /, *args, **kwargs):
        f = self._pool.submit(fn, *args, **kwargs)
        self._futures.append(f)
        return f

    def shutdown(self, wait: bool = True, cancel_futures: bool = False):
        from concurrent.futures import wait as wait_for

        if cancel_futures:
            for f in self._futures:
                f.cancel()
        if wait:
            wait_for(self._futures)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown(wait=True)
        return False


@pytest.fixture(scope="session")
def _session_spawn_pool():
    """A holder of one real ``core.parallel._spawn_pool(2)`` pool ("spawn" workers, made when first asked for and
    again only if a worker died), shut down at the end of the session."""
    from paperworks.core import parallel

    make, held = parallel._spawn_pool, []

    def get():
        if not held or getattr(held[0], "_broken", False):
            if held:
                held.pop().shutdown(wait=False, cancel_futures=True)
            held.append(make(2))
        return held[0]

    yield get
    if held:
        held[0].shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def one_spawn_pool(monkeypatch, _session_spawn_pool):
    """Every ``core.parallel`` spawn pool (of at most 2 workers) that the test starts is the session's one
    2-worker spawn pool: a worker start-up (importing torch, and torch_geometric for the graph fits) costs
    seconds per pool, and the tests that check what crosses the process boundary need real spawn workers, though
    not fresh ones. Jobs go through the same path (iter_jobs / in_background submitting _call_in_worker); a test
    may still count the ``_spawn_pool`` calls by wrapping ``parallel._spawn_pool`` after this fixture."""
    from paperworks.core import parallel

    def shared(workers: int):
        assert 1 <= workers <= 2, f"one_spawn_pool serves pools of 1 or 2 workers, not {workers}"
        return _KeptPool(_session_spawn_pool())

    monkeypatch.setattr(parallel, "_spawn_pool", shared)
