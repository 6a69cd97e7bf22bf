"""Fixtures shared by the whole suite."""

import pytest

from paperworks.core.threads import torch_threads


@pytest.fixture
def one_torch_thread():
    """Tiny models and small sparse kernels: one intra-op thread is fastest, and two threads spin-wait for
    seconds on a shared 2-core CI machine. The previous thread count is restored afterwards."""
    with torch_threads(1):
        yield
