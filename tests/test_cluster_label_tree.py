"""Tests for skxml.cluster.LabelTreeClusterer."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _toy_data import labels_with_positives
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import ParameterGrid
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError

from skxml.cluster import LabelTreeClusterer, _label_tree
from skxml.datasets import load_debian_tags

TEXTS = [
    "red apple pie",
    "green apple tart",
    "apple crumble",
    "blue sky",
    "grey sky rain",
    "rain and sky",
]
LABEL_LISTS = [["pie", "fruit"], ["tart", "fruit"], ["fruit"], ["sky"], ["rain", "sky"], ["rain"]]


def random_label_features(n_labels, n_features=30, density=0.2, zero_rows=0, seed=0):
    """A random non-negative (n_labels, n_features) CSR matrix, some rows all zero."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(n_labels, n_features, density=density, format="csr", rng=rng)
    matrix = sp.lil_matrix(matrix)
    for row in rng.choice(n_labels, size=zero_rows, replace=False):
        matrix[row] = 0
    return sp.csr_matrix(matrix)


def reference_far_seed(rows, first, uniforms):
    """Greedy k-means++ second centroid of one node (None: every label equals the first)."""
    in_use = np.linalg.norm(rows, axis=1) > 0
    distance_0 = np.where(in_use, np.clip(1 - rows @ rows[first], 0, 2), 0)
    distance_0[first] = 0
    if distance_0.sum() <= 0:
        return None
    cumulative = np.cumsum(distance_0)
    best, best_cost = None, np.inf
    for uniform in uniforms:
        candidate = min(
            int(np.searchsorted(cumulative, uniform * cumulative[-1], "right")), len(rows) - 1
        )
        if candidate == first:
            continue
        distance = np.where(in_use, np.clip(1 - rows @ rows[candidate], 0, 2), 0)
        distance[candidate] = 0
        cost = np.rint(np.minimum(distance_0, distance).mean() * 2.0**30)
        if cost < best_cost:
            best, best_cost = candidate, cost
    return best


def reference_tree(label_features, n_levels, *, seed, tol=1e-4, max_iter=20, init="k-means++"):
    """Slow, node-by-node balanced 2-means with the same seeds and tie rules, on dense rows."""
    vectors = normalize(sp.csr_matrix(label_features, dtype=np.float64)).toarray()
    clusters = np.zeros(vectors.shape[0], dtype=np.int64)

    def unit(vector):
        norm = np.linalg.norm(vector)
        return vector / norm if norm > 0 else vector

    def split(members, level, node):
        rows = vectors[members]
        n = len(members)
        uniform = np.random.default_rng([seed, level]).random((1 << level, 2))[node]
        first = min(int(uniform[0] * n), n - 1)
        second = min(int(uniform[1] * (n - 1)), n - 2)
        second += second >= first
        if init == "k-means++":
            candidates = np.random.default_rng([seed, level, 1]).random((1 << level, 8))[node]
            far = reference_far_seed(rows, first, candidates)
            second = second if far is None else far
        centroid_0, centroid_1 = unit(rows[first]), unit(rows[second])
        objective = -np.inf
        for iteration in range(1, max_iter + 1):
            gap = rows @ centroid_0 - rows @ centroid_1
            quantised = np.rint(np.clip(gap, -2, 2) * 2.0**30)
            order = np.lexsort((np.arange(n), -quantised))
            rank = np.empty(n, dtype=int)
            rank[order] = np.arange(n)
            middle_to_0 = n % 2 == 1 and gap[order[n // 2]] >= 0
            side = (rank > n // 2) | ((rank == n // 2) & (not middle_to_0))
            if iteration == max_iter:
                break
            sum_0, sum_1 = rows[~side].sum(axis=0), rows[side].sum(axis=0)
            new_objective = (np.linalg.norm(sum_0) + np.linalg.norm(sum_1)) / n
            if new_objective - objective < tol:
                break
            objective = new_objective
            centroid_0, centroid_1 = unit(sum_0), unit(sum_1)
        return members[~side], members[side]

    def grow(members, level, node):
        if level == n_levels:
            clusters[members] = node
            return
        left, right = split(members, level, node)
        grow(left, level + 1, 2 * node)
        grow(right, level + 1, 2 * node + 1)

    grow(np.arange(vectors.shape[0]), 0, 0)
    return clusters


def node_sizes_by_level(clusters, n_clusters):
    """Label counts of the nodes of every level, from the leaves' ids."""
    n_levels = n_clusters.bit_length() - 1
    return [
        np.bincount(clusters >> (n_levels - depth), minlength=1 << depth)
        for depth in range(n_levels + 1)
    ]


def mean_similarity_to_centroid(label_features, clusters):
    """Mean cosine similarity of the labels to the normalised sum of their cluster."""
    label_features = normalize(label_features)
    assignment = sp.csr_matrix(
        (np.ones(clusters.size), clusters, np.arange(clusters.size + 1)),
        shape=(clusters.size, clusters.max() + 1),
    )
    centroids = normalize(assignment.T @ label_features)
    return float(label_features.multiply(centroids[clusters]).sum() / clusters.size)


@pytest.fixture(scope="module")
def fitted():
    return LabelTreeClusterer(n_clusters=2, random_state=0).fit(TEXTS, LABEL_LISTS)


# --------------------------------------------------------------------------------------
# Label features


def test_pifa_hand_computed():
    X = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0]])
    # Rows of X normalised: (.6, .8, 0), (0, 0, 1), (0, 1, 0). Label 0 sums rows 0 and 1,
    # label 1 rows 1 and 2, label 2 none.
    expected = np.array([[0.6, 0.8, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]) / np.array(
        [[np.sqrt(2.0)], [np.sqrt(2.0)], [1.0]]
    )
    label_features = _label_tree._pifa(sp.csr_matrix(X), sp.csr_matrix(Y))
    np.testing.assert_allclose(label_features.toarray(), expected, rtol=1e-6)
    assert label_features.dtype == np.float32
    assert label_features.shape == (3, 3)


def test_fit_clusters_the_pifa_features():
    X = random_label_features(40, 25, seed=1)
    Y = (random_label_features(40, 12, density=0.3, seed=2) > 0).astype(np.float32)
    fitted = LabelTreeClusterer(n_clusters=4, random_state=0).fit(X, Y)
    label_features = normalize(Y.T @ normalize(X))
    direct = LabelTreeClusterer(n_clusters=4, random_state=0).fit_from_label_features(
        label_features
    )
    np.testing.assert_array_equal(fitted.labels_to_clusters_, direct.labels_to_clusters_)
    assert fitted.n_features_in_ == 25
    assert not hasattr(direct, "n_features_in_")


def test_texts_and_precomputed_tfidf_give_the_same_clusters():
    texts, Y = load_debian_tags(return_X_y=True)
    texts, Y = texts[:2000], Y[:2000]
    Y = Y[:, np.asarray(Y.sum(axis=0)).ravel() > 0]
    from_texts = LabelTreeClusterer(n_clusters=16, random_state=0).fit(texts, Y)
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    from_features = LabelTreeClusterer(n_clusters=16, random_state=0).fit(
        tfidf.fit_transform(texts), Y
    )
    np.testing.assert_array_equal(
        from_texts.labels_to_clusters_, from_features.labels_to_clusters_
    )


def test_data_frames_of_texts_or_features_are_read_by_their_values():
    pd = pytest.importorskip("pandas")
    from_list = LabelTreeClusterer(n_clusters=2, random_state=0).fit(TEXTS, LABEL_LISTS)
    from_frame = LabelTreeClusterer(n_clusters=2, random_state=0).fit(
        pd.DataFrame({"text": TEXTS}), LABEL_LISTS
    )
    np.testing.assert_array_equal(from_frame.labels_to_clusters_, from_list.labels_to_clusters_)
    features = np.random.default_rng(0).random((len(TEXTS), 5))
    from_array = LabelTreeClusterer(n_clusters=2, random_state=0).fit(features, LABEL_LISTS)
    from_numbers = LabelTreeClusterer(n_clusters=2, random_state=0).fit(
        pd.DataFrame(features, columns=list("abcde")), LABEL_LISTS
    )
    np.testing.assert_array_equal(from_numbers.labels_to_clusters_, from_array.labels_to_clusters_)
    with pytest.raises(ValueError, match=r"DataFrame of shape \(6, 2\)"):
        LabelTreeClusterer(n_clusters=2).fit(pd.DataFrame({"a": TEXTS, "b": TEXTS}), LABEL_LISTS)


def test_a_label_table_is_matched_by_its_column_names_not_their_positions():
    pd = pytest.importorskip("pandas")
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer().fit(LABEL_LISTS)
    table = pd.DataFrame(binarizer.transform(LABEL_LISTS), columns=binarizer.classes_)
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0).fit(TEXTS, table)
    from_lists = LabelTreeClusterer(n_clusters=2, random_state=0).fit(TEXTS, LABEL_LISTS)
    assert list(clusterer.classes_) == list(binarizer.classes_) == list(from_lists.classes_)
    expected = clusterer.transform(table).toarray()
    # The fruit rows and the sky rows fall in different clusters (by the names' clusters).
    assert (expected[:3] != expected[3:]).any(axis=1).all()
    reordered = table[list(reversed(table.columns))]
    np.testing.assert_array_equal(clusterer.transform(reordered).toarray(), expected)
    np.testing.assert_array_equal(from_lists.transform(reordered).toarray(), expected)
    with pytest.raises(ValueError, match=r"missing: \['fruit'\], unknown: \['apple'\]"):
        clusterer.transform(table.rename(columns={"fruit": "apple"}))


def test_a_numpy_int_n_clusters_that_is_no_power_of_two_gets_the_same_error():
    with pytest.raises(ValueError, match=r"power of two .* got 3; e\.g\. 2 or 4"):
        LabelTreeClusterer(n_clusters=np.int64(3)).fit(TEXTS, LABEL_LISTS)


def test_texts_may_come_from_a_generator(fitted):
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0)
    clusterer.fit((text for text in TEXTS), LABEL_LISTS)
    np.testing.assert_array_equal(clusterer.labels_to_clusters_, fitted.labels_to_clusters_)


def test_dense_features_and_label_lists():
    X = random_label_features(6, 8, density=0.6, seed=3).toarray()
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0).fit(X, LABEL_LISTS)
    np.testing.assert_array_equal(clusterer.classes_, ["fruit", "pie", "rain", "sky", "tart"])
    assert clusterer.n_features_in_ == 8
    assert clusterer.n_labels_ == 5


# --------------------------------------------------------------------------------------
# The tree


@pytest.mark.parametrize(("n_groups", "group_size"), [(2, 4), (4, 5), (8, 3)])
@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_separable_labels_end_in_their_own_cluster(n_groups, group_size, random_state):
    # Each group's labels use only the group's own features: orthogonal groups.
    rng = np.random.default_rng(random_state)
    n_features = 6
    label_features = np.zeros((n_groups * group_size, n_groups * n_features))
    for group in range(n_groups):
        rows = slice(group * group_size, (group + 1) * group_size)
        columns = slice(group * n_features, (group + 1) * n_features)
        label_features[rows, columns] = 1 + 0.3 * rng.random((group_size, n_features))
    groups = np.repeat(np.arange(n_groups), group_size)
    clusterer = LabelTreeClusterer(n_clusters=n_groups, random_state=random_state)
    clusters = clusterer.fit_from_label_features(label_features).labels_to_clusters_
    for cluster in range(n_groups):
        assert np.unique(groups[clusters == cluster]).size == 1


def tight_groups(n_groups, group_size, seed):
    """Label features of orthogonal groups whose labels are near-copies (cosine ≈ 0.99)."""
    rng = np.random.default_rng(seed)
    n_features = 5
    rows = []
    for group in range(n_groups):
        centre = np.zeros(n_groups * n_features)
        centre[group * n_features : (group + 1) * n_features] = 1 + rng.random(n_features)
        for _ in range(group_size):
            rows.append(centre * (1 + 0.05 * rng.random(centre.size)))
    order = rng.permutation(len(rows))
    groups = np.repeat(np.arange(n_groups), group_size)[order]
    return np.array(rows)[order], groups


def groups_kept_whole(clusters, groups):
    return all(np.unique(clusters[groups == group]).size == 1 for group in np.unique(groups))


def test_k_means_plus_plus_starts_the_centroids_in_different_groups():
    # Two orthogonal groups: "random" draws both starting labels from one group about half
    # the time, and the balanced split then cuts through the groups (the other group's
    # labels tie at gap 0 and are split by label index); k-means++ draws the second label
    # far from the first, so the groups stay whole with every seed.
    kept = {"k-means++": [], "random": []}
    for init, seed in itertools.product(kept, range(12)):
        label_features, groups = tight_groups(2, 6, seed)
        clusterer = LabelTreeClusterer(n_clusters=2, init=init, random_state=seed)
        clusters = clusterer.fit_from_label_features(label_features).labels_to_clusters_
        kept[init].append(groups_kept_whole(clusters, groups))
    assert all(kept["k-means++"])
    assert not all(kept["random"])


def test_k_means_plus_plus_gives_tighter_clusters_on_debian_tags():
    texts, Y = load_debian_tags(return_X_y=True)
    features = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)).fit_transform(texts)
    label_features = _label_tree._pifa(features, Y)
    similarity = {}
    for init in ("k-means++", "random"):
        similarity[init] = np.mean(
            [
                mean_similarity_to_centroid(
                    label_features,
                    LabelTreeClusterer(n_clusters=64, init=init, random_state=seed)
                    .fit_from_label_features(label_features)
                    .labels_to_clusters_,
                )
                for seed in range(6)
            ]
        )
    assert similarity["k-means++"] > similarity["random"] + 0.002, similarity


def test_identical_labels_fall_back_to_a_random_second_centroid():
    # Every label the same vector: no label is farther than another from the first centroid.
    label_features = np.tile([[0.6, 0.8]], (9, 1))
    clusterer = LabelTreeClusterer(n_clusters=4, random_state=0)
    clusters = clusterer.fit_from_label_features(label_features).labels_to_clusters_
    np.testing.assert_array_equal(np.bincount(clusters), [3, 2, 2, 2])
    random = LabelTreeClusterer(n_clusters=4, init="random", random_state=0)
    np.testing.assert_array_equal(
        random.fit_from_label_features(label_features).labels_to_clusters_, clusters
    )


@pytest.mark.parametrize(
    ("n_labels", "n_levels", "zero_rows"),
    [(2, 1, 0), (3, 1, 1), (7, 2, 0), (17, 3, 2), (64, 4, 5), (100, 5, 10), (257, 6, 0)],
)
@pytest.mark.parametrize("seed", [0, 12345])
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_tree_matches_reference_implementation(n_labels, n_levels, zero_rows, seed, init):
    label_features = random_label_features(n_labels, zero_rows=zero_rows, seed=seed % 7)
    label_features = normalize(label_features).astype(np.float32)
    clusters, iterations = _label_tree._grow_tree(
        label_features, n_levels, seed=seed, tol=1e-4, max_iter=20, init=init
    )
    expected = reference_tree(label_features, n_levels, seed=seed, init=init)
    np.testing.assert_array_equal(clusters, expected)
    assert len(iterations) == n_levels


def test_tree_matches_reference_with_duplicate_labels_and_few_iterations():
    base = random_label_features(10, seed=4)
    label_features = normalize(sp.vstack([base, base, base[:5]]).tocsr()).astype(np.float32)
    for max_iter, init in itertools.product((1, 2, 3), ("k-means++", "random")):
        clusters, _ = _label_tree._grow_tree(
            label_features, 3, seed=7, tol=0.0, max_iter=max_iter, init=init
        )
        expected = reference_tree(label_features, 3, seed=7, tol=0.0, max_iter=max_iter, init=init)
        np.testing.assert_array_equal(clusters, expected)


@settings(max_examples=40, deadline=None)
@given(
    n_labels=st.integers(1, 300),
    level_fraction=st.floats(0, 1),
    zero_fraction=st.floats(0, 1),
    seed=st.integers(0, 2**31 - 1),
)
def test_balanced_at_every_level(n_labels, level_fraction, zero_fraction, seed):
    n_levels = int(level_fraction * (n_labels.bit_length() - 1))
    n_clusters = 1 << n_levels
    zero_rows = int(zero_fraction * n_labels)
    label_features = random_label_features(n_labels, zero_rows=zero_rows, seed=seed % 1000)
    clusterer = LabelTreeClusterer(n_clusters=n_clusters, random_state=seed)
    clusters = clusterer.fit_from_label_features(label_features).labels_to_clusters_
    for depth, sizes in enumerate(node_sizes_by_level(clusters, n_clusters)):
        assert sizes.max() - sizes.min() <= 1, f"depth {depth}: sizes {sizes}"
        assert sizes.min() == n_labels >> depth
    assert clusterer.n_clusters_ == n_clusters
    assert clusterer.n_iter_.shape == (n_levels,)


@pytest.mark.parametrize(
    ("n_labels", "max_leaf_size", "expected"),
    [(1, 16, 1), (16, 16, 1), (17, 16, 2), (100, 16, 8), (100, 10, 16), (5, 1, 4), (8, 1, 8)],
)
def test_n_clusters_derived_from_max_leaf_size(n_labels, max_leaf_size, expected):
    label_features = random_label_features(n_labels, density=0.5)
    clusterer = LabelTreeClusterer(max_leaf_size=max_leaf_size, random_state=0)
    clusterer.fit_from_label_features(label_features)
    assert clusterer.n_clusters_ == expected
    sizes = np.diff(clusterer.cluster_indptr_)
    assert sizes.min() >= 1  # never more clusters than labels: no empty one
    # Leaves of one label need a power of two of labels; 5 labels get 4 leaves of 1-2.
    assert sizes.max() <= max(max_leaf_size, -(-n_labels // expected))


@pytest.mark.parametrize(
    ("positives_per_label", "leaf", "n_clusters"),
    [
        (2, 64, 8),  # 192 / 2 = 96 labels per cluster, capped at 64: 500 / 64 -> 8
        (6, 32, 16),  # 192 / 6 = 32: 500 / 32 = 15.6 -> 16
        (8, 24, 32),  # 192 / 8 = 24: 500 / 24 = 20.8 -> 32
        (20, 16, 32),  # 192 / 20 = 9.6, raised to 16: 500 / 16 = 31.25 -> 32
    ],
)
def test_auto_max_leaf_size_follows_positives_per_label(positives_per_label, leaf, n_clusters):
    n_labels = 500
    labels = labels_with_positives(n_labels, positives_per_label)
    features = sp.random(200, 40, density=0.3, format="csr", random_state=0)
    clusterer = LabelTreeClusterer(random_state=0).fit(features, labels)
    assert clusterer.max_leaf_size_ == leaf
    assert clusterer.n_clusters_ == n_clusters
    assert np.diff(clusterer.cluster_indptr_).max() <= leaf


def test_auto_max_leaf_size_is_16_without_label_counts_and_ignored_with_n_clusters():
    clusterer = LabelTreeClusterer(random_state=0)
    clusterer.fit_from_label_features(random_label_features(100, density=0.5))
    assert clusterer.max_leaf_size_ == 16 and clusterer.n_clusters_ == 8
    labels = labels_with_positives(100, 2)
    features = sp.random(200, 40, density=0.3, format="csr", random_state=0)
    fixed = LabelTreeClusterer(n_clusters=32, random_state=0).fit(features, labels)
    assert fixed.n_clusters_ == 32  # max_leaf_size_ (64) does not override n_clusters
    explicit = LabelTreeClusterer(max_leaf_size=10, random_state=0).fit(features, labels)
    assert explicit.max_leaf_size_ == 10 and explicit.n_clusters_ == 16


def test_n_clusters_equal_to_n_labels_gives_singletons():
    clusterer = LabelTreeClusterer(n_clusters=8, random_state=0)
    clusterer.fit_from_label_features(random_label_features(8))
    np.testing.assert_array_equal(np.sort(clusterer.labels_to_clusters_), np.arange(8))


def test_labels_without_rows_are_assigned_deterministically():
    Y = np.zeros((6, 9))
    Y[:, :5] = (random_label_features(6, 5, density=0.5, seed=5).toarray() > 0).astype(float)
    Y[0, :5] = 1  # columns 5 to 8 have no positive row
    X = random_label_features(6, 10, density=0.5, seed=6)
    first = LabelTreeClusterer(n_clusters=4, random_state=3).fit(X, Y)
    second = LabelTreeClusterer(n_clusters=4, random_state=3).fit(X, Y)
    np.testing.assert_array_equal(first.labels_to_clusters_, second.labels_to_clusters_)
    assert first.labels_to_clusters_.shape == (9,)
    assert np.bincount(first.labels_to_clusters_, minlength=4).min() >= 2


def test_all_labels_without_features():
    clusterer = LabelTreeClusterer(n_clusters=4, random_state=0)
    clusterer.fit_from_label_features(sp.csr_matrix((10, 5)))
    # Every gap is 0: ties go by label index.
    np.testing.assert_array_equal(clusterer.labels_to_clusters_, [0, 0, 0, 1, 1, 2, 2, 2, 3, 3])


def test_random_state_makes_the_clusters_reproducible():
    label_features = random_label_features(200, 40, seed=8)
    runs = [
        LabelTreeClusterer(max_leaf_size=10, random_state=42)
        .fit_from_label_features(label_features)
        .labels_to_clusters_
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*runs)
    other = LabelTreeClusterer(max_leaf_size=10, random_state=check_random_state(42))
    np.testing.assert_array_equal(
        other.fit_from_label_features(label_features).labels_to_clusters_, runs[0]
    )


def test_n_jobs_does_not_change_the_clusters(monkeypatch):
    monkeypatch.setattr(_label_tree, "_MIN_LABELS_PER_JOB", 50)
    label_features = random_label_features(300, 40, seed=9)
    serial = LabelTreeClusterer(n_clusters=32, random_state=0, n_jobs=1)
    parallel = LabelTreeClusterer(n_clusters=32, random_state=0, n_jobs=2)
    serial.fit_from_label_features(label_features)
    parallel.fit_from_label_features(label_features)
    np.testing.assert_array_equal(serial.labels_to_clusters_, parallel.labels_to_clusters_)
    np.testing.assert_array_equal(serial.n_iter_, parallel.n_iter_)


def test_clustering_beats_random_assignment_on_debian_tags():
    texts, Y = load_debian_tags(return_X_y=True)
    clusterer = LabelTreeClusterer(n_clusters=32, random_state=0).fit(texts, Y)
    label_features = _label_tree._pifa(TfidfVectorizer(sublinear_tf=True).fit_transform(texts), Y)
    clusters = clusterer.labels_to_clusters_
    shuffled = np.random.default_rng(0).permutation(clusters)
    ours = mean_similarity_to_centroid(label_features, clusters)
    random = mean_similarity_to_centroid(label_features, shuffled)
    assert ours > random + 0.05, (ours, random)


# --------------------------------------------------------------------------------------
# Fitted attributes and transform


def test_mappings_are_consistent():
    clusterer = LabelTreeClusterer(n_clusters=8, random_state=0)
    clusterer.fit_from_label_features(random_label_features(37, seed=10))
    clusters = clusterer.labels_to_clusters_
    assert clusters.dtype == np.int64
    assert clusterer.n_labels_ == 37
    assert clusterer.cluster_indptr_[-1] == 37
    # Every label exactly once, in the cluster that labels_to_clusters_ names.
    np.testing.assert_array_equal(np.sort(clusterer.cluster_labels_), np.arange(37))
    for cluster in range(8):
        members = clusterer.cluster_members(cluster)
        np.testing.assert_array_equal(members, np.flatnonzero(clusters == cluster))
    assignment = clusterer.assignment_matrix_
    assert sp.isspmatrix_csr(assignment) and assignment.shape == (37, 8)
    np.testing.assert_array_equal(assignment.sum(axis=1).A.ravel(), 1)
    np.testing.assert_array_equal(assignment.indices, clusters)


def test_transform_hand_computed(fitted):
    # fruit, pie, tart -> cluster 0; rain, sky -> cluster 1 (doctest of the class).
    np.testing.assert_array_equal(fitted.labels_to_clusters_, [0, 0, 1, 1, 0])
    Y = sp.csr_matrix([[1, 1, 0, 0, 1], [0, 0, 1, 1, 0], [0, 1, 0, 1, 0], [0, 0, 0, 0, 0]])
    expected = [[1, 0], [0, 1], [1, 1], [0, 0]]
    clusters = fitted.transform(Y)
    assert sp.isspmatrix_csr(clusters) and clusters.dtype == np.float32
    np.testing.assert_array_equal(clusters.toarray(), expected)
    np.testing.assert_array_equal(fitted.transform(Y.toarray()).toarray(), expected)
    lists = [["fruit", "pie", "tart"], ["rain", "sky"], ["pie", "sky"], []]
    np.testing.assert_array_equal(fitted.transform(lists).toarray(), expected)
    assert fitted.transform(sp.csr_matrix((0, 5))).shape == (0, 2)


def test_fit_transform_is_transform_of_the_training_labels():
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0)
    indicator = clusterer.fit_transform(TEXTS, LABEL_LISTS)
    np.testing.assert_array_equal(indicator.toarray(), clusterer.transform(LABEL_LISTS).toarray())
    assert indicator.shape == (6, 2)


def test_transform_rejects_other_label_spaces(fitted):
    with pytest.raises(ValueError, match=r"Y has 4 columns .* fitted on 5 labels"):
        fitted.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"unseen in fit.*cake"):
        fitted.transform([["pie", "cake"]])
    with pytest.raises(ValueError, match="only 0 and 1"):
        fitted.transform(np.full((1, 5), 2))
    on_matrix = LabelTreeClusterer(n_clusters=2, random_state=0)
    on_matrix.fit_from_label_features(random_label_features(5))
    with pytest.raises(ValueError, match="not fitted on label lists"):
        on_matrix.transform([["pie"]])


def test_unfitted_clusterer_raises():
    with pytest.raises(NotFittedError):
        LabelTreeClusterer().transform(np.zeros((1, 3)))
    with pytest.raises(NotFittedError):
        LabelTreeClusterer().cluster_members(0)


@pytest.mark.parametrize("cluster", [-1, 2, 1.0, True])
def test_cluster_members_rejects_bad_indices(fitted, cluster):
    with pytest.raises(ValueError, match=r"cluster must be an int in \[0, 2\)"):
        fitted.cluster_members(cluster)


def test_refit_forgets_the_previous_inputs(fitted):
    clusterer = clone(fitted).fit(TEXTS, LABEL_LISTS)
    clusterer.fit(random_label_features(6, 4, seed=11), np.eye(6, 5))
    assert not hasattr(clusterer, "classes_")
    assert clusterer.n_features_in_ == 4
    clusterer.fit_from_label_features(random_label_features(5))
    assert not hasattr(clusterer, "n_features_in_")


# --------------------------------------------------------------------------------------
# Parameters and bad input


@pytest.mark.parametrize("n_clusters", [3, 6, 12])
def test_n_clusters_must_be_a_power_of_two(n_clusters):
    clusterer = LabelTreeClusterer(n_clusters=n_clusters)
    with pytest.raises(ValueError, match=f"power of two .* got {n_clusters}"):
        clusterer.fit_from_label_features(random_label_features(20))


def test_n_clusters_larger_than_n_labels_raises():
    with pytest.raises(
        ValueError, match=r"n_clusters=8 is larger than the number of labels \(5\)"
    ):
        LabelTreeClusterer(n_clusters=8).fit(TEXTS, LABEL_LISTS)


@pytest.mark.parametrize(
    "params",
    [
        {"n_clusters": 0},
        {"max_leaf_size": 0},
        {"max_leaf_size": "large"},
        {"tol": -1.0},
        {"max_iter": 0},
        {"init": "k-means"},
        {"tfidf_min_df": 0},
        {"tfidf_ngram_range": [1, 2]},
        {"random_state": "seed"},
    ],
)
def test_invalid_parameters_raise(params):
    with pytest.raises(InvalidParameterError):
        LabelTreeClusterer(**params).fit(TEXTS, LABEL_LISTS)


@pytest.mark.parametrize("ngram_range", [(2, 1), (0, 1), (1,), (1.0, 2)])
def test_bad_ngram_range_raises(ngram_range):
    with pytest.raises(ValueError, match="tfidf_ngram_range must be a tuple"):
        LabelTreeClusterer(tfidf_ngram_range=ngram_range).fit(TEXTS, LABEL_LISTS)


@pytest.mark.parametrize(
    ("X", "y", "error", "message"),
    [
        (TEXTS, LABEL_LISTS[:5], ValueError, "6 texts, 5 label lists"),
        (TEXTS, None, ValueError, "requires y to be passed, but the target y is None"),
        (TEXTS, np.eye(5), ValueError, "6 texts, 5 rows in y"),
        (np.ones((4, 3)), np.eye(5), ValueError, "4 rows in X, 5 rows in y"),
        (TEXTS, np.full((6, 2), 0.5), ValueError, "only 0 and 1"),
        ([], np.zeros((0, 2)), ValueError, "X is empty"),
        (TEXTS, np.zeros((6, 0)), ValueError, "no columns"),
        (TEXTS, [[] for _ in TEXTS], ValueError, "no columns"),
        ("one text", [["a"]], TypeError, "single str"),
        (["a b", 3], [["a"], ["b"]], TypeError, "item 1 is int"),
        (np.array([[np.nan, 1.0]]), [[1]], ValueError, "NaN"),
        (["a", "b"], np.eye(2), ValueError, "No n-gram is left.*no word of two characters"),
    ],
)
def test_bad_input_raises(X, y, error, message):
    with pytest.raises(error, match=message):
        LabelTreeClusterer().fit(X, y)


def test_a_min_df_that_leaves_no_n_gram_is_named_with_its_value():
    texts = ["red apple", "green apple", "blue sky", "grey sky"]
    with pytest.raises(ValueError, match=r"lower tfidf_min_df \(now 3\)"):
        LabelTreeClusterer(tfidf_min_df=3).fit(texts, np.eye(4)[:, :2])


def test_fit_from_label_features_gives_the_same_clusters_for_float32_and_float64():
    # A case whose nearly tied labels went to other clusters when float32 features were
    # normalised in float32 (found by a fuzzing loop: 1 random case in 100 to 20).
    rng = np.random.default_rng(5)
    for _ in range(148):
        n_labels, n_features, per_label = (
            int(rng.integers(50, 600)),
            int(rng.integers(5, 300)),
            int(rng.integers(1, 10)),
        )
        rows = np.repeat(np.arange(n_labels), per_label)
        columns = rng.integers(0, n_features, n_labels * per_label)
        values = rng.random(n_labels * per_label)
        n_clusters = 1 << int(rng.integers(1, int(np.log2(n_labels)) + 1))
    features = sp.csr_matrix(
        (values, (rows, columns)), shape=(n_labels, n_features), dtype=np.float32
    )
    clusters = [
        LabelTreeClusterer(n_clusters=n_clusters, random_state=147)
        .fit_from_label_features(features.astype(dtype))
        .labels_to_clusters_
        for dtype in (np.float32, np.float64)
    ]
    np.testing.assert_array_equal(*clusters)


def test_fit_from_label_features_rejects_bad_input():
    with pytest.raises(ValueError, match="label_features"):
        LabelTreeClusterer().fit_from_label_features(np.array([[np.inf, 1.0]]))
    with pytest.raises(ValueError):
        LabelTreeClusterer().fit_from_label_features(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="label_features must hold numbers: could not conv"):
        LabelTreeClusterer().fit_from_label_features(np.full((6, 4), "a"))


# --------------------------------------------------------------------------------------
# scikit-learn compatibility


class _ShortlistModel(BaseEstimator):
    """Stands in for a classifier that takes a clusterer as a parameter."""

    def __init__(self, *, clusterer=None, top_k=10):
        self.clusterer = clusterer
        self.top_k = top_k

    def fit(self, X, y):
        self.clusterer_ = clone(self.clusterer).fit(X, y)
        return self


def test_nested_parameters_clone_and_grid():
    model = _ShortlistModel(clusterer=LabelTreeClusterer(n_clusters=2, random_state=0))
    assert model.get_params()["clusterer__n_clusters"] == 2
    fitted_n_clusters = []
    for params in ParameterGrid({"clusterer__n_clusters": [1, 4], "clusterer__max_iter": [5]}):
        candidate = clone(model).set_params(**params)
        candidate.fit(TEXTS, LABEL_LISTS)
        assert candidate.clusterer_.max_iter == 5
        fitted_n_clusters.append(candidate.clusterer_.n_clusters_)
    assert fitted_n_clusters == [1, 4]
    assert model.clusterer.n_clusters == 2  # the template is untouched
    assert "clusterer__n_clusters=2" not in repr(model)  # plain repr, no nested keys


def test_pickle_round_trip(fitted):
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.labels_to_clusters_, fitted.labels_to_clusters_)
    np.testing.assert_array_equal(
        loaded.transform([["pie"], ["rain"]]).toarray(),
        fitted.transform([["pie"], ["rain"]]).toarray(),
    )


def test_clusterers_pickled_before_init_existed_keep_random_seeds(fitted):
    state = fitted.__getstate__()
    del state["init"]
    old = LabelTreeClusterer.__new__(LabelTreeClusterer)
    old.__setstate__(state)
    assert old.get_params()["init"] == "random"
    label_features = random_label_features(60, seed=3)
    refit = clone(old).set_params(n_clusters=8, random_state=0)
    expected = LabelTreeClusterer(n_clusters=8, init="random", random_state=0)
    np.testing.assert_array_equal(
        refit.fit_from_label_features(label_features).labels_to_clusters_,
        expected.fit_from_label_features(label_features).labels_to_clusters_,
    )


def test_tags():
    tags = LabelTreeClusterer().__sklearn_tags__()
    assert tags.input_tags.string and tags.input_tags.sparse
    assert tags.target_tags.required and tags.target_tags.two_d_labels


def test_pifa_in_row_blocks_equals_the_whole_product(monkeypatch):
    from skxml.cluster import _label_tree

    features = sp.random(1000, 300, density=0.05, format="csr", random_state=0, dtype=np.float32)
    labels = sp.random(1000, 50, density=0.05, format="csr", random_state=1)
    labels.data[:] = 1
    whole = _label_tree._pifa(features, labels)
    monkeypatch.setattr(_label_tree, "_PIFA_CHUNK_ROWS", 128)  # 8 blocks
    blocks = _label_tree._pifa(features, labels)
    assert whole.nnz == blocks.nnz > 0
    np.testing.assert_allclose(blocks.toarray(), whole.toarray(), rtol=1e-6, atol=1e-7)


def test_max_leaf_size_one_never_leaves_a_cluster_empty():
    texts = [f"text {i} about topic{i % 40}" for i in range(120)]
    y = sp.csr_matrix((np.ones(120), (np.arange(120), np.arange(120) % 40)), shape=(120, 40))
    clusterer = LabelTreeClusterer(max_leaf_size=1, random_state=0).fit(texts, y)
    assert clusterer.n_clusters_ == 32
    sizes = np.bincount(clusterer.labels_to_clusters_, minlength=32)
    assert sizes.min() == 1 and sizes.max() == 2


def test_transform_of_label_lists_without_labels_and_with_unseen_ones():
    texts = ["red apple", "blue sky", "green apple", "grey sky"] * 3
    labels = [["food"], ["weather"], ["food"], ["weather"]] * 3
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0).fit(texts, labels)
    empty = clusterer.transform([[], []])
    assert empty.shape == (2, 2) and empty.nnz == 0
    with pytest.raises(
        ValueError, match=r"labels unseen in fit, which belong to no cluster: \['x'\]"
    ):
        clusterer.transform([["food", "x"]])


def test_n_jobs_zero_is_refused_naming_it():
    Y = sp.csr_matrix(np.eye(4))
    with pytest.raises(ValueError, match=r"The 'n_jobs' parameter of LabelTreeClusterer"):
        LabelTreeClusterer(n_clusters=2, n_jobs=0).fit(sp.csr_matrix(np.eye(4)), Y)
    LabelTreeClusterer(n_clusters=2, n_jobs=-1, random_state=0).fit(sp.csr_matrix(np.eye(4)), Y)
