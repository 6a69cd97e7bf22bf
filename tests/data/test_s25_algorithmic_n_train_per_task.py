"""load_algorithmic shares n_train equally among the tasks (n_train // len(tasks) draws each). A positive
n_train below the number of tasks (2 for copy / reverse / sort) drew nothing for any task, and the training set
came back empty without a word (40dbd09 refused a task left without training examples by the test split, not
this). Now one DataError naming n_train and the task count; n_train = 0 (no training draws asked for) and
n_train >= len(tasks) are as before."""

import pytest

from paperworks.core.errors import DataError
from paperworks.data.algorithmic import load_algorithmic


@pytest.mark.parametrize("n_train, tasks", [(2, ("copy", "reverse", "sort")), (1, ("copy", "add"))])
def test_fewer_training_draws_than_tasks_is_one_error(n_train, tasks):
    with pytest.raises(DataError, match=rf"n_train={n_train} is fewer than one training draw per task "
                                        rf"\({len(tasks)} tasks"):
        load_algorithmic(tasks=tasks, n_train=n_train, n_test=5)


def test_one_draw_per_task_and_none_at_all_are_unchanged():
    d = load_algorithmic(tasks=("copy", "reverse", "sort"), n_train=3, n_test=5)
    assert len(d["train"]) == 3
    assert load_algorithmic(tasks=("copy", "reverse", "sort"), n_train=0, n_test=5)["train"] == []
    assert len(load_algorithmic(tasks="copy", n_train=1, n_test=5)["train"]) == 1
