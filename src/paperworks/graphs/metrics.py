"""Diagnostics of pooled graphs: community recovery of soft assignments, connectivity of pooled graphs."""

from __future__ import annotations

import numpy as np
from torch import Tensor

from paperworks.core.errors import DataError

__all__ = ["community_nmi", "components_and_isolated"]


def community_nmi(assignments: list[Tensor], communities: list[Tensor]) -> float:
    """Mean over graphs of NMI(argmax_j S_ij, planted community of node i) (sklearn, arithmetic mean).

    ``assignments[g]`` is the [n_g, C] assignment of graph g (padding removed), ``communities[g]`` [n_g].
    Graphs with a single planted community are skipped (NMI is undefined there)."""
    from sklearn.metrics import normalized_mutual_info_score

    if len(assignments) != len(communities):     # zip() dropped the extra graphs of the longer list silently
        raise DataError(f"community_nmi: {len(assignments)} assignments but {len(communities)} community vectors "
                        f"(one per graph each)")
    vals = []
    for s, c in zip(assignments, communities):
        c = np.asarray(c)
        if np.unique(c).size < 2:
            continue
        vals.append(normalized_mutual_info_score(c, np.asarray(s.argmax(-1))))
    return float(np.mean(vals)) if vals else float("nan")


def components_and_isolated(edge_index: Tensor, num_nodes: int) -> tuple[int, int]:
    """(number of connected components, number of isolated nodes) of an undirected view of the graph;
    self-loops do not connect a node to anything."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ei = edge_index[:, edge_index[0] != edge_index[1]].numpy()
    m = coo_matrix((np.ones(ei.shape[1]), (ei[0], ei[1])), shape=(num_nodes, num_nodes))
    ncomp, _ = connected_components(m, directed=False)
    deg = np.zeros(num_nodes, np.int64)
    np.add.at(deg, ei.ravel(), 1)
    return int(ncomp), int((deg == 0).sum())
