"""gtn / hdgi configs with dataset=synthetic refuse sizes the academic generator cannot build, naming the config
key (the generator's own error named its arguments: "make_academic_hetero: need 2 <= n_classes <= n_subjects
(got 3, 1)", reached only when the run started)."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system


@pytest.mark.parametrize("system", ["gtn", "hdgi"])
@pytest.mark.parametrize("key,value", [("n_subjects", 1), ("n_subjects", 2), ("vocab", 2), ("n_authors", 3)])
def test_too_small_for_the_generator_is_a_config_error_naming_the_key(system, key, value):
    with pytest.raises(ConfigError, match=f"'{key}' must be >= "):
        get_system(system).make_config({key: value})


@pytest.mark.parametrize("system", ["gtn", "hdgi"])
def test_smallest_accepted_sizes_build_the_graph(system):
    from paperworks.data.hetero import hetero_from_config
    cfg = get_system(system).make_config({"n_subjects": 3, "vocab": 3, "n_authors": 4, "n_papers": 30,
                                          "n_terms": 5}, preset="smoke")
    data = hetero_from_config(cfg, seed=0)
    assert data["paper"].x.shape[0] == 30
