"""Graph-classification data, offline: TU-format folders (MUTAG ships inside the grakel wheel), molecular
graphs built with RDKit from B3DB's SMILES (qc-b3db wheel), and seeded hierarchical synthetic tasks.

Every loader returns a list of ``torch_geometric.data.Data`` with ``x`` float [n, F], ``edge_index`` long
[2, E] (both directions), ``y`` long [1]; the synthetic ones also carry ``community`` long [n].

The synthetic generators number each graph's nodes by a random permutation (drawn from a generator of its
own, seeded by the dataset seed), so the planted structure cannot be read off node indices: building a graph
block by block would put community 0 (or the backbone) first, and any index-dependent rule (a tie broken
towards the lower index, a first-k slice) would then favour it. Graphs, labels, features, communities and
the dataset order are those of the block-by-block build, up to that renumbering.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from paperworks.core.config import is_int
from paperworks.core.errors import DataError
from paperworks.data import check_seed, check_values, package_file, read_table, read_text, register_dataset

__all__ = ["load_tu", "mutag", "b3db_bbbp", "community_1v2", "community_wiring", "mol_to_graph",
           "WIRINGS"]


# ------------------------------------------------------------------------------------------- TU format
def _table(path: Path, dtype, what: str) -> np.ndarray | None:
    """Rows of a comma-separated TU file, read once (None for an empty file); a parse error names the file."""
    # read_text drops a leading UTF-8 byte-order mark (a file saved by Notepad): it made the first value unparsable
    text = read_text(path, "load_tu")
    if not text.strip():
        return None
    try:
        return np.loadtxt(io.StringIO(text), delimiter=",", dtype=dtype, ndmin=2)
    except ValueError as e:
        raise DataError(f"load_tu: cannot parse '{path}' as {what} ({e})") from None


def _read_int(path: Path, ncol: int | None = None, rows: int | None = None) -> np.ndarray:
    """Integer table of a TU file; an empty file is a table with 0 rows. ``rows``: required row count."""
    arr = _table(path, np.int64, "integers")
    if arr is None:
        arr = np.zeros((0, ncol or 1), np.int64)
    # exactly: extra columns (a second graph label, an edge weight after 'i, j') were cut off silently
    if ncol is not None and arr.shape[1] != ncol:
        raise DataError(f"load_tu: '{path}' needs {ncol} comma-separated column{'s' if ncol > 1 else ''}, no more "
                        f"and no fewer (got {arr.shape[1]})")
    if rows is not None and arr.shape[0] != rows:
        raise DataError(f"load_tu: '{path}' has {arr.shape[0]} rows but {rows} were expected")
    return arr


def _read_float(path: Path, rows: int | None) -> np.ndarray:
    """Float table of a TU attribute file (NAME_node_attributes / NAME_edge_attributes / NAME_graph_attributes)
    with ``rows`` rows (any number if None)."""
    att = _table(path, np.float32, "numbers")
    if att is None:
        att = np.zeros((0, 1), np.float32)
    if rows is not None and att.shape[0] != rows:
        raise DataError(f"load_tu: '{path}' has {att.shape[0]} rows but {rows} were expected")
    if not np.isfinite(att).all():
        raise DataError(f"load_tu: '{path}' contains NaN or inf values")
    return att


def _one_hot_columns(lab: np.ndarray) -> np.ndarray:
    """One-hot of every column of an integer label table [m, c] (each shifted by its minimum), concatenated."""
    if not lab.shape[0]:
        return np.zeros((0, lab.shape[1]), np.float32)
    lab = lab - lab.min(0)
    return np.concatenate([np.eye(int(col.max()) + 1, dtype=np.float32)[col] for col in lab.T], 1)


def load_tu(root: str | Path, name: str | None = None) -> list[Data]:
    """Read a TU-format dataset folder (Morris et al., TUDataset) with numpy, no download.

    Files: NAME_A.txt (1-based "i, j" edge rows), NAME_graph_indicator.txt (node -> graph, 1-based),
    NAME_graph_labels.txt, optional NAME_node_labels.txt (one-hot encoded into x), NAME_node_attributes.txt
    (prepended to x), NAME_edge_labels.txt (one-hot into ``edge_attr``), NAME_edge_attributes.txt (prepended
    to ``edge_attr``). A label file with several comma-separated columns (Cuneiform's node labels) has each
    column one-hot encoded on its own (values shifted by the column's minimum), the blocks concatenated, as in
    PyG's ``read_tu_data``. Graph labels are remapped to 0..K-1 in sorted order (MUTAG's -1/1 -> 0/1). As in
    PyG, a NAME_graph_attributes.txt (regression targets) is read instead of the graph labels, which may then be
    absent: y is float32 [1] per graph for one column, [1, k] for k columns. Graphs
    without node information get x = 1. As in PyG, self-loops are dropped and duplicate edges merged (edge
    attributes and label one-hots summed); the remaining edges keep the file's order.
    """
    root = Path(root)
    # the folder's own name, also for root='.' or 'x/..' (Path('.').name is '', which looked for '_A.txt'); the
    # path is normalized, not resolved, so a symlink named like its data set keeps that name
    name = name or Path(os.path.abspath(root)).name
    need = [root / f"{name}_{s}.txt" for s in ("A", "graph_indicator", "graph_labels")]
    targets = root / f"{name}_graph_attributes.txt"
    if targets.exists():         # regression targets: PyG reads them instead of the graph labels
        need[2] = targets
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        raise DataError(f"load_tu: missing TU file(s) {', '.join(missing)} (expected NAME_A.txt, "
                        f"NAME_graph_indicator.txt, NAME_graph_labels.txt or NAME_graph_attributes.txt in "
                        f"'{root}')")
    edges = _read_int(need[0], 2) - 1
    gi = _read_int(need[1], 1)[:, 0] - 1
    if need[2] == targets:
        raw_y = _read_float(targets, None)
    else:
        raw_y = _read_int(need[2], 1)[:, 0]
    n, g = gi.size, len(raw_y)
    if n == 0 or g == 0:
        raise DataError(f"load_tu: '{root}' lists no nodes or no graphs")
    if gi.min() < 0 or gi.max() >= g or (edges.size and (edges.min() < 0 or edges.max() >= n)):
        raise DataError(f"load_tu: '{root}' is inconsistent (node/graph indices out of range)")
    if np.any(np.diff(gi) < 0):
        raise DataError(f"load_tu: '{need[1]}' must list the nodes graph by graph")
    sizes = np.bincount(gi, minlength=g)
    if (sizes == 0).any():
        raise DataError(f"load_tu: graph {int(np.argmax(sizes == 0)) + 1} of '{need[2]}' has no node in "
                        f"'{need[1]}'")
    if edges.size and np.any(gi[edges[:, 0]] != gi[edges[:, 1]]):
        raise DataError(f"load_tu: '{need[0]}' has an edge between nodes of different graphs")
    feats = []
    p = root / f"{name}_node_attributes.txt"
    if p.exists():
        feats.append(_read_float(p, n))
    p = root / f"{name}_node_labels.txt"
    if p.exists():
        feats.append(_one_hot_columns(_read_int(p, rows=n)))
    x = np.concatenate(feats, 1) if feats else np.ones((n, 1), np.float32)
    eparts = []
    p = root / f"{name}_edge_attributes.txt"
    if p.exists():
        eparts.append(_read_float(p, len(edges)))
    p = root / f"{name}_edge_labels.txt"
    if p.exists():
        eparts.append(_one_hot_columns(_read_int(p, rows=len(edges))))
    edge_attr = np.concatenate(eparts, 1) if eparts else None
    # the edge set of PyG's read_tu_data (what the official HGP-SL code and most TU users read): self-loops
    # dropped, duplicate edges merged with their edge labels summed (torch_geometric coalesce). Unlike coalesce,
    # the file's edge order is kept (first occurrences): a re-sort would change the summation order of every
    # message-passing layer on MUTAG, whose files hold neither self-loops nor duplicates
    keep = edges[:, 0] != edges[:, 1]
    edges = edges[keep]
    if edge_attr is not None:
        edge_attr = edge_attr[keep]
    if edges.size:
        _, first, inverse = np.unique(edges, axis=0, return_index=True, return_inverse=True)
        if len(first) != len(edges):
            rank = np.empty(len(first), np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(len(first))
            slot = rank[inverse.reshape(-1)]                 # each edge's row among the kept first occurrences
            if edge_attr is not None:
                summed = np.zeros((len(first), edge_attr.shape[1]), np.float32)
                np.add.at(summed, slot, edge_attr)
                edge_attr = summed
            edges = edges[np.sort(first)]
    if raw_y.ndim == 2:      # float targets [g, k]: y [1] per graph for one column (as PyG), [1, k] for several
        t = torch.from_numpy(raw_y[:, 0] if raw_y.shape[1] == 1 else raw_y)
        ys = [t[k:k + 1].clone() for k in range(g)]
    else:
        ys = [torch.tensor([int(c)]) for c in np.searchsorted(np.unique(raw_y), raw_y)]
    start = np.concatenate([[0], np.cumsum(np.bincount(gi, minlength=g))])
    eg = gi[edges[:, 0]]
    order = np.argsort(eg, kind="stable")
    estart = np.concatenate([[0], np.cumsum(np.bincount(eg, minlength=g))])
    out = []
    for k in range(g):
        sel = order[estart[k]:estart[k + 1]]
        ei = torch.from_numpy(edges[sel].T - start[k]).long()
        d = Data(x=torch.from_numpy(x[start[k]:start[k + 1]]), edge_index=ei.contiguous(),
                 y=ys[k])
        if edge_attr is not None:
            d.edge_attr = torch.from_numpy(edge_attr[sel])
        out.append(d)
    return out


@register_dataset("tu", "any local TU-format folder: load('tu', root=PATH, name=NAME)")
def tu(root: str, name: str | None = None) -> list[Data]:
    return load_tu(root, name)


@register_dataset("mutag", "MUTAG (188 graphs, 2 classes) from the grakel wheel's TU files")
def mutag() -> list[Data]:
    """MUTAG (Debnath et al. 1991; TU collection), read from ``grakel/tests/data/MUTAG`` of grakel==0.1.11."""
    root = package_file("grakel", "tests/data/MUTAG", "grakel==0.1.11")
    return load_tu(root, "MUTAG")


# ------------------------------------------------------------------------------------------ molecules
_ELEMENTS = ("C", "N", "O", "S", "F", "Cl", "Br", "I", "P", "B", "Si")


def mol_to_graph(smiles: str) -> Data | None:
    """RDKit atom graph: x = one-hot element (11 + other) | one-hot degree 0..5 | one-hot #H 0..3 |
    aromatic | ring | formal charge (-1/0/+1 one-hot) -> 27 features. None if RDKit cannot parse it."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    rows = []
    for a in mol.GetAtoms():
        f = np.zeros(27, np.float32)
        sym = a.GetSymbol()
        f[_ELEMENTS.index(sym) if sym in _ELEMENTS else 11] = 1
        f[12 + min(a.GetDegree(), 5)] = 1
        f[18 + min(a.GetTotalNumHs(), 3)] = 1
        f[22] = a.GetIsAromatic()
        f[23] = a.IsInRing()
        f[24 + int(np.clip(a.GetFormalCharge(), -1, 1)) + 1] = 1
        rows.append(f)
    ei = [[b.GetBeginAtomIdx(), b.GetEndAtomIdx()] for b in mol.GetBonds()]
    ei = ei + [[j, i] for i, j in ei]
    edge_index = torch.tensor(ei, dtype=torch.long).reshape(-1, 2).t().contiguous()
    return Data(x=torch.from_numpy(np.stack(rows)), edge_index=edge_index)


@register_dataset("b3db_bbbp", "B3DB blood-brain-barrier permeability (7,807 SMILES, 7,805 parsed by RDKit; BBB+/BBB-)")
def b3db_bbbp(max_molecules: int | None = None, max_atoms: int | None = None, seed: int = 0) -> list[Data]:
    """B3DB classification set (Meng et al., Sci. Data 2021; CC0) from the qc-b3db wheel.

    y = 1 for BBB+, 0 for BBB-. ``max_atoms`` drops molecules with more heavy atoms (like the official
    DiffPool code drops graphs above max_nodes); ``max_molecules`` draws a class-stratified random subset
    (seeded) before parsing. Subsets of different sizes are drawn independently, so they are not nested (the
    100 and the 200 of seed 0 share 6 molecules). Two of the 7,807 SMILES (both with a ``[C+](O)`` cation) do
    not parse in RDKit and are dropped, so the full set has 7,805 graphs.
    """
    # 0 gave an empty data set silently, a negative count a numpy ValueError, 10.5 eleven molecules
    for key, v in (("max_molecules", max_molecules), ("max_atoms", max_atoms)):
        if v is not None and not is_int(v, 1):
            raise DataError(f"b3db_bbbp: {key} must be None or an integer >= 1 (got {v!r})")
    check_seed(seed, "b3db_bbbp")   # True ran as seed 1; 1.5, -1 were numpy's bare TypeError / ValueError
    path = package_file("B3DB", "B3DB_classification.tsv", "qc-b3db==1.1.1")
    df = read_table(path, "b3db_bbbp", sep="\t", usecols=["SMILES", "BBB+/BBB-"])
    # a label other than BBB+ / BBB- was read as BBB- (class 0), and an empty SMILES cell (NaN, parsed as the
    # text 'nan') dropped its molecule: both silently
    check_values(df["BBB+/BBB-"].to_numpy(), ("BBB+", "BBB-"), "b3db_bbbp", path, "BBB+/BBB-")
    empty = df["SMILES"].isna().to_numpy() | (df["SMILES"].astype(str).str.strip() == "").to_numpy()
    if empty.any():
        raise DataError(f"b3db_bbbp: column 'SMILES' of '{path}' is empty in {int(empty.sum())} data row(s) (first: "
                        f"{int(np.flatnonzero(empty)[0]) + 1}); a damaged file?")
    y = (df["BBB+/BBB-"].to_numpy() == "BBB+").astype(np.int64)
    smiles = df["SMILES"].to_numpy()
    idx = np.arange(len(df))
    rng = np.random.default_rng(seed)
    if max_molecules is not None and max_molecules < len(idx):
        parts = []
        for c in (0, 1):
            ic = idx[y == c]
            take = int(round(max_molecules * len(ic) / len(idx)))
            parts.append(rng.choice(ic, size=take, replace=False))
        idx = np.sort(np.concatenate(parts))
    out = []
    for i in idx:
        d = mol_to_graph(str(smiles[i]))
        if d is None or (max_atoms is not None and d.num_nodes > max_atoms):
            continue
        d.y = torch.tensor([int(y[i])])
        out.append(d)
    if not out:
        raise DataError(f"b3db_bbbp: no molecule of the {len(idx)} drawn has <= max_atoms={max_atoms} heavy atoms")
    return out


# ------------------------------------------------------------------------------------------ synthetic
def _ba_edges(n: int, m: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Barabasi-Albert preferential attachment (star seed of m + 1 nodes), seeded by ``rng``."""
    m = min(m, n - 1)
    edges = [(0, j) for j in range(1, m + 1)]
    targets = [0] * m + list(range(1, m + 1))
    for v in range(m + 1, n):
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(int(targets[rng.integers(len(targets))]))
        for u in chosen:
            edges.append((u, v))
            targets += [u, v]
    return edges


def _to_data(n: int, edges, label: int, community: np.ndarray, feature: str, rng) -> Data:
    """Graph with nodes numbered as built; ``edge_index`` holds each pair (a < b, sorted) then its reverse."""
    e = np.array(sorted(set((min(a, b), max(a, b)) for a, b in edges if a != b)), dtype=np.int64).reshape(-1, 2)
    ei = torch.from_numpy(np.concatenate([e, e[:, ::-1]], 0).T.copy())
    if feature == "constant":
        x = torch.ones(n, 1)
    elif feature == "degree":
        deg = np.bincount(e.ravel(), minlength=n)
        x = torch.from_numpy(np.eye(11, dtype=np.float32)[np.minimum(deg, 10)])
    else:
        raise DataError(f"synthetic graphs: 'feature' must be one of constant, degree (got {feature!r})")
    return Data(x=x, edge_index=ei, y=torch.tensor([label]), community=torch.from_numpy(community))


_NODE_ORDER_TAG = 0x6E6F6465  # second seed word of the node-numbering generator (kept apart from the graphs')


def _renumber(d: Data, rng: np.random.Generator) -> Data:
    """``d`` with its nodes renumbered by a uniformly random permutation drawn from ``rng``: ``x`` and
    ``community`` rows follow their nodes, ``edge_index`` is mapped and put back in ``_to_data``'s order."""
    n = d.num_nodes
    order = rng.permutation(n)            # new node j is old node order[j]
    new_id = np.empty(n, np.int64)
    new_id[order] = np.arange(n)
    ei = new_id[d.edge_index.numpy()]
    e = ei[:, ei[0] < ei[1]].T           # each undirected edge once (edge_index holds both directions)
    e = e[np.lexsort((e[:, 1], e[:, 0]))]
    idx = torch.from_numpy(order)
    return Data(x=d.x[idx], edge_index=torch.from_numpy(np.concatenate([e, e[:, ::-1]], 0).T.copy()), y=d.y,
                community=d.community[idx])


def _finish(graphs: list[Data], rng: np.random.Generator, seed) -> list[Data]:
    """The dataset in a random order (drawn from the graphs' ``rng``), each graph's nodes renumbered by a
    random permutation from a separate generator seeded by (``seed``, a fixed tag): the graphs' own stream,
    hence every graph, label, feature and the dataset order, does not depend on the renumbering. Other seeds
    (None, a SeedSequence, a Generator) seed it with one draw from ``rng`` after the dataset order, its last
    use: the same SeedSequence gives the same dataset every time (it is not spawned from, so not mutated)."""
    order = rng.permutation(len(graphs))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        node_rng = np.random.default_rng([int(seed), _NODE_ORDER_TAG])
    else:
        node_rng = np.random.default_rng(int(rng.integers(2 ** 63)))
    return [_renumber(graphs[i], node_rng) for i in order]


@register_dataset("syn_community1v2", "one vs two Barabasi-Albert communities (DiffPool's synthetic task)")
def community_1v2(n_per_class: int = 300, seed: int = 0, m: int = 4, p_inter: float = 0.3,
                  feature: str = "constant") -> list[Data]:
    """Class 0: one BA graph of 40-60 nodes (m=4). Class 1: two BA communities of 20-30 nodes each (m=4);
    every node of the first community gets, with probability ``p_inter``, one edge to a uniformly drawn node
    of the second (our reading of the official generator's inter-community probability). Nodes are numbered
    in a random order (see the module docstring); ``community`` holds each node's community."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_per_class):
        n = int(rng.integers(40, 61))
        out.append(_to_data(n, _ba_edges(n, m, rng), 0, np.zeros(n, np.int64), feature, rng))
        n1, n2 = int(rng.integers(20, 31)), int(rng.integers(20, 31))
        edges = _ba_edges(n1, m, rng) + [(a + n1, b + n1) for a, b in _ba_edges(n2, m, rng)]
        for i in range(n1):
            if rng.random() < p_inter:
                edges.append((i, n1 + int(rng.integers(n2))))
        if not any(a < n1 <= b for a, b in edges):
            edges.append((0, n1))
        comm = np.r_[np.zeros(n1, np.int64), np.ones(n2, np.int64)]
        out.append(_to_data(n1 + n2, edges, 1, comm, feature, rng))
    return _finish(out, rng, seed)


WIRINGS = ("path", "star", "ring")


def _wiring(kind: str, k: int) -> list[tuple[int, int]]:
    if kind == "path":
        return [(i, i + 1) for i in range(k - 1)]
    if kind == "ring":
        return [(i, (i + 1) % k) for i in range(k)]
    return [(0, i) for i in range(1, k)]


def _planted_blocks(sizes, kind: str, p_in: float, links: tuple[int, int], rng: np.random.Generator):
    """Edges of dense G(s, p_in) blocks of the given ``sizes`` (each made connected by a random Hamiltonian
    path), numbered block by block, wired at the block level as ``kind`` by a uniform number in ``links`` of
    random node-node edges per block link; returns (edges, block offsets)."""
    off = np.r_[0, np.cumsum(sizes)]
    edges = []
    for c, s in enumerate(sizes):
        s = int(s)
        iu = np.triu_indices(s, 1)
        keep = rng.random(iu[0].size) < p_in
        edges += [(int(a) + off[c], int(b) + off[c]) for a, b in zip(iu[0][keep], iu[1][keep])]
        perm = rng.permutation(s)  # a random Hamiltonian path keeps every block connected
        edges += [(int(perm[i]) + off[c], int(perm[i + 1]) + off[c]) for i in range(s - 1)]
    for a, b in _wiring(kind, len(sizes)):
        for _ in range(int(rng.integers(links[0], links[1] + 1))):
            edges.append((off[a] + int(rng.integers(sizes[a])), off[b] + int(rng.integers(sizes[b]))))
    return edges, off


@register_dataset("syn_community_wiring", "planted dense communities whose community-level wiring is the class")
def community_wiring(n_per_class: int = 150, seed: int = 0, classes: tuple[str, ...] = ("path", "ring"),
                     communities: tuple[int, int] = (4, 6), size: tuple[int, int] = (8, 12), p_in: float = 0.5,
                     links: tuple[int, int] = (1, 3), feature: str = "constant") -> list[Data]:
    """Hierarchical task of the DiffPool brief: k communities (k uniform in ``communities``), each a G(n, p_in)
    block of ``size`` nodes (made connected), wired at the community level as a path, ring or star (the
    class). Every community link is realised by a uniform number in ``links`` of random node-node edges,
    so community-level degree is not read off the edge count. ``community`` holds the planted block id;
    nodes are numbered in a random order, not block by block (see the module docstring)."""
    bad = [c for c in classes if c not in WIRINGS]
    if bad or len(classes) < 2:
        raise DataError(f"community_wiring: 'classes' must be >= 2 of {', '.join(WIRINGS)} (got {classes})")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_per_class):
        for label, kind in enumerate(classes):
            k = int(rng.integers(communities[0], communities[1] + 1))
            sizes = rng.integers(size[0], size[1] + 1, size=k)
            edges, off = _planted_blocks(sizes, kind, p_in, links, rng)
            comm = np.repeat(np.arange(k), sizes)
            out.append(_to_data(int(off[-1]), edges, label, comm, feature, rng))
    return _finish(out, rng, seed)


@register_dataset("syn_community_majority", "class = majority type among planted communities (not among nodes)")
def community_majority(n_per_class: int = 150, seed: int = 0, small: tuple[int, int] = (6, 10), p_in: float = 0.5,
                       links: tuple[int, int] = (1, 3), flip: float = 0.2) -> list[Data]:
    """Hierarchical task decided at the community level. Three dense G(n, p_in) communities in a path;
    two share a type T (the class) and have ``small`` nodes each; the third has the other type and as many
    nodes as the two together (+-2), so counting NODES per type says nothing about the class, while counting
    COMMUNITIES per type gives it. Node features: one-hot type flipped with probability ``flip``, plus a
    constant 1. ``community`` holds the planted block id; nodes are numbered in a random order, not block
    by block (see the module docstring)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_per_class):
        for label in (0, 1):
            s1, s2 = (int(v) for v in rng.integers(small[0], small[1] + 1, size=2))
            s3 = max(small[0], s1 + s2 + int(rng.integers(-2, 3)))
            sizes = [s1, s2, s3]
            types = [label, label, 1 - label]
            order = rng.permutation(3)
            sizes, types = [sizes[i] for i in order], [types[i] for i in order]
            edges, off = _planted_blocks(sizes, "path", p_in, links, rng)
            n = int(off[-1])
            comm = np.repeat(np.arange(3), sizes)
            t = np.array(types)[comm]
            t = np.where(rng.random(n) < flip, 1 - t, t)
            d = _to_data(n, edges, label, comm, "constant", rng)
            d.x = torch.from_numpy(np.c_[np.eye(2, dtype=np.float32)[t], np.ones((n, 1), np.float32)])
            out.append(d)
    return _finish(out, rng, seed)


_MOTIFS = {
    "cycle6": [(i, (i + 1) % 6) for i in range(6)],
    "house": [(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (1, 4)],
    "clique5": [(i, j) for i in range(5) for j in range(i + 1, 5)],
}


@register_dataset("syn_motif", "random BA trees with one planted motif (cycle-6 vs house); HGP-SL brief")
def motif(n_per_class: int = 150, seed: int = 0, motifs: tuple[str, ...] = ("cycle6", "house"),
          backbone: tuple[int, int] = (20, 40), noise: float = 0.1) -> list[Data]:
    """HGP-SL brief's synthetic task: a Barabasi-Albert tree (m = 1) of ``backbone`` nodes with one motif
    attached by one edge to a random backbone node; class = motif. x = one-hot degree (capped at 10) plus
    Gaussian noise of std ``noise``; ``community`` = 1 on motif nodes, 0 on the backbone. Nodes are numbered
    in a random order, not backbone first (see the module docstring)."""
    bad = [m for m in motifs if m not in _MOTIFS]
    if bad or len(motifs) < 2:
        raise DataError(f"syn_motif: 'motifs' must be >= 2 of {', '.join(_MOTIFS)} (got {motifs})")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_per_class):
        for label, name in enumerate(motifs):
            nb = int(rng.integers(backbone[0], backbone[1] + 1))
            edges = _ba_edges(nb, 1, rng)
            mo = _MOTIFS[name]
            k = 1 + max(max(e) for e in mo)
            edges += [(a + nb, b + nb) for a, b in mo]
            edges.append((int(rng.integers(nb)), nb + int(rng.integers(k))))
            comm = np.r_[np.zeros(nb, np.int64), np.ones(k, np.int64)]
            d = _to_data(nb + k, edges, label, comm, "degree", rng)
            d.x = d.x + noise * torch.from_numpy(rng.standard_normal(d.x.shape).astype(np.float32))
            out.append(d)
    return _finish(out, rng, seed)
