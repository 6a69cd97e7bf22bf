"""core.parallel: jobs in spawn workers return the same results, in job order, as in-process calls."""

import pytest
import torch

from paperworks.core.parallel import default_workers, run_jobs

JOBS = [{"a": 1}, {"b": [2, 3]}, {"c": "x"}]


@pytest.mark.parametrize("workers", [1, 2])
def test_results_in_job_order(workers):
    assert run_jobs(dict, JOBS, workers=workers) == JOBS


def test_workers_run_with_the_requested_thread_count():
    # counts that differ from the default (1 under OMP_NUM_THREADS=1, as in CI) so an ignored 'threads' fails
    before = torch.get_num_threads()
    assert run_jobs(torch.get_num_threads, [{}, {}], workers=2, threads=2) == [2, 2]
    assert run_jobs(torch.get_num_threads, [{}], workers=1, threads=before + 2) == [before + 2]
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


def test_in_background_returns_the_result_and_reraises():
    from paperworks.core.parallel import in_background

    with in_background(dict, a=1, b=2) as fut:
        local = sum(range(10))     # the caller keeps working meanwhile
        assert fut.result() == {"a": 1, "b": 2} and local == 45
    with in_background(torch.get_num_threads, threads=2) as fut:   # not the default under OMP_NUM_THREADS=1
        assert fut.result() == 2
    with pytest.raises(TypeError):
        with in_background(str, not_an_argument=1) as fut:
            fut.result()
