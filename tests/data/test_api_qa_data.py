"""Python-API QA of the public loaders: caching across processes."""

import numpy as np

from paperworks.data import images


def test_fashion_mnist_cache_of_a_root_survives_a_new_process(tmp_path, monkeypatch):
    # the cache key of load_fashion_mnist(root=...) was abs(hash(root)); str hashes are salted per process, so
    # every new process missed the cache and wrote another copy. A different salt is simulated by a different
    # hash(); the second load must come from the cache (build runs once).
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "fm"
    root.mkdir()
    for prefix in ("train", "t10k"):
        for stem in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
            (root / f"{prefix}-{stem}").touch()
    reads = []

    def fake_read_idx(path):
        reads.append(path)
        return np.zeros((2, 28, 28), np.uint8) if "images" in str(path) else np.zeros(2, np.uint8)

    monkeypatch.setattr(images, "read_idx", fake_read_idx)
    monkeypatch.setattr(images, "_check_split", lambda *a, **k: None)
    for salt in (1, 2):
        monkeypatch.setattr(images, "hash", lambda s, salt=salt: salt * 7919 + len(s), raising=False)
        d = images.load_fashion_mnist(root=str(root))
        assert d["y_train"].dtype == np.int64 and d["x_train"].shape == (2, 28, 28)
    assert len(reads) == 4                     # the four IDX files were parsed once
    assert len(list((tmp_path / "cache" / "datasets").glob("fashion_mnist_*.npz"))) == 1


def test_hetero_npz_round_trip_keeps_edge_weights(tmp_path):
    # save_hetero_npz wrote edge_index only: a weighted edge type came back unweighted (all-ones adjacency)
    import torch
    from torch_geometric.data import HeteroData

    from paperworks.data.hetero import load_hetero_folder, save_hetero_npz
    from paperworks.graphs.hetero import relation_block

    d = HeteroData()
    d["paper"].x = torch.randn(4, 3)
    d["paper"].y = torch.tensor([0, 1, 0, 1])
    d["paper"].train_mask = torch.tensor([True, True, False, False])
    d["author"].num_nodes = 2
    et = ("paper", "by", "author")
    d[et].edge_index = torch.tensor([[0, 1, 2, 3], [0, 0, 1, 1]])
    d[et].edge_weight = torch.tensor([0.5, 2.0, 1.5, 0.25])
    d[("author", "wrote", "paper")].edge_index = torch.tensor([[0, 1], [1, 2]])
    back = load_hetero_folder("toy", save_hetero_npz(d, tmp_path / "toy.npz", "paper"))
    assert torch.equal(back[et].edge_weight, d[et].edge_weight)
    assert torch.equal(relation_block(back, et).to_dense(), relation_block(d, et).to_dense())
    assert getattr(back[("author", "wrote", "paper")], "edge_weight", None) is None
