import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every test of this folder runs on one torch thread (tests/conftest.py)."""
