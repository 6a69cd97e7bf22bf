"""Errors that the CLI turns into one line and exit code 2 (bad usage or bad input)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class PaperworksError(Exception):
    """Base class: a problem with the user's input, named in one line."""


class ConfigError(PaperworksError, ValueError):
    """One or more problems in a configuration (all reported together)."""

    def __init__(self, problems: list[str] | str, where: str = "config"):
        if isinstance(problems, str):
            problems = [problems]
        self.problems, self.where = list(problems), where
        if len(self.problems) == 1:
            msg = f"{where}: {self.problems[0]}"
        else:
            msg = f"{len(self.problems)} problems in {where}: " + "; ".join(self.problems)
        super().__init__(msg)

    def __reduce__(self):  # rebuilt from its arguments, not from the message (a worker process sends it back)
        return type(self), (self.problems, self.where)


class UnknownNameError(PaperworksError, KeyError):
    """A name (system, config key, dataset, ...) that does not exist; suggests the closest valid one."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]):
        valid = sorted(valid)
        self.kind, self.name, self.valid = kind, name, valid
        super().__init__(unknown_name_message(kind, name, valid))

    def __str__(self) -> str:  # KeyError would add quotes
        return self.args[0]

    def __reduce__(self):
        return type(self), (self.kind, self.name, self.valid)


class DataError(PaperworksError, ValueError):
    """Missing or malformed data (a file that is not there, a tensor of the wrong shape, NaN, ...)."""


class CheckpointError(PaperworksError):
    """A checkpoint that is truncated, corrupt, foreign or incompatible."""


class TrainingDivergedError(PaperworksError, FloatingPointError):
    """The training loss became NaN/inf (a learning rate too high for the model, or NaN in the inputs): a
    problem with the run's settings or data, reported in one line like every other bad input."""


def _words(name: str) -> set[str]:
    return set(re.split(r"[_\-\s.]+", name.lower())) - {""}


def suggest(name: str, valid: Iterable[str]) -> str | None:
    """Closest valid name to `name`, or None (a case-only difference, e.g. EPOCHS for epochs, wins; then the one
    valid name holding every word of `name`: mpc for sparse_mpc, sgd for sgd_official, which the character
    similarity missed; then that similarity)."""
    valid = list(valid)
    same_case = [v for v in valid if v.lower() == name.lower()]
    if same_case:
        return same_case[0]
    words = _words(name)
    holding = [v for v in valid if words and words <= _words(v)]
    if len(holding) == 1:
        return holding[0]
    hits = difflib.get_close_matches(name.lower(), [v.lower() for v in valid], n=1, cutoff=0.5)
    return next(v for v in valid if v.lower() == hits[0]) if hits else None


def shown(name: object) -> str:
    """`name` as an error message shows it: control characters escaped as repr escapes them (``\\n``, ``\\t``,
    ``\\x1b``), so a name holding a newline keeps the CLI's one-line message whole (it was cut at the newline,
    its suggestion and valid names lost); printable text, non-ASCII letters included, is shown as it is."""
    text = str(name)
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def unknown_name_message(kind: str, name: str, valid: Iterable[str]) -> str:
    valid = sorted(valid)
    best = suggest(name, valid)
    hint = f"; did you mean '{best}'?" if best else ""
    return f"no {kind} named '{shown(name)}'{hint} (valid: {', '.join(valid)})"
