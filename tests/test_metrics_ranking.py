"""Tests of skxml.metrics._ranking: hand-computed values, a slow reference, invariants."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skxml.metrics import (
    inverse_propensity,
    inverse_propensity_from_counts,
    ndcg_at_k,
    precision_at_k,
    psndcg_at_k,
    psp_at_k,
    recall_at_k,
)
from skxml.metrics._ranking import _top_k_hits

PLAIN_METRICS = [precision_at_k, recall_at_k, ndcg_at_k]
PROPENSITY_METRICS = [psp_at_k, psndcg_at_k]


# --------------------------------------------------------------------------------------
# Slow, obviously correct reference: plain loops over queries on dense lists
# --------------------------------------------------------------------------------------


def reference_ranking(y_score, form, k):
    """Per query, the list of the first k ranked labels (-1 = nothing at that rank)."""
    rankings = []
    if form == "dense":
        for row in np.asarray(y_score, dtype=float):
            order = sorted(range(len(row)), key=lambda label: (-row[label], label))
            rankings.append(order[:k])
    elif form == "sparse":
        matrix = sp.csr_matrix(y_score)
        for i in range(matrix.shape[0]):
            start, stop = matrix.indptr[i], matrix.indptr[i + 1]
            pairs = zip(
                matrix.indices[start:stop].tolist(), matrix.data[start:stop].tolist(), strict=True
            )
            order = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
            rankings.append([label for label, _ in order][:k])
    else:
        rankings = [list(row[:k]) for row in np.asarray(y_score).tolist()]
    return [ranking + [-1] * (k - len(ranking)) for ranking in rankings]


def reference_metrics(y_true, rankings, k, weights):
    """Every metric by the textbook formula, one query at a time."""
    y_true = np.asarray(y_true)
    n = len(y_true)
    precision = recall = ndcg = 0.0
    psp_num = psp_den = psndcg_num = psndcg_den = 0.0
    for truth_row, ranking in zip(y_true, rankings, strict=True):
        truth = {label for label, value in enumerate(truth_row) if value == 1}
        hits = [label >= 0 and label in truth for label in ranking[:k]]
        precision += sum(hits) / k
        if truth:
            recall += sum(hits) / len(truth)
            dcg = sum(1 / math.log2(j + 2) for j, hit in enumerate(hits) if hit)
            idcg = sum(1 / math.log2(j + 2) for j in range(min(k, len(truth))))
            ndcg += dcg / idcg
        psp_num += sum(weights[label] for label, hit in zip(ranking, hits, strict=True) if hit)
        psndcg_num += sum(
            weights[label] / math.log2(j + 2)
            for j, (label, hit) in enumerate(zip(ranking, hits, strict=True))
            if hit
        )
        best = sorted((weights[label] for label in truth), reverse=True)[:k]
        psp_den += sum(best)
        psndcg_den += sum(weight / math.log2(j + 2) for j, weight in enumerate(best))
    return {
        "precision": precision / n,
        "recall": recall / n,
        "ndcg": ndcg / n,
        "psp": psp_num / psp_den if psp_den else 0.0,
        "psndcg": psndcg_num / psndcg_den if psndcg_den else 0.0,
    }


def reference_inverse_propensity(y_train, A, B):
    y_train = np.asarray(y_train)
    n = len(y_train)
    C = (math.log(n) - 1) * (B + 1) ** A
    result = []
    for label in range(y_train.shape[1]):
        n_label = sum(int(row[label]) for row in y_train)
        propensity = 1 / (1 + C * math.exp(-A * math.log(n_label + B)))
        result.append(1 / propensity)
    return np.array(result)


def all_metrics(y_true, y_score, k, weights):
    return {
        "precision": precision_at_k(y_true, y_score, k=k),
        "recall": recall_at_k(y_true, y_score, k=k),
        "ndcg": ndcg_at_k(y_true, y_score, k=k),
        "psp": psp_at_k(y_true, y_score, k=k, inv_propensity=weights),
        "psndcg": psndcg_at_k(y_true, y_score, k=k, inv_propensity=weights),
    }


def random_case(seed, n_samples=25, n_labels=12):
    """Labels with empty rows, tied scores, sparse candidates with negative scores."""
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n_samples, n_labels)) < 0.2).astype(int)
    y_true[0] = 0  # at least one query without labels
    dense_scores = rng.integers(-2, 3, size=(n_samples, n_labels)) / 2.0  # many ties
    stored = rng.random((n_samples, n_labels)) < 0.4
    sparse_scores = sp.csr_matrix(np.where(stored, dense_scores - 1.5, 0.0))
    # explicit zeros are candidates too: store a few on purpose
    sparse_scores = sparse_scores.tolil()
    sparse_scores[1, 0] = 0.0
    sparse_scores = sp.csr_matrix(sparse_scores)
    ranked = np.full((n_samples, 7), -1)
    for i in range(n_samples):
        size = rng.integers(0, 8)
        ranked[i, :size] = rng.permutation(n_labels)[:size]
    ranked[2] = [-1, 4, 5, -1, -1, -1, -1]  # a hole is taken literally
    weights = rng.uniform(1.0, 5.0, size=n_labels)
    weights[:3] = 2.0  # tied propensities
    return y_true, dense_scores, sparse_scores, ranked, weights


# --------------------------------------------------------------------------------------
# Comparison with the reference
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 5, 15])
@pytest.mark.parametrize("form", ["dense", "sparse", "indices"])
def test_metrics_match_reference(seed, k, form):
    y_true, dense_scores, sparse_scores, ranked, weights = random_case(seed)
    y_score = {"dense": dense_scores, "sparse": sparse_scores, "indices": ranked}[form]
    expected = reference_metrics(y_true, reference_ranking(y_score, form, k), k, weights)
    got = all_metrics(y_true, y_score, k, weights)
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_metrics_three_forms_identical(seed, k):
    y_true, dense_scores, _, _, weights = random_case(seed)
    top = np.array(reference_ranking(dense_scores, "dense", k))
    rows = np.repeat(np.arange(len(top)), k)
    # the sparse form keeps each row's top-k scores only
    sparse_scores = sp.csr_matrix(
        (dense_scores[rows, top.ravel()], (rows, top.ravel())), shape=dense_scores.shape
    )
    results = [
        all_metrics(y_true, form, k, weights) for form in (dense_scores, sparse_scores, top)
    ]
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("seed", range(3))
def test_inverse_propensity_matches_reference(seed):
    rng = np.random.default_rng(seed)
    y_train = (rng.random((40, 9)) < 0.3).astype(int)
    y_train[:, 0] = 0  # an unseen label
    for A, B in [(0.55, 1.5), (0.6, 2.6), (0.5, 0.4)]:
        np.testing.assert_allclose(
            inverse_propensity(y_train, A=A, B=B),
            reference_inverse_propensity(y_train, A, B),
            rtol=1e-12,
        )


# --------------------------------------------------------------------------------------
# Hand-computed values
# --------------------------------------------------------------------------------------

# Two queries, four labels. Query 0: true {0, 2}; query 1: true {1}.
# Dense scores rank query 0 as [0, 1, 2, 3] and query 1 as [1, 2, 0, 3].
HAND_Y = np.array([[1, 0, 1, 0], [0, 1, 0, 0]])
HAND_SCORES = np.array([[0.9, 0.8, 0.1, 0.0], [0.2, 0.7, 0.3, 0.1]])
HAND_WEIGHTS = np.array([1.0, 4.0, 2.0, 3.0])
LOG3 = math.log2(3)


@pytest.mark.parametrize(
    ("metric", "k", "expected"),
    [
        # P@1: both top-1 labels are true -> (1 + 1) / 2
        (precision_at_k, 1, 1.0),
        # P@2: q0 [0, 1] -> 1/2; q1 [1, 2] -> 1/2
        (precision_at_k, 2, 0.5),
        # P@3: q0 [0, 1, 2] -> 2/3; q1 -> 1/3; mean 1/2
        (precision_at_k, 3, 0.5),
        # R@1: q0 1 of 2, q1 1 of 1 -> (1/2 + 1) / 2
        (recall_at_k, 1, 0.75),
        # R@3: q0 2 of 2, q1 1 of 1
        (recall_at_k, 3, 1.0),
        # nDCG@2: q0 DCG 1, IDCG 1 + 1/log2(3); q1 DCG 1 = IDCG
        (ndcg_at_k, 2, (1 / (1 + 1 / LOG3) + 1) / 2),
        # nDCG@3: q0 DCG 1 + 1/log2(4) = 1.5, IDCG 1 + 1/log2(3); q1 1
        (ndcg_at_k, 3, (1.5 / (1 + 1 / LOG3) + 1) / 2),
    ],
)
def test_plain_metrics_hand_computed(metric, k, expected):
    assert metric(HAND_Y, HAND_SCORES, k=k) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("metric", "k", "expected"),
    [
        # PSP@1: hits label 0 (w 1) and label 1 (w 4) -> 5; best: q0 max(1, 2) = 2, q1 4 -> 6
        (psp_at_k, 1, 5 / 6),
        # PSP@2: same hits -> 5; best: q0 1 + 2, q1 4 -> 7
        (psp_at_k, 2, 5 / 7),
        # PSP@3: q0 hits 0 and 2 -> 3, q1 4 -> 7; best 7
        (psp_at_k, 3, 1.0),
        # PSnDCG@2: q0 1/1, q1 4/1 -> 5; ideal q0 2 + 1/log2(3), q1 4
        (psndcg_at_k, 2, 5 / (6 + 1 / LOG3)),
        # PSnDCG@3: q0 1 + 2/log2(4) = 2, q1 4 -> 6; ideal 6 + 1/log2(3)
        (psndcg_at_k, 3, 6 / (6 + 1 / LOG3)),
    ],
)
def test_propensity_metrics_hand_computed(metric, k, expected):
    got = metric(HAND_Y, HAND_SCORES, k=k, inv_propensity=HAND_WEIGHTS)
    assert got == pytest.approx(expected, rel=1e-12)


def test_inverse_propensity_hand_computed():
    # N = 10, A = 0.55, B = 1.5: C = (ln 10 - 1) * 2.5^0.55.
    # N_l = 1: 1/p = 1 + C * 2.5^-0.55 = 1 + ln 10 - 1 = ln 10 exactly.
    # N_l = 0: 1 + C * 1.5^-0.55 = 2.72513...; N_l = 10: 1 + C * 11.5^-0.55 = 1.56...
    y_train = np.zeros((10, 3), dtype=int)
    y_train[3, 1] = 1
    y_train[:, 2] = 1
    C = (math.log(10) - 1) * 2.5**0.55
    expected = [1 + C * 1.5**-0.55, math.log(10), 1 + C * 11.5**-0.55]
    np.testing.assert_allclose(inverse_propensity(y_train), expected, rtol=1e-12)
    np.testing.assert_allclose(
        inverse_propensity_from_counts([0, 1, 10], 10), expected, rtol=1e-12
    )


def test_inverse_propensity_with_a_large_A_is_finite_where_it_can_be():
    # (B + 1)^A alone overflows a float for A = 1000; the product with (N_l + B)^-A does
    # not: N_l = 1 gives ln N exactly, whatever A, and N_l = 3 gives 1 + (ln N - 1)
    # (2.5 / 4.5)^1000, which is 1 in floating point.
    inv = inverse_propensity_from_counts([1, 3], n_samples=10, A=1000.0)
    np.testing.assert_allclose(inv, [math.log(10), 1.0], rtol=1e-12)


def test_inverse_propensity_sparse_equals_dense():
    y_train = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 1]])
    np.testing.assert_array_equal(
        inverse_propensity(sp.csc_matrix(y_train), A=0.6, B=2.6),
        inverse_propensity(y_train, A=0.6, B=2.6),
    )


# --------------------------------------------------------------------------------------
# Ties, fewer than k predictions, empty queries, formats
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_score", "expected"),
    [
        # all equal: lower index first
        (np.array([[1.0, 1.0, 1.0, 1.0, 0.0]]), [0, 1, 2]),
        # ties straddling the k-th position: the lowest tied indices fill it
        (np.array([[0.0, 5.0, 5.0, 5.0, 5.0]]), [1, 2, 3]),
        (np.array([[5.0, 1.0, 9.0, 5.0, 5.0]]), [2, 0, 3]),
        # integer scores with exactly n_labels columns are scores, not indices
        (np.array([[3, 7, 7, 1, 7]]), [1, 2, 4]),
        # bool scores
        (np.array([[False, True, False, True, True]]), [1, 3, 4]),
        # sparse, stored out of column order; the unstored label 0 is never predicted
        (sp.csr_matrix(([-2.0, -2.0, -2.0], [4, 1, 2], [0, 3]), shape=(1, 5)), [1, 2, 4]),
    ],
)
def test_top_k_hits_ties_lower_index_first(y_score, expected):
    _, ranked, _ = _top_k_hits(np.ones((1, 5)), y_score, 3)
    assert ranked.tolist() == [expected]


def test_dense_ties_many_labels_lower_index_first():
    # Large rows go through argpartition-like selection: boundary ties must still be
    # resolved by index, with the strictly better label 999 first.
    scores = np.zeros((3, 1000))
    scores[:, 999] = 1.0
    y_true = np.zeros((3, 1000), dtype=int)
    y_true[:, 3] = 1
    _, ranked, _ = _top_k_hits(y_true, scores, 5)
    assert ranked.tolist() == [[999, 0, 1, 2, 3]] * 3
    assert precision_at_k(y_true, scores, k=4) == 0.0
    assert precision_at_k(y_true, scores, k=5) == pytest.approx(0.2)


def test_ties_decide_the_score():
    # label 3 tied with label 0: label 0 wins rank 1
    y_true = np.array([[0, 0, 0, 1]])
    assert precision_at_k(y_true, np.array([[1.0, 0.0, 0.0, 1.0]]), k=1) == 0.0
    assert precision_at_k(y_true[:, ::-1], np.array([[1.0, 0.0, 0.0, 1.0]]), k=1) == 1.0


def test_fewer_than_k_predictions_divide_by_k():
    y_true = np.array([[0, 1, 1, 0], [1, 0, 0, 0]])
    # query 0 predicts only label 1 (hit), query 1 predicts nothing
    sparse = sp.csr_matrix(([0.5], [1], [0, 1, 1]), shape=(2, 4))
    ranked = np.array([[1, -1], [-1, -1]])
    for y_score in (sparse, ranked):
        # P@3 = (1/3 + 0) / 2
        assert precision_at_k(y_true, y_score, k=3) == pytest.approx(1 / 6)
        # R@3 = (1/2 + 0) / 2
        assert recall_at_k(y_true, y_score, k=3) == pytest.approx(0.25)
        # PSP@3 with unit weights: 1 hit / (min(3, 2) + min(3, 1))
        assert psp_at_k(y_true, y_score, k=3, inv_propensity=np.ones(4)) == pytest.approx(1 / 3)


def test_dense_scores_with_k_above_n_labels():
    # k = 5 > 3 labels: all 3 labels are ranked, 2 empty ranks count as misses
    y_true = np.array([[1, 0, 1]])
    assert precision_at_k(y_true, np.array([[0.1, 0.2, 0.3]]), k=5) == pytest.approx(2 / 5)
    assert ndcg_at_k(y_true, np.array([[0.3, 0.2, 0.1]]), k=5) == pytest.approx(
        (1 + 1 / 2) / (1 + 1 / LOG3)
    )


def test_queries_without_labels_count_as_zero():
    y_true = np.array([[0, 0, 0], [0, 1, 0]])
    y_score = np.array([[0.9, 0.5, 0.1], [0.1, 0.9, 0.3]])
    # the empty query scores 0 and stays in the denominator n = 2
    assert precision_at_k(y_true, y_score, k=1) == 0.5
    assert recall_at_k(y_true, y_score, k=1) == 0.5
    assert ndcg_at_k(y_true, y_score, k=1) == 0.5
    # but adds nothing to either PSP sum: 3 / 3
    weights = np.array([2.0, 3.0, 4.0])
    assert psp_at_k(y_true, y_score, k=1, inv_propensity=weights) == 1.0
    assert psndcg_at_k(y_true, y_score, k=1, inv_propensity=weights) == 1.0


@pytest.mark.parametrize("metric", PLAIN_METRICS + PROPENSITY_METRICS)
def test_metrics_all_queries_empty_return_zero_without_warning(metric):
    y_true = sp.csr_matrix((3, 4))
    kwargs = {"inv_propensity": np.ones(4)} if metric in PROPENSITY_METRICS else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metric(y_true, np.ones((3, 4)), k=2, **kwargs) == 0.0


@pytest.mark.parametrize(
    "to_format",
    [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.lil_matrix, sp.csr_array, np.asarray],
)
def test_metrics_accept_any_label_and_score_container(to_format):
    y_true, dense_scores, sparse_scores, _, weights = random_case(7)
    expected = all_metrics(y_true, sparse_scores, 3, weights)
    got = all_metrics(to_format(y_true), sparse_scores.tocoo(), 3, weights)
    assert got == expected
    assert all_metrics(y_true, dense_scores.tolist(), 3, list(weights)) == all_metrics(
        y_true, dense_scores, 3, weights
    )


def test_metrics_do_not_modify_inputs():
    y_true = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]]))
    y_score = sp.csr_matrix(([0.5, 0.5, 0.1], [2, 0, 1], [0, 2, 3]), shape=(2, 3))
    snapshot = (y_score.data.copy(), y_score.indices.copy(), y_true.toarray())
    precision_at_k(y_true, y_score, k=2)
    np.testing.assert_array_equal(y_score.data, snapshot[0])
    np.testing.assert_array_equal(y_score.indices, snapshot[1])
    np.testing.assert_array_equal(y_true.toarray(), snapshot[2])


def test_sparse_path_never_densifies():
    # A dense (10, 10^7) float64 array would take 800 MB; the sparse path must stay tiny.
    n_samples, n_labels = 10, 10**7
    rows = np.repeat(np.arange(n_samples), 3)
    label_ids = np.tile([5, 9_999_999, 123_456], n_samples)
    y_true = sp.csr_matrix((np.ones(rows.size), (rows, label_ids)), shape=(n_samples, n_labels))
    # each row predicts 9_999_999 (hit), 7 (miss), 123_456 (hit), in that order
    y_score = sp.csr_matrix(
        (
            np.tile([0.9, 0.8, 0.7], n_samples),
            (rows, np.tile([9_999_999, 7, 123_456], n_samples)),
        ),
        shape=(n_samples, n_labels),
    )
    tracemalloc.start()
    try:
        precision = precision_at_k(y_true, y_score, k=3)
        ndcg = ndcg_at_k(y_true, y_score, k=2)
        recall = recall_at_k(y_true, y_score, k=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert precision == pytest.approx(2 / 3)
    # DCG@2 = 1, IDCG@2 = 1 + 1/log2(3)
    assert ndcg == pytest.approx(1 / (1 + 1 / LOG3))
    assert recall == pytest.approx(2 / 3)
    assert peak < 20 * 2**20


# --------------------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------------------


@st.composite
def ranking_cases(draw):
    n_samples = draw(st.integers(1, 6))
    n_labels = draw(st.integers(1, 8))
    y_true = draw(hnp.arrays(np.int8, (n_samples, n_labels), elements=st.integers(0, 1)))
    # few distinct values so that ties are common
    scores = draw(
        hnp.arrays(np.float64, (n_samples, n_labels), elements=st.sampled_from([-1.0, 0.0, 0.5]))
    )
    weights = draw(
        hnp.arrays(np.float64, n_labels, elements=st.floats(1.0, 10.0, allow_nan=False))
    )
    k = draw(st.integers(1, 10))
    return y_true, scores, weights, k


@settings(max_examples=50, deadline=None)
@given(ranking_cases())
def test_metrics_bounded_and_match_reference(case):
    y_true, scores, weights, k = case
    got = all_metrics(y_true, scores, k, weights)
    expected = reference_metrics(y_true, reference_ranking(scores, "dense", k), k, weights)
    for name, value in got.items():
        assert 0.0 <= value <= 1.0 + 1e-12
        assert value == pytest.approx(expected[name], rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(ranking_cases())
def test_metrics_perfect_ranking_scores_one(case):
    y_true, _, weights, k = case
    # true labels first, the rarest (largest inverse propensity) first among them
    perfect = y_true * (1.0 + weights)
    n_true = y_true.sum(axis=1)
    got = all_metrics(y_true, perfect, k, weights)
    if n_true.min() >= 1:
        assert got["ndcg"] == pytest.approx(1.0)
    if n_true.min() >= k:
        assert got["precision"] == pytest.approx(1.0)
    if n_true.min() >= 1 and n_true.max() <= k:
        assert got["recall"] == pytest.approx(1.0)
    if n_true.max() >= 1:
        assert got["psp"] == pytest.approx(1.0)
        assert got["psndcg"] == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(ranking_cases(), st.floats(0.5, 100.0))
def test_psp_with_equal_propensities_is_normalised_precision(case, weight):
    y_true, scores, _, k = case
    _, _, hits = _top_k_hits(y_true, scores, k)
    best = np.minimum(y_true.sum(axis=1), k).sum()
    expected = hits.sum() / best if best else 0.0
    got = psp_at_k(y_true, scores, k=k, inv_propensity=np.full(y_true.shape[1], weight))
    assert got == pytest.approx(expected)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=2, max_size=20),
    st.floats(0.1, 2.0),
    st.floats(0.1, 5.0),
)
def test_inverse_propensity_decreases_with_frequency(counts, A, B):
    counts = np.array(counts)
    inv = inverse_propensity_from_counts(counts, n_samples=1000, A=A, B=B)
    order = np.argsort(counts, kind="stable")
    sorted_counts, sorted_inv = counts[order], inv[order]
    assert np.all(sorted_inv > 1.0)
    assert np.all(np.diff(sorted_inv)[np.diff(sorted_counts) > 0] < 0)
    assert np.all(np.diff(sorted_inv)[np.diff(sorted_counts) == 0] == 0)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", PLAIN_METRICS)
@pytest.mark.parametrize("k", [0, -1, 2.5, "3", None])
def test_metrics_bad_k(metric, k):
    with pytest.raises(ValueError, match="'k' parameter"):
        metric(HAND_Y, HAND_SCORES, k=k)


@pytest.mark.parametrize("as_sparse", [False, True], ids=["dense", "sparse"])
def test_complex_scores_are_rejected_dense_or_sparse(as_sparse):
    scores = np.asarray(HAND_SCORES, dtype=np.complex128)
    with pytest.raises(TypeError, match="y_score must hold real scores, got complex values"):
        precision_at_k(HAND_Y, sp.csr_matrix(scores) if as_sparse else scores, k=1)


def test_metrics_bool_k_rejected():
    with pytest.raises(TypeError, match="k must be a positive int"):
        precision_at_k(HAND_Y, HAND_SCORES, k=True)


@pytest.mark.parametrize(
    ("y_score", "match"),
    [
        (np.ones((3, 4)), "y_score has 3 rows but y_true has 2"),
        (np.ones((2, 5)), "y_score has 5 columns but y_true has 4 labels"),
        (sp.csr_matrix((2, 5)), r"sparse matrix of shape \(2, 5\).*must match"),
        (sp.csr_matrix((3, 4)), r"sparse matrix of shape \(3, 4\).*must match"),
        (np.ones(4), "y_score must be 2-D"),
        (np.array([[0.5, np.nan, 0.1, 0.2]] * 2), "y_score contains NaN"),
        (sp.csr_matrix(np.array([[0.5, np.nan, 0, 0]] * 2)), "y_score contains NaN"),
        (np.array([[0, 4], [1, 2]]), r"must lie in \[-1, 4\).*found 4"),
        (np.array([[0, -2], [1, 2]]), r"must lie in \[-1, 4\).*found -2"),
        (np.array([[0, 0], [1, 2]]), "row 0 predicts the same label more than once"),
        (np.zeros((2, 0), dtype=int), "at least one column"),
    ],
)
def test_metrics_bad_y_score(y_score, match):
    with pytest.raises(ValueError, match=match):
        precision_at_k(HAND_Y, y_score, k=2)


def test_metrics_non_numeric_y_score():
    with pytest.raises(TypeError, match="y_score must hold numbers"):
        precision_at_k(HAND_Y, np.array([["a", "b", "c", "d"]] * 2), k=2)


@pytest.mark.parametrize(
    ("y_true", "match"),
    [
        (np.array([[2, 0, 1, 0], [0, 1, 0, 0]]), "y_true must contain only 0 and 1"),
        (np.array([1, 0, 1, 0]), "y_true must be 2-D"),
        (np.zeros((0, 4)), "y_true has no rows"),
    ],
)
def test_metrics_bad_y_true(y_true, match):
    with pytest.raises(ValueError, match=match):
        precision_at_k(y_true, HAND_SCORES, k=2)


@pytest.mark.parametrize("metric", PROPENSITY_METRICS)
@pytest.mark.parametrize(
    ("inv_propensity", "match"),
    [
        (np.ones(3), r"inv_propensity must have shape \(n_labels,\) = \(4,\)"),
        (np.ones((1, 4)), r"inv_propensity must have shape"),
        (np.array([1.0, np.nan, 1.0, 1.0]), "inv_propensity contains NaN or infinite"),
        (np.array([1.0, np.inf, 1.0, 1.0]), "inv_propensity contains NaN or infinite"),
        (np.array([1.0, 0.0, 1.0, 1.0]), "inv_propensity must be strictly positive"),
        (np.array([1.0, -2.0, 1.0, 1.0]), "inv_propensity must be strictly positive"),
    ],
)
def test_propensity_metrics_bad_inv_propensity(metric, inv_propensity, match):
    with pytest.raises(ValueError, match=match):
        metric(HAND_Y, HAND_SCORES, k=2, inv_propensity=inv_propensity)


@pytest.mark.parametrize("metric", PROPENSITY_METRICS)
def test_propensity_metrics_require_inv_propensity(metric):
    with pytest.raises(TypeError, match="inv_propensity"):
        metric(HAND_Y, HAND_SCORES, k=2)


def test_inverse_propensity_needs_three_rows():
    with pytest.raises(ValueError, match="Y_train must have at least 3 rows"):
        inverse_propensity(np.array([[1, 0], [0, 1]]))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"label_counts": [1, 2], "n_samples": 2}, ValueError, "'n_samples' parameter"),
        ({"label_counts": [1, 20], "n_samples": 10}, ValueError, "cannot exceed n_samples=10"),
        ({"label_counts": [-1, 2], "n_samples": 10}, ValueError, "non-negative"),
        ({"label_counts": [[1, 2]], "n_samples": 10}, ValueError, "label_counts must be 1-D"),
        ({"label_counts": [1], "n_samples": 10, "A": 0.0}, ValueError, "'A' parameter"),
        ({"label_counts": [1], "n_samples": 10, "B": -1.0}, ValueError, "'B' parameter"),
        (
            {"label_counts": [0, 5], "n_samples": 10, "A": 5000.0},
            ValueError,
            r"A=5000.0 and B=1.5 give inverse propensities too large for floating point",
        ),
    ],
)
def test_inverse_propensity_from_counts_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        inverse_propensity_from_counts(**kwargs)


def test_inverse_propensity_bad_labels():
    with pytest.raises(ValueError, match="Y_train must contain only 0 and 1"):
        inverse_propensity(np.array([[1, 0], [3, 0], [0, 1]]))


@pytest.mark.parametrize("form", ["dense", "sparse", "ranked"])
def test_a_huge_k_costs_memory_of_the_data_not_of_k(form):
    # Ranks past the number of labels hold nothing; the metrics still divide by k.
    y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
    scores = np.array([[0.9, 0.1, 0.5, 0.2], [0.3, 0.8, 0.1, 0.0], [0.2, 0.1, 0.3, 0.4]])
    y_score = {
        "dense": scores,
        "sparse": sp.csr_matrix(scores),
        "ranked": np.argsort(-scores, axis=1)[:, :3],
    }[form]
    for k in (10**12, 2**62):
        assert precision_at_k(y_true, y_score, k=k) == pytest.approx(4 / (3 * k))
        assert recall_at_k(y_true, y_score, k=k) == 1.0
        assert ndcg_at_k(y_true, y_score, k=k) == pytest.approx(ndcg_at_k(y_true, y_score, k=4))
        weights = np.array([1.0, 2.0, 3.0, 4.0])
        assert psp_at_k(y_true, y_score, k=k, inv_propensity=weights) == 1.0


@pytest.mark.parametrize("metric", [ndcg_at_k, psp_at_k, psndcg_at_k, recall_at_k])
def test_fewer_ranked_indices_than_k_score_as_the_same_sparse_scores(metric):
    # One label returned of three true ones: the ideal ranking still holds min(k, 3) labels.
    y_true = np.array([[1, 1, 1, 0, 0], [0, 1, 0, 1, 0]])
    ranked = np.array([[2], [4]])
    sparse = sp.csr_matrix(([1.0, 1.0], [2, 4], [0, 1, 2]), shape=(2, 5))
    kwargs = {} if metric in (ndcg_at_k, recall_at_k) else {"inv_propensity": np.arange(1, 6.0)}
    for k in (3, 10, 10**12):
        by_indices = metric(y_true, ranked, k=k, **kwargs)
        assert by_indices == pytest.approx(metric(y_true, sparse, k=k, **kwargs))
        assert by_indices < 1
