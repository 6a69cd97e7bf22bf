"""Closest-name suggestions (session 24, probed as a new user): `paperworks run mpc` said "no system named
'mpc'" with no suggestion although sparse_mpc is the one system with that word, and
`run variational_classification optimizer=sgd` named no choice although sgd_official is the one with it
(difflib's character similarity is under its cutoff for a short word in a long name). A valid name holding every
word of the given one, when it is the only such name, is now suggested."""

import pytest

from paperworks.core.errors import suggest

from test_cli import run_cli

SYSTEMS = ["advgan", "diffpool", "fmd", "gtn", "hdgi", "hgp_sl", "multinomial_link", "sparse_mpc", "tame_bnn",
           "transformer", "variational_classification"]


@pytest.mark.parametrize("name, best", [
    ("mpc", "sparse_mpc"), ("MPC", "sparse_mpc"), ("classification", "variational_classification"),
    ("epochs_mutag", "mutag_epochs"),
])
def test_the_one_name_holding_every_word(name, best):
    assert suggest(name, SYSTEMS + ["mutag_epochs", "b3db_epochs", "epochs"]) == best


def test_a_choice_value():
    assert suggest("sgd", ["adam", "sgd_official"]) == "sgd_official"


@pytest.mark.parametrize("name, valid, best", [
    ("EPOCHS", ["epochs", "lr"], "epochs"),             # a case-only difference still wins
    ("Lrr", ["batch", "lr"], "lr"),                     # the character similarity still applies
    ("zzz", ["batch", "lr"], None),
    ("size", ["beam_size", "batch_size", "vocab_size"], "beam_size"),   # several hold the word: as before
    ("", ["a_b"], None),
])
def test_the_rest_as_before(name, valid, best):
    assert suggest(name, valid) == best


def test_cli_unknown_system(capsys):
    code, _, err = run_cli(["run", "mpc"], capsys)
    assert code == 2 and "did you mean 'sparse_mpc'?" in err and err.count("\n") == 1


def test_cli_choice_value(tmp_path, capsys):
    code, _, err = run_cli(["run", "variational_classification", "optimizer=sgd", "--out", str(tmp_path)], capsys)
    assert code == 2 and "did you mean 'sgd_official'?" in err and not list(tmp_path.iterdir())
