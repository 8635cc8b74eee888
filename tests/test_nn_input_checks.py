"""The plain PyTorch modules of skxml.nn refuse inputs they would otherwise broadcast or
mis-score, and take the dtypes a user naturally passes (scikit-learn's float64 TF-IDF)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skxml.nn import (
    BagOfWordsEncoder,
    ExtremeClassifierHead,
    FrozenInceptionXMLNetwork,
    FrozenInceptionXMLPlusNetwork,
    InceptionXMLEncoder,
    InceptionXMLNetwork,
    InceptionXMLPlusNetwork,
    ShortlistClassifierHead,
    SparseLinearHead,
    default_shortlist_size,
)

N_TOKENS, N_NGRAMS, SEQ = 40, 20, 6


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=SEQ)


def _sparse_linear(n_labels: int) -> SparseLinearHead:
    head = SparseLinearHead(
        sp.random(N_NGRAMS, n_labels, density=0.4, format="csr", random_state=0)
    )
    with torch.no_grad():
        head.weight.normal_()
    return head


def _bag(rows: list[list[int]], dtype=torch.float32):
    ids = torch.tensor([i for row in rows for i in row], dtype=torch.int64)
    offsets = torch.tensor(np.cumsum([0] + [len(row) for row in rows[:-1]]), dtype=torch.int64)
    return ids, offsets, torch.full((len(ids),), 0.5, dtype=dtype)


@pytest.fixture(scope="module")
def dense_network(encoder):
    n_features = encoder.n_features_out
    return InceptionXMLNetwork(
        encoder,
        ExtremeClassifierHead(n_features, 5),
        BagOfWordsEncoder(N_NGRAMS, n_features),
        _sparse_linear(5),
    ).eval()


@pytest.fixture(scope="module")
def plus_network(encoder):
    n_features = encoder.n_features_out
    return InceptionXMLPlusNetwork(
        encoder,
        ExtremeClassifierHead(n_features, 3, spectral_norm=True),
        ShortlistClassifierHead(n_features, 5),
        torch.tensor([[0, 1], [2, 3], [4, -1]]),
        sparse_linear=_sparse_linear(5),
    ).eval()


def test_a_bag_of_another_number_of_rows_is_refused(dense_network, plus_network):
    tokens = torch.randint(1, N_TOKENS, (3, SEQ))
    one_row, three_rows = _bag([[1, 2]]), _bag([[1], [2], [3]])
    message = r"bag holds 1 rows \(offsets\) but the batch has 3 texts"
    for call in (
        lambda: dense_network(tokens, one_row),
        lambda: FrozenInceptionXMLNetwork(dense_network)(tokens, one_row),
        lambda: plus_network(tokens, one_row, n_shortlist=2),
        lambda: FrozenInceptionXMLPlusNetwork(plus_network)(tokens, one_row, n_shortlist=2),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match="bag holds 3 rows"):
        dense_network(tokens[:1], three_rows)
    with pytest.raises(ValueError, match="bag holds 3 rows"):
        FrozenInceptionXMLPlusNetwork(plus_network)(tokens[:1], three_rows, n_shortlist=2)


@pytest.mark.parametrize("n_texts", [1, 3])
def test_float64_bag_weights_give_the_float32_result(dense_network, plus_network, n_texts):
    tokens = torch.randint(1, N_TOKENS, (n_texts, SEQ))
    rows = [[1, 4], [2], [3, 5, 7]][:n_texts]
    single, double = _bag(rows), _bag(rows, dtype=torch.float64)
    expected = dense_network(tokens, single)
    torch.testing.assert_close(dense_network(tokens, double), expected)
    torch.testing.assert_close(FrozenInceptionXMLNetwork(dense_network)(tokens, double), expected)
    _, ids, logits = plus_network(tokens, single, n_shortlist=2)
    _, frozen_ids, frozen_logits = FrozenInceptionXMLPlusNetwork(plus_network)(
        tokens, double, n_shortlist=2
    )
    assert torch.equal(frozen_ids, ids)
    torch.testing.assert_close(frozen_logits, logits, atol=1e-5, rtol=1e-5)


def test_a_sparse_linear_map_of_another_label_count_is_refused(encoder):
    n_features = encoder.n_features_out
    with pytest.raises(ValueError, match="sparse_linear maps to 3 labels but the head has 5"):
        InceptionXMLNetwork(encoder, ExtremeClassifierHead(n_features, 5), None, _sparse_linear(3))
    with pytest.raises(ValueError, match="sparse_linear maps to 4 labels but extreme_head has 5"):
        InceptionXMLPlusNetwork(
            encoder,
            ExtremeClassifierHead(n_features, 3),
            ShortlistClassifierHead(n_features, 5),
            torch.tensor([[0, 1], [2, 3], [4, -1]]),
            sparse_linear=_sparse_linear(4),
        )


@pytest.mark.parametrize(
    "table",
    [[[0, 1], [1, 2], [3, 4]], [[0, 1], [2, 3], [4, 5]], [[0, 1], [2, 3], [4, -2]]],
    ids=["label in two clusters", "label out of range", "bad padding"],
)
def test_a_cluster_table_must_hold_every_label_once(encoder, table):
    n_features = encoder.n_features_out
    with pytest.raises(ValueError, match=r"every label of the extreme head \(0 to 4\) exactly"):
        InceptionXMLPlusNetwork(
            encoder,
            ExtremeClassifierHead(n_features, 3),
            ShortlistClassifierHead(n_features, 5),
            torch.tensor(table),
        )


def test_an_empty_batch_gives_empty_outputs(plus_network):
    tokens = torch.zeros(0, SEQ, dtype=torch.int64)
    bag = _bag([[1]])
    empty_bag = (bag[0][:0], bag[1][:0], bag[2][:0])
    for network in (plus_network, FrozenInceptionXMLPlusNetwork(plus_network)):
        meta, ids, logits = network(tokens, empty_bag, n_shortlist=2)
        assert meta.shape == (0, 3) and ids.shape == (0, 4) and logits.shape == (0, 4)


@pytest.mark.parametrize("n_shortlist", [0, -1, 2.7, True])
def test_a_shortlist_size_that_is_not_a_positive_int_is_refused(plus_network, n_shortlist):
    tokens = torch.randint(1, N_TOKENS, (2, SEQ))
    bag = _bag([[1], [2]])
    for network in (plus_network, FrozenInceptionXMLPlusNetwork(plus_network)):
        with pytest.raises(ValueError, match="n_shortlist must be a positive int"):
            network(tokens, bag, n_shortlist=n_shortlist)


@pytest.mark.parametrize("n_clusters", [0, -4, 2.5, True])
def test_default_shortlist_size_takes_positive_ints_only(n_clusters):
    with pytest.raises(ValueError, match="n_clusters must be a positive int"):
        default_shortlist_size(n_clusters)


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.uint8, torch.int32])
def test_narrow_integer_token_ids_are_encoded_as_int64_ones(encoder, dtype):
    tokens = torch.randint(1, N_TOKENS, (2, SEQ))
    encoder.eval()
    torch.testing.assert_close(encoder(tokens.to(dtype)), encoder(tokens))


def test_freezing_a_network_with_another_head_says_what_it_takes(encoder):
    network = InceptionXMLNetwork(encoder, torch.nn.Linear(encoder.n_features_out, 5))
    with pytest.raises(TypeError, match="whose head is an ExtremeClassifierHead, got Linear"):
        FrozenInceptionXMLNetwork(network)


@pytest.mark.parametrize("n_hard", [0, 2, 5])
def test_hard_negative_bce_of_an_empty_batch_is_zero_on_every_path(n_hard):
    from skxml.nn import hard_negative_bce

    logits = torch.zeros(0, 5, requires_grad=True)
    loss = hard_negative_bce(logits, torch.zeros(0, 5), n_hard)
    assert float(loss.detach()) == 0.0
    loss.backward()  # still part of the graph


@pytest.mark.parametrize("n_hard", [True, 2.5, -1])
def test_hard_negative_bce_names_a_bad_n_hard(n_hard):
    from skxml.nn import hard_negative_bce

    with pytest.raises(ValueError, match="n_hard must be >= 0 and an int"):
        hard_negative_bce(torch.zeros(2, 5), torch.zeros(2, 5), n_hard)
