"""Every registered system imports, cites its paper, has valid defaults and a smoke preset."""

import dataclasses

import pytest

from paperworks.core.registry import all_systems, import_errors

# only the package's own systems (tests may register toy systems in this process)
SYSTEMS = sorted(n for n, c in all_systems().items() if c.__module__.startswith("paperworks.systems."))


def test_no_system_module_fails_to_import():
    assert import_errors() == {}


@pytest.mark.parametrize("name", SYSTEMS)
def test_system_is_well_formed(name):
    cls = all_systems()[name]
    p = cls.paper
    assert p.authors and p.title and p.venue and 1900 < p.year < 2100
    assert cls.__doc__ and len(cls.__doc__.strip()) > 20, "the class docstring must cite the paper"
    assert dataclasses.is_dataclass(cls.Config)
    cfg = cls.make_config({})  # defaults are valid
    assert cls(cfg).config == cfg
    assert "smoke" in cls.presets, f"{name} needs a seconds-long 'smoke' preset for CI"
    for preset in cls.presets:
        cls.make_config({}, preset=preset)
    from paperworks.core.registry import System

    for m in ("run", "reproduce", "bench"):
        assert getattr(cls, m) is not getattr(System, m), f"{name} does not implement {m}()"


@pytest.mark.parametrize("name", SYSTEMS)
def test_every_numeric_key_rejects_nan_and_absurd_negatives(name):
    # NaN compares False with every bound, so a check written as "x <= 0" lets it through and the run fails
    # later (inside torch.optim, numpy's seeding, HiGHS) without naming the key. No numeric key of any
    # system has a meaning at -1e6, so each must be refused up front with a ConfigError naming it.
    import typing

    from paperworks.core.config import from_overrides
    from paperworks.core.errors import ConfigError

    cls = all_systems()[name]
    hints = typing.get_type_hints(cls.Config)
    numeric = [f.name for f in dataclasses.fields(cls.Config)
               if hints[f.name] in (int, float, int | None, float | None)]
    assert numeric
    for key in numeric:
        values = ["-1000000"] + (["nan"] if hints[key] in (float, float | None) else [])
        for v in values:
            try:
                from_overrides(cls.Config, {key: v}, name=name)
            except ConfigError as e:
                assert f"'{key}'" in str(e), f"{name}: {key}={v} refused without naming the key: {e}"
            else:
                pytest.fail(f"{name}: {key}={v} was accepted (add a range check for '{key}' to validate())")


@pytest.mark.parametrize("name", SYSTEMS)
def test_every_integer_key_refuses_values_beyond_int64(name):
    """n_train=99999999999999999999 passed the type check and ended in an OverflowError (exit 1) inside runs."""
    import typing

    from paperworks.core.errors import ConfigError

    cls = all_systems()[name]
    hints = typing.get_type_hints(cls.Config)
    ints = [f.name for f in dataclasses.fields(cls.Config) if hints[f.name] in (int, int | None)]
    for key in ints:
        with pytest.raises(ConfigError, match=f"'{key}'"):
            cls.make_config({key: str(2**64)}, preset="smoke")


def test_the_transformer_is_resumable():
    """`paperworks run transformer --resume DIR` continues from its checkpoints; the CLI refuses --resume for
    systems that do not set ``resumable``."""
    assert all_systems()["transformer"].resumable


@pytest.mark.parametrize("name", SYSTEMS)
def test_system_has_a_docs_page_a_readme_row_and_a_smoke_test(name):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert (root / "docs" / "systems" / f"{name}.md").is_file(), f"{name}: add docs/systems/{name}.md"
    assert f"| `{name}` |" in (root / "README.md").read_text(), f"{name}: add a row to the README's Systems table"
    files = sorted((root / "tests" / "systems").glob(f"test_{name}*.py"))
    assert any(f'reproduce_smoke("{name}"' in f.read_text() for f in files), \
        f"{name}: tests/systems/test_{name}.py needs a reproduce_smoke(\"{name}\") test"


def test_readme_counts_every_system():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"`make run` runs {len(SYSTEMS)} quick reproductions" in readme
