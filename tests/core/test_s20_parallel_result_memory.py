"""core.parallel: the receiver of a large result (or argument) holds it twice, as the pool alone does, not three
times (session 20).

_Pickled pickles a job's result in the worker (and its arguments in the parent), for the one TypeError naming the
job when pickle refuses them; the pool sends those bytes. They were unpickled inside the message that carried them,
so the receiver held the message, the bytes and the value at once. Measured with ru_maxrss for a job returning a
200 MB numpy array through run_jobs(workers=2): the parent grew by 604 MB (a bare spawn ProcessPoolExecutor: 401 MB),
now 404 MB. Here the pool's pickling steps, traced with tracemalloc on a 16 MB array (no worker needed)."""

import gc
import tracemalloc
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest
import torch

from paperworks.core import parallel
from paperworks.core.parallel import _Job, _Pickled

MB = 2**20
N = 16 * MB // 8
# what a worker sent, as the receiver hands it over (the old code unpickled it inside the message: no such step)
_value = getattr(parallel, "_value", lambda obj: obj)


def _job(n):
    return n


def _peak_mb(prepare, step) -> float:
    """The most memory (MB) traced at once while ``step(prepare())`` runs, counting what ``prepare`` left (all of
    it traced: made after tracemalloc starts)."""
    gc.collect()
    tracemalloc.start()
    try:
        held = prepare()
        tracemalloc.reset_peak()
        step(held)
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def _message(part: str, value) -> bytes:
    """The bytes of the message that carries a result (what the worker returns, pickled by the pool) or a job's
    arguments (the pool pickles the job)."""
    sent = (_Pickled(value, "jobs[0]", _job, {"n": 1}, "result") if part == "result"
            else _Job(_job, {"n": value}, "jobs[0]"))
    return bytes(ForkingPickler.dumps(sent))


@pytest.mark.parametrize("part", ["result", "arguments"])
def test_the_receiver_holds_a_large_value_twice_not_three_times(part):
    got = {}

    def receive(box):   # what the receiver does: unpickle the message, free it, hand over the value
        got["value"] = _value(ForkingPickler.loads(box.pop("message")))

    peak = _peak_mb(lambda: {"message": _message(part, np.arange(N, dtype=np.float64))}, receive)
    back = got["value"] if part == "result" else got["value"]["n"]
    assert np.array_equal(back, np.arange(N, dtype=np.float64))
    assert peak < 2.5 * 16, f"peak {peak:.0f} MB to receive 16 MB"   # the old code: 48 MB


def test_values_tensors_and_arguments_arrive_as_before():
    t = torch.arange(6.0)
    value = {"t": t, "again": t, "a": np.arange(3), "s": {1, 2}}
    back = _value(ForkingPickler.loads(_message("result", value)))
    assert torch.equal(back["t"], t) and back["again"] is back["t"]
    assert np.array_equal(back["a"], value["a"]) and back["s"] == {1, 2}
    # a job's arguments reach its call in the worker, and its result comes back
    ret = parallel._call_in_worker(_job, None, ForkingPickler.loads(_message("arguments", 3)))
    assert _value(ForkingPickler.loads(ForkingPickler.dumps(ret))) == 3
