"""Heterograph files that contradict themselves are DataErrors naming the file, not silently loaded graphs:
feature rows != the stored node count, fractional edge indices / node counts / node types (truncated before),
and train / val / test splits that share nodes (test accuracy partly measured on training nodes)."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import load_hetero_folder, make_academic_hetero, save_hetero_npz


def _npz(**change):
    d = dict(node_types=np.array(["paper", "author"]), target=np.array("paper"),
             num_nodes__paper=np.array(4), num_nodes__author=np.array(3),
             x__paper=np.ones((4, 2), np.float32), x__author=np.ones((3, 2), np.float32),
             edge_index__paper__pa__author=np.array([[0, 1, 2, 3], [0, 1, 2, 0]]),
             edge_index__author__ap__paper=np.array([[0, 1, 2, 0], [0, 1, 2, 3]]),
             y=np.array([0, 1, 0, 1]), train_idx=np.array([0, 1]), val_idx=np.array([2]), test_idx=np.array([3]))
    d.update(change)
    return d


def _load(tmp_path, **change):
    p = tmp_path / "acm.npz"
    np.savez(p, **_npz(**change))
    return load_hetero_folder("acm", p)


def test_a_consistent_file_loads(tmp_path):
    g = _load(tmp_path)
    assert g["paper"].num_nodes == 4 and g["paper"].x.shape == (4, 2)
    # whole-number float indices are still read (as class ids are)
    g = _load(tmp_path, edge_index__paper__pa__author=np.array([[0.0, 1.0], [0.0, 1.0]]),
              num_nodes__author=np.array(3.0))
    assert g["paper", "pa", "author"].edge_index.tolist() == [[0, 1], [0, 1]] and g["author"].num_nodes == 3


@pytest.mark.parametrize("change, match", [
    (dict(x__paper=np.ones((5, 2), np.float32)), "'x__paper' has 5 rows but 'num_nodes__paper' is 4"),
    (dict(edge_index__paper__pa__author=np.array([[0.5, 1.0], [0.0, 1.0]])), "must hold integer node indices"),
    (dict(edge_index__paper__pa__author=np.array([["0", "1"], ["0", "1"]])), "must hold integer node indices"),
    (dict(num_nodes__author=np.array(3.7)), "'num_nodes__author' must be an integer >= 0"),
    (dict(num_nodes__author=np.array(-3)), "'num_nodes__author' must be an integer >= 0"),
    (dict(test_idx=np.array([0, 3])), "the train and test splits share 1 node"),
    (dict(val_idx=np.array([2, 3])), "the val and test splits share 1 node"),
])
def test_contradictory_npz_files(tmp_path, change, match):
    with pytest.raises(DataError, match=match):
        _load(tmp_path, **change)


def _raw(folder, types, split):
    folder.mkdir(parents=True, exist_ok=True)
    n = len(types)
    sp.save_npz(folder / "adjM.npz", sp.csr_matrix(np.eye(n, k=1) + np.eye(n, k=-1)))
    np.save(folder / "node_types.npy", types)
    np.save(folder / "labels.npy", np.array([0, 1, 0, 1]))
    np.savez(folder / "train_val_test_idx.npz", **split)


def test_raw_layout_node_types_and_splits(tmp_path):
    good = dict(train_idx=np.array([0, 1]), val_idx=np.array([2]), test_idx=np.array([3]))
    _raw(tmp_path / "a", np.array([0, 0, 0, 0, 1, 1, 2]), good)
    g = load_hetero_folder("imdb", tmp_path / "a")
    assert g["movie"].num_nodes == 4 and int(g["movie"].test_mask.sum()) == 1
    # a type id 1.4 was read as 1 (director) and the file loaded as if it were well formed
    _raw(tmp_path / "b", np.array([0, 0, 0, 0, 1, 1.4, 2]), good)
    with pytest.raises(DataError, match="node_types.npy.*must hold integer node type ids"):
        load_hetero_folder("imdb", tmp_path / "b")
    _raw(tmp_path / "c", np.array([0, 0, 0, 0, 1, 1, 2]),
         dict(train_idx=np.array([0, 1, 3]), val_idx=np.array([2]), test_idx=np.array([3])))
    with pytest.raises(DataError, match="train_val_test_idx.npz.*the train and test splits share 1 node"):
        load_hetero_folder("imdb", tmp_path / "c")


def test_generated_graph_round_trip_unchanged(tmp_path):
    d = make_academic_hetero(n_papers=90, n_authors=30, n_subjects=6, n_terms=20, seed=1)
    e = load_hetero_folder("acm", save_hetero_npz(d, tmp_path / "acm.npz", target="paper"))
    for k in ("y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(e["paper"][k], d["paper"][k])
    for et in d.edge_types:
        assert torch.equal(e[et].edge_index, d[et].edge_index)
