"""make_academic_hetero draws terms_per_paper distinct terms per paper, so it needs n_terms >= terms_per_paper: a
smaller n_terms passed check_hetero_config (gtn / hdgi) and then failed inside numpy ('Cannot take a larger sample
than population when replace is False'). The limit now comes from hetero._size_limits like the other three: the
config check refuses it by key, the generator names the parameter."""

from types import SimpleNamespace

import pytest

from paperworks.core.errors import ConfigError, DataError
from paperworks.core.registry import get_system
from paperworks.data.hetero import check_hetero_config, hetero_from_config, make_academic_hetero


def test_generator_names_n_terms_below_terms_per_paper():
    with pytest.raises(DataError, match=r"'n_terms' must be >= terms_per_paper = 3 .*got 2"):
        make_academic_hetero(n_papers=30, n_authors=20, n_subjects=6, n_terms=2, vocab=16)
    with pytest.raises(DataError, match=r"'n_terms' must be >= terms_per_paper = 5 .*got 4"):
        make_academic_hetero(n_papers=30, n_authors=20, n_subjects=6, n_terms=4, vocab=16, terms_per_paper=5)
    g = make_academic_hetero(n_papers=30, n_authors=20, n_subjects=6, n_terms=3, vocab=16)
    assert g["term"].x.shape[0] == 3


def test_config_check_and_generator_agree_on_n_terms():
    base = dict(dataset="synthetic", data_root="", n_papers=30, n_authors=20, n_subjects=6, vocab=16,
                feature_signal=0.1, subject_purity=0.8)
    for v in range(1, 7):
        c = SimpleNamespace(**base, n_terms=v)
        if v < 3:
            with pytest.raises(ConfigError, match=r"'n_terms' must be >= 3 with dataset=synthetic"):
                check_hetero_config(c)
            with pytest.raises(DataError, match="'n_terms' must be >= "):
                hetero_from_config(c, seed=0)
        else:
            check_hetero_config(c)
            assert hetero_from_config(c, seed=0)["term"].x.shape[0] == v


@pytest.mark.parametrize("system", ["gtn", "hdgi"])
def test_system_config_refuses_too_few_terms(system):
    with pytest.raises(ConfigError, match="'n_terms' must be >= 3 "):
        get_system(system).make_config({"n_terms": 2}, preset="smoke")
    get_system(system).make_config({"n_terms": 3}, preset="smoke")
