"""transformer's alpha_grid took a repeated alpha (alpha_grid=0.6,0.6,1.0 or 0.6,0.60): the dev split was beam-decoded
once per copy (each dev decode of the quick reproduction takes ~10 s) and the length-penalty table showed two
equal "alpha 0.6" columns. It is refused as langs and alg_tasks refuse a repeated entry; the default grid and
distinct grids are taken as before."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system


@pytest.mark.parametrize("grid", ["0.6,0.6,1.0", "0.6,0.60", "1,1.0"])
def test_a_repeated_alpha_is_refused(grid):
    cls = get_system("transformer")
    with pytest.raises(ConfigError, match=r"'alpha_grid' names 0\.6 more than once|'alpha_grid' names 1\.0 more than once"):
        cls.make_config({"alpha_grid": grid})


def test_default_and_distinct_grids_unchanged():
    cls = get_system("transformer")
    assert cls.make_config({}).alpha_grid == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert cls.make_config({"alpha_grid": "1.0,0.6"}).alpha_grid == (1.0, 0.6)
    assert cls.make_config({"alpha_grid": ""}).alpha_grid == ()
