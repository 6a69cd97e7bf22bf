"""Independent jobs of a reproduction in worker processes (one torch thread each).

Small CPU models gain little from a second intra-op thread, but two independent trainings on two cores run
in about half the wall time. ``run_jobs`` runs module-level functions in "spawn" worker processes (no state
is inherited, so results do not depend on what the parent did before) and returns their results in job
order; ``workers <= 1`` runs the same calls in this process, in order. A job's randomness must come from its
own arguments (seed it inside the job), which makes the result independent of the worker that ran it.
"""

from __future__ import annotations

import io
import os
import pickle
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


def _rebuild_error(cls: type, args: tuple, state: dict) -> BaseException:
    """An exception of class ``cls`` with ``args`` and attributes ``state``, made without calling its __init__."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class _SentError(Exception):
    """Carries an exception that pickle cannot rebuild from its args back to the parent, where it unpickles as
    that exception (same class, args and attributes; made by :func:`_rebuild_error`)."""

    def __init__(self, cls: type, args: tuple, state: dict):
        super().__init__(*args)
        self.payload = (cls, args, state)

    def __reduce__(self):
        return _rebuild_error, self.payload


def _rebuilt(obj: BaseException) -> BaseException | None:
    """What unpickling ``pickle.dumps(obj)`` gives, computed as pickle does it (the reduce value's callable on its
    arguments, then the state), without unpickling bytes; None if any step fails."""
    try:
        pickle.dumps(obj)
        rv = obj.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
        back = rv[0](*rv[1])
        if len(rv) > 2 and rv[2]:
            if hasattr(back, "__setstate__"):
                back.__setstate__(rv[2])
            else:
                back.__dict__.update(rv[2])
        return back
    except Exception:
        return None


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` if it survives a pickle round trip with its class and message; else a stand-in that does (pickle
    rebuilds an exception by calling its class with ``exc.args``: a class whose __init__ takes other arguments,
    e.g. two where args holds one message, failed to unpickle in the parent, which reported only "a process in
    the process pool was terminated abruptly"); else a RuntimeError naming the class and the message."""
    back = _rebuilt(exc)
    if back is not None and type(back) is type(exc) and str(back) == str(exc):
        return exc
    cls, args = type(exc), tuple(exc.args)
    for state in (dict(getattr(exc, "__dict__", {})), {}):
        back = _rebuilt(_SentError(cls, args, state))
        if back is not None and type(back) is cls and str(back) == str(exc):
            return _SentError(cls, args, state)
    return RuntimeError(f"{cls.__module__}.{cls.__qualname__}: {exc}")


def _job_name(fn: Callable, kwargs: dict, what: str) -> str:
    """``what`` and the call, e.g. ``core.parallel: jobs[1] (mod.fit(seed=1, data=<Dataset>))``: short argument values
    written out, long ones by their type."""
    args = []
    for k, v in kwargs.items():
        try:
            r = repr(v)
        except Exception:
            r = ""
        args.append(f"{k}={r}" if r and len(r) <= 40 else f"{k}=<{type(v).__name__}>")
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    return f"{what} ({name}({', '.join(args)}))"


class _Blob:
    """The pickled bytes of a value; :meth:`take` unpickles them, once. They unpickle as a _Blob, not as the value,
    so the value is made after the message that carried the bytes is freed: unpickled inside that message, a large
    result was held three times at once (the message, the bytes, the value), not twice as the pool alone holds it."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def take(self) -> Any:
        from multiprocessing.reduction import ForkingPickler

        data, self.data = self.data, None
        return ForkingPickler.loads(data)  # trusted-unpickle: bytes our own pool process made, over the pool's pipe


def _value(obj: Any) -> Any:
    """What the other process sent (a result, a job's arguments): a :class:`_Blob`'s value, else ``obj``."""
    return obj.take() if isinstance(obj, _Blob) else obj


class _Pickled:
    """A value pickled (with multiprocessing's pickler, as the pool would) when it is made: it is sent as those
    bytes and arrives as a :class:`_Blob`. Pickling it first turns a value that pickle cannot take into one error
    naming the job (the pool sent pickle's own AttributeError / TypeError, which named no job). The bytes are the
    buffer they were written to (not a copy of it)."""

    __slots__ = ("data", "value")

    def __init__(self, value: Any, what: str, fn: Callable, kwargs: dict, part: str):
        from multiprocessing.reduction import ForkingPickler

        try:
            buf = io.BytesIO()
            ForkingPickler(buf).dump(value)
            self.data = buf.getvalue()
        except Exception as e:
            if part == "arguments":   # name the argument
                for k, v in value.items():
                    try:
                        ForkingPickler.dumps(v)
                    except Exception as e_k:
                        part, value, e = f"argument '{k}'", v, e_k
                        break
            raise TypeError(f"{_job_name(fn, kwargs, what)}: its {part} cannot be sent between processes "
                            f"(a {type(value).__name__} that pickle refuses: {type(e).__name__}: {e}); "
                            f"use picklable values (no lambdas, local classes, open files or locks)") from None
        self.value = value   # kept alive until sent (shared-memory tensors in the bytes refer to it)

    def __reduce__(self):
        return _Blob, (self.data,)


class _Job:
    """A job's keyword arguments, pickled by :class:`_Pickled` when the pool sends them (in its feeder thread,
    which hands an error to the job's future)."""

    __slots__ = ("kwargs", "what", "fn")

    def __init__(self, fn: Callable, kwargs: dict, what: str):
        self.fn, self.kwargs, self.what = fn, kwargs, what

    def __reduce__(self):
        return _Pickled(self.kwargs, self.what, self.fn, self.kwargs, "arguments").__reduce__()


def _call_in_worker(fn: Callable, threads: int | None, kwargs: dict, what: str = "job") -> Any:
    """:func:`_call` in a worker process: an exception is raised as one that reaches the parent intact, and
    a result that cannot be pickled back as one error naming the job (``what``). ``kwargs`` arrive as a _Blob."""
    kwargs = _value(kwargs)
    try:
        result = _call(fn, threads, kwargs)
    except Exception as e:
        sent = _sendable(e)
        if sent is e:
            raise
        raise sent.with_traceback(e.__traceback__) from None
    return _Pickled(result, what, fn, kwargs, "result")


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
        futures = [pool.submit(_call_in_worker, fn, threads, _Job(fn, job, f"core.parallel: jobs[{i}]"),
                               f"core.parallel: jobs[{i}]")
                   for i, job in enumerate(jobs)]
        try:
            for f in futures:
                yield _value(f.result())
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
        sent = pool.submit(_call_in_worker, fn, threads, _Job(fn, kwargs, "in_background"), "in_background")
        yield _unpickling(sent)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _unpickling(sent: Future) -> Future:
    """A future of the value that ``sent`` (a pool's future) brings as a :class:`_Blob`: set when ``sent`` is done
    (in the pool's thread) and cancelled with it. It cancels and runs as ``sent`` does: ``cancel()`` succeeds only
    while the job has not started (a plain chained future said cancelled, True, to a job that went on running, and
    ``running()`` was never true)."""
    return _Unpickling(sent)


class _Unpickling(Future):
    """See :func:`_unpickling`."""

    def __init__(self, sent: Future):
        super().__init__()
        self._sent = sent
        sent.add_done_callback(self._sent_done)

    def _sent_done(self, f: Future) -> None:
        if f.cancelled():
            super().cancel()
        elif self.set_running_or_notify_cancel():
            try:
                self.set_result(_value(f.result()))
            except BaseException as e:
                self.set_exception(e)

    def cancel(self) -> bool:
        # the pool's future first: it refuses once the job runs; cancelled, its callback cancels this one
        return self._sent.cancel() and super().cancel()

    def running(self) -> bool:
        return self._sent.running() or super().running()
