"""load_algorithmic keeps its three splits apart: no dev input is a test input, and a task named twice is refused
(its second test set replaced the first, whose training examples were never checked against it)."""

import hashlib

import pytest

from paperworks.core.errors import DataError
from paperworks.data.algorithmic import load_algorithmic, make_examples


def _inputs(examples):
    return {tuple(s) for s, _ in examples}


@pytest.mark.parametrize("tasks, kw", [(("add",), {"n_digits": 2}), (("sort", "copy"), {"min_len": 1, "max_len": 3})])
def test_dev_inputs_are_not_test_inputs(tasks, kw):
    # the old code: 19 of 500 two-digit additions, and most short sorts, were in both dev and test
    d = load_algorithmic(tasks=tasks, n_train=1000, n_test=300, n_dev=300, seed=0, **kw)
    train = _inputs(d["train"])
    for t in tasks:
        assert len(d["dev"][t]) == 300
        assert not _inputs(d["dev"][t]) & _inputs(d["test"][t])
        assert not (_inputs(d["dev"][t]) | _inputs(d["test"][t])) & train


def test_dev_is_the_stream_prefix_without_collisions():
    # long random strings never collide: the dev set is the first n_dev draws of its stream, as before
    d = load_algorithmic(tasks=("copy", "reverse"), n_train=200, n_test=50, n_dev=40, seed=2)
    for i, t in enumerate(("copy", "reverse")):
        assert d["dev"][t] == make_examples(t, 40, seed=30_000 + 97 * 2 + i)


def test_too_small_an_input_space_for_a_disjoint_dev_set():
    with pytest.raises(DataError, match="input space is too small"):
        load_algorithmic(tasks="copy", n_train=100, n_test=500, n_dev=500, min_len=1, max_len=2, n_symbols=3)


def test_a_task_named_twice_is_refused():
    with pytest.raises(DataError, match="'copy' given more than once"):
        load_algorithmic(tasks=("copy", "copy"), n_train=4000, n_test=500, min_len=1, max_len=3, n_symbols=4)


def test_without_dev_split_unchanged():
    # n_dev = 0 (the transformer reproduction's data): the digest of the pre-change code's output
    d = load_algorithmic(tasks=("copy", "reverse", "sort"), n_train=3000, n_test=200, seed=0, min_len=1, max_len=8)
    h = hashlib.sha256(repr((d["train"], d["dev"], d["test"], d["vocab_size"])).encode()).hexdigest()
    assert h == DIGEST


DIGEST = "bdf2f701716d6f3815177af77e65755a1f535c4f9d449d81fa932a1bd960af00"
