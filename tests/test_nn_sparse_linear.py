"""Tests of skxml.nn.SparseLinearHead and BagOfWordsEncoder against dense references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skxml.nn import BagOfWordsEncoder, SparseLinearHead


def _bag(matrix: sp.csr_matrix) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy(matrix.indptr[:-1].astype(np.int64)),
        torch.from_numpy(matrix.data.astype(np.float32)),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_linear_head_matches_dense_product(seed):
    rng = np.random.default_rng(seed)
    support = sp.random(40, 30, density=0.2, format="csr", random_state=seed)
    head = SparseLinearHead(support)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(rng.normal(size=head.n_weights).astype(np.float32)))
    dense_weight = sp.csr_matrix(
        (head.weight.detach().numpy(), support.indices, support.indptr), shape=support.shape
    ).toarray()
    bags = sp.random(7, 40, density=0.15, format="csr", random_state=seed + 10, dtype=np.float32)
    expected = bags.toarray() @ dense_weight
    np.testing.assert_allclose(head(*_bag(bags)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_sparse_linear_head_gradient_only_reaches_used_weights():
    support = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [1, 0, 1]]))
    head = SparseLinearHead(support)
    bags = sp.csr_matrix(np.array([[0.5, 0.0, 0.0]], dtype=np.float32))  # n-gram 0 only
    head(*_bag(bags)).sum().backward()
    # n-gram 0's two weights get d/dw = 0.5; the others are untouched.
    np.testing.assert_allclose(head.weight.grad.numpy(), [0.5, 0.5, 0, 0, 0])


def test_sparse_linear_head_empty_rows_give_zero_logits():
    head = SparseLinearHead(sp.csr_matrix(np.eye(3)))
    ids = torch.tensor([], dtype=torch.int64)
    offsets = torch.tensor([0, 0], dtype=torch.int64)
    out = head(ids, offsets, torch.tensor([]))
    assert out.shape == (2, 3)
    assert torch.count_nonzero(out) == 0


def test_sparse_linear_head_support_ignores_values_and_duplicates():
    support = sp.coo_matrix(([3.0, 2.0, 5.0], ([0, 0, 1], [1, 1, 0])), shape=(2, 2))
    assert SparseLinearHead(support).n_weights == 2


def test_bag_of_words_encoder_matches_weighted_sum():
    encoder = BagOfWordsEncoder(6, 4)
    bags = sp.csr_matrix(np.array([[0.2, 0, 0.8, 0, 0, 0], [0, 0, 0, 0, 0, 1.0]], np.float32))
    expected = bags.toarray() @ encoder.bag.weight.detach().numpy()
    np.testing.assert_allclose(encoder(*_bag(bags)).detach().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize(("n_ngrams", "n_features"), [(0, 4), (4, 0)])
def test_bag_of_words_encoder_rejects_empty_sizes(n_ngrams, n_features):
    with pytest.raises(ValueError, match=r"n_ngrams|n_features"):
        BagOfWordsEncoder(n_ngrams, n_features)


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_gradients_equal_dense_gradients(seed):
    rng = np.random.default_rng(seed)
    support = sp.random(40, 30, density=0.2, format="csr", random_state=seed)
    X = sp.random(6, 40, density=0.15, format="csr", random_state=seed + 10)
    init = torch.from_numpy(rng.normal(size=support.nnz).astype(np.float32))
    upstream = torch.from_numpy(rng.normal(size=(6, 30)).astype(np.float32))
    gradients = []
    for sparse in (False, True):
        head = SparseLinearHead(support, sparse_gradients=sparse)
        with torch.no_grad():
            head.weight.copy_(init)
        (head(*_bag(X)) * upstream).sum().backward()
        assert head.weight.grad.is_sparse == sparse
        gradients.append(head.weight.grad.to_dense())
    torch.testing.assert_close(gradients[1], gradients[0])


def test_bag_of_words_sparse_gradients_touch_only_the_batch_rows():
    bag = BagOfWordsEncoder(10, 4, sparse_gradients=True)
    ids, offsets, weights = torch.tensor([1, 3, 3]), torch.tensor([0, 2]), torch.ones(3)
    bag(ids, offsets, weights).sum().backward()
    grad = bag.bag.weight.grad
    assert grad.is_sparse
    assert sorted(set(grad.coalesce().indices()[0].tolist())) == [1, 3]


def test_score_labels_equals_columns_of_the_dense_logits():
    support = sp.random(40, 30, density=0.2, format="csr", random_state=3)
    X = sp.random(5, 40, density=0.2, format="csr", random_state=4)
    head = SparseLinearHead(support)
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.n_weights))
    labels = torch.tensor([29, 0, 7, 12])
    torch.testing.assert_close(head.score_labels(*_bag(X), labels), head(*_bag(X))[:, labels])


@pytest.mark.parametrize("sparse_gradient", [False, True])
def test_gather_gradient_is_the_in_order_sum_on_several_threads(two_threads, sparse_gradient):
    from skxml.nn._sparse_gather import gather

    generator = torch.Generator().manual_seed(0)
    n_weights, n_positions = 50_000, 400_000  # about 8 repeats per weight
    positions = torch.randint(0, n_weights, (n_positions,), generator=generator)
    upstream = torch.randn(n_positions, generator=generator)
    exact = torch.zeros(n_weights, dtype=torch.float64).index_add_(0, positions, upstream.double())
    reference = torch.zeros(n_weights).index_add_(0, positions, upstream)  # in index order
    weight = torch.randn(n_weights, requires_grad=True, generator=generator)
    gradients = []
    for _ in range(5):
        weight.grad = None
        values = gather(weight, positions, sparse_gradient=sparse_gradient)
        assert torch.equal(values, weight.detach()[positions])
        values.backward(upstream)
        grad = weight.grad.coalesce().to_dense() if sparse_gradient else weight.grad
        gradients.append(grad)
    assert all(torch.equal(grad, gradients[0]) for grad in gradients)
    torch.testing.assert_close(gradients[0].double(), exact, rtol=0, atol=1e-5)
    if not sparse_gradient:
        assert torch.equal(gradients[0], reference)


def test_cooccurrence_support_keeps_confident_pairs_only():
    from skxml._linear_map_support import cooccurrence_support

    # 5 texts × 3 n-grams (TF-IDF values; only presence matters), 3 labels.
    bag = sp.csr_matrix(
        np.array(
            [
                [0.5, 0.5, 0.0],
                [0.7, 0.0, 0.0],
                [0.2, 0.0, 0.9],
                [0.6, 0.8, 0.0],
                [0.1, 0.0, 0.0],
            ]
        )
    )
    labels = sp.csr_matrix(
        np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 1], [1, 0, 0]], dtype=np.float32)
    )
    # n-gram 0 is in all 5 texts: label 0 on 4 (0.8), label 1 on 1 (0.2), label 2 on 1 (0.2).
    # n-gram 1 is in texts 0 and 3: label 0 on 2 (1.0), label 2 on 1 (0.5).
    # n-gram 2 is in text 2: label 1 (1.0).
    everything = cooccurrence_support(bag, labels).toarray()
    np.testing.assert_array_equal(everything, [[1, 1, 1], [1, 0, 1], [0, 1, 0]])
    confident = cooccurrence_support(bag, labels, min_confidence=0.3).toarray()
    np.testing.assert_array_equal(confident, [[1, 0, 0], [1, 0, 1], [0, 1, 0]])
    strict = cooccurrence_support(bag, labels, min_confidence=0.9).toarray()
    np.testing.assert_array_equal(strict, [[0, 0, 0], [1, 0, 0], [0, 1, 0]])
    # Chunked accumulation gives the same support.
    chunked = cooccurrence_support(bag, labels, min_confidence=0.3, chunk_size=2).toarray()
    np.testing.assert_array_equal(chunked, confident)


def test_neighbour_confusions_hand_computed():
    from skxml._linear_map_support import neighbour_confusions

    # 5 texts × 4 n-grams (L2-normalised rows), 3 labels. Similarities (dot products):
    # 0·1 = 0.8, 1·2 = 0.6, 0·2 = 0; text 3 duplicates text 0; text 4 shares no n-gram.
    bag = sp.csr_matrix(
        np.array(
            [
                [1.0, 0.0, 0.0, 0.0],
                [0.8, 0.6, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ],
            dtype=np.float32,
        )
    )
    labels = sp.csr_matrix(
        np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [1, 1, 1]], dtype=np.float32)
    )
    # Nearest other texts: 0 → 3 (1.0), 1 (0.8); 1 → 0 and 3 (0.8, tie: row 0 first), 2;
    # 2 → 1; 3 → 0, 1; 4 → none.
    one = neighbour_confusions(bag, labels, 1)
    assert one.format == "csr" and one.shape == (5, 3)
    np.testing.assert_array_equal(
        one.toarray(), [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 0]]
    )
    two = neighbour_confusions(bag, labels, 2)
    np.testing.assert_array_equal(
        two.toarray(), [[0, 1, 1], [1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]]
    )
    # A text's own labels are never its confusions, however many neighbours.
    assert neighbour_confusions(bag, labels, 10).multiply(labels).nnz == 0
    # Chunks of one text give the same matrix, whether cut by their number of texts or by
    # their candidate pairs (texts 0 and 3 have 3 candidates, 1 has 5, 2 has 2, 4 has 1).
    for chunking in ({"chunk_size": 1}, {"chunk_pairs": 1}, {"chunk_pairs": 5}):
        np.testing.assert_array_equal(
            neighbour_confusions(bag, labels, 2, **chunking).toarray(), two.toarray()
        )
    # n-grams in more than max_document_frequency texts do not make texts similar: with
    # at most 2, n-gram 0 (texts 0, 1, 3) no longer links 0, 1 and 3.
    sparse_df = neighbour_confusions(bag, labels, 2, max_document_frequency=2)
    np.testing.assert_array_equal(
        sparse_df.toarray(), [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 0]]
    )


def test_neighbour_confusions_leaves_read_only_inputs_alone():
    from skxml._linear_map_support import neighbour_confusions

    bag = sp.csr_matrix(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32))
    labels = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 1]], dtype=np.float32))
    for matrix in (bag, labels):
        for array in (matrix.data, matrix.indices, matrix.indptr):
            array.flags.writeable = False
    # Nearest other texts: 0 → 1 (0.6), 1 → 2 (0.8), 2 → 1 (0.8); only text 0 lacks one of
    # its neighbour's labels.
    confusions = neighbour_confusions(bag, labels, 1)
    np.testing.assert_array_equal(confusions.toarray(), [[0, 1], [0, 0], [0, 0]])
    np.testing.assert_array_equal(labels.toarray(), [[1, 0], [0, 1], [0, 1]])


@pytest.mark.parametrize("sparse_gradient", [False, True], ids=["dense", "sparse"])
def test_gather_takes_positions_of_any_shape_forward_and_backward(sparse_gradient):
    from skxml.nn._sparse_gather import gather

    weight = torch.arange(10.0, requires_grad=True)
    positions = torch.tensor([[1, 2, 3], [3, 3, 9]])
    values = gather(weight, positions, sparse_gradient=sparse_gradient)
    assert values.tolist() == [[1.0, 2.0, 3.0], [3.0, 3.0, 9.0]]
    (values * torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    gradient = weight.grad.to_dense() if sparse_gradient else weight.grad
    # Position 3 is read three times, with factors 3, 4 and 5.
    assert gradient.tolist() == [0, 1, 2, 12, 0, 0, 0, 0, 0, 6]
