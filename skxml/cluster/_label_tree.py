"""LabelTreeClusterer: PIFA label features partitioned by recursive balanced 2-means.

The tree is grown level by level: every node of a level is split in the same few vectorised
passes over the non-zeros of the label-feature matrix, so the cost of a level is O(nnz) per
2-means iteration whatever the number of nodes, and nothing dense of size n_labels ×
n_features is ever built.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import MultiLabelBinarizer, normalize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skxml._label_input import (
    _as_label_input,
    _binarize_known_labels,
    _fit_label_binarizer,
    _is_label_lists,
    _label_column_names,
    _named_label_matrix,
)
from skxml.text._tokenizer import CJK_CHARACTER_CLASS, normalize_lowercase_and_space_cjk
from skxml.utils._validation import (
    RefusesBooleansAsNumbers,
    check_label_matrix,
    check_ngram_range,
    check_texts,
    is_table,
)

# Subtrees are fitted in parallel (n_jobs) only when each job gets at least this many labels:
# below it, starting the worker processes (which import skxml, hence torch) costs more than
# the 2-means iterations they would share.
_MIN_LABELS_PER_JOB = 100_000
# max_leaf_size="auto": about this many training positives per cluster, i.e. a leaf of
# _AUTO_LEAF_POSITIVES / (mean training texts per label) labels, kept within
# [_AUTO_LEAF_MIN, _AUTO_LEAF_MAX]. InceptionXML+'s meta head learns a cluster from its
# labels' positives: where labels have few (debian-deps, 6.0 texts per label; subsets of
# wordnet-hypernyms and debian-deps, 2.6-5.7), leaves of 32-64 labels lifted P@1 and PSP@5
# (debian-deps +0.23 / +0.87); where they have many (debian-tags, 148; a 1,000-text subset,
# 10.3) 16 was better. 192 puts all six on the side they favoured (so does any of 129-231).
_AUTO_LEAF_POSITIVES = 192
_AUTO_LEAF_MIN = 16
_AUTO_LEAF_MAX = 64
# init="k-means++": candidates for the second centroid of a node, of which the one closest
# to the node's labels is kept (greedy k-means++). benchmarks/cluster_init.py (2026-12-07,
# mean cosine of labels to their cluster's centroid, 10 / 5 seeds): 1, 3 and 8 candidates
# gave 0.5337, 0.5355, 0.5383 on debian-tags and 0.5572, 0.5576, 0.5595 on debian-deps,
# against 0.5316 and 0.5553 for two random labels. Each candidate costs one pass over the
# label features per level, about one 2-means iteration.
_SEED_CANDIDATES = 8


# --------------------------------------------------------------------------------------
# Label features
# --------------------------------------------------------------------------------------


def _is_text_input(X: Any) -> bool:
    """Whether ``X`` holds raw texts rather than a numeric feature matrix."""
    if sp.issparse(X):
        return False
    if isinstance(X, np.ndarray):
        return X.dtype.kind in "OUS"
    if is_table(X):  # its values, not its column names
        return bool(np.asarray(X).dtype.kind in "OUS")
    if isinstance(X, (str, bytes)):
        return True  # check_texts rejects it with a clear message
    try:
        items = iter(X)
    except TypeError:
        return True  # not iterable: check_texts says so
    # Texts if any item is one (check_texts then names a None or a number among them), or
    # if no item is a row of numbers (check_texts says what the items are).
    has_rows = False
    for item in items:
        if isinstance(item, str):
            return True
        has_rows = has_rows or isinstance(item, (list, tuple, np.ndarray)) or sp.issparse(item)
    return not has_rows


_PIFA_CHUNK_ROWS = 1 << 18


def _pifa(features: Any, labels: sp.csr_matrix) -> sp.csr_matrix:
    """PIFA label features ``normalize(Yᵀ · normalize(X))`` as a float32 CSR matrix.

    Rows of ``features`` are L2-normalised first so that every training point weighs the
    same; a label without positive rows gets an all-zero row.
    """
    if not sp.issparse(features):
        features = normalize(np.asarray(features, dtype=np.float64), norm="l2")
        aggregated = labels.T.tocsr().astype(np.float64) @ features
    else:
        # A block of rows at a time: a memory-mapped TF-IDF matrix (TokenCorpus) is never
        # copied whole.
        features = sp.csr_matrix(features)
        aggregated = sp.csr_matrix((labels.shape[1], features.shape[1]), dtype=np.float64)
        for start in range(0, features.shape[0], _PIFA_CHUNK_ROWS):
            block = sp.csr_matrix(features[start : start + _PIFA_CHUNK_ROWS], dtype=np.float64)
            block_labels = labels[start : start + _PIFA_CHUNK_ROWS]
            aggregated = aggregated + block_labels.T.tocsr().astype(np.float64) @ normalize(
                block, norm="l2"
            )
    label_features = sp.csr_matrix(normalize(aggregated, norm="l2"), dtype=np.float32)
    label_features.eliminate_zeros()
    label_features.sort_indices()
    return label_features


# --------------------------------------------------------------------------------------
# Balanced 2-means, one tree level at a time
# --------------------------------------------------------------------------------------


def _index_dtype(*sizes: int) -> np.dtype:
    """int32 for sparse indices when every size fits, as scipy would choose, else int64."""
    return np.dtype(np.int32 if max(sizes) < np.iinfo(np.int32).max else np.int64)


class _NodeLayout:
    """The labels of one tree level as a CSR matrix laid out for all-node-at-once algebra.

    Rows are labels grouped by node (ascending label index within a node); columns are
    (node, feature) pairs grouped by node, features ascending within a node. The sums of
    every node's rows are then one sparse product ``matrix.T @ x``, the dot products of
    every row with its own node's vectors one ``matrix @ v``, and both touch memory almost
    sequentially, one node after the other.
    """

    def __init__(
        self, matrix: sp.csr_matrix, node_of_row: np.ndarray, pair_counts: np.ndarray
    ) -> None:
        self.matrix = matrix
        self.node_of_row = node_of_row
        self.pair_counts = pair_counts  # number of columns of every node
        self.sizes = np.bincount(node_of_row, minlength=pair_counts.size)
        self.starts = np.cumsum(self.sizes) - self.sizes

    @classmethod
    def root(cls, label_features: sp.csr_matrix) -> _NodeLayout:
        """A single node holding every label; one column per feature in use."""
        n_labels, n_features = label_features.shape
        present = np.zeros(n_features, dtype=bool)
        present[label_features.indices] = True
        n_pairs = int(present.sum())
        index_dtype = _index_dtype(label_features.nnz, 2 * n_pairs)
        pair_of_feature = (np.cumsum(present) - 1).astype(index_dtype)
        matrix = sp.csr_matrix(
            (
                label_features.data.astype(np.float64),
                pair_of_feature[label_features.indices],
                label_features.indptr.astype(index_dtype),
            ),
            shape=(n_labels, n_pairs),
        )
        return cls(matrix, np.zeros(n_labels, dtype=np.intp), np.array([n_pairs]))

    def split(self, side: np.ndarray) -> tuple[_NodeLayout, np.ndarray]:
        """The next level, node ``n`` giving children ``2n`` (side False) and ``2n + 1``.

        Returns it with the permutation of the rows (new row ``i`` is old row
        ``row_order[i]``).
        """
        matrix = self.matrix
        n_pairs = matrix.shape[1]
        index_dtype = _index_dtype(matrix.nnz, 4 * n_pairs + 4)
        row_order = np.argsort(2 * self.node_of_row + side, kind="stable")
        # A child's columns are the parent's columns p used by the child's rows; mark them
        # in used[side, p + 1] (column 0 stays empty, so the running counts start at 0).
        stride = n_pairs + 1
        keys = np.repeat(side, np.diff(matrix.indptr)).astype(index_dtype) * stride
        keys += matrix.indices
        keys += 1
        used = np.zeros((2, stride), dtype=bool)
        used.ravel()[keys] = True
        # Number the used (side, p) child-major: within a parent, child 0's columns then
        # child 1's, each in the order of p (that is, of the features).
        running = np.cumsum(used, axis=1, dtype=index_dtype)
        through_node = running[:, np.cumsum(self.pair_counts)]  # (2, n_nodes)
        counts = np.diff(through_node, axis=1, prepend=0).T  # (n_nodes, 2)
        before_1 = np.cumsum(counts[:, 1]) - counts[:, 1]  # side-1 columns in earlier nodes
        running -= 1
        running[0, 1:] += np.repeat(before_1.astype(index_dtype), self.pair_counts)
        running[1, 1:] += np.repeat(through_node[0], self.pair_counts)
        columns = running.ravel()[keys]
        n_columns = int(counts.sum())
        del keys, used, running  # free them before the rows are copied: peak memory
        children = sp.csr_matrix(
            (matrix.data, columns, matrix.indptr), shape=(matrix.shape[0], n_columns)
        )[row_order]
        node_of_row = 2 * self.node_of_row[row_order] + side[row_order]
        return _NodeLayout(children, node_of_row, counts.ravel()), row_order

    def subset(self, node_mask: np.ndarray) -> tuple[_NodeLayout, np.ndarray]:
        """The layout of some of the nodes, renumbered in order; also the mask of rows kept."""
        row_mask = node_mask[self.node_of_row]
        dropped = np.where(node_mask, 0, self.pair_counts)
        shift = np.repeat(np.cumsum(dropped) - dropped, self.pair_counts)
        rows = self.matrix[row_mask]
        matrix = sp.csr_matrix(
            (
                rows.data,
                rows.indices - shift[rows.indices].astype(rows.indices.dtype),
                rows.indptr,
            ),
            shape=(rows.shape[0], int(self.pair_counts[node_mask].sum())),
        )
        node_of_row = (np.cumsum(node_mask) - 1)[self.node_of_row[row_mask]]
        return _NodeLayout(matrix, node_of_row, self.pair_counts[node_mask]), row_mask


def _initial_seeds(layout: _NodeLayout, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of two distinct random labels of every node (nodes of at least two labels)."""
    sizes = layout.sizes
    first = np.minimum((uniforms[:, 0] * sizes).astype(np.intp), sizes - 1)
    second = np.minimum((uniforms[:, 1] * (sizes - 1)).astype(np.intp), sizes - 2)
    second += second >= first
    return layout.starts + first, layout.starts + second


def _rows_dots(matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Dot product of every row with the one row of its node given in ``rows``."""
    chosen = np.zeros(matrix.shape[0])
    chosen[rows] = 1.0
    return matrix @ (matrix.T @ chosen)


def _far_seeds(
    layout: _NodeLayout, dots_0: np.ndarray, seed_0: np.ndarray, uniforms: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Second centroid of every node by greedy k-means++, with its rows' dot products.

    Candidates are drawn with probability proportional to their distance from the first
    centroid ``seed_0`` (``1 - cosine``: half the squared Euclidean distance of unit
    vectors, the D² weighting of k-means++; all-zero rows are never drawn); of
    ``uniforms.shape[1]`` candidates the one leaving the node's labels closest to their
    nearer centroid is kept (mean distances compared at a resolution of 2**-30, ties to the
    earlier draw). A node whose labels all equal its first centroid keeps a
    random second label (returned as -1, for the caller to fill).
    """
    matrix = layout.matrix
    node = layout.node_of_row
    nonzero = np.diff(matrix.indptr) > 0
    distance_0 = np.where(nonzero, np.clip(1.0 - dots_0, 0.0, 2.0), 0.0)
    distance_0[seed_0] = 0.0
    cumulative = np.cumsum(distance_0)
    total = np.bincount(node, weights=distance_0, minlength=layout.sizes.size)
    before = cumulative[layout.starts] - distance_0[layout.starts]
    last = layout.starts + layout.sizes - 1
    drawable = total > 0
    best = np.full(layout.sizes.size, -1, dtype=np.intp)
    best_dots: np.ndarray | None = None
    best_cost = np.full(layout.sizes.size, np.inf)
    for trial in range(uniforms.shape[1]):
        candidate = np.searchsorted(cumulative, before + uniforms[:, trial] * total, "right")
        candidate = np.clip(candidate, layout.starts, last)
        # Rounding could land on a zero-weight row: the first centroid is never taken.
        candidate = np.where(drawable & (candidate != seed_0), candidate, -1)
        usable = candidate >= 0
        if not usable.any():
            continue
        dots = _rows_dots(matrix, candidate[usable])
        distance = np.where(nonzero, np.clip(1.0 - dots, 0.0, 2.0), 0.0)
        distance[candidate[usable]] = 0.0  # not 1 - (its norm)²: float32 rounding
        cost = np.bincount(
            node, weights=np.minimum(distance_0, distance), minlength=layout.sizes.size
        )
        # Mean distances compared at 2**-30, like the gaps: ties go to the earlier draw.
        cost = np.rint(cost / np.maximum(layout.sizes, 1) * 2.0**30)
        better = usable & (cost < best_cost)
        best = np.where(better, candidate, best)
        best_cost = np.where(better, cost, best_cost)
        if best_dots is None:
            best_dots = dots
        else:
            best_dots = np.where(better[node], dots, best_dots)
    return best, best_dots


def _balanced_halves(gap: np.ndarray, layout: _NodeLayout) -> np.ndarray:
    """Side of every row: the best split of each node for the gaps, sizes differing by ≤ 1.

    The first floor(n/2) rows by decreasing gap go to child 0 (False), the last floor(n/2)
    to child 1 and, for an odd n, the middle one to the closer centroid (gap ≥ 0: child 0).
    Gaps are compared at a resolution of 2**-30; ties go by row, i.e. by label index.
    """
    node = layout.node_of_row
    quantised = np.rint(np.clip(gap, -2.0, 2.0) * 2.0**30).astype(np.int64)
    if layout.sizes.size < 1 << 30:
        # One stable integer sort: node in the high bits, decreasing gap in the low 33.
        order = np.argsort((node.astype(np.int64) << 33) + (2**32 - quantised), kind="stable")
    else:  # pragma: no cover - over a billion nodes
        order = np.lexsort((-quantised, node))
    rank = np.empty(node.size, dtype=np.intp)
    rank[order] = np.arange(node.size) - np.repeat(layout.starts, layout.sizes)
    half = (layout.sizes // 2)[node]
    middle_to_0 = (layout.sizes % 2 == 1)[node] & (gap >= 0)
    return (rank > half) | ((rank == half) & ~middle_to_0)


def _node_norms(layout: _NodeLayout, dots: np.ndarray, in_child: np.ndarray) -> np.ndarray:
    """Per node, ``||S||`` of the sum S of a child's rows, from the rows' dots with S."""
    squared = np.bincount(
        layout.node_of_row, weights=np.where(in_child, dots, 0.0), minlength=layout.sizes.size
    )
    return np.sqrt(np.maximum(squared, 0.0))


def _inverse(norms: np.ndarray) -> np.ndarray:
    return 1.0 / np.where(norms > 0, norms, 1.0)


def _split_level(
    layout: _NodeLayout,
    uniforms: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    candidate_uniforms: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Split every node of a level in two by balanced spherical 2-means.

    With ``S_k`` the sum of child ``k``'s rows, a row's cosine similarity to centroid ``k``
    is ``z · S_k / ||S_k||``; ``d0 = z · S_0`` comes from two sparse products per iteration
    and ``z · S_1 = z · T - d0``, with ``T`` the node's total, computed once. The norms
    follow from the same dots: ``||S_k||² = sum over child k's rows of z · S_k``.

    The first centroid of a node is a random label; the second another random label, or,
    given ``candidate_uniforms`` (one column per candidate), the best of that many labels
    drawn by k-means++ (:func:`_far_seeds`).

    Returns the side of every row (False: child 0) and the number of iterations run (the
    most any node needed). Nodes that have converged leave the working set once they are
    half of it, so a few slow nodes do not cost a pass over every label.
    """
    side = np.zeros(layout.matrix.shape[0], dtype=bool)
    rows = np.arange(side.size)  # rows of `layout` in the working set
    seed_0, seed_1 = _initial_seeds(layout, uniforms)
    matrix = layout.matrix
    node_total_dots = matrix @ (matrix.T @ np.ones(side.size))
    dots_0 = _rows_dots(matrix, seed_0)
    dots_1: np.ndarray | None = None
    if candidate_uniforms is not None:
        far, dots_1 = _far_seeds(layout, dots_0, seed_0, candidate_uniforms)
        if (far < 0).any():  # nodes of identical labels: a random second label
            far = np.where(far < 0, seed_1, far)
            dots_1 = None
        seed_1 = far
    if dots_1 is None:
        dots_1 = _rows_dots(matrix, seed_1)
    is_seed_0 = np.zeros(side.size, dtype=bool)
    is_seed_0[seed_0] = True
    is_seed_1 = np.zeros(side.size, dtype=bool)
    is_seed_1[seed_1] = True
    norms_0 = _node_norms(layout, dots_0, is_seed_0)
    norms_1 = _node_norms(layout, dots_1, is_seed_1)

    work, work_side = layout, side.copy()
    objective = np.full(layout.sizes.size, -np.inf)
    active = np.ones(layout.sizes.size, dtype=bool)
    iteration = 0
    while True:
        iteration += 1
        node = work.node_of_row
        gap = dots_0 * _inverse(norms_0)[node] - dots_1 * _inverse(norms_1)[node]
        work_side = np.where(active[node], _balanced_halves(gap, work), work_side)
        if iteration == max_iter:
            break
        matrix = work.matrix
        dots_0 = matrix @ (matrix.T @ (~work_side).astype(np.float64))
        dots_1 = node_total_dots - dots_0
        norms_0 = _node_norms(work, dots_0, ~work_side)
        norms_1 = _node_norms(work, dots_1, work_side)
        # Mean cosine similarity of the node's rows to their centroid: sum_k ||S_k|| / n.
        new_objective = (norms_0 + norms_1) / work.sizes
        converged = new_objective - objective < tol
        objective = np.where(active, new_objective, objective)
        active &= ~converged
        n_active = int(work.sizes[active].sum())
        if n_active == 0:
            break
        if 2 * n_active <= node.size:
            side[rows] = work_side
            work, kept = work.subset(active)
            rows, work_side, node_total_dots = rows[kept], work_side[kept], node_total_dots[kept]
            dots_0, dots_1 = dots_0[kept], dots_1[kept]
            norms_0, norms_1, objective = norms_0[active], norms_1[active], objective[active]
            active = np.ones(work.sizes.size, dtype=bool)
    side[rows] = work_side
    return side, iteration


def _grow_tree(
    label_features: sp.csr_matrix,
    n_levels: int,
    *,
    seed: int,
    tol: float,
    max_iter: int,
    init: str = "k-means++",
    first_level: int = 0,
    root: int = 0,
) -> tuple[np.ndarray, list[int]]:
    """Leaf (0 .. 2**n_levels - 1) of every label under one root, and iterations per level.

    ``first_level`` and ``root`` place the subtree in the whole tree, so that its random
    seeds (drawn per level and node of the whole tree) do not depend on how the tree was
    cut into jobs.
    """
    n_labels = label_features.shape[0]
    leaves = np.zeros(n_labels, dtype=np.intp)
    if n_levels == 0:
        return leaves, []
    layout = _NodeLayout.root(label_features)
    labels = np.arange(n_labels)  # label of each row of the layout
    iterations = []
    for depth in range(n_levels):
        level = first_level + depth
        level_uniforms = np.random.default_rng([seed, level]).random((1 << level, 2))
        nodes = slice(root << depth, (root + 1) << depth)
        candidate_uniforms = None
        if init == "k-means++":  # drawn apart, so that init="random" keeps its seeds
            candidate_rng = np.random.default_rng([seed, level, 1])
            candidate_uniforms = candidate_rng.random((1 << level, _SEED_CANDIDATES))[nodes]
        side, n_iter = _split_level(
            layout,
            level_uniforms[nodes],
            tol=tol,
            max_iter=max_iter,
            candidate_uniforms=candidate_uniforms,
        )
        iterations.append(n_iter)
        if depth + 1 < n_levels:
            layout, row_order = layout.split(side)
            labels = labels[row_order]
    leaves[labels] = 2 * layout.node_of_row + side
    return leaves, iterations


def _build_tree(
    label_features: sp.csr_matrix,
    n_levels: int,
    *,
    seed: int,
    tol: float,
    max_iter: int,
    init: str,
    n_jobs: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster of every label and iterations per level, the subtrees in ``n_jobs`` jobs.

    The result does not depend on ``n_jobs``: the top levels are split in this process,
    then each node of the level reached is grown to its leaves in its own job.
    """
    n_labels = label_features.shape[0]
    jobs = min(effective_n_jobs(n_jobs), n_labels // _MIN_LABELS_PER_JOB)
    top_levels = min(int(np.ceil(np.log2(jobs))), n_levels) if jobs > 1 else n_levels
    options: dict[str, Any] = {"seed": seed, "tol": tol, "max_iter": max_iter, "init": init}
    node_of_label, iterations = _grow_tree(label_features, top_levels, **options)
    if top_levels == n_levels:
        return node_of_label, np.asarray(iterations, dtype=np.int64)

    members = [np.flatnonzero(node_of_label == node) for node in range(1 << top_levels)]
    subtrees = Parallel(n_jobs=jobs)(
        delayed(_grow_tree)(
            label_features[rows],
            n_levels - top_levels,
            first_level=top_levels,
            root=node,
            **options,
        )
        for node, rows in enumerate(members)
    )
    leaf_bits = n_levels - top_levels
    for node, (rows, (leaves, _)) in enumerate(zip(members, subtrees, strict=True)):
        node_of_label[rows] = (node << leaf_bits) + leaves
    deeper = np.max([sub_iterations for _, sub_iterations in subtrees], axis=0)
    return node_of_label, np.concatenate([iterations, deeper]).astype(np.int64)


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------


class NoNgramError(ValueError):
    """The texts given to :meth:`LabelTreeClusterer.fit` leave no TF-IDF n-gram (what a
    caller vectorising otherwise can recover from)."""


class LabelTreeClusterer(RefusesBooleansAsNumbers, TransformerMixin, BaseEstimator):
    """Group labels into balanced clusters by recursive 2-means on PIFA label features.

    The label clustering of InceptionXML+ [1]_: every label is represented by its PIFA
    vector (Positive Instance Feature Aggregation [2]_), the normalised sum of the TF-IDF
    vectors of its training texts; the labels are then split recursively in two halves of
    equal size by spherical 2-means until ``n_clusters`` leaves remain. Labels that share
    training texts or vocabulary end up in the same cluster, which is what a shortlisting
    meta-classifier needs.

    Unlike most transformers, the clusterer is **fitted on texts and labels** ``(X, y)``
    but **transforms label matrices**: :meth:`transform` maps a ``(n_samples, n_labels)``
    label matrix to the ``(n_samples, n_clusters_)`` indicator of the clusters of each
    sample's labels (the targets of the meta-classifier).

    Parameters
    ----------
    n_clusters : int or None, default=None
        Number of clusters (leaves of the tree), a power of two not larger than the number
        of labels. ``None`` picks the smallest power of two that leaves at most
        ``max_leaf_size`` labels per cluster.
    max_leaf_size : int or "auto", default="auto"
        Largest cluster size when ``n_clusters`` is None; ignored otherwise. The number
        of clusters never exceeds the number of labels, so with ``max_leaf_size=1`` and a
        number of labels that is not a power of two some clusters hold 2 labels (rather
        than some holding none). ``"auto"``
        aims at about 192 training texts per cluster, counting a text once per label it
        has: ``192 · n_labels / nnz(y)`` labels per cluster, kept within 16–64 (16 when
        fitted on label features alone, which carry no counts). Labels with many training
        texts get 16 per cluster (debian-tags, 148 texts per label on average), labels
        with few get more (debian-deps, 6.0: 32), which gave InceptionXML+'s meta head
        enough positives per cluster to learn from (P@1 +0.23, PSP@5 +0.87 on
        debian-deps against 16; the user guide's "Label clustering" page has the
        evidence). The paper uses 10–22 labels per cluster.
    tol : float, default=1e-4
        A node stops iterating when its mean cosine similarity of labels to their centroid
        gains less than ``tol`` in an iteration.
    max_iter : int, default=20
        Most 2-means iterations per node.
    init : {"k-means++", "random"}, default="k-means++"
        How each node's two starting centroids are chosen. ``"random"``: two distinct
        labels drawn at random (Parabel's and Bonsai's choice, skxml's until 2026-12-07).
        ``"k-means++"``: a random label, then the best of 8 labels drawn with probability
        proportional to their distance from it (greedy k-means++ [3]_, as
        :class:`~sklearn.cluster.KMeans` does by default), which starts the two centroids
        in different parts of the node. Tighter clusters (mean cosine of a label to its
        cluster's centroid 0.538 against 0.532 on debian-tags, 0.560 against 0.555 on
        debian-deps) and more well-separated label groups kept whole, for about one more
        2-means iteration's work per candidate and level (see the user guide's "Label
        clustering").
    tfidf_ngram_range : tuple (min_n, max_n), default=(1, 2)
        Word n-grams of the TF-IDF features built from raw texts (unused when ``X`` is a
        feature matrix).
    tfidf_min_df : int or float, default=1
        N-grams in fewer training texts than this (an int, or a fraction as a float) are
        left out of the TF-IDF vocabulary.
    tfidf_max_features : int or None, default=None
        Keep only the most frequent ``tfidf_max_features`` n-grams. ``None`` keeps all.
    n_jobs : int or None, default=None
        Processes growing independent subtrees once the top of the tree is split (joblib
        semantics: ``None`` means 1, ``-1`` all cores). Only used with at least 100,000
        labels per job; the clusters do not depend on it. Each worker holds its subtree's
        label features and imports skxml: worth it on idle cores only (see Notes).
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the initial centroids. An int makes the clusters reproducible.

    Attributes
    ----------
    n_clusters_ : int
        Number of clusters.
    max_leaf_size_ : int
        The largest cluster size aimed at (``max_leaf_size`` with ``"auto"`` decided);
        used only when ``n_clusters`` is None.
    n_labels_ : int
        Number of labels.
    labels_to_clusters_ : ndarray of int64 of shape (n_labels,)
        Cluster of every label.
    cluster_indptr_ : ndarray of int64 of shape ``(n_clusters_ + 1,)``
        The labels of cluster ``c`` are ``cluster_labels_[cluster_indptr_[c]:
        cluster_indptr_[c + 1]]`` (CSR layout, see :meth:`cluster_members`).
    cluster_labels_ : ndarray of int64 of shape (n_labels,)
        Label indices grouped by cluster, ascending within a cluster.
    assignment_matrix_ : scipy.sparse.csr_matrix of shape ``(n_labels, n_clusters_)``
        0/1 float32 matrix with a single 1 per row, in the column of the label's cluster:
        ``Y @ assignment_matrix_`` counts each sample's labels per cluster.
    n_iter_ : ndarray of int of shape ``(log2(n_clusters_),)``
        2-means iterations run at each level of the tree (the most any of its nodes
        needed).
    classes_ : ndarray of shape (n_labels,)
        Label names, when ``y`` was given as label lists (sorted, as by
        :class:`~sklearn.preprocessing.MultiLabelBinarizer`) or as a pandas DataFrame
        whose columns are named by strings (its column names, in its order; a table given
        to :meth:`transform` is then matched to them by name).
    n_features_in_ : int
        Number of features, when ``X`` was a feature matrix.

    See Also
    --------
    sklearn.feature_extraction.text.TfidfVectorizer : The features built from raw texts.
    skxml.InceptionXMLClassifier : The classifier over all labels.

    Notes
    -----
    **Label features.** With :math:`X` the L2-normalised TF-IDF matrix of the training
    texts (sublinear term frequency, float32; from
    :class:`~sklearn.feature_extraction.text.TfidfVectorizer` with the
    ``tfidf_*`` parameters, on texts in Unicode NFKC form (:func:`~skxml.text.normalize_text`)
    with Han ideographs and Japanese kana made tokens of their own by
    :func:`~skxml.text.space_cjk`, or the rows of a given feature matrix L2-normalised) and
    :math:`Y` the 0/1 label matrix, the PIFA vector of label :math:`l` is

    .. math:: z_l = \\frac{v_l}{\\lVert v_l \\rVert}, \\qquad
              v_l = \\sum_{i : Y_{il} = 1} x_i \\quad (Z = \\mathrm{normalize}(Y^\\top X)).

    **Balanced 2-means.** A node of :math:`n` labels starts from two distinct labels as
    centroids :math:`c_0, c_1`: :math:`c_0` drawn at random and, with ``init="k-means++"``,
    :math:`c_1` the one of 8 labels drawn with probability proportional to
    :math:`1 - z_l \\cdot c_0` (all-zero vectors excluded) that minimises
    :math:`\\sum_l \\min(1 - z_l \\cdot c_0, 1 - z_l \\cdot c_1)`, or with ``"random"`` a
    second label drawn at random. Each iteration sorts the node's labels by
    decreasing :math:`z_l \\cdot c_0 - z_l \\cdot c_1`, gives the first
    :math:`\\lfloor n/2 \\rfloor` to child 0, the last :math:`\\lfloor n/2 \\rfloor` to
    child 1 and, for an odd :math:`n`, the middle one to the closer centroid; then it sets
    :math:`c_k` to the normalised sum of child :math:`k`'s vectors. It stops when the mean
    cosine similarity of the labels to their centroid,
    :math:`(\\lVert S_0 \\rVert + \\lVert S_1 \\rVert)/n` with :math:`S_k` the sum of child
    :math:`k`'s vectors, gains less than ``tol``, or after ``max_iter`` iterations. The sorting
    step is the best balanced assignment for fixed centroids and the centroid step the best
    centroids for a fixed assignment, so the objective never decreases. Nodes are split
    until ``n_clusters`` leaves remain: cluster sizes differ by at most one, at every level
    of the tree (all sizes are :math:`\\lfloor L/2^d \\rfloor` or :math:`\\lceil L/2^d
    \\rceil` at depth :math:`d`). Gaps are compared to :math:`2^{-30}`, ties broken by
    label index, and the random seeds are drawn per node from ``random_state``, so the
    clusters are reproducible and independent of ``n_jobs``.

    **Labels without training texts** (or whose texts have no known n-gram) have a zero
    PIFA vector. They are never dropped: their similarity difference is 0, so they fill the
    places left in the middle of each node's ordering and land in a cluster like every
    other label, deterministically.

    **Cost.** All nodes of a level are split together with vectorised sparse operations:
    each iteration costs O(nnz(Z) + n_labels) plus one integer sort of the labels, and the
    memory stays a few copies of Z (float64 values, int32 indices); nothing of size
    n_labels × n_features is built. One million labels with 20 non-zeros each are clustered
    into 65,536 clusters in 16–39 s (depending on the machine and ``init``) and 0.8 GiB on
    one core of a 2-core machine; ``n_jobs=2`` took 11–22 s when the second core was idle,
    and brought nothing when another job was using it (see the user guide).

    References
    ----------
    .. [1] Kharbanda, Banerjee, Gupta, Palrecha, Babbar. "InceptionXML: A Lightweight
       Framework with Synchronized Negative Sampling for Short Text Extreme
       Classification." SIGIR 2023 / arXiv:2109.07319.
    .. [2] Chang, Yu, Zhong, Yang, Dhillon. "Taming Pretrained Transformers for Extreme
       Multi-label Text Classification." KDD 2020 (PIFA, PECOS); Prabhu, Kag, Harsola,
       Agrawal, Varma. "Parabel: Partitioned Label Trees for Extreme Classification with
       Application to Dynamic Search Advertising." WWW 2018 (balanced 2-means trees).
    .. [3] Arthur, Vassilvitskii. "k-means++: The Advantages of Careful Seeding." SODA
       2007.

    Examples
    --------
    >>> from skxml.cluster import LabelTreeClusterer
    >>> texts = ["red apple pie", "green apple tart", "apple crumble",
    ...          "blue sky", "grey sky rain", "rain and sky"]
    >>> labels = [["pie", "fruit"], ["tart", "fruit"], ["fruit"],
    ...           ["sky"], ["rain", "sky"], ["rain"]]
    >>> clusterer = LabelTreeClusterer(n_clusters=2, random_state=0).fit(texts, labels)
    >>> clusterer.classes_
    array(['fruit', 'pie', 'rain', 'sky', 'tart'], dtype=object)
    >>> clusterer.labels_to_clusters_
    array([0, 0, 1, 1, 0])
    >>> clusterer.classes_[clusterer.cluster_members(0)]
    array(['fruit', 'pie', 'tart'], dtype=object)

    :meth:`transform` maps label sets (not texts) to the clusters holding them:

    >>> clusterer.transform([["pie"], ["rain", "sky"]]).toarray()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "max_leaf_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"})],
        "tfidf_ngram_range": [tuple],
        "tfidf_min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "tfidf_max_features": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [  # joblib's convention: 0 has no meaning
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_clusters: int | None = None,
        max_leaf_size: int | str = "auto",
        tol: float = 1e-4,
        max_iter: int = 20,
        init: str = "k-means++",
        tfidf_ngram_range: tuple[int, int] = (1, 2),
        tfidf_min_df: int | float = 1,
        tfidf_max_features: int | None = None,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.max_leaf_size = max_leaf_size
        self.tol = tol
        self.max_iter = max_iter
        self.init = init
        self.tfidf_ngram_range = tfidf_ngram_range
        self.tfidf_min_df = tfidf_min_df
        self.tfidf_max_features = tfidf_max_features
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Clusterers pickled before init existed (2026-12-07) drew both seeds at random.
        state.setdefault("init", "random")
        super().__setstate__(state)

    # ------------------------------------------------------------------ fitting
    def _check_labels(self, y: Any, n_samples: int, *, what: str) -> sp.csr_matrix:
        if y is None:  # scikit-learn's wording for an estimator that requires y
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "give the labels of X's samples (a 0/1 matrix or one label list per sample)."
            )
        y = _as_label_input(y)
        if _is_label_lists(y):
            if len(y) != n_samples:
                raise ValueError(
                    f"X and y have different numbers of samples: {n_samples} {what}, "
                    f"{len(y)} label lists."
                )
            binarizer = _fit_label_binarizer(y, name="y")
            labels = check_label_matrix(binarizer.transform(y), name="y")
            self._label_binarizer_: MultiLabelBinarizer | None = binarizer
            self.classes_ = np.asarray(binarizer.classes_, dtype=object)
            return labels
        labels = check_label_matrix(y, name="y")
        if labels.shape[0] != n_samples:
            raise ValueError(
                f"X and y have different numbers of samples: {n_samples} {what}, "
                f"{labels.shape[0]} rows in y."
            )
        # A DataFrame's column names are the labels' names, as label lists' are: transform
        # then matches a table's columns to them by name, not by position.
        column_names = _label_column_names(y, name="y")
        if column_names is None:
            self._label_binarizer_ = None
        else:
            self._label_binarizer_ = MultiLabelBinarizer(
                classes=list(column_names), sparse_output=True
            ).fit([])
            self.classes_ = column_names
        return labels

    def _text_features(self, texts: list[str]) -> sp.csr_matrix:
        ngram_range = check_ngram_range(self.tfidf_ngram_range, name="tfidf_ngram_range")
        vectorizer = TfidfVectorizer(
            # Han ideographs and kana as tokens of their own, in NFKC text, as in the
            # classifiers' inputs; other tokens of two characters or more (scikit-learn's
            # default pattern).
            preprocessor=normalize_lowercase_and_space_cjk,
            token_pattern=r"(?u)\b\w\w+\b|" + CJK_CHARACTER_CLASS,
            ngram_range=ngram_range,
            min_df=self.tfidf_min_df,
            max_features=self.tfidf_max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        try:
            return vectorizer.fit_transform(texts)
        except ValueError as exc:  # empty vocabulary: no token at all, or none after min_df
            if not any(map(vectorizer.build_analyzer(), texts)):
                raise NoNgramError(
                    "No n-gram is left to build TF-IDF features from the texts: they hold no "
                    "word of two characters or more (nor a Han or kana character); pass a "
                    "feature matrix as X."
                ) from exc
            raise NoNgramError(
                f"No n-gram is left to build TF-IDF features from the texts ({exc}); "
                f"lower tfidf_min_df (now {self.tfidf_min_df!r}) or pass a feature matrix "
                "as X."
            ) from exc

    def _forget_inputs(self) -> None:
        """Drop what a previous fit learnt about its inputs (a refit may take others)."""
        for attribute in ("classes_", "n_features_in_", "_label_binarizer_"):
            if hasattr(self, attribute):
                delattr(self, attribute)

    def _fit_inputs(self, X: Any, y: Any) -> sp.csr_matrix:
        """Validate ``(X, y)``, cluster their PIFA features; return ``y`` as a CSR matrix."""
        self._check_n_clusters()
        self._forget_inputs()
        if not (sp.issparse(X) or hasattr(X, "__len__")):
            X = list(X)  # a generator of texts: _is_text_input must not consume it
        if _is_text_input(X):
            texts = check_texts(X)
            labels = self._check_labels(y, len(texts), what="texts")
            features = self._text_features(texts)
        else:
            features = validate_data(
                self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=True
            )
            labels = self._check_labels(y, features.shape[0], what="rows in X")
        if labels.nnz == 0:
            raise ValueError(
                f"y has no positive entry: none of its {labels.shape[0]} rows has a label, so "
                "the labels have no features to cluster."
            )
        self._fit_label_features(_pifa(features, labels), int(labels.nnz))
        return labels

    def _check_n_clusters(self) -> None:
        """Fail before any work when ``n_clusters`` cannot be a number of leaves."""
        n_clusters = self.n_clusters
        if n_clusters is not None and n_clusters & (n_clusters - 1):
            raise ValueError(
                f"n_clusters must be a power of two (the tree is binary), got {n_clusters}; "
                f"e.g. {1 << (int(n_clusters).bit_length() - 1)} or "
                f"{1 << int(n_clusters).bit_length()}."
            )

    def _resolve_max_leaf_size(self, n_labels: int, n_positives: int | None) -> int:
        """``max_leaf_size`` with ``"auto"`` decided from the labels' training positives."""
        if self.max_leaf_size != "auto":
            return int(self.max_leaf_size)
        if not n_positives:  # label features only, or no positives: nothing to go by
            return _AUTO_LEAF_MIN
        leaf = round(_AUTO_LEAF_POSITIVES * n_labels / n_positives)
        return int(min(max(leaf, _AUTO_LEAF_MIN), _AUTO_LEAF_MAX))

    def _resolve_n_clusters(self, n_labels: int) -> int:
        if self.n_clusters is None:
            # Never more clusters than labels: with max_leaf_size=1 and a number of labels
            # that is not a power of two, some leaves then hold 2 labels rather than none.
            n_clusters = 1
            while n_clusters * self.max_leaf_size_ < n_labels and 2 * n_clusters <= n_labels:
                n_clusters *= 2
            return n_clusters
        n_clusters = int(self.n_clusters)
        if n_clusters > n_labels:
            raise ValueError(
                f"n_clusters={n_clusters} is larger than the number of labels ({n_labels}); "
                "every cluster needs at least one label."
            )
        return n_clusters

    def _fit_label_features(
        self, label_features: sp.csr_matrix, n_positives: int | None = None
    ) -> None:
        n_labels = label_features.shape[0]
        self.max_leaf_size_ = self._resolve_max_leaf_size(n_labels, n_positives)
        n_clusters = self._resolve_n_clusters(n_labels)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        clusters, n_iter = _build_tree(
            label_features,
            n_clusters.bit_length() - 1,
            seed=seed,
            tol=self.tol,
            max_iter=self.max_iter,
            init=self.init,
            n_jobs=self.n_jobs,
        )
        self._store_assignment(clusters.astype(np.int64), n_clusters, n_iter)

    def _store_assignment(
        self, clusters: np.ndarray, n_clusters: int, n_iter: np.ndarray | int
    ) -> None:
        """Set the fitted attributes from each label's cluster (int64, shape (n_labels,))."""
        n_labels = len(clusters)
        self.n_labels_ = n_labels
        self.n_clusters_ = n_clusters
        self.n_iter_ = n_iter
        self.labels_to_clusters_ = clusters
        self.cluster_labels_ = np.argsort(clusters, kind="stable").astype(np.int64)
        self.cluster_indptr_ = np.zeros(n_clusters + 1, dtype=np.int64)
        np.cumsum(np.bincount(clusters, minlength=n_clusters), out=self.cluster_indptr_[1:])
        self.assignment_matrix_ = sp.csr_matrix(
            (np.ones(n_labels, dtype=np.float32), clusters, np.arange(n_labels + 1)),
            shape=(n_labels, n_clusters),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> LabelTreeClusterer:
        """Build the PIFA label features and cluster the labels.

        Parameters
        ----------
        X : sequence of str of length n_samples, or {array-like, sparse matrix} of shape \
(n_samples, n_features)
            Raw texts (vectorised with TF-IDF, see the ``tfidf_*`` parameters) or a
            precomputed feature matrix such as TF-IDF (its rows are L2-normalised).
        y : {array-like, sparse matrix} of shape (n_samples, n_labels) or list of \
label lists
            0/1 label matrix, or one collection of label names per sample (then the labels
            are the sorted names, see ``classes_``). As in scikit-learn, a list of
            equal-length lists of numbers is read as a 0/1 matrix; sets, ragged lists and
            lists of names are label collections.

        Returns
        -------
        self : LabelTreeClusterer
            The fitted clusterer.

        Raises
        ------
        ValueError
            If ``X`` and ``y`` have different numbers of samples, ``y`` is not 0/1 or has
            no positive entry, ``X`` is empty, ``n_clusters`` is not a power of two or exceeds the
            number of labels.
        TypeError
            If ``X`` or ``y`` are of the wrong type.
        """
        self._fit_inputs(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Any, y: Any) -> sp.csr_matrix:
        """Fit on ``(X, y)`` and return the cluster indicator matrix of ``y``.

        Parameters
        ----------
        X : sequence of str or {array-like, sparse matrix} of shape (n_samples, n_features)
            As in :meth:`fit`.
        y : {array-like, sparse matrix} of shape (n_samples, n_labels) or list of \
label lists
            As in :meth:`fit`.

        Returns
        -------
        Y_clusters : scipy.sparse.csr_matrix of shape ``(n_samples, n_clusters_)``
            ``transform(y)``: 1 where a sample has a label in the cluster.
        """
        return self._cluster_indicator(self._fit_inputs(X, y))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_from_label_features(self, label_features: Any, y: None = None) -> LabelTreeClusterer:
        """Cluster labels given directly by their feature vectors (e.g. precomputed PIFA).

        :meth:`fit` builds the PIFA matrix from texts and labels and calls this; call it
        directly to cluster other label representations (label-name embeddings, PIFA over
        dense text embeddings) or a PIFA matrix computed once for several clusterings.

        Parameters
        ----------
        label_features : {array-like, sparse matrix} of shape (n_labels, n_features)
            One row per label; rows are L2-normalised (cosine similarity), all-zero rows
            are allowed. Dense input is clustered as a sparse matrix.
        y : None
            Ignored.

        Returns
        -------
        self : LabelTreeClusterer
            The fitted clusterer (without ``classes_`` or ``n_features_in_``).
        """
        self._check_n_clusters()
        self._forget_inputs()
        try:
            matrix = check_array(
                label_features,
                accept_sparse="csr",
                dtype=[np.float64, np.float32],
                input_name="label_features",
            )
        except ValueError as exc:
            if "could not convert" not in str(exc):  # NaN, shape: sklearn names the input
                raise
            raise ValueError(f"label_features must hold numbers: {exc}") from exc
        # Normalised in float64 whatever the input's dtype, as the PIFA features of fit are:
        # float32 and float64 copies of the same features then give the same clusters.
        matrix = sp.csr_matrix(
            normalize(sp.csr_matrix(matrix, dtype=np.float64), norm="l2"), dtype=np.float32
        )
        matrix.eliminate_zeros()
        matrix.sort_indices()
        self._fit_label_features(matrix)
        return self

    # ------------------------------------------------------------------ using the clusters
    def _check_transform_labels(self, Y: Any) -> sp.csr_matrix:
        Y = _as_label_input(Y)
        if _is_label_lists(Y):
            binarizer = getattr(self, "_label_binarizer_", None)
            if binarizer is None:
                raise ValueError(
                    "Y is a list of label lists but the clusterer was not fitted on label "
                    "lists (it has no label names); pass a 0/1 label matrix of "
                    f"{self.n_labels_} columns."
                )
            Y, unseen = _binarize_known_labels(binarizer, Y)
            if unseen:
                raise ValueError(
                    f"Y holds labels unseen in fit, which belong to no cluster: "
                    f"{unseen[:10]}{' ...' if len(unseen) > 10 else ''}."
                )
        binarizer = getattr(self, "_label_binarizer_", None)
        named = None if binarizer is None else _named_label_matrix(Y, self.classes_, name="Y")
        labels = check_label_matrix(Y, name="Y", allow_empty=True) if named is None else named
        if labels.shape[1] != self.n_labels_:
            raise ValueError(
                f"Y has {labels.shape[1]} columns (labels) but the clusterer was fitted on "
                f"{self.n_labels_} labels."
            )
        return labels

    def transform(self, Y: Any) -> sp.csr_matrix:
        """Map a label matrix to the indicator matrix of the clusters of its labels.

        Parameters
        ----------
        Y : {array-like, sparse matrix} of shape (n_samples, n_labels) or list of label lists
            0/1 labels in the columns of the fit (label lists only if the clusterer was
            fitted on label lists). This is a label matrix, not the ``X`` of :meth:`fit`.

        Returns
        -------
        Y_clusters : scipy.sparse.csr_matrix of shape ``(n_samples, n_clusters_)``, float32
            1 in column ``c`` of row ``i`` when sample ``i`` has at least one label of
            cluster ``c``.

        Raises
        ------
        ValueError
            If ``Y`` is not 0/1, has another number of columns than the fitted labels, or
            holds label names unseen in fit.
        """
        check_is_fitted(self)
        return self._cluster_indicator(self._check_transform_labels(Y))

    def _cluster_indicator(self, labels: sp.csr_matrix) -> sp.csr_matrix:
        clusters = sp.csr_matrix(
            (
                np.ones(labels.nnz, dtype=np.float32),
                self.labels_to_clusters_[labels.indices],
                labels.indptr,
            ),
            shape=(labels.shape[0], self.n_clusters_),
        )
        clusters.sum_duplicates()
        clusters.data[:] = 1.0
        return clusters

    def cluster_members(self, cluster: int) -> np.ndarray:
        """Indices of the labels of one cluster, ascending.

        Parameters
        ----------
        cluster : int
            Cluster index in ``[0, n_clusters_)``.

        Returns
        -------
        labels : ndarray of int64
            A view into ``cluster_labels_``.

        Raises
        ------
        ValueError
            If ``cluster`` is not an int in ``[0, n_clusters_)``.
        """
        check_is_fitted(self)
        if not (
            isinstance(cluster, Integral)
            and not isinstance(cluster, bool)
            and 0 <= cluster < self.n_clusters_
        ):
            raise ValueError(
                f"cluster must be an int in [0, {self.n_clusters_}), got {cluster!r}."
            )
        start, end = self.cluster_indptr_[cluster], self.cluster_indptr_[cluster + 1]
        return self.cluster_labels_[start:end]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        tags.target_tags.two_d_labels = True
        tags.target_tags.multi_output = True
        tags.transformer_tags.preserves_dtype = []
        return tags
