"""Torch intra-op thread count as a context manager (restored on exit, also on errors)."""

from __future__ import annotations

import functools
from typing import Callable

__all__ = ["torch_threads", "with_threads"]


class torch_threads:
    """``with torch_threads(1): ...`` runs torch on ``n`` intra-op threads and restores the old count.

    Small sparse or MILP-bound workloads gain nothing from a second OpenMP thread, and on a busy 2-core
    machine two threads spin-wait for whole seconds per step; ``n=None`` leaves the count alone.
    """

    def __init__(self, n: int | None = 1):
        if n is not None and (not isinstance(n, int) or n < 1):
            raise ValueError(f"torch_threads: n must be a positive int or None (got {n!r})")
        self.n = n
        self._old: int | None = None

    def __enter__(self) -> "torch_threads":
        import torch

        if self.n is not None:
            self._old = torch.get_num_threads()
            torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc) -> bool:
        import torch

        if self._old is not None:
            torch.set_num_threads(self._old)
        return False


def with_threads(method: Callable) -> Callable:
    """Wrap a System method so it runs under ``torch_threads(self.num_threads)``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with torch_threads(getattr(self, "num_threads", None)):
            return method(self, *args, **kwargs)

    wrapper.__paperworks_threads__ = True
    return wrapper
