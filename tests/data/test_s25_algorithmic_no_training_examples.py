"""load_algorithmic removes every training draw whose input is a test (or dev) input. When a task's input space
is small (one-digit addition: 100 inputs, all drawn among 2000 test inputs; sort of 2-3 symbols over 3), every
training draw of that task was removed and the task had no training example at all, without a word: the model
never saw it, and its test accuracy was reported as if it had been trained. Now one DataError naming the task
and the way out; a task that keeps any training example is drawn exactly as before."""

import hashlib

import pytest

from paperworks.core.errors import DataError
from paperworks.data.algorithmic import load_algorithmic


def test_a_task_left_without_training_examples_is_one_error():
    with pytest.raises(DataError, match=r"task 'add': all 10000 training draws are test or dev inputs"):
        load_algorithmic(tasks=("copy", "add"), n_train=20000, n_test=2000, n_digits=1)
    with pytest.raises(DataError, match=r"task 'copy': all 100 training draws"):
        load_algorithmic(tasks=("copy", "sort"), n_train=200, n_test=2000, min_len=2, max_len=3, n_symbols=3)


def test_no_training_draws_asked_for_is_not_an_error():
    d = load_algorithmic(tasks=("copy", "add"), n_train=0, n_test=20, n_digits=1)
    assert d["train"] == [] and len(d["test"]["add"]) == 20


def test_ordinary_splits_unchanged():
    # the transformer reproduction's data (alg_train 20000, alg_test 2000, lengths 5-20, 3 digits): the same
    # examples in the same order as before the check (sha256 taken on the code before it)
    d = load_algorithmic(tasks=("copy", "reverse", "sort"), n_train=20000, n_test=2000, seed=0, min_len=5,
                         max_len=20, n_digits=3)
    h = hashlib.sha256(repr((d["train"], d["test"], d["dev"], d["vocab_size"])).encode()).hexdigest()
    assert h == "3ba26770033bd26cf0e4c2536ddf0dd95ecc7194beb04f41f3700e51b69d13c3"
