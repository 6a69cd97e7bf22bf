"""Typed, validated configurations built on frozen dataclasses.

Every system's config subclasses :class:`Config`. Types are checked from the annotations when the config
is created (all type problems are reported together); subclasses add range checks in ``validate()`` with
the ``check_*`` helpers. The CLI builds configs from ``key=value`` strings with :func:`from_overrides`,
which also handles dotted keys for nested configs (``trainer.lr=3e-4``) and suggests the closest key
when one is unknown.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import json
import math
import os
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from paperworks.core.errors import ConfigError, shown, suggest

__all__ = [
    "Config", "check_interval", "check_choice", "check_positive", "from_overrides", "from_dict",
    "to_dict", "field_names",
]


# ----------------------------------------------------------------------------------------- checks
def _check_not_nan(name: str, value) -> None:
    # NaN compares False with every bound, so each range check must refuse it first
    if isinstance(value, float) and math.isnan(value):
        raise ConfigError(f"'{name}' must be a number (got nan)")


def check_interval(name: str, value: float, low: float | None = None, high: float | None = None,
                   closed: str = "both") -> None:
    """Raise ConfigError unless ``value`` lies in the interval; closed in {both, left, right, neither}."""
    if closed not in ("both", "left", "right", "neither"):
        raise ValueError(f"check_interval: closed must be both/left/right/neither (got {closed!r})")
    _check_not_nan(name, value)
    lo_ok = low is None or (value >= low if closed in ("both", "left") else value > low)
    hi_ok = high is None or (value <= high if closed in ("both", "right") else value < high)
    if not (lo_ok and hi_ok):
        lb = "[" if closed in ("both", "left") else "("
        rb = "]" if closed in ("both", "right") else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ConfigError(f"'{name}' must be in {lb}{lo}, {hi}{rb} (got {value!r})")


def check_positive(name: str, value: float, strict: bool = True) -> None:
    """Raise ConfigError unless value > 0 (or >= 0 when strict=False); NaN is rejected."""
    _check_not_nan(name, value)
    if (value <= 0) if strict else (value < 0):
        raise ConfigError(f"'{name}' must be {'>' if strict else '>='} 0 (got {value!r})")


def is_int(value: Any, low: int | None = None) -> bool:
    """Whether ``value`` is an integer (numpy integers too, bool refused) >= ``low``: the test of
    :func:`check_int`, for callers that raise another error type (DataError, ...) with their own message."""
    import numbers

    return not (isinstance(value, bool) or not isinstance(value, numbers.Integral) or (low is not None and value < low))


def is_real(value: Any, low: float | None = None, high: float | None = None, *, open_low: bool = False,
            open_high: bool = False) -> bool:
    """Whether ``value`` is a finite real number (NumPy floats and integers, Fractions too; bool refused; NaN and
    +-inf never pass) in the interval from ``low`` to ``high`` (closed unless ``open_low`` / ``open_high``):
    the shared test of callers that raise their own error type with their own message. Finite means within
    +-float64's largest value, by comparison (an int too large for a float is refused, not an OverflowError);
    a float16 / float32 is compared by the exact value it holds (as a Python float)."""
    import numbers

    import numpy as np

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if isinstance(value, np.floating) and value.dtype.itemsize < 8:
        # float16 / float32 compared with a float64 number cast that number to their own type: float64's largest
        # value became inf (a RuntimeWarning each call) and +-inf passed as finite; compared by the exact value
        value = float(value)
    big = 1.7976931348623157e308   # sys.float_info.max; NaN fails every comparison
    if not -big <= value <= big:
        return False
    if low is not None and not (value > low if open_low else value >= low):
        return False
    return high is None or bool(value < high if open_high else value <= high)


def is_whole(value: Any, low: int | None = None) -> bool:
    """Whether ``value`` is an integer (:func:`is_int`) or a finite real holding one exactly (2.0, np.float32(3),
    Fraction(4, 2)), >= ``low``; bool refused: the shared test of arguments that take an integral float as its
    int (callers convert with ``int(value)``)."""
    return is_int(value, low) or (is_real(value, low) and float(value).is_integer())


def as_flag(value: Any) -> bool | None:
    """``value`` as a Python bool when it is a boolean flag: ``bool``, a NumPy bool, or a 0-d boolean NumPy array
    or torch tensor (``np.array(True)``, ``torch.tensor(True)``, which the flags read by truth value took before
    they were checked); None for anything else (strings, numbers, arrays of another shape or dtype, a tensor on
    the meta device): the shared test of the flag checks, whose callers raise their own error type."""
    import sys

    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.ndarray):
        return bool(value) if value.shape == () and value.dtype == np.bool_ else None
    torch = sys.modules.get("torch")     # (not imported here: a torch tensor implies torch is loaded)
    if torch is not None and isinstance(value, torch.Tensor):
        ok = value.dim() == 0 and value.dtype == torch.bool and not value.is_meta
        return bool(value.item()) if ok else None
    return None


def check_int(name: str, value: Any, low: int | None = None, where: str = "config") -> int:
    """Return ``value`` if it is an integer (numpy integers too, bool refused) >= ``low``; else ConfigError."""
    if not is_int(value, low):
        bound = f" >= {low}" if low is not None else ""
        raise ConfigError(f"'{name}' must be an integer{bound} (got {value!r})", where=where)
    return int(value)


def is_seed(value: Any, *, numpy: bool = False) -> bool:
    """Whether ``value`` is an integer seed (numpy integers too, bool refused) that ``torch.Generator.manual_seed``
    takes, [-2**63, 2**64), or with ``numpy`` one that numpy's ``default_rng`` takes, >= 0: the test of
    :func:`check_seed`, for callers that raise another error type with their own message."""
    if not is_int(value):
        return False
    value = int(value)   # a NumPy integer's comparisons give numpy.bool_
    return value >= 0 if numpy else -(2 ** 63) <= value < 2 ** 64


def check_seed(seed: Any, where: str = "config") -> int:
    """``seed`` as a Python int when ``torch.Generator.manual_seed`` takes it (:func:`is_seed`), else ConfigError.
    A float was truncated without a word (1.5 ran as seed 1; True as 1), a NumPy integer failed in a bare
    "TypeError: an integer is required" and 2**70 in "Overflow when unpacking long long"."""
    if not is_seed(seed):
        raise ConfigError(f"'seed' must be an integer in [-2**63, 2**64) (got {seed!r})", where=where)
    return int(seed)


def check_lr(lr: Any, where: str) -> None:
    """An optimizer step size: a finite number > 0 (NumPy's too; a one-element floating torch tensor, which Adam
    takes, is checked by its value and passed on unchanged), else one ConfigError naming ``where``. The training
    loops of graphs (train_eval, train_on_loss, train_node_classifier) and of the BNNs (train_bnn_ste,
    tame_bnn's inverse_optimization) share it: lr = 0 trained nothing, inf trained to NaN, True ran as 1.0 and a
    string failed in a bare "'<=' not supported"."""
    import sys

    torch = sys.modules.get("torch")     # (not imported here: a torch tensor implies torch is loaded)
    value = lr
    if torch is not None and isinstance(lr, torch.Tensor) and lr.numel() == 1 and lr.is_floating_point():
        value = lr.item()
    if not is_real(value, 0.0, open_low=True):
        raise ConfigError(f"{where}: lr must be a finite number > 0 (got {lr!r})")


def check_unique(name: str, values, shown: Any) -> None:
    """Raise ConfigError when ``values`` (the parsed list of key ``name``, shown as ``shown``) names an entry
    twice: a run would train and report that entry twice."""
    values = list(values)
    dup = sorted({v for v in values if values.count(v) > 1})
    if dup:
        raise ConfigError(f"'{name}' names {', '.join(map(str, dup))} more than once (got {shown!r})")


def check_choice(name: str, value: Any, choices) -> None:
    """Raise ConfigError unless value is one of choices (all listed in the message)."""
    choices = list(choices)
    if value not in choices:
        best = suggest(str(value), [str(c) for c in choices])
        hint = f"; did you mean '{best}'?" if best else ""
        raise ConfigError(f"'{name}' must be one of {', '.join(map(str, choices))} (got {value!r}){hint}")


# ------------------------------------------------------------------------------------ type checks
def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _conforms(value: Any, tp) -> bool:
    if tp is Any:
        return True
    origin = get_origin(tp)
    if origin is Literal:
        return value in get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (tuple, list):
        if not isinstance(value, origin):
            return False
        args = get_args(tp)
        if not args:
            return True
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return len(args) == len(value) and all(_conforms(v, a) for v, a in zip(value, args))
        return all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def _non_finite(value: Any) -> bool:
    """True for a float inf/nan, also inside a tuple or list."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return any(_non_finite(v) for v in value)
    return False


def _numpy_plain(value: Any) -> Any:
    """``value`` with its NumPy bool / integer / float scalars (alone or inside a tuple or list) as the Python
    bool / int / float they hold (``.item()``: exact); ``value`` itself when it holds none."""
    import sys

    np = sys.modules.get("numpy")   # (not imported here: a NumPy scalar implies numpy is loaded)
    if np is None:
        return value
    kinds = (np.bool_, np.integer, np.floating)
    if isinstance(value, kinds):
        return value.item()
    if isinstance(value, (tuple, list)) and any(isinstance(x, kinds) for x in value):
        return type(value)(x.item() if isinstance(x, kinds) else x for x in value)
    return value


def _int_of_integral_float(value: Any, tp) -> Any:
    """``value`` with its floats that hold an integer exactly (3.0, 1e3) as that int where ``tp`` wants an int (an
    ``int`` key, ``int | None``, the int entries of a tuple or list); ``value`` itself when nothing changes. The
    CLI takes `epochs=3.0` and `n=1e3` as the integers they name, while the Python API refused ``epochs=3.0``: one
    rule for both. A float with a fraction (3.5), inf and nan are left for the type check to refuse."""
    origin = get_origin(tp)
    if isinstance(value, float):
        wants_int = tp is int or (origin in (typing.Union, types.UnionType) and int in get_args(tp))
        return int(value) if wants_int and value.is_integer() else value
    if origin in (tuple, list) and isinstance(value, (tuple, list)):
        args = get_args(tp)
        if not args:
            return value
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                return value
            new = [_int_of_integral_float(v, a) for v, a in zip(value, args)]
        else:
            new = [_int_of_integral_float(v, args[0]) for v in value]
        return type(value)(new) if any(a is not b for a, b in zip(new, value)) else value
    if origin in (typing.Union, types.UnionType) and isinstance(value, (tuple, list)):
        for a in get_args(tp):
            if get_origin(a) in (tuple, list):
                new = _int_of_integral_float(value, a)
                if new is not value:
                    return new
    return value


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class Config:
    """Mixin for frozen dataclass configs: type checks from annotations, then ``validate()``.

    Usage::

        @dataclass(frozen=True)
        class MyConfig(Config):
            hidden: int = 64
            ratio: float = 0.5
            def validate(self):
                check_interval("ratio", self.ratio, 0, 1, closed="right")
    """

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        problems = []
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            v = getattr(self, f.name)
            tp = hints.get(f.name, Any)
            if not _conforms(v, tp) and (plain := _numpy_plain(v)) is not v:
                # a NumPy scalar (a sweep over np.arange / np.linspace, a value read with numpy): np.int64(3) for an
                # int key was refused as "'epochs' must be int (got np.int64(3))"; taken as the Python number it
                # holds, then checked as any value. Values that passed before are left as they were
                v = plain
                object.__setattr__(self, f.name, v)
            if not _conforms(v, tp) and _conforms(whole := _int_of_integral_float(v, tp), tp):
                # an integral float for an int key (epochs=3.0, as the CLI's `epochs=3.0` is taken); one no int64
                # holds is refused as the CLI's `epochs=1e20` is (it ran, to an OverflowError deep inside a run)
                if big := int64_problems({f.name: whole}):
                    problems.extend(big)
                    continue
                v = whole
                object.__setattr__(self, f.name, v)
            # promote ints to floats so that 1 and 1.0 serialize the same
            if tp is float and isinstance(v, int) and not isinstance(v, bool):
                object.__setattr__(self, f.name, float(v))
                continue
            if not _conforms(v, tp):
                problems.append(f"'{f.name}' must be {_type_name(tp)} (got {v!r})")
            elif _non_finite(v):
                # config.json is strict JSON (inf/nan are written as null), so such a run could be neither
                # resumed nor reproduced; and no key has a meaning at inf/nan (an lr of inf ran into a NaN loss)
                what = "hold finite numbers" if isinstance(v, (tuple, list)) else "be a finite number"
                big = not isinstance(v, (tuple, list)) and v == math.inf
                hint = "; for 'no limit' give a large number" if big else ""
                problems.append(f"'{f.name}' must {what} (got {v!r}){hint}")
        seed = getattr(self, "seed", None)
        if isinstance(seed, int) and not isinstance(seed, bool) and not 0 <= seed < 2**32:
            # numpy's generators take seeds in [0, 2**32); a negative one used to fail deep inside a run
            problems.append(f"'seed' must be in [0, 2**32) (got {seed})")
        if problems:
            raise ConfigError(problems, where=type(self).__name__)
        try:
            self.validate()
        except ConfigError as e:
            raise ConfigError(e.problems, where=type(self).__name__) from None

    def validate(self) -> None:  # pragma: no cover - default: nothing to check
        """Range / consistency checks; raise ConfigError (use the check_* helpers)."""

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


# ------------------------------------------------------------------------------------ conversions
def field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _parse_value(text: str, tp):
    """Parse a CLI string into the annotated type; raise ValueError with a short reason."""
    origin = get_origin(tp)
    if tp is Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if type(None) in args and text.lower() in ("none", "null"):
            return None
        errs = []
        for a in args:
            if a is type(None):
                errs.append("none")
                continue
            try:
                return _parse_value(text, a)
            except ValueError as e:
                errs.append(str(e))
        raise ValueError(" or ".join(errs))
    if origin is Literal:
        for a in get_args(tp):
            if str(a) == text:
                return a
        raise ValueError(f"one of {', '.join(map(str, get_args(tp)))}")
    if tp is bool:
        t = text.lower()
        if t in ("1", "true", "yes", "on"):
            return True
        if t in ("0", "false", "no", "off"):
            return False
        raise ValueError("a boolean (true/false)")
    if tp is int:
        try:
            return int(text)
        except ValueError:
            # '1e3' or '2.0' name integers; read as decimals, not floats: float('2.9999999999999999') is 3.0 and
            # float('9007199254740993.0') is 2**53, so a non-integer or a neighbouring integer was taken silently
            try:
                d = decimal.Decimal(text.strip())
            except decimal.InvalidOperation:
                raise ValueError("an integer") from None
            if d.is_finite() and d.adjusted() <= 400 and d == d.to_integral_value():
                return int(d)
            raise ValueError("an integer") from None
    if tp is float:
        try:
            v = float(text)
        except ValueError:
            raise ValueError("a number") from None
        if math.isinf(v) and text.strip().lstrip("+-").lower() not in ("inf", "infinity"):
            # '1e400' overflows to inf; it was refused as "got inf; give a large number", which the user had done
            raise ValueError("a number that fits a 64-bit float (at most about 1.8e308 in size)")
        return v
    if tp is str:
        return text
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        # by name or by value (as config.json stores it); an Enum key was refused whatever was given ("must be a Mode")
        for member in tp:
            if text in (member.name, str(member.value)):
                return member
        raise ValueError(f"one of {', '.join(str(m.value) for m in tp)}")
    if isinstance(tp, type) and issubclass(tp, os.PathLike):
        # a Path key was refused whatever was given ("'root' must be a Path (got '/data')"); an empty string would
        # silently mean the current folder
        if not text.strip():
            raise ValueError("a path (not an empty string)")
        return tp(text)
    if origin in (tuple, list):
        try:
            raw = json.loads(text, parse_float=_JsonFloat)
            if not isinstance(raw, list):
                raw = [raw]
        except json.JSONDecodeError:
            body = text.strip()
            body = body[:-1] if body.endswith(",") else body    # one trailing comma, as in "2," for a 1-tuple
            raw = [t.strip() for t in body.split(",")] if body.strip() else []
            if any(t == "" for t in raw):
                raise ValueError("comma-separated values with no empty entry") from None
        args = get_args(tp)
        try:
            if args and not (origin is tuple and len(args) == 2 and args[1] is Ellipsis) and origin is tuple:
                if len(args) != len(raw):
                    raise ValueError(f"{len(args)} comma-separated values")
                elems = [_parse_value(_element_text(r, a), a) for r, a in zip(raw, args)]
            else:
                et = args[0] if args else Any
                elems = [_parse_value(_element_text(r, et), et) for r in raw]
        except ValueError as e:
            msg = str(e)
            raise ValueError(msg if "comma-separated" in msg else f"comma-separated values, each {msg}") from None
        return origin(elems)
    raise ValueError(f"a {_type_name(tp)}")


class _JsonFloat(float):
    """A number of a JSON list given on the command line, with the text it was written as."""

    def __new__(cls, text: str):
        self = super().__new__(cls, text)
        self.text = text
        return self


def _element_text(r: Any, tp) -> str:
    """The text of one entry of a JSON list to parse as ``tp``: for an int or float entry the number as written
    (JSON read '[2.9999999999999999]' as 3.0, so a non-integer was taken as 3 where the scalar
    `n=2.9999999999999999` is refused, '[9007199254740993.0]' as its neighbour 2**53, and '[1e400]' as inf, refused
    as "must hold finite numbers" rather than as too large for a float), else as before (the float's repr)."""
    if isinstance(r, str):
        return r
    if isinstance(r, _JsonFloat):
        kinds = get_args(tp) if get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
        return r.text if int in kinds or float in kinds else repr(float(r))
    return str(r)


def _coerce(value: Any, tp):
    """Values from JSON (lists for tuples) into the annotated type; strings are parsed."""
    if isinstance(value, str) and tp is not str:
        return _parse_value(value, tp)
    origin = get_origin(tp)
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum) and not isinstance(value, tp):
        try:   # a value that is not a string in config.json (an int-valued Enum)
            return tp(value)
        except ValueError:
            return value
    if dataclasses.is_dataclass(tp) and isinstance(value, Mapping):
        return from_dict(tp, value)
    if origin in (typing.Union, types.UnionType) and isinstance(value, (list, Mapping)) and not _conforms(value, tp):
        # `tuple[int, ...] | None` (or an optional nested config): to_dict writes the tuple as a list (the dataclass
        # as a dict), which the type check then refused, so such a key broke a preset with overrides on top and a
        # resumed run's config.json ("must be tuple[int, ...] | None (got [8, 8])")
        for a in get_args(tp):
            if (get_origin(a) is tuple and isinstance(value, list)) or (dataclasses.is_dataclass(a)
                                                                      and isinstance(value, Mapping)):
                return _coerce(value, a)
    return value


def _nested(tp):
    if dataclasses.is_dataclass(tp):
        return tp
    for a in get_args(tp):
        if dataclasses.is_dataclass(a):
            return a
    return None


_INT64 = 2**63


def int64_problems(values: Mapping[str, Any]) -> list[str]:
    """One message per key whose integer (or integer in a tuple / list) no int64 holds:
    ``n_train=99999999999999999999`` passed the type check and ended in an OverflowError deep inside a run."""
    out = []
    for k, v in values.items():
        vals = v if isinstance(v, (tuple, list)) else (v,)
        if any(isinstance(x, int) and not isinstance(x, bool) and not -_INT64 <= x < _INT64 for x in vals):
            out.append(f"'{k}' is out of range (got {_cut_repr(v)}; integers must fit in 64 bits)")
    return out


def _cut_repr(value: Any) -> str:
    """repr(value), cut short when long: `n_train=1e400` printed all 401 digits of the integer in its one-line
    error, some five lines of a terminal."""
    text = repr(value)
    if len(text) <= 40:
        return text
    if isinstance(value, int):
        return f"{text[:12]}... ({len(text.lstrip('-'))} digits)"
    return f"{text[:30]}... ({len(text)} characters)"


def from_overrides(cls, overrides: Mapping[str, Any] | None = None, base: Any | None = None,
                   name: str | None = None):
    """Build ``cls`` from ``base`` (or defaults) with ``overrides`` (strings are parsed by type).

    Dotted keys address nested dataclass configs. All unknown keys and unparsable values are reported
    together in one ConfigError; the message suggests the closest valid key.
    """
    where = f"config for '{name}'" if name else cls.__name__
    overrides = dict(overrides or {})
    base_values = to_dict(base) if base is not None else {}
    hints = _hints(cls)
    valid = field_names(cls)
    problems: list[str] = []
    values: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, raw in overrides.items():
        if not isinstance(key, str):   # (Python API) was a bare "AttributeError: ... has no attribute 'split'"
            problems.append(f"key {key!r} is not a string (keys name config fields, e.g. 'seed' or 'inner.lr')")
            continue
        if "" in key.split(".") and key:
            # `steps.=3` was read as steps=3 (the trailing dot dropped) and `.steps=3` as the key ''
            problems.append(f"key '{shown(key)}' has an empty part (a nested key reads 'outer.inner')")
            continue
        head, _, rest = key.partition(".")
        if head not in valid:
            best = suggest(head, valid)
            hint = f"; did you mean '{best}'?" if best else ""
            problems.append(f"unknown key '{shown(head)}'{hint} (valid: {', '.join(valid)})")
            continue
        tp = hints.get(head, Any)
        if rest:
            sub = _nested(tp)
            if sub is None:
                problems.append(f"'{head}' is not a nested config (got key '{shown(key)}')")
                continue
            nested.setdefault(head, {})[rest] = raw
            continue
        try:
            values[head] = _coerce(raw, tp)
        except ValueError as e:
            problems.append(f"'{head}' must be {e} (got {raw!r})")
    for head, sub_over in nested.items():
        sub_cls = _nested(hints[head])
        sub_base = values.get(head, getattr(base, head, None) if base is not None else None)
        try:
            values[head] = from_overrides(sub_cls, sub_over, base=sub_base)
        except ConfigError as e:
            problems.extend(f"{head}.{p}" if p.startswith("'") else f"{head}: {p}" for p in e.problems)
    if problems:
        raise ConfigError(problems, where=where)
    if isinstance(base, _DictBase):   # config.json's unknown keys, reported with its unparsable values
        problems.extend(base.unknown)
    kwargs = {}
    for k in valid:
        if k in values:
            kwargs[k] = values[k]
        elif k in base_values:
            try:   # a base read from a file (a resumed run's config.json) may hold a string that does not parse
                kwargs[k] = _coerce(base_values[k], hints.get(k, Any))
            except ConfigError as e:   # a nested config's own problems, named under its key
                problems.extend(f"{k}.{p}" if p.startswith("'") else f"{k}: {p}" for p in e.problems)
            except ValueError as e:
                problems.append(f"'{k}' must be {e} (got {base_values[k]!r})")
    # before the config's own validation, whose arithmetic on such a value could name another key
    problems.extend(int64_problems(kwargs))
    if problems:
        raise ConfigError(problems, where=where)
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise ConfigError(e.problems, where=where) from None
    except (TypeError, ValueError) as e:
        raise ConfigError(str(e), where=where) from None


def from_dict(cls, data: Mapping[str, Any]):
    """Strict inverse of :func:`to_dict` (unknown keys are an error)."""
    return from_overrides(cls, {}, base=_DictBase(cls, data))


class _DictBase:
    """Adapter so that from_overrides can take a plain dict as its base."""

    def __init__(self, cls, data: Mapping[str, Any]):
        # one problem per unknown key, all named (only the first was, in sorted order; keys of mixed types failed
        # that sort with a bare TypeError); from_overrides reports them with the values that do not parse
        valid = field_names(cls)
        self.unknown = []
        for k in sorted(set(data) - set(valid), key=str):
            best = suggest(str(k), valid)
            hint = f"; did you mean '{best}'?" if best else ""
            self.unknown.append(f"unknown key '{shown(k)}'{hint} (valid: {', '.join(valid)})")
        self.data = dict(data)

    def __getattr__(self, item):
        try:
            return self.__dict__["data"][item]
        except KeyError:
            raise AttributeError(item) from None


def to_dict(cfg: Any) -> dict[str, Any]:
    """JSON-ready dict of a (possibly nested) dataclass config; tuples become lists."""
    if isinstance(cfg, _DictBase):
        return dict(cfg.data)
    if cfg is None:
        return {}
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if dataclasses.is_dataclass(v):
            v = to_dict(v)
        elif isinstance(v, tuple):
            v = list(v)
        elif isinstance(v, enum.Enum):   # config.json holds its value (an Enum failed JSON: "not JSON serializable")
            v = v.value
        elif isinstance(v, os.PathLike):
            v = os.fspath(v)
        out[f.name] = v
    return out
