import re
from dataclasses import dataclass, field

import pytest

from paperworks.core.config import Config, check_interval, check_positive, from_dict, from_overrides, to_dict
from paperworks.core.errors import ConfigError


@dataclass(frozen=True)
class Inner(Config):
    lr: float = 1e-3
    steps: int = 10


@dataclass(frozen=True)
class Cfg(Config):
    ratio: float = 0.5
    hidden: int = 64
    name: str = "a"
    flag: bool = False
    dims: tuple[int, ...] = (1, 2)
    opt: int | None = None
    inner: Inner = field(default_factory=Inner)

    def validate(self):
        check_interval("ratio", self.ratio, 0.0, 1.0, closed="right")


def test_overrides_are_parsed_by_type():
    c = from_overrides(Cfg, {"ratio": "0.25", "hidden": "8", "flag": "true", "dims": "3,4,5", "opt": "none",
                             "inner.lr": "0.1"})
    assert c == Cfg(ratio=0.25, hidden=8, flag=True, dims=(3, 4, 5), opt=None, inner=Inner(lr=0.1))


def test_unknown_key_suggests_closest_and_all_problems_reported_together():
    with pytest.raises(ConfigError) as e:
        from_overrides(Cfg, {"ratoi": "0.3", "hidden": "x"}, name="sagpool")
    msg = str(e.value)
    assert "2 problems in config for 'sagpool'" in msg
    assert "unknown key 'ratoi'; did you mean 'ratio'?" in msg
    assert "'hidden' must be an integer (got 'x')" in msg


def test_range_check_names_the_key():
    with pytest.raises(ConfigError, match=r"'ratio' must be in \(0, 1\] \(got 1.5\)"):
        Cfg(ratio=1.5)


@pytest.mark.parametrize("closed, accepted", [
    ("both", {0.0, 0.5, 1.0}), ("left", {0.0, 0.5}), ("right", {0.5, 1.0}), ("neither", {0.5})])
def test_interval_endpoints_follow_closed(closed, accepted):
    """Which endpoints belong to [0, 1] / [0, 1) / (0, 1] / (0, 1): the truth table written out (only 1.5
    was tested, which every variant rejects, so swapped left/right passed)."""
    brackets = {"both": "[0, 1]", "left": "[0, 1)", "right": "(0, 1]", "neither": "(0, 1)"}[closed]
    for v in (-0.1, 0.0, 0.5, 1.0, 1.1):
        if v in accepted:
            check_interval("x", v, 0.0, 1.0, closed=closed)
        else:
            with pytest.raises(ConfigError, match=re.escape(f"'x' must be in {brackets} (got {v!r})")):
                check_interval("x", v, 0.0, 1.0, closed=closed)
    check_interval("x", 1e300, 0.0, None, closed=closed)    # a missing bound is no bound
    check_interval("x", -1e300, None, 1.0, closed=closed)
    with pytest.raises(ConfigError, match=re.escape("-inf, 1") + "[])]"):
        check_interval("x", 2.0, None, 1.0, closed=closed)


def test_check_positive_strict_and_not():
    check_positive("n", 0, strict=False)
    with pytest.raises(ConfigError, match="'n' must be > 0 \\(got 0\\)"):
        check_positive("n", 0)
    with pytest.raises(ConfigError, match="'n' must be >= 0 \\(got -1\\)"):
        check_positive("n", -1, strict=False)
    check_positive("n", 1e-300)


def test_nan_is_rejected_by_the_range_checks_with_the_key_named():
    # NaN compares False with everything, so a bare "value <= 0" test lets it through (an lr of nan used
    # to reach torch.optim and fail there without naming the key)
    for strict in (True, False):
        with pytest.raises(ConfigError, match="'lr' must be a number"):
            check_positive("lr", float("nan"), strict=strict)
    with pytest.raises(ConfigError, match="'ratio' must be a number"):
        check_interval("ratio", float("nan"), 0.0, 1.0)
    check_positive("lr", 1e-3)
    check_positive("steps", 0, strict=False)


def test_type_check_from_annotations():
    with pytest.raises(ConfigError, match="'hidden' must be int"):
        Cfg(hidden=2.5)
    assert Cfg(ratio=1).ratio == 1.0 and isinstance(Cfg(ratio=1).ratio, float)


def test_roundtrip_through_json_dict():
    c = Cfg(dims=(7,), inner=Inner(steps=3))
    assert from_dict(Cfg, to_dict(c)) == c
    with pytest.raises(ConfigError, match="unknown key 'bogus'"):
        from_dict(Cfg, {**to_dict(c), "bogus": 1})


def test_nested_unknown_key():
    with pytest.raises(ConfigError, match="did you mean 'steps'"):
        from_overrides(Cfg, {"inner.step": "3"})


def test_num_threads_applies_during_system_methods_and_is_restored():
    import torch

    from paperworks.core import System
    from paperworks.core.threads import torch_threads

    seen = {}

    class One(System):
        num_threads = 1

        def run(self, run_dir):
            seen["run"] = torch.get_num_threads()
            raise RuntimeError("boom")

        def bench(self, run_dir=None, quick=True):
            seen["bench"] = torch.get_num_threads()
            return {}

    class Child(One):  # inherits the wrapped methods; overriding one wraps it once more, harmlessly
        def bench(self, run_dir=None, quick=True):
            seen["child"] = torch.get_num_threads()
            return {}

    with torch_threads(2):
        sys_ = One.__new__(One)
        with pytest.raises(RuntimeError):
            sys_.run(None)
        assert torch.get_num_threads() == 2  # restored after an error too
        sys_.bench()
        Child.__new__(Child).bench()
        assert torch.get_num_threads() == 2
    assert seen == {"run": 1, "bench": 1, "child": 1}
    with pytest.raises(ValueError, match="positive int"):
        torch_threads(0)


def test_non_finite_floats_are_refused_with_the_key_named():
    """inf passed every range check without an upper bound (check_positive): `lr_factor=inf` reached the
    Trainer and died with a NaN loss as an 'internal error', and config.json (strict JSON) stored it as null,
    so the run could not be resumed. Every float (also inside tuples) must be finite."""
    for v in ("inf", "-inf", "nan"):
        with pytest.raises(ConfigError, match=f"'ratio' must be a finite number \\(got {v}\\)"):
            from_overrides(Cfg, {"ratio": v})
    with pytest.raises(ConfigError, match="'lr' must be a finite number"):
        from_overrides(Cfg, {"inner.lr": "inf"})
    from paperworks.core.trainer import TrainerConfig

    with pytest.raises(ConfigError, match="'betas' must hold finite numbers"):
        TrainerConfig(betas=(0.9, float("inf")))
    with pytest.raises(ConfigError, match="'grad_clip' must be a finite number"):
        TrainerConfig(grad_clip=float("inf"))
    assert from_overrides(Cfg, {"ratio": "1e-300"}).ratio == 1e-300


def test_check_int_accepts_integers_and_refuses_bools_floats_and_small_values():
    import numpy as np

    from paperworks.core.config import check_int
    assert check_int("n", 3, 1) == 3
    assert check_int("n", np.int64(5), 1) == 5 and type(check_int("n", np.int64(5), 1)) is int
    assert check_int("n", -7) == -7                                     # no bound
    for bad in (True, 2.0, "3", None, 0, -1):
        with pytest.raises(ConfigError, match=r"'n' must be an integer >= 1") as e:
            check_int("n", bad, 1, where="who")
        assert str(e.value).startswith("who: ")


def test_suggestions_catch_case_only_typos():
    from paperworks.core.errors import suggest
    assert suggest("EPOCHS", ["epochs", "lr"]) == "epochs"
    assert suggest("SMOKE", ["paper", "smoke"]) == "smoke"
    assert suggest("Lrr", ["batch", "lr"]) == "lr"
    assert suggest("zzz", ["batch", "lr"]) is None


def test_tuple_and_optional_values_get_messages_naming_their_form():
    from paperworks.core.config import _parse_value
    with pytest.raises(ValueError, match="comma-separated values, each an integer"):
        _parse_value("100 100", tuple[int, ...])
    with pytest.raises(ValueError, match="no empty entry"):
        _parse_value("1,,2", tuple[int, ...])              # was silently read as (1, 2)
    assert _parse_value("1, 2", tuple[int, ...]) == (1, 2) and _parse_value("", tuple[int, ...]) == ()
    with pytest.raises(ValueError, match="none or a number|a number or none"):
        _parse_value("abc", float | None)
    assert _parse_value("none", float | None) is None and _parse_value("0.5", float | None) == 0.5


def test_a_saved_value_that_does_not_parse_is_named_with_its_key():
    # from_dict reads config.json (a resumed run): a string that does not parse for its key's type used to
    # escape as a bare ValueError 'an integer', naming neither the key nor the value
    with pytest.raises(ConfigError, match=r"'hidden' must be an integer \(got 'abc'\)"):
        from_dict(Cfg, {"hidden": "abc"})
    with pytest.raises(ConfigError, match=r"inner\.'steps' must be an integer \(got 'x'\)"):
        from_dict(Cfg, {"inner": {"steps": "x"}})
    assert from_dict(Cfg, {"hidden": "12", "dims": "3,4"}) == Cfg(hidden=12, dims=(3, 4))   # strings still parse


def test_a_trailing_comma_still_closes_a_tuple_value():
    # `fgsm_sweep=2,` (Python's 1-tuple spelling) and `dims=1,2,` parsed before empty entries were refused;
    # an empty entry inside the list stays refused
    from paperworks.core.config import _parse_value
    assert _parse_value("2,", tuple[float, ...]) == (2.0,)
    assert _parse_value("1,2,", tuple[int, ...]) == (1, 2) and _parse_value("de, fr, ", tuple[str, ...]) == ("de", "fr")
    assert from_overrides(Cfg, {"dims": "7,"}).dims == (7,)
    for bad in ("1,,2", ",1", "1,2,,"):
        with pytest.raises(ValueError, match="no empty entry"):
            _parse_value(bad, tuple[int, ...])
