"""core.parallel: a job whose result (or argument) pickle refuses is one error naming the job (session 19).

The pool used to raise pickle's own error (AttributeError "Can't pickle local object ...", TypeError "cannot
pickle '_thread.lock' object"), which named no job; picklable results come back as before. Every test here
sends its jobs to the session's one spawn pool (tests/conftest.py: one_spawn_pool), started once, not per test."""

import threading

import pytest
import torch

from paperworks.core.parallel import in_background, iter_jobs, run_jobs

pytestmark = pytest.mark.usefixtures("one_spawn_pool")


def _local_function(i):
    def inner():
        return i
    return inner if i == 1 else i


def _lock(i):
    return threading.Lock() if i == 2 else i


def _shared(seed):
    t = torch.randn(3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return {"t": t, "again": t, "half": t.half(), "n": torch.arange(4), "f": 0.1 * seed, "s": {seed}}


@pytest.mark.parametrize("fn, bad, what", [(_local_function, 1, "function"), (_lock, 2, "lock")])
def test_an_unpicklable_result_names_the_job(fn, bad, what):
    with pytest.raises(TypeError, match=rf"^core\.parallel: jobs\[{bad}\] \(\S+\.{fn.__name__}\(i={bad}\)\): its "
                                        rf"result cannot be sent between processes \(a {what} that pickle refuses"):
        run_jobs(fn, [dict(i=0), dict(i=1), dict(i=2)], workers=2)


def test_an_unpicklable_argument_names_the_job_and_the_argument():
    with pytest.raises(TypeError, match=r"jobs\[1\] .*: its argument 'i' cannot be sent between processes"):
        list(iter_jobs(_lock, [dict(i=0), dict(i=threading.Lock())], workers=2))


def test_in_background_names_itself():
    with pytest.raises(TypeError, match=r"^in_background \(\S+\._local_function\(i=1\)\): its result cannot be sent"):
        with in_background(_local_function, i=1) as fut:
            fut.result()


def test_picklable_results_come_back_equal_and_with_shared_objects_shared():
    here = run_jobs(_shared, [dict(seed=1), dict(seed=2)], workers=1)
    there = run_jobs(_shared, [dict(seed=1), dict(seed=2)], workers=2)
    for a, b in zip(here, there):
        assert a.keys() == b.keys() and a["f"] == b["f"] and a["s"] == b["s"]
        for k in ("t", "half", "n"):
            assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k])
        assert b["again"] is b["t"]
