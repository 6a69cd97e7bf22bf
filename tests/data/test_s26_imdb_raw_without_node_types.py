"""load_hetero_folder('imdb', root) on PyG's IMDB raw files (adjM.npz, features_0/1/2.npz, labels.npy,
train_val_test_idx.npz: no node_types.npy) was refused as "lacks node_types.npy (PyG raw layout for imdb)", though
the module documents the layout of torch_geometric.datasets.IMDB. Each type's node count now comes from its
features' rows, as PyG's own parser does; the result equals PyG's."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import load_hetero_folder

N = {"movie": 7, "director": 3, "actor": 5}


def _write_imdb_raw(raw, seed=0):
    rng = np.random.default_rng(seed)
    tot = sum(N.values())
    starts = np.concatenate([[0], np.cumsum(list(N.values()))])
    rows, cols = [], []
    for (a, b), m in (((0, 1), 9), ((0, 2), 14)):
        r = rng.integers(starts[a], starts[a + 1], m)
        c = rng.integers(starts[b], starts[b + 1], m)
        rows += list(r) + list(c)
        cols += list(c) + list(r)
    adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(tot, tot)).tocsr()
    adj.data[:] = 1.0
    raw.mkdir(parents=True, exist_ok=True)
    sp.save_npz(raw / "adjM.npz", adj)
    for i, n in enumerate(N.values()):
        sp.save_npz(raw / f"features_{i}.npz", sp.csr_matrix(rng.random((n, 4)) > 0.5, dtype=np.float32))
    np.save(raw / "labels.npy", rng.integers(0, 3, N["movie"]))
    np.savez(raw / "train_val_test_idx.npz", train_idx=np.array([0, 1, 2]), val_idx=np.array([3]),
             test_idx=np.array([4, 5, 6]))


def test_pyg_imdb_raw_folder_loads_like_pygs_parser(tmp_path):
    from torch_geometric.datasets import IMDB

    _write_imdb_raw(tmp_path / "IMDB" / "raw")
    ours = load_hetero_folder("imdb", tmp_path)
    ref = IMDB.__new__(IMDB)
    ref.root, ref.pre_transform = str(tmp_path / "IMDB"), None
    captured = {}
    ref.save = lambda data_list, path: captured.setdefault("d", data_list[0])
    ref.process()
    want = captured["d"]
    assert ours.target == "movie"
    for nt in want.node_types:
        torch.testing.assert_close(ours[nt].x, want[nt].x)
    assert {(s, d) for s, _, d in ours.edge_types} == {(s, d) for s, _, d in want.edge_types}
    for s, _, d in want.edge_types:
        assert torch.equal(ours[s, "to", d].edge_index, want[s, "to", d].edge_index)
    for k in ("y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(ours["movie"][k], want["movie"][k])


def test_without_node_types_a_missing_features_file_or_wrong_adjacency_is_one_error(tmp_path):
    raw = tmp_path / "a"
    _write_imdb_raw(raw)
    (raw / "features_2.npz").unlink()
    with pytest.raises(DataError, match="lacks node_types.npy"):
        load_hetero_folder("imdb", raw)
    raw = tmp_path / "b"
    _write_imdb_raw(raw)
    sp.save_npz(raw / "features_1.npz", sp.csr_matrix(np.ones((4, 4), np.float32)))   # 4 directors, adjM has 3
    with pytest.raises(DataError, match=r"adjM.npz' has shape \(15, 15\), expected \(16, 16\)"):
        load_hetero_folder("imdb", raw)
    raw = tmp_path / "c"
    _write_imdb_raw(raw)
    (raw / "features_1.npz").unlink()
    np.save(raw / "features_1.npy", np.float32(3.0))   # a 0-d array: no rows
    with pytest.raises(DataError, match="features_1.npy' is not a readable raw file"):
        load_hetero_folder("imdb", raw)
