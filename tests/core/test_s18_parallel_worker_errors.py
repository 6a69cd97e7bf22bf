"""core.parallel: an exception raised in a spawn worker reaches the caller with its class and message, also when
pickle cannot rebuild it from its args (an __init__ that takes other arguments than the message). Before, the
parent failed to unpickle it and raised BrokenProcessPool ("a process in the process pool was terminated
abruptly"), which names neither the error nor the job."""

import pytest

from paperworks.core.parallel import in_background, run_jobs


class TwoArgError(Exception):
    def __init__(self, what, where):
        super().__init__(f"{what} at {where}")


class KeywordError(Exception):
    def __init__(self, message, *, code):
        super().__init__(message)
        self.code = code


def _raise_two(x):
    raise TwoArgError(f"bad value {x}", "step 3")


def _raise_keyword(x):
    raise KeywordError(f"solver failed on {x}", code=7)


def _square(x):
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_whose_init_takes_two_arguments_keeps_class_and_message(workers):
    with pytest.raises(TwoArgError, match=r"^bad value 1 at step 3$"):
        run_jobs(_raise_two, [{"x": 1}, {"x": 2}], workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_with_a_keyword_only_argument_keeps_its_attributes(workers):
    with pytest.raises(KeywordError, match=r"^solver failed on 1$") as e:
        run_jobs(_raise_keyword, [{"x": 1}, {"x": 2}], workers=workers)
    assert e.value.code == 7


def test_in_background_reraises_such_an_error_intact():
    with pytest.raises(TwoArgError, match=r"^bad value 5 at step 3$"):
        with in_background(_raise_two, x=5) as fut:
            fut.result()


def test_results_are_unchanged():
    assert run_jobs(_square, [{"x": i} for i in range(4)], workers=2) == [0, 1, 4, 9]
