"""Session-19 system-level review of gtn / hdgi / multinomial_link / tame_bnn: configs that passed validation but
crashed late, and options that the system silently ignored."""

import pytest

from paperworks.core.errors import ConfigError

SMOKE_GRAPH = {"n_papers": "90", "n_authors": "40", "n_subjects": "6", "n_terms": "20", "epochs": "2", "hidden": "8"}


def test_tame_bnn_config_refuses_a_digits_per_class_that_leaves_no_test_image():
    from paperworks.systems import tame_bnn

    # 178 passed validation and ended `reproduce` with make_digits_small's DataError in its last section
    with pytest.raises(ConfigError, match="digits_per_class"):
        tame_bnn.TameBNN.make_config({"digits_per_class": "178"})
    tame_bnn.TameBNN.make_config({"digits_per_class": "177"})
    assert tame_bnn.digits_per_class_limit() == 177   # sklearn digits: 178 zeros, 182 ones; one test image kept
    tame_bnn.make_digits_small(177)                    # the limit is make_digits_small's own


def test_gtn_reproduce_baselines_train_with_the_configured_lr_and_weight_decay(monkeypatch):
    import paperworks.graphs.hetero_baselines as hb
    from paperworks.systems.gtn import GTN, prepare_hetero

    seen = []
    orig = hb.train_node_classifier

    def spy(*a, **k):
        seen.append((k.get("lr"), k.get("weight_decay"), k.get("epochs")))
        return orig(*a, **k)

    monkeypatch.setattr(hb, "train_node_classifier", spy)
    s = GTN(GTN.make_config({**SMOKE_GRAPH, "lr": "0.02", "weight_decay": "0"}))
    data = s._graph(0)
    s._baselines(data, prepare_hetero(data), 0)
    # the report says "Baselines use the same epochs, lr and model selection"; they ran at lr 0.005 / wd 0.001
    assert len(seen) == 4 and all(v == (0.02, 0.0, 2) for v in seen), seen


def test_hdgi_config_checks_the_meta_path_names_of_a_real_dataset(tmp_path):
    from paperworks.systems.hdgi import HDGI

    # the default PSP,PAP is not a DBLP meta-path: accepted by the config, refused only by prepare() after the
    # folder had been read
    with pytest.raises(ConfigError, match="metapaths.*APA, APCPA, APTPA"):
        HDGI.make_config({"dataset": "dblp", "data_root": str(tmp_path)})
    HDGI.make_config({"dataset": "dblp", "data_root": str(tmp_path), "metapaths": "APA,APCPA,APTPA"})
    HDGI.make_config({"dataset": "acm", "data_root": str(tmp_path)})   # ACM: PSP, PAP are its own names


def test_hdgi_bench_times_the_planted_psp_graph_whatever_the_order_of_metapaths():
    from paperworks.systems.hdgi import HDGI

    smoke = {"n_papers": "90", "n_authors": "40", "n_subjects": "6", "n_terms": "20", "dim": "8"}
    s = HDGI(HDGI.make_config({**smoke, "metapaths": "PAP,PSP"}))
    prep = s.prepare(s._graph(0))
    psp = int(prep["edges"][prep["names"].index("PSP")].size(1))
    assert psp != int(prep["edges"][0].size(1))
    out = s.bench(quick=True)
    assert out["edges"] == psp            # was P-A-P's edges: the first listed meta-path, not the documented P-S-P
