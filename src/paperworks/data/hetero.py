"""Heterogeneous academic graphs: a generator with a planted meta-path, and offline loaders.

The machines are offline, so the GTN / HDGI reproductions run on :func:`make_academic_hetero`, an
ACM-like graph (paper / author / subject / term) in which the class of a paper is carried by the
meta-path Paper-Subject-Paper: each paper links to one subject, drawn with probability
``subject_purity`` from the subjects owned by its class. Authors and terms are drawn uniformly at
random (P-A-P and P-T-P are noise), and the bag-of-words features carry only a weak class signal.

The papers' real DBLP / ACM / IMDB data are read from a local folder, never downloaded and never
unpickled (the official GTN release ships pickles: convert them once to one of these formats):

1. paperworks npz: one ``<root>/<name>.npz`` written by :func:`save_hetero_npz` (keys documented
   there), read with ``np.load(allow_pickle=False)``.
2. PyG / MAGNN raw layout, as used by ``torch_geometric.datasets.DBLP`` / ``IMDB``: ``adjM.npz``
   (global sparse adjacency), ``node_types.npy``, ``labels.npy``, ``train_val_test_idx.npz`` and
   ``features_<i>.npz`` (scipy sparse) or ``features_<i>.npy`` (dense) per node type, in ``<root>`` or
   ``<root>/raw``. Without ``node_types.npy`` (PyG's IMDB files) each type's node count is its features' rows. Node-type names and the target type follow PyG (DBLP: author, paper, term,
   conference; IMDB: movie, director, actor; ACM: paper, author, subject).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from paperworks.core.config import is_int, is_real, is_seed
from paperworks.core.errors import DataError
from paperworks.data import check_seed, non_integral, register_dataset
from paperworks.data.splits import split_overlap, stratified_split

__all__ = ["make_academic_hetero", "save_hetero_npz", "load_hetero_folder", "hetero_from_config",
           "check_hetero_config", "HETERO_SOURCES", "PLANTED_METAPATH",
           "NOISE_METAPATHS", "RAW_LAYOUTS", "check_hetero", "num_nodes_of"]

PLANTED_METAPATH = [("paper", "ps", "subject"), ("subject", "sp", "paper")]
NOISE_METAPATHS = {"PAP": [("paper", "pa", "author"), ("author", "ap", "paper")],
                   "PTP": [("paper", "pt", "term"), ("term", "tp", "paper")]}

# PyG/MAGNN raw layouts: node types in global-index order, and the labelled (target) type
RAW_LAYOUTS = {
    "dblp": (["author", "paper", "term", "conference"], "author"),
    "imdb": (["movie", "director", "actor"], "movie"),
    "acm": (["paper", "author", "subject"], "paper"),
}


# ------------------------------------------------- checks (re-exported by paperworks.graphs.hetero)
def num_nodes_of(data, node_type: str) -> int:
    """Number of nodes of ``node_type`` (from ``num_nodes`` or ``x``)."""
    store = data[node_type]
    n = store.num_nodes
    if n is None:
        raise DataError(f"node type '{node_type}' has neither 'num_nodes' nor 'x'")
    return int(n)


def check_hetero(data, *, target: str | None = None, where: str = "check_hetero") -> None:
    """Validate a ``HeteroData``: node types, edge types, index ranges, features, labels.

    Raises DataError naming the first problem (``where`` names the caller).
    """
    try:
        from torch_geometric.data import HeteroData
    except ImportError as e:  # pragma: no cover
        raise DataError(f"{where}: torch_geometric is required ({e})") from None
    if not isinstance(data, HeteroData):
        raise DataError(f"{where}: expected a torch_geometric HeteroData (got {type(data).__name__})")
    if len(data.node_types) == 0:
        raise DataError(f"{where}: the graph has no node types")
    node_types = set(data.node_types)
    for nt in data.node_types:
        store = data[nt]
        x = getattr(store, "x", None)
        if x is not None:
            if not torch.is_tensor(x) or x.dim() != 2:
                raise DataError(f"{where}: expected '{nt}'.x of shape [N, F] "
                                f"(got {tuple(x.shape) if torch.is_tensor(x) else type(x).__name__})")
            if not torch.isfinite(x).all():
                raise DataError(f"{where}: '{nt}'.x contains NaN or inf")
        if store.num_nodes is None:
            raise DataError(f"{where}: node type '{nt}' has neither 'num_nodes' nor 'x'")
    for et in data.edge_types:
        src, rel, dst = et
        for t in (src, dst):
            if t not in node_types:
                raise DataError(f"{where}: edge type {et} refers to node type '{t}', which is not in the "
                                f"graph (node types: {', '.join(data.node_types)})")
        ei = getattr(data[et], "edge_index", None)
        if ei is None:
            raise DataError(f"{where}: edge type {et} has no 'edge_index'")
        if not torch.is_tensor(ei) or ei.dim() != 2 or ei.size(0) != 2 or ei.dtype.is_floating_point \
                or ei.dtype == torch.bool:
            shape = tuple(ei.shape) if torch.is_tensor(ei) else type(ei).__name__
            raise DataError(f"{where}: expected edge_index of {et} of shape [2, E] and integer dtype "
                            f"(got shape {shape}, {getattr(ei, 'dtype', '?')})")
        if ei.numel():
            n_src, n_dst = num_nodes_of(data, src), num_nodes_of(data, dst)
            if int(ei.min()) < 0 or int(ei[0].max()) >= n_src or int(ei[1].max()) >= n_dst:
                raise DataError(f"{where}: edge_index of {et} has indices outside [0, {n_src}) x "
                                f"[0, {n_dst}) (max {int(ei[0].max())}, {int(ei[1].max())})")
        w = getattr(data[et], "edge_weight", None)
        if w is not None and (w.shape != (ei.size(1),) or not torch.isfinite(w).all()):
            raise DataError(f"{where}: edge_weight of {et} must be a finite vector of length {ei.size(1)}")
    if target is not None:
        if target not in node_types:
            raise DataError(f"{where}: target node type '{target}' is not in the graph "
                            f"(node types: {', '.join(data.node_types)})")
        n_t = num_nodes_of(data, target)
        y = getattr(data[target], "y", None)
        if y is not None:
            if not torch.is_tensor(y) or y.dim() != 1 or y.numel() != n_t:
                shape = tuple(y.shape) if torch.is_tensor(y) else type(y).__name__
                raise DataError(f"{where}: expected '{target}'.y of shape [{n_t}] (got {shape})")
            if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
                raise DataError(f"{where}: '{target}'.y must hold integer class ids (got dtype {y.dtype})")
            if y.numel() and int(y.min()) < 0:
                raise DataError(f"{where}: '{target}'.y holds negative class ids (min {int(y.min())}); "
                                "class ids must be 0..C-1")
        for name in ("train_mask", "val_mask", "test_mask"):
            m = getattr(data[target], name, None)
            if m is not None and (not torch.is_tensor(m) or m.dtype != torch.bool or m.shape != (n_t,)):
                got = f"shape {tuple(m.shape)}, {m.dtype}" if torch.is_tensor(m) else type(m).__name__
                raise DataError(f"{where}: expected '{target}'.{name} to be a bool vector of length {n_t} "
                                f"(got {got})")


def _bag_of_words(n: int, vocab: int, words: int, topic: np.ndarray | None, n_topics: int,
                  signal: float, rng: np.random.Generator) -> np.ndarray:
    """Counts of ``words`` draws per node: from its topic's word block w.p. ``signal``, else uniform."""
    x = np.zeros((n, vocab), dtype=np.float32)
    block = vocab // max(n_topics, 1)
    for i in range(n):
        if topic is not None:
            from_topic = rng.random(words) < signal
            t = int(topic[i])
            w_topic = rng.integers(t * block, (t + 1) * block, size=int(from_topic.sum()))
            w_rand = rng.integers(0, vocab, size=int((~from_topic).sum()))
            w = np.concatenate([w_topic, w_rand])
        else:
            w = rng.integers(0, vocab, size=words)
        np.add.at(x[i], w, 1.0)
    return x


# Generator parameters that no config sets: hetero_from_config passes these, check_hetero_config checks with them.
_N_CLASSES = 3
_AUTHORS_PER_PAPER = (2, 4)
_TERMS_PER_PAPER = 3


def _size_limits(n_classes: int, authors_per_paper, terms_per_paper: int) -> tuple:
    """The generator's cross-parameter size limits, the one source read by :func:`make_academic_hetero`
    and (by config key) :func:`check_hetero_config`: ``(parameter, least value, what it is, why)``."""
    most_authors = authors_per_paper[1]
    return (("n_subjects", n_classes, "n_classes", f"each of the {n_classes} classes owns subjects"),
            ("vocab", n_classes, "n_classes", f"the {n_classes} classes need their own words"),
            ("n_authors", most_authors, "authors_per_paper[1]", f"a paper has up to {most_authors} authors"),
            ("n_terms", terms_per_paper, "terms_per_paper", f"a paper has {terms_per_paper} distinct terms"))


@register_dataset("hetero_academic")
def make_academic_hetero(n_papers: int = 1000, n_authors: int = 600, n_subjects: int = 30,
                         n_terms: int = 300, n_classes: int = _N_CLASSES, subject_purity: float = 0.8,
                         authors_per_paper: tuple[int, int] = _AUTHORS_PER_PAPER,
                         terms_per_paper: int = _TERMS_PER_PAPER, vocab: int = 64, words_per_node: int = 20,
                         feature_signal: float = 0.12, train: float = 0.2, val: float = 0.1, seed: int = 0):
    """ACM-like heterograph whose labels live on the meta-path P-S-P (see the module docstring).

    Returns a ``HeteroData`` with node types paper (target: ``x``, ``y``, ``train/val/test_mask``),
    author, subject, term (all with ``x`` of the same width, uninformative), the six edge types
    pa/ap, ps/sp, pt/tp (each direction its own type), and the graph-level attributes ``target``,
    ``planted_metapath`` and ``num_classes``.
    """
    from torch_geometric.data import HeteroData

    problems = []
    for name, v in (("n_papers", n_papers), ("n_authors", n_authors), ("n_subjects", n_subjects),
                    ("n_terms", n_terms), ("vocab", vocab), ("words_per_node", words_per_node),
                    ("terms_per_paper", terms_per_paper)):
        # int(v) < 1 let 100.5 through to a bare numpy TypeError / ValueError, and a str to int()'s ValueError
        if not is_int(v, 1):
            problems.append(f"'{name}' must be an integer >= 1 (got {v!r})")
    if not is_int(n_classes, 2):
        problems.append(f"'n_classes' must be an integer >= 2 (got {n_classes!r})")
    if not is_real(subject_purity, 0, 1) or not is_real(feature_signal, 0, 1):
        problems.append("subject_purity and feature_signal must be in [0, 1]")
    lo, hi = authors_per_paper
    if not (is_int(lo) and is_int(hi) and 1 <= lo <= hi):
        problems.append(f"authors_per_paper must be integers with 1 <= lo <= hi (got {authors_per_paper})")
    if problems:   # the size limits below compare these with numbers
        raise DataError("make_academic_hetero: " + "; ".join(problems))
    check_seed(seed, "make_academic_hetero")
    if not is_seed(seed):
        # a NumPy SeedSequence / Generator (or an integer >= 2**64) passed check_seed (default_rng takes them), then
        # failed in the split as "stratified_split: 'seed' must be an integer", an argument the caller never passed
        got = repr(seed) if is_int(seed) else type(seed).__name__
        raise DataError(f"make_academic_hetero: 'seed' must be an integer >= 0 and < 2**64 (got {got}; the "
                        "train / val / test split draws from a torch generator, which takes such an integer)")
    sizes = {"n_subjects": n_subjects, "vocab": vocab, "n_authors": n_authors, "n_terms": n_terms}
    for name, least, what, why in _size_limits(n_classes, authors_per_paper, terms_per_paper):
        if sizes[name] < least:
            problems.append(f"'{name}' must be >= {what} = {least} ({why}; got {sizes[name]})")
    if problems:
        raise DataError("make_academic_hetero: " + "; ".join(problems))

    rng = np.random.default_rng(seed)
    y = np.arange(n_papers) % n_classes
    rng.shuffle(y)
    subj_class = np.arange(n_subjects) % n_classes
    owned = [np.nonzero(subj_class == c)[0] for c in range(n_classes)]
    other = [np.nonzero(subj_class != c)[0] for c in range(n_classes)]
    subject = np.empty(n_papers, dtype=np.int64)
    for i in range(n_papers):
        pool = owned[y[i]] if rng.random() < subject_purity else other[y[i]]
        subject[i] = rng.choice(pool)
    pa_src, pa_dst = [], []
    for i in range(n_papers):
        k = int(rng.integers(lo, hi + 1))
        a = rng.choice(n_authors, size=k, replace=False)
        pa_src += [i] * k
        pa_dst += a.tolist()
    pt_src = np.repeat(np.arange(n_papers), terms_per_paper)
    pt_dst = np.concatenate([rng.choice(n_terms, size=terms_per_paper, replace=False)
                             for _ in range(n_papers)])

    data = HeteroData()
    data["paper"].x = torch.from_numpy(_bag_of_words(n_papers, vocab, words_per_node, y, n_classes,
                                                     feature_signal, rng))
    for nt, n in (("author", n_authors), ("subject", n_subjects), ("term", n_terms)):
        data[nt].x = torch.from_numpy(_bag_of_words(n, vocab, words_per_node, None, n_classes, 0.0, rng))
    data["paper"].y = torch.from_numpy(y).long()

    def put(src, rel, dst, s, d):
        ei = torch.stack([torch.as_tensor(np.asarray(s), dtype=torch.long),
                          torch.as_tensor(np.asarray(d), dtype=torch.long)])
        data[src, rel, dst].edge_index = ei

    put("paper", "pa", "author", pa_src, pa_dst)
    put("author", "ap", "paper", pa_dst, pa_src)
    put("paper", "ps", "subject", np.arange(n_papers), subject)
    put("subject", "sp", "paper", subject, np.arange(n_papers))
    put("paper", "pt", "term", pt_src, pt_dst)
    put("term", "tp", "paper", pt_dst, pt_src)

    _attach_split(data, "paper", torch.from_numpy(y).long(), train, val, seed)
    empty = [nm for nm in ("train", "val", "test") if not bool(data["paper"][f"{nm}_mask"].any())]
    if empty:
        raise DataError(f"make_academic_hetero: 'n_papers'={n_papers} ({n_classes} classes, train {train:g} / val "
                        f"{val:g} per class) leaves the {' and '.join(empty)} split empty; use more papers")
    data.target = "paper"
    data.planted_metapath = list(PLANTED_METAPATH)
    data.num_classes = n_classes
    return data


def _attach_split(data, target, y, train, val, seed):
    tr, va, te = stratified_split(y, train, val, seed)
    n = y.numel()
    for name, idx in (("train", tr), ("val", va), ("test", te)):
        m = torch.zeros(n, dtype=torch.bool)
        m[idx] = True
        data[target][f"{name}_mask"] = m


def _index_mask(indices, n: int, path, key: str, what: str) -> torch.Tensor:
    """Boolean mask [n] of a split's node indices; an index outside [0, n) is a DataError naming the file/key."""
    raw = np.asarray(indices)
    if raw.size and raw.dtype.kind not in "iu":    # a float index array was silently truncated (1.5 -> 1)
        raise DataError(f"'{path}': '{key}' must hold integer node indices (got dtype {raw.dtype})")
    idx = raw.astype(np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise DataError(f"'{path}': '{key}' holds indices outside [0, {n}) ({what})")
    m = torch.zeros(n, dtype=torch.bool)
    m[torch.from_numpy(idx)] = True
    return m


def _whole_numbers(raw, path, key: str, what: str) -> np.ndarray:
    """An array of ids as int64: integers, or floats holding only whole numbers; any other values are a DataError
    naming the file and key (a cast to int64 truncated a float class 1.5 to 1 or node 0.5 to node 0, and turned NaN
    into -9223372036854775808, silently)."""
    a = np.asarray(raw)
    if a.dtype.kind == "f":
        bad = non_integral(a)
        if bad.any():
            raise DataError(f"'{path}': '{key}' must hold integer {what} (got {a[bad][:3].tolist()})")
    elif a.size and a.dtype.kind not in "iu":
        raise DataError(f"'{path}': '{key}' must hold integer {what} (got dtype {a.dtype})")
    return a.astype(np.int64)


def _class_ids(raw, path, key: str) -> np.ndarray:
    """Labels as int64 class ids (:func:`_whole_numbers`)."""
    return _whole_numbers(raw, path, key, "class ids")


# ------------------------------------------------------------------------------------- npz format
def save_hetero_npz(data, path: str | Path, target: str) -> Path:
    """Write a HeteroData as a pickle-free npz: ``node_types`` (str array), ``target`` (str),
    ``num_nodes__<t>``, optional ``x__<t>`` [N_t, F], ``edge_index__<src>__<rel>__<dst>`` [2, E] (and
    ``edge_weight__<src>__<rel>__<dst>`` [E] when the edge type has weights),
    ``y`` [N_target], optional ``train_idx`` / ``val_idx`` / ``test_idx``.
    """
    check_hetero(data, target=target, where="save_hetero_npz")
    for nt in data.node_types:
        for part in (nt,):
            if "__" in part:
                raise DataError(f"save_hetero_npz: node type names may not contain '__' (got '{nt}')")
    arrays: dict[str, np.ndarray] = {"node_types": np.array(list(data.node_types), dtype=str),
                                     "target": np.array(target, dtype=str)}
    for nt in data.node_types:
        arrays[f"num_nodes__{nt}"] = np.array(int(data[nt].num_nodes))
        if getattr(data[nt], "x", None) is not None:
            arrays[f"x__{nt}"] = data[nt].x.detach().cpu().numpy()
    for et in data.edge_types:
        if any("__" in p for p in et):
            raise DataError(f"save_hetero_npz: edge type names may not contain '__' (got {et})")
        arrays["edge_index__" + "__".join(et)] = data[et].edge_index.cpu().numpy().astype(np.int64)
        w = getattr(data[et], "edge_weight", None)
        if w is not None:   # (it was dropped: the reloaded graph was silently unweighted)
            arrays["edge_weight__" + "__".join(et)] = w.detach().cpu().numpy()
    arrays["y"] = data[target].y.cpu().numpy().astype(np.int64)
    for name in ("train", "val", "test"):
        m = getattr(data[target], f"{name}_mask", None)
        if m is not None:
            arrays[f"{name}_idx"] = torch.nonzero(m).flatten().numpy()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def _read_npz(path: Path):
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as e:
        raise DataError(f"'{path}' is not a readable npz file ({e})") from None
    if magic != b"PK\x03\x04":          # an npz is a zip archive; numpy would call any other file "pickled"
        raise DataError(f"'{path}' is not an npz archive (it does not start with the zip signature)")
    import zipfile
    import zlib

    try:
        z = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise DataError(f"'{path}' holds pickled objects, which paperworks never loads ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:   # BadZipFile: a truncated archive
        raise DataError(f"'{path}' is not a readable npz file ({type(e).__name__}: {e})") from None
    try:
        data, target = _npz_to_hetero(z, path)
    except DataError:
        raise
    except ValueError as e:   # object arrays: np.load refuses them without allow_pickle
        raise DataError(f"'{path}' holds pickled objects, which paperworks never loads ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:   # a truncated / corrupt member
        raise DataError(f"'{path}' is not a readable npz file ({type(e).__name__}: {e})") from None
    finally:
        z.close()
    # edge indices outside their node types' ranges, or not [2, E], were loaded silently
    check_hetero(data, target=target, where=f"'{path}'")
    data.target = target
    return data


def _npz_to_hetero(z, path):
    from torch_geometric.data import HeteroData

    keys = set(z.files)
    for k in ("node_types", "target", "y"):
        if k not in keys:
            raise DataError(f"'{path}' is not a paperworks heterograph npz (missing key '{k}')")
    data = HeteroData()
    node_types = [str(t) for t in z["node_types"].tolist()]
    target = str(z["target"])
    for nt in node_types:
        if f"x__{nt}" in keys:
            data[nt].x = torch.from_numpy(np.asarray(z[f"x__{nt}"], dtype=np.float32))
        if f"num_nodes__{nt}" in keys:
            nn = np.asarray(z[f"num_nodes__{nt}"])
            if nn.size != 1:
                raise DataError(f"'{path}': 'num_nodes__{nt}' must be one integer (got shape {nn.shape})")
            v = nn.reshape(())
            # (4.7 was read as 4 nodes)
            if nn.dtype.kind not in "iuf" or (nn.dtype.kind == "f" and non_integral(v)) or v < 0:
                raise DataError(f"'{path}': 'num_nodes__{nt}' must be an integer >= 0 (got {v.item()!r})")
            data[nt].num_nodes = int(v)
            x = getattr(data[nt], "x", None)
            if x is not None and x.dim() >= 1 and x.shape[0] != data[nt].num_nodes:
                # the count won over the rows (a model's outputs then had more rows than 'y' and the masks)
                raise DataError(f"'{path}': 'x__{nt}' has {x.shape[0]} rows but 'num_nodes__{nt}' is "
                                f"{data[nt].num_nodes}")
        elif f"x__{nt}" not in keys:
            raise DataError(f"'{path}': node type '{nt}' has neither 'num_nodes__{nt}' nor 'x__{nt}'")
    for k in sorted(keys):
        if k.startswith("edge_index__"):
            parts = k[len("edge_index__"):].split("__")
            if len(parts) != 3:
                raise DataError(f"'{path}': malformed edge key '{k}' (want edge_index__src__rel__dst)")
            data[tuple(parts)].edge_index = torch.from_numpy(_node_ids(z[k], path, k))
            wk = "edge_weight__" + k[len("edge_index__"):]
            if wk in keys:
                w = np.asarray(z[wk])
                if w.dtype.kind != "f" or w.shape != (data[tuple(parts)].edge_index.size(1),):
                    raise DataError(f"'{path}': '{wk}' must be a float vector with one weight per edge of '{k}' "
                                    f"(got shape {w.shape}, dtype {w.dtype})")
                data[tuple(parts)].edge_weight = torch.from_numpy(w.copy())
    y = torch.from_numpy(_class_ids(z["y"], path, "y"))
    n_target = data[target].num_nodes if target in data.node_types else None
    if n_target is not None and y.shape != (n_target,):
        raise DataError(f"'{path}': 'y' has shape {tuple(y.shape)}, expected ({n_target},) = number of "
                        f"'{target}' nodes")
    data[target].y = y
    for name in ("train", "val", "test"):
        if f"{name}_idx" in keys:
            data[target][f"{name}_mask"] = _index_mask(z[f"{name}_idx"], y.numel(), path, f"{name}_idx",
                                                       f"the '{target}' nodes labelled by 'y'")
    _check_disjoint_splits(data[target], path)
    return data, target


def _node_ids(raw, path, key: str) -> np.ndarray:
    """An index array as int64 node indices (:func:`_whole_numbers`)."""
    return _whole_numbers(raw, path, key, "node indices")


def _check_disjoint_splits(store, where) -> None:
    """train / val / test masks of the target type share no node: an overlapping split file (test nodes also
    trained on, or chosen on) loaded silently, and the test accuracy then measured partly on training nodes."""
    overlap = split_overlap([(nm, getattr(store, f"{nm}_mask", None)) for nm in ("train", "val", "test")])
    if overlap is not None:
        a, b, both = overlap
        raise DataError(f"'{where}': the {a} and {b} splits share {both.size} node(s) (e.g. {both[:3].tolist()}); "
                        f"the splits must be disjoint")


# ------------------------------------------------------------------------------- PyG raw layout
def _npz_arrays(path: Path, keys) -> dict:
    """The arrays of ``keys`` present in the npz at ``path`` (read without pickles)."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in keys if k in z.files}


def _raw_file(path: Path, read):
    """``read(path)`` of one PyG raw file; a truncated, corrupt or pickled file is one DataError naming it (it
    was a bare ValueError / BadZipFile / EOFError from inside numpy or scipy)."""
    import zipfile

    try:
        return read(path)
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise DataError(f"'{path}' is not a readable raw file: truncated, corrupt or holding pickled objects, "
                        f"which paperworks never loads ({type(e).__name__}: {e})") from None


def _read_raw(folder: Path, name: str):
    import scipy.sparse as sp
    from torch_geometric.data import HeteroData

    if name not in RAW_LAYOUTS:
        raise DataError(f"no PyG raw layout known for '{name}' (known: {', '.join(RAW_LAYOUTS)}); "
                        "use the npz format instead")
    types, target = RAW_LAYOUTS[name]
    need = ["adjM.npz", "node_types.npy", "labels.npy"]
    feat_files = [next((f for f in (folder / f"features_{i}.npz", folder / f"features_{i}.npy") if f.exists()), None)
                  for i in range(len(types))]
    # PyG's IMDB raw folder has no node_types.npy: PyG takes each type's node count from its feature rows (the
    # types in blocks, in RAW_LAYOUTS order); so do we when every type has a features file (the folder was
    # refused as lacking node_types.npy)
    derive = not (folder / "node_types.npy").exists() and all(f is not None for f in feat_files)
    missing = [f for f in need if not (folder / f).exists() and not (derive and f == "node_types.npy")]
    if missing:
        raise DataError(f"'{folder}' lacks {', '.join(missing)} (PyG raw layout for {name})")
    if derive:
        def n_rows(g):
            a = sp.load_npz(g) if g.suffix == ".npz" else np.load(g, allow_pickle=False, mmap_mode="r")
            if len(a.shape) != 2:
                raise ValueError(f"features must be a 2-d matrix (got shape {tuple(a.shape)})")
            return a.shape[0]

        rows = [_raw_file(f, n_rows) for f in feat_files]
        type_idx = np.repeat(np.arange(len(types)), rows)
    else:
        type_idx = _whole_numbers(_raw_file(folder / "node_types.npy", lambda f: np.load(f, allow_pickle=False)),
                                  folder / "node_types.npy", "node_types.npy", "node type ids")
    labels = _class_ids(_raw_file(folder / "labels.npy", lambda f: np.load(f, allow_pickle=False)),
                        folder / "labels.npy", "labels")
    adj = _raw_file(folder / "adjM.npz", sp.load_npz).tocsr()
    counts = [int((type_idx == i).sum()) for i in range(len(types))]
    n = int(type_idx.size)
    if adj.shape != (n, n):
        raise DataError(f"'{folder}/adjM.npz' has shape {adj.shape}, expected ({n}, {n}) from "
                        f"{'the rows of features_<i>' if derive else 'node_types.npy'}")
    if sum(counts) != n:
        raise DataError(f"'{folder}/node_types.npy' has type ids outside 0..{len(types) - 1}")
    starts = np.concatenate([[0], np.cumsum(counts)])
    if not np.array_equal(type_idx, np.repeat(np.arange(len(types)), counts)):
        raise DataError(f"'{folder}/node_types.npy' must list node types in contiguous blocks 0, 1, ...")
    data = HeteroData()
    for i, nt in enumerate(types):
        f_npz, f_npy = folder / f"features_{i}.npz", folder / f"features_{i}.npy"
        if f_npz.exists():
            x = np.asarray(_raw_file(f_npz, sp.load_npz).todense(), dtype=np.float32)
        elif f_npy.exists():
            x = _raw_file(f_npy, lambda f: np.load(f, allow_pickle=False)).astype(np.float32)
        else:
            data[nt].num_nodes = counts[i]
            continue
        if x.shape[0] != counts[i]:
            raise DataError(f"'{folder}/features_{i}': {x.shape[0]} rows but {counts[i]} '{nt}' nodes")
        data[nt].x = torch.from_numpy(x)
    if labels.shape != (counts[types.index(target)],):
        raise DataError(f"'{folder}/labels.npy' has shape {labels.shape}, expected "
                        f"({counts[types.index(target)]},) = number of '{target}' nodes")
    data[target].y = torch.from_numpy(labels)
    for a, src in enumerate(types):
        for b, dst in enumerate(types):
            blk = adj[starts[a]:starts[a + 1], starts[b]:starts[b + 1]].tocoo()
            if blk.nnz:
                data[src, "to", dst].edge_index = torch.from_numpy(
                    np.stack([blk.row, blk.col]).astype(np.int64))
    split = folder / "train_val_test_idx.npz"
    if split.exists():
        idx = _raw_file(split, lambda f: _npz_arrays(f, ("train_idx", "val_idx", "test_idx")))
        for nm in ("train", "val", "test"):
            if f"{nm}_idx" in idx:
                data[target][f"{nm}_mask"] = _index_mask(idx[f"{nm}_idx"], labels.size, split, f"{nm}_idx",
                                                         f"the '{target}' nodes of labels.npy")
        _check_disjoint_splits(data[target], split)
    # as the npz format: NaN / inf features and negative class ids loaded silently from the raw files
    check_hetero(data, target=target, where=f"'{folder}'")
    data.target = target
    return data


def load_hetero_folder(name: str, root: str | Path):
    """Load DBLP / ACM / IMDB (or any npz heterograph) from a local folder; see the module docstring."""
    name_l = name.lower()
    root = Path(root)
    if root.is_file() and root.suffix == ".npz":
        return _read_npz(root)
    if not root.exists():
        raise DataError(f"data folder '{root}' does not exist: put {name_l}.npz (paperworks npz) or the "
                        f"PyG raw files (adjM.npz, node_types.npy, labels.npy, ...) there")
    for cand in (root / f"{name_l}.npz", root / f"{name}.npz", root / name_l / f"{name_l}.npz"):
        if cand.exists():
            return _read_npz(cand)
    for folder in (root, root / "raw", root / name_l, root / name_l / "raw", root / name.upper() / "raw"):
        if (folder / "adjM.npz").exists():
            return _read_raw(folder, name_l)
    if any(root.glob("*.pkl")):
        raise DataError(f"'{root}' holds pickles (the official GTN release); paperworks never unpickles: "
                        f"convert them to {name_l}.npz with paperworks.data.hetero.save_hetero_npz")
    raise DataError(f"no {name} data in '{root}': expected {name_l}.npz or the PyG raw files "
                    "(adjM.npz, node_types.npy, labels.npy, train_val_test_idx.npz, features_<i>.npz)")


HETERO_SOURCES = ("synthetic", "dblp", "acm", "imdb")


def check_hetero_config(c) -> None:
    """The dataset checks of a config read by :func:`hetero_from_config`: a known ``dataset``, and ``data_root``
    given exactly when the dataset is read from a folder (with ``synthetic`` it was silently ignored)."""
    from paperworks.core.config import check_choice
    from paperworks.core.errors import ConfigError

    check_choice("dataset", c.dataset, HETERO_SOURCES)
    if c.dataset == "synthetic" and c.data_root:
        raise ConfigError(f"'data_root' ({c.data_root}) is read only by dataset=dblp|acm|imdb, not "
                          "dataset=synthetic; set dataset or drop data_root")
    if c.dataset != "synthetic" and not c.data_root:
        raise ConfigError(f"dataset '{c.dataset}' needs data_root=<folder with its npz / PyG raw files>")
    if c.dataset == "synthetic":
        # the generator's cross-field limits (one source: _size_limits), named by config key, for the
        # values of n_classes, authors_per_paper and terms_per_paper that hetero_from_config passes
        for key, least, _, why in _size_limits(_N_CLASSES, _AUTHORS_PER_PAPER, _TERMS_PER_PAPER):
            v = getattr(c, key, None)
            if v is not None and v < least:
                raise ConfigError(f"'{key}' must be >= {least} with dataset=synthetic ({why}; got {v})")


def hetero_from_config(c, seed: int):
    """The heterograph a system config names: ``dataset="synthetic"`` generates the academic graph from the
    config's sizes (``n_papers``, ``n_authors``, ``n_subjects``, ``n_terms``, ``vocab``, ``feature_signal``,
    ``subject_purity``) with ``seed``; any other name is loaded from ``c.data_root``."""
    if c.dataset == "synthetic":
        return make_academic_hetero(n_papers=c.n_papers, n_authors=c.n_authors, n_subjects=c.n_subjects,
                                    n_terms=c.n_terms, vocab=c.vocab, feature_signal=c.feature_signal,
                                    subject_purity=c.subject_purity, n_classes=_N_CLASSES,
                                    authors_per_paper=_AUTHORS_PER_PAPER, terms_per_paper=_TERMS_PER_PAPER,
                                    seed=seed)
    return load_hetero_folder(c.dataset, c.data_root)


@register_dataset("dblp_hetero")
def load_dblp(root: str | Path):
    """DBLP (authors, 4 classes) from a local folder (npz or PyG raw layout)."""
    return load_hetero_folder("dblp", root)


@register_dataset("acm_hetero")
def load_acm(root: str | Path):
    """ACM (papers, 3 classes) from a local folder (npz or PyG raw layout)."""
    return load_hetero_folder("acm", root)


@register_dataset("imdb_hetero")
def load_imdb(root: str | Path):
    """IMDB (movies, 3 classes) from a local folder (npz or PyG raw layout)."""
    return load_hetero_folder("imdb", root)
