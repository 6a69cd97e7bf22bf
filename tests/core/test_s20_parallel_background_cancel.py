"""core.parallel.in_background: its future cancels and runs as the pool's future does (session 20 review).

f3456e6 chained a plain Future to the pool's one (the value is unpickled when the pool's future is done). Probe:
in_background(subprocess.call, args=["sleep", "25"]), 12 s in: fut.running() was False and fut.cancel() returned True
(fut.cancelled() True) while the job went on running (leaving the block waited 28 s for it) and its result was
lost; before f3456e6 running() was True and cancel() False, as concurrent.futures promises for a running call.
Tested on the chaining itself, with a plain Future standing for the pool's."""

from concurrent.futures import CancelledError, Future
from multiprocessing.reduction import ForkingPickler

import pytest

from paperworks.core import parallel


def _blob(value):
    return parallel._Blob(bytes(ForkingPickler.dumps(value)))


def test_a_started_job_is_running_and_cannot_be_cancelled():
    sent = Future()
    fut = parallel._unpickling(sent)
    assert not fut.running()
    sent.set_running_or_notify_cancel()   # the worker took the job
    assert fut.running()
    assert fut.cancel() is False and not fut.cancelled()
    sent.set_result(_blob({"a": 7}))
    assert fut.result(timeout=5) == {"a": 7} and not fut.running()


def test_a_job_not_started_is_cancelled_with_its_future_and_errors_pass_through():
    sent = Future()
    fut = parallel._unpickling(sent)
    assert fut.cancel() is True and fut.cancelled() and sent.cancelled()
    with pytest.raises(CancelledError):
        fut.result(timeout=5)
    sent2 = Future()
    fut2 = parallel._unpickling(sent2)
    assert sent2.cancel() and fut2.cancelled()   # the pool cancels it (shutdown with cancel_futures)
    sent3 = Future()
    sent3.set_running_or_notify_cancel()
    sent3.set_exception(ValueError("in the worker"))
    with pytest.raises(ValueError, match="in the worker"):
        parallel._unpickling(sent3).result(timeout=5)   # chained after the pool's future is done
