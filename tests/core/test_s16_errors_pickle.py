"""Errors raised in a worker process (core.parallel, graphs.experiment.fit_all) come back pickled: they must
keep their one-line message. Before, ConfigError was rebuilt from its message (gaining a second "config: "
prefix) and UnknownNameError could not be unpickled at all (a broken pool instead of the message)."""

import pickle

import pytest

from paperworks.core.errors import ConfigError, DataError, UnknownNameError
from paperworks.core.parallel import run_jobs


@pytest.mark.parametrize("err", [
    ConfigError("'epochs' must be >= 1 (got 0)", where="train_eval"),
    ConfigError(["a is bad", "b is bad"]),
    UnknownNameError("system", "hgpsl", ["hgp_sl", "diffpool"]),
    DataError("missing file x"),
])
def test_round_trip_keeps_type_and_message(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err)


def _raise_config():
    raise ConfigError("'lr' must be > 0 (got 0)", where="train_eval")


def test_error_from_a_worker_keeps_its_message():
    with pytest.raises(ConfigError) as e:
        run_jobs(_raise_config, [{}, {}], workers=2)
    assert str(e.value) == "train_eval: 'lr' must be > 0 (got 0)"
