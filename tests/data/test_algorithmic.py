import pytest

from paperworks.core.errors import DataError
from paperworks.data import load
from paperworks.data.algorithmic import EOS_ID, PLUS_ID, SYM0, make_examples


def _num(tokens):  # least-significant digit first
    return int("".join(str(t - SYM0) for t in reversed(tokens)))


def test_tasks_are_correct():
    for src, tgt in make_examples("reverse", 50, 0):
        assert src[-1] == EOS_ID and tgt[-1] == EOS_ID and tgt[:-1] == src[1:-1][::-1]
    for src, tgt in make_examples("sort", 50, 1):
        assert tgt[:-1] == sorted(src[1:-1])
    for src, tgt in make_examples("copy", 50, 2, min_len=3, max_len=4):
        assert tgt[:-1] == src[1:-1] and 3 <= len(tgt) - 1 <= 4
    for src, tgt in make_examples("add", 200, 3, n_digits=4):
        body = src[1:-1]
        k = body.index(PLUS_ID)
        assert k == 4 and len(body) == 9 and len(tgt) - 1 == 5
        assert _num(body[:k]) + _num(body[k + 1:]) == _num(tgt[:-1])


def test_deterministic_and_test_inputs_unseen():
    a = load("algorithmic", tasks=("reverse", "add"), n_train=400, n_test=50, seed=3)
    b = load("algorithmic", tasks=("reverse", "add"), n_train=400, n_test=50, seed=3)
    assert a == b
    train_src = {tuple(s) for s, _ in a["train"]}
    for ex in a["test"].values():
        assert not any(tuple(s) in train_src for s, _ in ex)


def test_bad_arguments():
    with pytest.raises(DataError, match="unknown task"):
        make_examples("fly", 3, 0)
    with pytest.raises(DataError, match="min_len"):
        make_examples("copy", 3, 0, min_len=5, max_len=2)
    with pytest.raises(DataError, match="n_symbols"):
        make_examples("add", 3, 0, n_symbols=5)


def test_dev_split_unseen_and_optional():
    plain = load("algorithmic", tasks=("copy", "sort"), n_train=600, n_test=40, seed=1, min_len=2, max_len=3)
    a = load("algorithmic", tasks=("copy", "sort"), n_train=600, n_test=40, n_dev=40, seed=1, min_len=2, max_len=3)
    assert plain["dev"] == {"copy": [], "sort": []} and set(a["dev"]) == {"copy", "sort"}
    assert all(len(v) == 40 for v in a["dev"].values()) and a["test"] == plain["test"]
    train_src = {tuple(s) for s, _ in a["train"]}
    # short strings collide often, so the dev inputs really had to be removed from the training set
    assert len(a["train"]) < len(plain["train"])
    for ex in list(a["dev"].values()) + list(a["test"].values()):
        assert not any(tuple(s) in train_src for s, _ in ex)
    with pytest.raises(DataError, match="n_dev"):
        load("algorithmic", tasks="copy", n_train=10, n_dev=-1)
