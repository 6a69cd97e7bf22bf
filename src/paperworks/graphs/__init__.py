"""Graph engine on PyTorch Geometric (no torch_scatter / torch_sparse needed).

- dense pooling: :func:`dense_diff_pool` (PyG semantics), :class:`DiffPoolNet`, :class:`FlatDenseSAGE`
- node-drop pooling with structure learning: :func:`sparsemax`, :func:`segment_sparsemax`,
  :func:`node_information_score`, :class:`HGPSLPool`, :class:`HierGCN` (also the TopK/SAG/flat baselines)
- harness: :func:`stratified_folds`, :func:`random_splits`, :func:`train_eval`, :func:`cross_validate`
- metrics: :func:`community_nmi`
"""

from paperworks.graphs.dense_pool import (DenseGNN, DiffPoolNet, FlatDenseSAGE, assignment_entropy,
                                          dense_diff_pool, link_loss_bce, link_loss_frobenius, to_dense)
from paperworks.graphs.harness import (CVResult, FoldResult, Split, cross_validate, evaluate, fmt_acc,
                                       make_splits, mean_std, random_splits, stratified_folds, train_eval)
from paperworks.graphs.metrics import community_nmi, components_and_isolated
from paperworks.graphs.sparse_models import POOLS, HierGCN, RowNormGCN
from paperworks.graphs.structure_pool import (HGPSLPool, candidate_pairs, node_information_score,
                                              segment_sparsemax, sparsemax)

__all__ = [
    "dense_diff_pool", "link_loss_frobenius", "link_loss_bce", "assignment_entropy", "DenseGNN", "DiffPoolNet",
    "FlatDenseSAGE", "to_dense",
    "sparsemax", "segment_sparsemax", "node_information_score", "candidate_pairs", "HGPSLPool", "HierGCN", "RowNormGCN", "POOLS",
    "Split", "FoldResult", "CVResult", "stratified_folds", "random_splits", "make_splits", "train_eval",
    "cross_validate", "evaluate", "mean_std", "fmt_acc",
    "community_nmi", "components_and_isolated",
]
