"""HDGIConfig.validate refuses a meta-path a real dataset does not know on every config path (constructor,
replace, from_overrides / the CLI's make_config, from_dict / --resume), before any data are read. prepare()
keeps its own check because one public path still reaches it: HDGI(config) takes any object (System.__init__
does not validate), and a config that is not an HDGIConfig skips validate()."""

import dataclasses
import types

import pytest

from paperworks.core.config import from_dict, from_overrides
from paperworks.core.errors import ConfigError
from paperworks.data.hetero import hetero_from_config
from paperworks.systems.hdgi import HDGI, HDGIConfig

BAD = {"dataset": "acm", "data_root": "/nonexistent", "metapaths": "PSP,APA"}


@pytest.mark.parametrize("make", [
    lambda: HDGIConfig(**BAD),
    lambda: from_overrides(HDGIConfig, BAD),
    lambda: HDGI.make_config(BAD),
    lambda: HDGIConfig(**{**BAD, "metapaths": "PSP"}).replace(metapaths="APA"),
    lambda: from_dict(HDGIConfig, {**dataclasses.asdict(HDGIConfig(**{**BAD, "metapaths": "PSP"})), "metapaths": "APA"}),
], ids=["ctor", "from_overrides", "make_config", "replace", "from_dict"])
def test_every_config_path_refuses_an_unknown_real_metapath(make):
    with pytest.raises(ConfigError, match="'metapaths' must be one of PAP, PSP"):
        make()


def test_a_config_that_is_not_an_hdgiconfig_reaches_prepares_check():
    good = HDGIConfig(**{**BAD, "metapaths": "PSP"})
    duck = types.SimpleNamespace(**{**dataclasses.asdict(good), "metapaths": "APA"})
    graph = hetero_from_config(HDGIConfig(n_papers=90, n_authors=40, n_subjects=6, n_terms=20), 0)
    # since 3b91303 a config that is not an HDGIConfig is refused where the system is built
    with pytest.raises(ConfigError, match="HDGI takes a HDGIConfig"):
        HDGI(duck)
    system = HDGI(good)
    system.config = duck        # swapped in afterwards: prepare's own check still stops it
    with pytest.raises(ConfigError, match="'metapaths' for acm must be among PAP, PSP"):
        system.prepare(graph)


def _small():
    import torch

    from paperworks.graphs.hetero_infomax import normalized_metapath_adjacencies

    g = torch.Generator().manual_seed(0)
    x = torch.rand(12, 5, generator=g)
    return x, normalized_metapath_adjacencies([torch.randint(0, 12, (2, 30), generator=g)], 12)


def test_train_hdgi_refuses_a_nonfinite_adjacency():
    """A NaN weight in a meta-path adjacency trained silently to best_loss = inf."""
    import math

    from paperworks.core.errors import DataError
    from paperworks.systems.hdgi import train_hdgi

    x, adjs = _small()
    for bad in (adjs[0].to_dense(), adjs[0].coalesce()):
        bad = bad.clone()
        if bad.is_sparse:
            bad.values()[0] = math.inf
        else:
            bad[0, 1] = math.nan
        with pytest.raises(DataError, match="meta-path adjacency 0 contains NaN or inf weights"):
            train_hdgi(x, [bad], dim=4, max_epochs=2, patience=2)


@pytest.mark.parametrize("kw,name", [({"dim": 0}, "dim"), ({"att_hidden": 0}, "att_hidden"),
                                     ({"dim": 2.5}, "dim")])
def test_train_hdgi_refuses_empty_layers(kw, name):
    """dim = 0 failed inside torch ('in1_features must be > 0'); att_hidden = 0 trained a semantic attention of
    constant scores without a word."""
    from paperworks.core.errors import DataError
    from paperworks.systems.hdgi import train_hdgi

    x, adjs = _small()
    with pytest.raises(DataError, match=f"train_hdgi: {name} must be an integer >= 1"):
        train_hdgi(x, adjs, **{"dim": 4, "max_epochs": 2, "patience": 2, **kw})
