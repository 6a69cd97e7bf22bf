"""Seeded algorithmic transduction tasks: copy, reverse, sort and multi-digit addition.

Token ids (one vocabulary for every task): 0 pad, 1 bos, 2 eos, 3..6 the task markers
``<copy> <reverse> <sort> <add>``, 7 ``+``, then ``n_symbols`` symbols (8 .. 8 + n_symbols - 1); for
addition the symbols 0..9 are the decimal digits.

A source is ``[task marker] + body + [eos]``; a target is ``answer + [eos]``:

- copy: body = x_1..x_n (random symbols, n uniform in [min_len, max_len]), answer = x_1..x_n;
- reverse: answer = x_n..x_1;
- sort: answer = the symbols of x in ascending order;
- add: a, b uniform integers in [0, 10^n_digits); body = digits(a) + [+] + digits(b), each written with
  exactly n_digits digits (leading zeros), answer = the n_digits + 1 digits of a + b; every number is
  written least-significant digit first, so the carry flows in reading order (a common formulation of
  the task; with most-significant-first output every digit depends on the whole carry chain).

Train, dev and test sets are drawn from separate random streams and the dev and test inputs are removed
from the training set, so accuracy is measured on unseen inputs. The dev split (``n_dev``, empty by
default) is the one used for choosing hyper-parameters; the test split is never used for that: a dev draw
whose input is a test input is skipped and the dev stream drawn further, so dev and test share no input.
"""

from __future__ import annotations

import numpy as np

from paperworks.core.errors import DataError
from paperworks.data import check_seed, register_dataset

__all__ = ["TASKS", "PAD_ID", "BOS_ID", "EOS_ID", "vocab_size", "make_examples", "load_algorithmic"]

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
TASKS = ("copy", "reverse", "sort", "add")
_TASK_ID = {t: 3 + i for i, t in enumerate(TASKS)}
PLUS_ID = 7
SYM0 = 8


def vocab_size(n_symbols: int = 10) -> int:
    return SYM0 + n_symbols


def _digits(v: int, width: int) -> list[int]:
    """``width`` decimal digits of ``v``, least-significant first."""
    return [SYM0 + int(c) for c in reversed(str(v).zfill(width))]


def make_examples(task: str, n: int, seed: int, min_len: int = 5, max_len: int = 20, n_symbols: int = 10,
                  n_digits: int = 5) -> list[tuple[list[int], list[int]]]:
    """``n`` (source, target) id sequences of ``task`` drawn with ``numpy.random.default_rng(seed)``."""
    if task not in TASKS:
        raise DataError(f"algorithmic: unknown task {task!r} (valid: {', '.join(TASKS)})")
    if not 1 <= min_len <= max_len:
        raise DataError(f"algorithmic: need 1 <= min_len <= max_len (got {min_len}, {max_len})")
    if n_symbols < (10 if task == "add" else 2):
        raise DataError(f"algorithmic: task {task!r} needs n_symbols >= {10 if task == 'add' else 2} "
                        f"(got {n_symbols})")
    if n_digits < 1 or n < 0:
        raise DataError(f"algorithmic: need n >= 0 and n_digits >= 1 (got {n}, {n_digits})")
    rng = np.random.default_rng(check_seed(seed, "algorithmic"))
    out = []
    for _ in range(n):
        if task == "add":
            a, b = (int(rng.integers(0, 10 ** n_digits)) for _ in range(2))
            body, ans = _digits(a, n_digits) + [PLUS_ID] + _digits(b, n_digits), _digits(a + b, n_digits + 1)
        else:
            L = int(rng.integers(min_len, max_len + 1))
            body = [SYM0 + int(s) for s in rng.integers(0, n_symbols, size=L)]
            ans = body if task == "copy" else (body[::-1] if task == "reverse" else sorted(body))
        out.append(([_TASK_ID[task]] + body + [EOS_ID], list(ans) + [EOS_ID]))
    return out


def _dev_examples(task: str, n_dev: int, seed: int, test_inputs: set, kwargs: dict) -> list:
    """The first ``n_dev`` examples of the dev stream whose input is not a test input. ``make_examples`` draws
    example by example, so a longer draw extends a shorter one: without a collision the dev set is the first
    ``n_dev`` draws, as before (it held test inputs: 19 of 500 two-digit additions, 488 of 500 short sorts)."""
    if n_dev == 0:
        return []
    m, cap = n_dev, max(1000, 100 * n_dev)
    while True:
        dv = [ex for ex in make_examples(task, m, seed=seed, **kwargs) if tuple(ex[0]) not in test_inputs]
        if len(dv) >= n_dev:
            return dv[:n_dev]
        if m >= cap:
            raise DataError(f"algorithmic: task {task!r}: only {len(dv)} of {m} dev draws have an input outside the "
                            f"test set (need n_dev={n_dev}); the input space is too small for this n_test / n_dev "
                            f"(raise max_len, n_symbols or n_digits, or lower n_test / n_dev)")
        m = min(cap, 2 * m)


@register_dataset("algorithmic")
def load_algorithmic(tasks: tuple[str, ...] | list[str] | str = TASKS, n_train: int = 10000, n_test: int = 500,
                     seed: int = 0, n_dev: int = 0, **kwargs) -> dict:
    """Train / dev / test examples of one or several tasks (mixed, each task equally often).

    Returns ``{"train": [(src, tgt)], "dev": {task: [(src, tgt)]}, "test": {task: [(src, tgt)]},
    "vocab_size": int}``. With ``n_dev = 0`` (default) the dev lists are empty and the training set is
    exactly the one drawn without a dev split.
    """
    # 1.5 and '3' were numpy's / Python's bare TypeError, -1 numpy's ValueError at the last step, True ran as seed 1
    seed = check_seed(seed, "algorithmic")
    if not isinstance(seed, int):   # numpy's seed objects pass check_seed, but the per-task seeds are 97 * seed + i
        raise DataError(f"algorithmic: load_algorithmic's 'seed' must be an integer >= 0 (the per-task seeds are "
                        f"derived from it) (got {type(seed).__name__})")
    tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
    if not tasks:
        raise DataError("algorithmic: no tasks given")
    dup = sorted({t for t in tasks if tasks.count(t) > 1})
    if dup:
        # the second copy's test set replaced the first's, whose training examples were never checked against
        # it: test inputs were also training inputs, silently (the transformer config refuses duplicates too)
        raise DataError(f"algorithmic: task(s) {', '.join(map(repr, dup))} given more than once (got {list(tasks)})")
    if n_dev < 0:
        raise DataError(f"algorithmic: n_dev must be >= 0 (got {n_dev})")
    if 0 < n_train < len(tasks):
        # the tasks share n_train equally (n_train // len(tasks) draws each): 2 for 3 tasks drew none, and the
        # training set came back empty without a word (as a task whose draws were all test inputs, below)
        raise DataError(f"algorithmic: n_train={n_train} is fewer than one training draw per task ({len(tasks)} "
                        f"tasks share it equally), so there would be no training example; give n_train >= "
                        f"{len(tasks)} (or 0 for none)")
    train, dev, test = [], {}, {}
    for i, task in enumerate(tasks):
        te = make_examples(task, n_test, seed=10_000 + 97 * seed + i, **kwargs)
        dv = _dev_examples(task, n_dev, 30_000 + 97 * seed + i, {tuple(s) for s, _ in te}, kwargs)
        held = {tuple(s) for s, _ in te + dv}
        draws = make_examples(task, n_train // len(tasks), seed=20_000 + 97 * seed + i, **kwargs)
        tr = [ex for ex in draws if tuple(ex[0]) not in held]
        if draws and not tr:
            # (one-digit addition: its 100 inputs are all among 2000 test draws) the task had no training example
            # at all, without a word, and its test accuracy was reported as if it had been trained
            raise DataError(f"algorithmic: task {task!r}: all {len(draws)} training draws are test or dev inputs, so "
                            f"it would have no training example; the input space is too small for this n_test / "
                            f"n_dev (raise max_len, n_symbols or n_digits, or lower n_test / n_dev)")
        test[task], dev[task] = te, dv
        train.extend(tr)
    order = np.random.default_rng(seed).permutation(len(train))
    return {"train": [train[j] for j in order], "dev": dev, "test": test,
            "vocab_size": vocab_size(kwargs.get("n_symbols", 10))}
