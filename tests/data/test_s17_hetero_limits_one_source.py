"""check_hetero_config (gtn / hdgi configs, dataset=synthetic) and make_academic_hetero enforce the same three
size limits (n_subjects >= n_classes, vocab >= n_classes, n_authors >= most authors per paper): for every value
around each limit, a config the check accepts builds its graph, and a config it refuses is refused by the
generator too, both naming the same parameter. A guard: the two read one source (hetero._size_limits)."""

from types import SimpleNamespace

import pytest

from paperworks.core.errors import ConfigError, DataError
from paperworks.core.registry import get_system
from paperworks.data.hetero import check_hetero_config, hetero_from_config


def _outcomes(c):
    try:
        check_hetero_config(c)
        checked = None
    except ConfigError as e:
        checked = str(e)
    try:
        hetero_from_config(c, seed=0)
        built = None
    except DataError as e:
        built = str(e)
    return checked, built


@pytest.mark.parametrize("key", ["n_subjects", "vocab", "n_authors"])
def test_check_and_generator_agree_at_and_around_each_limit(key):
    base = dict(dataset="synthetic", data_root="", n_papers=30, n_authors=20, n_subjects=6, n_terms=10,
                vocab=16, feature_signal=0.1, subject_purity=0.8)
    accepted = []
    for v in range(1, 9):
        checked, built = _outcomes(SimpleNamespace(**{**base, key: v}))
        assert (checked is None) == (built is None), (key, v, checked, built)
        if checked is None:
            accepted.append(v)
        else:
            assert f"'{key}' must be >= " in checked and f"'{key}' must be >= " in built, (checked, built)
    # the limit lies inside the probed range: refused below it, accepted from it on
    assert accepted and accepted == list(range(accepted[0], 9)) and accepted[0] > 1, accepted


@pytest.mark.parametrize("system", ["gtn", "hdgi"])
@pytest.mark.parametrize("key", ["n_subjects", "vocab", "n_authors"])
def test_system_configs_at_the_limit_build_and_one_below_is_refused(system, key):
    sizes = {"n_subjects": 6, "vocab": 16, "n_authors": 20, "n_papers": 30, "n_terms": 10}
    least = next(v for v in range(1, 9) if _outcomes(SimpleNamespace(
        dataset="synthetic", data_root="", feature_signal=0.1, subject_purity=0.8, **{**sizes, key: v}))[0] is None)
    cfg = get_system(system).make_config({**sizes, key: least}, preset="smoke")
    assert hetero_from_config(cfg, seed=0)["paper"].x.shape[0] == 30
    with pytest.raises(ConfigError, match=f"'{key}' must be >= {least} "):
        get_system(system).make_config({**sizes, key: least - 1}, preset="smoke")
