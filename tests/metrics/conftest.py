import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny tensors: one thread is fastest and avoids oversubscription when CI shares the cores
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
