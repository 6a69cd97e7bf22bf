"""Heterograph data: planted meta-path generator, npz round trip, PyG raw layout vs PyG's own DBLP parser."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import (NOISE_METAPATHS, PLANTED_METAPATH, load_hetero_folder,
                                    make_academic_hetero, save_hetero_npz)
from paperworks.graphs.hetero import compose_metapath


def _intra_class_rate(data, mp):
    a = compose_metapath(data, mp, binarize=True, drop_self_loops=True).coalesce()
    y = data["paper"].y
    i, j = a.indices()
    return float((y[i] == y[j]).float().mean())


def test_generator_plants_the_label_signal_on_psp_only():
    d = make_academic_hetero(n_papers=300, n_authors=150, n_subjects=12, n_terms=60, seed=1)
    assert d.target == "paper" and d.planted_metapath == PLANTED_METAPATH
    assert set(d.node_types) == {"paper", "author", "subject", "term"} and len(d.edge_types) == 6
    psp = _intra_class_rate(d, PLANTED_METAPATH)
    pap = _intra_class_rate(d, NOISE_METAPATHS["PAP"])
    ptp = _intra_class_rate(d, NOISE_METAPATHS["PTP"])
    # purity 0.8 -> P(same class along P-S-P) ~ 0.8^2 + ...; random paths ~ 1/3
    assert psp > 0.6 and abs(pap - 1 / 3) < 0.06 and abs(ptp - 1 / 3) < 0.06
    m = d["paper"]
    assert int(m.train_mask.sum() + m.val_mask.sum() + m.test_mask.sum()) == 300
    assert not (m.train_mask & m.test_mask).any()
    d2 = make_academic_hetero(n_papers=300, n_authors=150, n_subjects=12, n_terms=60, seed=1)
    assert torch.equal(d["paper"].x, d2["paper"].x)


def test_generator_rejects_bad_sizes():
    with pytest.raises(DataError, match="n_papers"):
        make_academic_hetero(n_papers=0)
    with pytest.raises(DataError, match="n_classes"):
        make_academic_hetero(n_subjects=2, n_classes=3)


def test_npz_round_trip(tmp_path):
    d = make_academic_hetero(n_papers=60, n_authors=30, n_subjects=6, n_terms=20, seed=0)
    path = save_hetero_npz(d, tmp_path / "acm.npz", target="paper")
    e = load_hetero_folder("acm", tmp_path)
    assert e.target == "paper" and set(e.edge_types) == set(d.edge_types)
    for nt in d.node_types:
        torch.testing.assert_close(e[nt].x, d[nt].x)
    for et in d.edge_types:
        assert torch.equal(e[et].edge_index, d[et].edge_index)
    for k in ("y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(e["paper"][k], d["paper"][k])
    assert load_hetero_folder("acm", path).target == "paper"


def _write_dblp_raw(raw, seed=0):
    rng = np.random.default_rng(seed)
    n = {"author": 6, "paper": 8, "term": 5, "conference": 2}
    types = np.repeat(np.arange(4), list(n.values()))
    N = types.size
    starts = np.concatenate([[0], np.cumsum(list(n.values()))])
    rows, cols = [], []
    for (a, b), m in (((0, 1), 12), ((1, 2), 10), ((1, 3), 8)):
        r = rng.integers(starts[a], starts[a + 1], m)
        c = rng.integers(starts[b], starts[b + 1], m)
        rows += list(r) + list(c)
        cols += list(c) + list(r)
    adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(N, N)).tocsr()
    adj.data[:] = 1.0
    raw.mkdir(parents=True, exist_ok=True)
    sp.save_npz(raw / "adjM.npz", adj)
    sp.save_npz(raw / "features_0.npz", sp.csr_matrix(rng.random((6, 4)) > 0.5, dtype=np.float32))
    sp.save_npz(raw / "features_1.npz", sp.csr_matrix(rng.random((8, 3)) > 0.5, dtype=np.float32))
    np.save(raw / "features_2.npy", rng.random((5, 2)).astype(np.float32))
    np.save(raw / "labels.npy", rng.integers(0, 4, 6))
    np.save(raw / "node_types.npy", types)
    np.savez(raw / "train_val_test_idx.npz", train_idx=np.array([0, 1]), val_idx=np.array([2]),
             test_idx=np.array([3, 4, 5]))


def test_pyg_raw_layout_matches_pygs_own_dblp_parser(tmp_path):
    from torch_geometric.datasets import DBLP

    _write_dblp_raw(tmp_path / "raw")
    ours = load_hetero_folder("dblp", tmp_path)
    # run PyG's DBLP.process on the same files, capturing the result instead of saving/loading it
    ref = DBLP.__new__(DBLP)
    ref.root, ref.pre_transform = str(tmp_path), None
    captured = {}
    ref.save = lambda data_list, path: captured.setdefault("d", data_list[0])
    ref.process()
    want = captured["d"]
    assert ours.target == "author"
    for nt in want.node_types:
        if getattr(want[nt], "x", None) is not None:
            torch.testing.assert_close(ours[nt].x, want[nt].x)
        assert ours[nt].num_nodes == want[nt].num_nodes
    assert {(s, d) for s, _, d in ours.edge_types} == {(s, d) for s, _, d in want.edge_types}
    for s, _, d in want.edge_types:
        assert torch.equal(ours[s, "to", d].edge_index, want[s, "to", d].edge_index)
    for k in ("y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(ours["author"][k], want["author"][k])


def test_missing_folder_pickles_and_object_arrays_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_hetero_folder("dblp", tmp_path / "nope")
    (tmp_path / "pk").mkdir()
    (tmp_path / "pk" / "edges.pkl").write_bytes(b"\x80\x04N.")
    with pytest.raises(DataError, match="never unpickles"):
        load_hetero_folder("acm", tmp_path / "pk")
    bad = tmp_path / "bad"
    bad.mkdir()
    np.savez(bad / "imdb.npz", node_types=np.array([{"a": 1}], dtype=object), target=np.array("movie"),
             y=np.zeros(3))
    with pytest.raises(DataError, match="pickled"):
        load_hetero_folder("imdb", bad)
    txt = tmp_path / "txt"
    txt.mkdir()
    (txt / "imdb.npz").write_text("not an archive\n")      # numpy itself calls any non-zip file "pickled"
    with pytest.raises(DataError, match="is not an npz archive"):
        load_hetero_folder("imdb", txt)
    raw = tmp_path / "raw2" / "raw"
    _write_dblp_raw(raw)
    np.save(raw / "labels.npy", np.zeros(4, dtype=np.int64))
    with pytest.raises(DataError, match="labels.npy"):
        load_hetero_folder("dblp", tmp_path / "raw2")


def test_too_few_papers_for_the_split_is_named():
    # each class needs round(0.1 * n_c) >= 1 validation nodes: 15 papers in 3 classes give none
    with pytest.raises(DataError, match=r"'n_papers'=15 .* leaves the val split empty"):
        make_academic_hetero(n_papers=15, n_authors=20, n_subjects=6, n_terms=10, seed=0)
    d = make_academic_hetero(n_papers=30, n_authors=20, n_subjects=6, n_terms=10, seed=0)
    assert all(bool(d["paper"][f"{nm}_mask"].any()) for nm in ("train", "val", "test"))


def test_malformed_npz_sizes_and_split_indices_are_data_errors(tmp_path):
    # these raised a bare TypeError / IndexError, which the CLI reports as an internal error (exit 1)
    d = make_academic_hetero(n_papers=60, n_authors=30, n_subjects=6, n_terms=20, seed=0)
    good = dict(np.load(save_hetero_npz(d, tmp_path / "acm.npz", target="paper")))
    for case, change, pattern in (("nn", {"num_nodes__author": np.array([3, 4])}, "num_nodes__author"),
                                  ("y", {"y": good["y"][:5]}, "'y' has shape"),
                                  ("idx", {"train_idx": np.array([0, 10 ** 6])}, "train_idx")):
        (tmp_path / case).mkdir()
        np.savez(tmp_path / case / "acm.npz", **{**good, **change})
        with pytest.raises(DataError, match=pattern):
            load_hetero_folder("acm", tmp_path / case)
    raw = tmp_path / "raw3" / "raw"
    _write_dblp_raw(raw)
    np.savez(raw / "train_val_test_idx.npz", train_idx=np.array([0, 99]), val_idx=np.array([2]),
             test_idx=np.array([3]))
    with pytest.raises(DataError, match="train_idx"):
        load_hetero_folder("dblp", tmp_path / "raw3")
