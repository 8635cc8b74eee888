"""The frozen CPU inference networks compute what the eval-mode modules compute."""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _toy_data import LABELS, TEXTS

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml._base import _PREDICTION_CACHE
from skxml.datasets import load_debian_tags
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
)
from skxml.nn._frozen import (
    _LARGE_MATRIX,
    _branch_convolutions,
    _cluster_ordered_table,
    _fuse_branches,
    _linear,
    _score_clusters,
    _TorchSparseLinear,
)

N_TOKENS, N_NGRAMS, N_LABELS, SEQ_LEN = 60, 40, 23, 16


def _randomise_eval_state(network: torch.nn.Module) -> None:
    """Non-trivial gates and batch-norm statistics, so that every frozen term is exercised."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in network.modules():
            if hasattr(module, "gamma"):
                module.gamma.fill_(0.7)
            if isinstance(module, torch.nn.BatchNorm1d):
                size = module.num_features
                module.running_mean.copy_(torch.randn(size, generator=generator))
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
                module.weight.copy_(torch.randn(size, generator=generator))
                module.bias.copy_(torch.randn(size, generator=generator))
        # Power-iteration steps, so spectral norms are not at their initial vectors.
        network.train()
        network_inputs = _inputs(8)
        if isinstance(network, InceptionXMLPlusNetwork):
            network(*network_inputs, n_shortlist=2)
        else:
            network(*network_inputs)
        if isinstance(network, InceptionXMLPlusNetwork | InceptionXMLNetwork):
            for module in network.modules():
                if isinstance(module, SparseLinearHead):
                    module.weight.normal_(generator=generator)
    network.eval()


def _inputs(batch: int, seed: int = 0) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    rng = np.random.default_rng(seed)
    tokens = torch.from_numpy(rng.integers(0, N_TOKENS, size=(batch, SEQ_LEN)))
    tokens[0, 5:] = 0  # padding
    bag = sp.random(
        batch, N_NGRAMS, density=0.15, format="csr", random_state=seed, dtype=np.float32
    )
    keep = np.ones(batch, dtype=np.float32)
    if batch > 1:
        keep[1] = 0.0  # a text without any known n-gram
    bag = sp.csr_matrix(sp.diags(keep) @ bag)
    bag.eliminate_zeros()
    return tokens, (
        torch.from_numpy(bag.indices.astype(np.int64)),
        torch.from_numpy(bag.indptr[:-1].astype(np.int64)),
        torch.from_numpy(bag.data),
    )


def _support(n_columns: int = N_LABELS) -> sp.csr_matrix:
    return sp.random(N_NGRAMS, n_columns, density=0.3, format="csr", random_state=3)


@pytest.mark.parametrize(
    "encoder_options",
    [
        {},
        {"word_attention": False},
        {"embedding_attention": False},
        {"word_attention": False, "embedding_attention": False},
        {"model_dim": 64},  # 32-d vectors projected to the paper's minimum width
    ],
    ids=["full", "no-word-attention", "no-embedding-attention", "no-attention", "projected"],
)
@pytest.mark.parametrize("side_inputs", [False, True], ids=["paper", "tfidf"])
def test_frozen_network_equals_the_eval_modules(encoder_options, side_inputs):
    embedding_dim = 32 if "model_dim" in encoder_options else 64
    encoder = InceptionXMLEncoder(N_TOKENS, embedding_dim, max_seq_len=SEQ_LEN, **encoder_options)
    width = encoder.n_features_out
    network = InceptionXMLNetwork(
        encoder,
        ExtremeClassifierHead(width, N_LABELS),
        BagOfWordsEncoder(N_NGRAMS, width) if side_inputs else None,
        SparseLinearHead(_support()) if side_inputs else None,
    )
    _randomise_eval_state(network)
    frozen_network = FrozenInceptionXMLNetwork(network)
    assert frozen_network.features.encoder.fused_branches is not None
    for batch in (8, 1):  # batch 1: convolutions as products of unfolded windows, one
        # for the three branches
        tokens, bag = _inputs(batch, seed=5)
        expected = network(tokens, bag)
        frozen = frozen_network(tokens, bag)
        assert frozen.shape == (batch, N_LABELS)
        torch.testing.assert_close(frozen, expected, rtol=1e-5, atol=1e-5)
    assert not network.training  # freezing leaves the module's mode alone


@pytest.mark.parametrize("kernel_sizes", [(4, 8, 16), (3, 5, 9), (2,), (6, 2, 4)])
@pytest.mark.parametrize("stride", [1, 4])
def test_fused_branches_equal_the_concatenated_branches(kernel_sizes, stride):
    encoder = InceptionXMLEncoder(
        N_TOKENS,
        64,
        max_seq_len=SEQ_LEN,
        kernel_sizes=kernel_sizes,
        stride=stride,
        final_kernel_size=2,
    )
    fused = _fuse_branches(_branch_convolutions(encoder), encoder.model_dim)
    assert fused is not None
    weight, bias, padding, fused_stride = fused
    assert weight.shape == (32 * len(kernel_sizes), 32, max(kernel_sizes))
    assert (padding, fused_stride) == ((max(kernel_sizes) - min(kernel_sizes)) // 2, stride)
    x = torch.randn(3, 32, encoder.model_dim)
    expected = torch.cat([branch(x) for branch in encoder.branches], dim=1)  # circular padding
    pad = torch.nn.functional.pad(x, (padding, padding), mode="circular")
    got = torch.nn.functional.conv1d(pad, weight, bias, stride=fused_stride)
    assert got.shape == expected.shape == (3, 32 * len(kernel_sizes), encoder.branch_length)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_branches_of_different_strides_or_lengths_are_not_fused():
    weight, bias = torch.randn(2, 3, 4), torch.randn(2)
    assert _fuse_branches([(weight, bias, 0, 2), (weight, bias, 0, 4)], 16) is None
    # Same stride, but padding 1 around a 4-wide kernel gives one more window.
    assert _fuse_branches([(weight, bias, 0, 1), (weight, bias, 1, 1)], 16) is None


@pytest.mark.parametrize("vecdot", [True, False], ids=["vecdot", "einsum"])
@pytest.mark.parametrize("n_rows", [1, 2, 4, 5])
def test_linear_of_a_large_matrix_equals_f_linear(n_rows, vecdot, monkeypatch):
    if not vecdot:
        monkeypatch.delattr(np, "vecdot", raising=False)  # NumPy < 2.0
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(_LARGE_MATRIX // 128, 128, generator=generator)
    bias = torch.randn(len(weight), generator=generator)
    x = torch.randn(n_rows, 128, generator=generator)
    got = _linear(x, weight, bias)
    assert got.shape == (n_rows, len(weight)) and got.dtype == torch.float32
    assert got.is_contiguous()  # the sparse linear map adds to a flat view of it
    # Sums of 128 products of order 1 in another order: equal to float32 rounding.
    expected = torch.nn.functional.linear(x, weight, bias)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-4)


def test_linear_of_a_small_matrix_or_another_dtype_is_f_linear(monkeypatch):
    calls = []
    monkeypatch.setattr("skxml.nn._frozen._matrix_vector", lambda *args: calls.append(args))
    weight, bias, x = torch.randn(30, 8), torch.randn(30), torch.randn(1, 8)
    torch.testing.assert_close(
        _linear(x, weight, bias), torch.nn.functional.linear(x, weight, bias)
    )
    big = torch.randn(_LARGE_MATRIX // 8, 8, dtype=torch.float64)
    big_bias = torch.zeros(len(big), dtype=torch.float64)
    torch.testing.assert_close(
        _linear(x.double(), big, big_bias), torch.nn.functional.linear(x.double(), big, big_bias)
    )
    assert calls == []


def test_frozen_network_keeps_the_module_mode_and_shares_the_large_tables():
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=SEQ_LEN)
    network = InceptionXMLNetwork(
        encoder,
        ExtremeClassifierHead(encoder.n_features_out, N_LABELS),
        BagOfWordsEncoder(N_NGRAMS, encoder.n_features_out),
        SparseLinearHead(_support()),
    )
    network.train()
    frozen = FrozenInceptionXMLNetwork(network)
    assert network.training
    tokens, bag = _inputs(4)
    torch.testing.assert_close(frozen(tokens, bag), network.eval()(tokens, bag))
    # No copy of the embedding, n-gram and sparse-linear tables.
    features = frozen.features
    assert features.encoder.embedding.data_ptr() == encoder.embedding.weight.data_ptr()
    assert features.bag_weight.data_ptr() == network.bag_of_words.bag.weight.data_ptr()
    assert features.sparse_linear.weight.ctypes.data == network.sparse_linear.weight.data_ptr()


@pytest.mark.parametrize(
    "sparse_linear, scratch_size, torch_linear",
    [(False, None, False), (True, None, False), (True, 0, False), (True, None, True)],
    ids=["no-linear", "linear", "linear-binary-search", "linear-in-torch"],
)
@pytest.mark.parametrize("cluster_table", [True, False], ids=["cluster-table", "label-rows"])
@pytest.mark.parametrize(
    "every_label", [None, 0.0, 2.0], ids=["by-coverage", "every-label", "union-only"]
)
def test_frozen_plus_network_equals_the_eval_modules(
    sparse_linear, scratch_size, torch_linear, cluster_table, every_label, monkeypatch
):
    if every_label is not None:
        # Batches scored against every label (share 0) or only their shortlists' union (a
        # share never reached), in the frozen network and the modules alike.
        monkeypatch.setattr("skxml.nn._frozen._EVERY_LABEL", every_label)
        monkeypatch.setattr("skxml.nn._plus_network._SCORE_EVERY_LABEL_SHARE", every_label)
    if not cluster_table:
        # Label vectors gathered row by row, as for a table above the copy's size limit.
        monkeypatch.setattr("skxml.nn._frozen._CLUSTER_TABLE_MAX_BYTES", 0)
    if scratch_size is not None:
        # Match the sparse linear map's terms to the scored labels by binary search, as for
        # many labels.
        monkeypatch.setattr("skxml.nn._frozen._DENSE_SCRATCH_SIZE", scratch_size)
    if torch_linear:
        # The sparse linear map in torch ops, as on a GPU: batch 1 takes the batch path.
        monkeypatch.setattr(
            "skxml.nn._frozen._frozen_sparse_linear", lambda head: _TorchSparseLinear(head)
        )
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=SEQ_LEN)
    width = encoder.n_features_out
    # 23 labels in 6 clusters of uneven size: padded rows in cluster_labels.
    members = np.array_split(np.random.default_rng(0).permutation(N_LABELS), 6)
    cluster_labels = torch.full((6, max(map(len, members))), -1, dtype=torch.int64)
    for cluster, labels in enumerate(members):
        cluster_labels[cluster, : len(labels)] = torch.from_numpy(labels)
    network = InceptionXMLPlusNetwork(
        encoder,
        ExtremeClassifierHead(width, 6, spectral_norm=True),
        ShortlistClassifierHead(width, N_LABELS),
        cluster_labels,
        BagOfWordsEncoder(N_NGRAMS, width),
        SparseLinearHead(_support()) if sparse_linear else None,
        SparseLinearHead(_support(6)) if sparse_linear else None,
    )
    _randomise_eval_state(network)
    frozen_network = FrozenInceptionXMLPlusNetwork(network)
    assert isinstance(frozen_network.features.sparse_linear, _TorchSparseLinear) == torch_linear
    # No cluster-ordered copy where one text takes the batch path (sparse map in torch ops).
    assert (frozen_network.cluster_table is not None) == (cluster_table and not torch_linear)
    # Batch 1 scores its shortlist slot by slot (without torch.unique) unless the sparse
    # linear map is in torch ops; row 0 has padded clusters' -1s.
    for batch in (8, 1):
        tokens, bag = _inputs(batch, seed=7)
        for n_shortlist in (1, 3, 6):
            meta, label_ids, logits = network(tokens, bag, n_shortlist=n_shortlist)
            frozen = frozen_network(tokens, bag, n_shortlist=n_shortlist)
            torch.testing.assert_close(frozen[0], meta, rtol=1e-5, atol=1e-5)
            assert torch.equal(frozen[1], label_ids)
            torch.testing.assert_close(frozen[2], logits, rtol=1e-5, atol=1e-5)
        assert (label_ids < 0).any()  # the padding path was exercised
    # One text without any known n-gram: nothing to add from the sparse linear map.
    tokens, _ = _inputs(1, seed=7)
    empty_bag = (
        torch.zeros(0, dtype=torch.int64),
        torch.zeros(1, dtype=torch.int64),
        torch.zeros(0),
    )
    meta, label_ids, logits = network(tokens, empty_bag, n_shortlist=3)
    frozen = frozen_network(tokens, empty_bag, n_shortlist=3)
    assert torch.equal(frozen[1], label_ids)
    torch.testing.assert_close(frozen[2], logits, rtol=1e-5, atol=1e-5)


def _module_scores(clf, texts, k):
    """decision_function through the modules, bypassing the frozen copy."""
    token_ids, bag = clf._prepare_text_features(list(texts))
    original = clf._inference_network
    clf._inference_network = lambda device: clf.network_
    try:
        return clf._scores_from_features(token_ids, bag, k)
    finally:
        del clf._inference_network
        assert clf._inference_network == original


@pytest.fixture(scope="module")
def debian_texts():
    train, test = load_debian_tags(subset="train"), load_debian_tags(subset="test")
    return train.data[:1500], train.target[:1500], test.data[:300]


FAST = dict(embedding_dim=64, max_seq_len=16, batch_size=64, n_epochs=2, random_state=0)


@pytest.mark.parametrize("estimator", ["inceptionxml", "plus", "plus-meta-linear"])
def test_estimator_predictions_equal_the_module_path(estimator, debian_texts):
    X, Y, X_test = debian_texts
    if estimator.startswith("plus"):
        clf = InceptionXMLPlusClassifier(
            **FAST,
            clusterer=LabelTreeClusterer(max_leaf_size=8),
            tfidf_meta_linear=estimator == "plus-meta-linear",
        )
    else:
        clf = InceptionXMLClassifier(**FAST)
    clf.fit(X, Y)
    frozen_scores = clf.decision_function(X_test, k=5)
    assert "frozen_network_cpu_None" in _PREDICTION_CACHE[clf.network_]
    module_scores = _module_scores(clf, X_test, k=5)
    assert (frozen_scores.indices == module_scores.indices).mean() > 0.99  # ties may swap
    np.testing.assert_allclose(
        np.sort(frozen_scores.toarray(), axis=1)[:, -5:],
        np.sort(module_scores.toarray(), axis=1)[:, -5:],
        rtol=1e-4,
        atol=1e-4,
    )
    # Batch 1 equals batch n.
    one = clf.decision_function(X_test[:1], k=5)
    np.testing.assert_allclose(one.toarray(), frozen_scores[:1].toarray(), rtol=1e-5, atol=1e-5)


def test_a_new_fit_replaces_the_frozen_copy_and_validation_uses_the_modules():
    clf = InceptionXMLClassifier(**{**FAST, "n_epochs": 1}).fit(TEXTS, LABELS)
    first = clf.decision_function(TEXTS, k=2).toarray()
    frozen_before = _PREDICTION_CACHE[clf.network_]["frozen_network_cpu_None"]
    clf.set_params(warm_start=True).fit(TEXTS, LABELS, validation_data=(TEXTS, LABELS))
    # Not rebuilt during fit (the validation pass after each epoch used the modules).
    assert clf.network_ not in _PREDICTION_CACHE
    second = clf.decision_function(TEXTS, k=2).toarray()
    assert _PREDICTION_CACHE[clf.network_]["frozen_network_cpu_None"] is not frozen_before
    assert not np.allclose(first, second)
    np.testing.assert_allclose(second, _module_scores(clf, TEXTS, k=2).toarray(), atol=1e-5)


def test_pickle_leaves_the_frozen_copy_out_and_rebuilds_it():
    clf = InceptionXMLClassifier(**{**FAST, "n_epochs": 1}).fit(TEXTS, LABELS)
    state_before = dict(vars(clf))
    before = clf.decision_function(TEXTS, k=2)
    assert vars(clf).keys() == state_before.keys()  # the cache is not in the estimator
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.network_ not in _PREDICTION_CACHE
    after = loaded.decision_function(TEXTS, k=2)
    assert loaded.network_ in _PREDICTION_CACHE
    assert (before != after).nnz == 0
    # The entry goes with its network.
    network_id = id(loaded.network_)
    del loaded, after
    gc.collect()
    assert all(id(network) != network_id for network in _PREDICTION_CACHE.keys())


def test_cluster_ordered_table_lays_out_each_clusters_label_vectors():
    # Labels 0..4 in clusters [[3, 0, -1], [1, 4, 2]]; vector of label l = (l, 10·l).
    cluster_labels = torch.tensor([[3, 0, -1], [1, 4, 2]])
    weight = torch.tensor([[float(label), 10.0 * label] for label in range(5)])
    bias = torch.arange(5, dtype=torch.float32) + 0.5
    table, biases = _cluster_ordered_table(cluster_labels, weight, bias)
    assert table.shape == (4, 3) and biases.shape == (2, 3)
    # Row c·2 + j: feature j of cluster c's slots.
    expected = torch.tensor([[3.0, 0.0, 0.0], [30.0, 0.0, 0.0],
                             [1.0, 4.0, 2.0], [10.0, 40.0, 20.0]])  # fmt: skip
    assert torch.equal(table, expected)
    assert torch.equal(biases, torch.tensor([[3.5, 0.5, 0.0], [1.5, 4.5, 2.5]]))
    # A copy: the module's weights are untouched.
    assert weight[0].tolist() == [0.0, 0.0]
    assert table.data_ptr() != weight.data_ptr()


def test_score_clusters_matches_hand_computed_logits():
    cluster_labels = torch.tensor([[3, 0, -1], [1, 4, 2]])
    weight = torch.tensor([[float(label), 10.0 * label] for label in range(5)])
    bias = torch.arange(5, dtype=torch.float32) + 0.5
    table, biases = _cluster_ordered_table(cluster_labels, weight, bias)
    hidden = torch.tensor([[2.0, -1.0]])
    # Label l scores 2·l − 10·l + l + 0.5 = −7·l + 0.5; padding slots score 0.
    logits = _score_clusters(table, biases, torch.tensor([1, 0]), hidden)
    assert logits.tolist() == [-6.5, -27.5, -13.5, -20.5, 0.5, 0.0]
    assert _score_clusters(table, biases, torch.tensor([0]), hidden).tolist() == [-20.5, 0.5, 0]


def test_cluster_ordered_table_is_not_made_above_its_size_limit(monkeypatch):
    cluster_labels = torch.tensor([[0, 1], [2, -1]])
    weight, bias = torch.ones(3, 4), torch.zeros(3)
    # 2 clusters × 2 slots × 4 float32 features = 64 bytes.
    monkeypatch.setattr("skxml.nn._frozen._CLUSTER_TABLE_MAX_BYTES", 63)
    assert _cluster_ordered_table(cluster_labels, weight, bias) is None
    monkeypatch.setattr("skxml.nn._frozen._CLUSTER_TABLE_MAX_BYTES", 64)
    assert _cluster_ordered_table(cluster_labels, weight, bias) is not None


def test_plus_network_rejects_maps_of_the_wrong_width():
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=SEQ_LEN)
    width = encoder.n_features_out
    cluster_labels = torch.arange(N_LABELS + 1).view(-1, 2)[:, :2].clone()
    cluster_labels[cluster_labels >= N_LABELS] = -1
    heads = (
        ExtremeClassifierHead(width, len(cluster_labels)),
        ShortlistClassifierHead(width, N_LABELS),
    )
    with pytest.raises(ValueError, match=r"meta_sparse_linear must map to the 12 clusters, got 5"):
        InceptionXMLPlusNetwork(
            encoder, *heads, cluster_labels, meta_sparse_linear=SparseLinearHead(_support(5))
        )
    with pytest.raises(ValueError, match=r"cluster_labels must have shape \(n_clusters=12"):
        InceptionXMLPlusNetwork(encoder, *heads, cluster_labels[:5])
    network = InceptionXMLPlusNetwork(encoder, *heads, cluster_labels)  # no meta map
    h = torch.randn(3, width)
    network.eval()
    torch.testing.assert_close(network.meta_logits(h), network.meta_head(h))
