"""core.parallel: jobs in spawn workers return the same results, in job order, as in-process calls."""

import pytest
import torch

from paperworks.core.parallel import default_workers, run_jobs

JOBS = [{"a": 1}, {"b": [2, 3]}, {"c": "x"}]


@pytest.mark.parametrize("workers", [1, 2])
def test_results_in_job_order(workers):
    assert run_jobs(dict, JOBS, workers=workers) == JOBS


def test_workers_run_with_the_requested_thread_count():
    before = torch.get_num_threads()
    assert run_jobs(torch.get_num_threads, [{}, {}], workers=2, threads=1) == [1, 1]
    assert run_jobs(torch.get_num_threads, [{}], workers=1, threads=1) == [1]
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_job_raises_here(workers):
    with pytest.raises(TypeError):
        run_jobs(str, [{"object": 1}, {"not_an_argument": 1}], workers=workers)


def test_default_workers():
    assert default_workers(3, 2) == 2
    assert default_workers(1, 8) == 1
    assert 1 <= default_workers(4) <= 4
    with pytest.raises(ValueError, match="workers"):
        default_workers(2, -1)
