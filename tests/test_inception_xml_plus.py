"""Tests of InceptionXMLPlusClassifier and shortlist_recall on small real and synthetic data."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _toy_data import LABELS, TEXTS, labels_with_positives
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skxml import InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.datasets import load_debian_tags
from skxml.metrics import get_xmc_scorer, precision_at_k, shortlist_recall
from skxml.nn import default_shortlist_size

FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=32, n_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def debian_subset():
    train = load_debian_tags(subset="train")
    test = load_debian_tags(subset="test")
    return train.data[:3000], train.target[:3000], test.data[:400], test.target[:400]


@pytest.fixture(scope="module")
def fitted_on_debian(debian_subset):
    X, Y, _, _ = debian_subset
    clf = InceptionXMLPlusClassifier(
        **{**FAST, "n_epochs": 4, "max_seq_len": 16},
        clusterer=LabelTreeClusterer(max_leaf_size=8),
        n_shortlist=16,
    )
    return clf.fit(X, Y)


@pytest.fixture(scope="module")
def fitted_toy():
    clf = InceptionXMLPlusClassifier(
        **{**FAST, "n_epochs": 15, "top_k": 2},
        clusterer=LabelTreeClusterer(max_leaf_size=1),
        n_shortlist=2,
    )
    return clf.fit(TEXTS, LABELS)


# ---------------------------------------------------------------- shortlist_recall
def test_shortlist_recall_hand_computed():
    y_true = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 1]]))
    ids = np.array([[0, 3, -1], [2, 1, 0], [1, 2, 3], [3, -1, -1]])
    assert shortlist_recall(y_true, ids) == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)
    indicator = np.array([[1, 0, 0, 1], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 0, 1]])
    assert shortlist_recall(y_true, indicator) == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)


def test_shortlist_recall_of_no_true_label_is_zero_and_bad_shapes_fail():
    assert shortlist_recall(np.zeros((2, 3)), np.array([[0], [1]])) == 0.0
    with pytest.raises(ValueError, match="n_samples=2, K"):
        shortlist_recall(np.eye(2, 3), np.array([0, 1]))
    with pytest.raises(ValueError, match="label id 5"):
        shortlist_recall(np.eye(2, 3), np.array([[5], [1]]))


def test_shortlist_recall_reads_the_format_it_is_told():
    y_true = np.array([[1, 0], [0, 1]])
    both = np.array([[0, 1], [0, 1]])  # every label shortlisted, as label ids
    assert shortlist_recall(y_true, both, shortlist_format="ids") == 1.0
    with pytest.warns(UserWarning, match="read as a 0/1 indicator matrix; if it holds label ids"):
        assert shortlist_recall(y_true, both) == 0.5  # as an indicator: label 1 only
    assert shortlist_recall(y_true, both, shortlist_format="indicator") == 0.5
    with pytest.raises(ValueError, match="shortlist_format='ids' reads an"):
        shortlist_recall(y_true, sp.csr_matrix(both), shortlist_format="ids")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # three labels: no ambiguity, no warning
        assert shortlist_recall(np.eye(2, 3), np.array([[1, 2, -1], [2, 1, 0]])) == 0.5


# ---------------------------------------------------------------- fitting and predicting
def test_defaults_follow_from_the_number_of_labels(fitted_on_debian, debian_subset):
    _, Y, _, _ = debian_subset
    n_labels = Y.shape[1]
    assert fitted_on_debian.n_clusters_ == 2 ** int(np.ceil(np.log2(n_labels / 8)))
    assert fitted_on_debian.n_shortlist_ == 16
    default = InceptionXMLPlusClassifier(**FAST).fit(TEXTS, LABELS)
    assert default.n_clusters_ == 1 and default.n_shortlist_ == 1  # 4 labels, leaves of 16


@pytest.mark.parametrize(
    ("n_clusters", "expected"),
    [(1, 1), (36, 36), (37, 37), (38, 37), (64, 48), (2048, 272), (65536, 1536)],
)
def test_default_shortlist_size_is_six_square_roots_of_the_clusters(n_clusters, expected):
    # ⌈6·√n⌉, at most n: 6·√37 = 36.5 and 6·√38 = 36.99 both round up to 37.
    assert default_shortlist_size(n_clusters) == expected


def test_default_shortlist_follows_the_number_of_clusters(debian_subset):
    X, Y, _, _ = debian_subset
    clf = InceptionXMLPlusClassifier(
        **{**FAST, "n_epochs": 1}, clusterer=LabelTreeClusterer(max_leaf_size=4)
    ).fit(X[:500], Y[:500])
    assert clf.n_clusters_ >= 38  # from 38 clusters on, ⌈6·√n⌉ shortlists fewer than all
    assert clf.n_shortlist_ == int(np.ceil(6 * np.sqrt(clf.n_clusters_))) < clf.n_clusters_


def test_fit_beats_the_most_frequent_labels_baseline(debian_subset, fitted_on_debian):
    _, Y, X_test, Y_test = debian_subset
    frequent = np.argsort(-np.asarray(Y.sum(axis=0)).ravel(), kind="stable")[:5]
    baseline = np.tile(frequent, (len(X_test), 1))
    scores = fitted_on_debian.decision_function(X_test, k=5)
    assert precision_at_k(Y_test, scores, k=1) > precision_at_k(Y_test, baseline, k=1) + 0.05
    assert 0.0 < fitted_on_debian.shortlist_recall(X_test, Y_test) <= 1.0


def test_predictions_come_from_the_shortlist(fitted_on_debian, debian_subset):
    _, _, X_test, _ = debian_subset
    shortlists = fitted_on_debian.shortlist(X_test[:50])
    assert shortlists.shape == (
        50,
        16 * int(np.diff(fitted_on_debian.clusterer_.cluster_indptr_).max()),
    )
    predicted = fitted_on_debian.predict(X_test[:50], k=5)
    assert np.all(np.diff(predicted.indptr) == 5)
    for row in range(50):
        columns = predicted.indices[predicted.indptr[row] : predicted.indptr[row + 1]]
        assert set(columns) <= set(shortlists[row][shortlists[row] >= 0])


def test_k_beyond_the_shortlist_widens_it(fitted_toy):
    n_labels = len(fitted_toy.classes_)
    proba = fitted_toy.predict_proba(["apple pie", "rain"], k=n_labels)
    assert proba.shape == (2, n_labels)
    assert np.all(np.diff(proba.indptr) == n_labels)  # k distinct labels per row


def test_label_lists_give_named_predictions(fitted_toy):
    assert fitted_toy.classes_.tolist() == ["food", "fruit", "rain", "weather"]
    predicted = fitted_toy.predict_labels(["red apple pie", "heavy rain tonight"], k=1)
    assert predicted == [["food"], ["rain"]] or predicted[0][0] in {"food", "fruit"}


def test_full_shortlist_has_full_recall():
    clf = InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(max_leaf_size=1), n_shortlist=4
    ).fit(TEXTS, LABELS)
    assert clf.n_shortlist_ == clf.n_clusters_ == 4
    assert clf.shortlist_recall(TEXTS, LABELS) == 1.0


def test_combined_meta_scores_are_probability_products(fitted_toy):
    combined = clone(fitted_toy).set_params(combine_meta_scores=True)
    combined.__dict__.update({k: v for k, v in vars(fitted_toy).items() if k.endswith("_")})
    texts = ["apple pie", "storm"]
    plain = fitted_toy.predict_proba(texts, k=4).toarray()
    product = combined.predict_proba(texts, k=4).toarray()
    with torch.inference_mode():
        tokens, bag = fitted_toy._prepare_text_features(texts)
        from skxml._sparse_rows import _csr_rows_to_bag

        network = fitted_toy.network_.eval()
        bag_batch = _csr_rows_to_bag(bag, np.arange(2), "cpu")
        h = network.features(torch.from_numpy(tokens), bag_batch)
        meta = torch.sigmoid(network.meta_logits(h, bag_batch)).numpy()
    cluster_of = fitted_toy.clusterer_.labels_to_clusters_
    np.testing.assert_allclose(product, plain * meta[:, cluster_of], rtol=1e-4, atol=1e-6)


def test_training_shortlist_always_holds_the_positive_clusters(fitted_toy):
    network = fitted_toy.network_
    meta_logits = torch.zeros(3, network.n_clusters)
    meta_logits[:, 0] = 5.0  # cluster 0 is everyone's best
    positive = torch.zeros(3, network.n_clusters, dtype=torch.bool)
    positive[0, 3] = positive[1, 2] = True
    label_ids, mask = network.shortlist(meta_logits, 2, positive_clusters=positive)
    clusters = fitted_toy.clusterer_.labels_to_clusters_
    first = set(clusters[label_ids[0][mask[0]].numpy()])
    second = set(clusters[label_ids[1][mask[1]].numpy()])
    assert first == {0, 3} and second == {0, 2}


def test_detached_extreme_head_sends_no_gradient_to_the_encoder(fitted_toy):
    clf = pickle.loads(pickle.dumps(fitted_toy))
    clf.network_.train()
    rows = np.arange(8)
    tokens, bag = clf._prepare_text_features(TEXTS[:8])
    from skxml._sparse_rows import _csr_rows_to_bag

    targets = clf._batch_targets(clf._check_eval_labels(LABELS[:8], 8, name="y"), rows, "cpu")
    gradients = {}
    for detach in (True, False):
        clf.network_.zero_grad()
        clf._detach_extreme = detach
        torch.manual_seed(0)
        clf._batch_loss(
            torch.from_numpy(tokens), _csr_rows_to_bag(bag, rows, "cpu"), targets
        ).backward()
        gradients[detach] = clf.network_.encoder.embedding.weight.grad.clone()
    # The meta loss alone reaches the encoder when detached.
    clf.network_.zero_grad()
    torch.manual_seed(0)
    bag_batch = _csr_rows_to_bag(bag, rows, "cpu")
    h = clf.network_.features(torch.from_numpy(tokens), bag_batch)
    meta = torch.nn.functional.binary_cross_entropy_with_logits(
        clf.network_.meta_logits(h, bag_batch), targets[0]
    )
    meta.backward()
    torch.testing.assert_close(gradients[True], clf.network_.encoder.embedding.weight.grad)
    assert not torch.allclose(gradients[False], gradients[True])


def test_label_embeddings_get_sparse_gradients_when_the_table_is_large(fitted_toy, monkeypatch):
    # A small table (here 5 × F) is stepped by dense Adam: shortlists touch most of it.
    assert not fitted_toy.network_.extreme_head.sparse_gradients
    from skxml.models import _inception_xml_plus

    monkeypatch.setattr(_inception_xml_plus, "_SPARSE_LINEAR_MIN_WEIGHTS", 0)
    clf = InceptionXMLPlusClassifier(
        **{**FAST, "n_epochs": 1}, clusterer=LabelTreeClusterer(max_leaf_size=1), n_shortlist=2
    ).fit(TEXTS, LABELS)
    head = clf.network_.extreme_head
    assert head.sparse_gradients
    optimizers = clf._build_optimizers()
    assert [type(o).__name__ for o in optimizers] == ["Adam", "SparseAdam", "SGD"]
    sparse_params = {id(p) for group in optimizers[1].param_groups for p in group["params"]}
    assert {id(head.weight), id(head.bias)} <= sparse_params


def test_validation_history_records_shortlist_recall():
    clf = InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(max_leaf_size=1), n_shortlist=2
    ).fit(TEXTS, LABELS, validation_data=(TEXTS[:8], LABELS[:8]))
    assert all(0 <= h["validation_shortlist_recall"] <= 1 for h in clf.history_)
    assert len(clf.history_) == 2


def test_validation_shortlist_recall_counts_labels_never_seen_as_missed_as_the_method_does():
    validation = [[*labels, "never_seen"] for labels in LABELS[:8]]
    clf = InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(max_leaf_size=1), n_shortlist=2
    ).fit(TEXTS, LABELS, validation_data=(TEXTS[:8], validation))
    recorded = clf.history_[-1]["validation_shortlist_recall"]
    assert recorded == pytest.approx(clf.shortlist_recall(TEXTS[:8], validation))
    assert recorded < clf.shortlist_recall(TEXTS[:8], LABELS[:8])


# ---------------------------------------------------------------- sklearn surface
def test_same_random_state_gives_identical_predictions():
    params = dict(**FAST, clusterer=LabelTreeClusterer(max_leaf_size=1), n_shortlist=2)
    first = InceptionXMLPlusClassifier(**params).fit(TEXTS, LABELS)
    second = InceptionXMLPlusClassifier(**params).fit(TEXTS, LABELS)
    np.testing.assert_array_equal(
        first.decision_function(TEXTS[:8]).toarray(), second.decision_function(TEXTS[:8]).toarray()
    )


def test_persistence_round_trip_gives_identical_predictions(fitted_on_debian, debian_subset):
    _, _, X_test, _ = debian_subset
    restored = pickle.loads(pickle.dumps(fitted_on_debian))
    np.testing.assert_array_equal(
        restored.decision_function(X_test[:100]).toarray(),
        fitted_on_debian.decision_function(X_test[:100]).toarray(),
    )


@pytest.mark.parametrize("clusterer", [LabelTreeClusterer(), None], ids=["explicit", "default"])
def test_grid_search_over_the_nested_clusterer(debian_subset, clusterer):
    X, Y, _, _ = debian_subset
    search = GridSearchCV(
        InceptionXMLPlusClassifier(**{**FAST, "n_epochs": 1}, clusterer=clusterer, n_shortlist=8),
        {"clusterer__max_leaf_size": [8, 32]},
        scoring=get_xmc_scorer("precision@1"),
        cv=2,
    ).fit(X[:600], Y[:600])
    assert set(search.cv_results_["param_clusterer__max_leaf_size"]) == {8, 32}
    assert (
        search.best_estimator_.clusterer_.max_leaf_size
        == search.best_params_["clusterer__max_leaf_size"]
    )


def test_nested_clusterer_parameters_make_the_default_clusterer_explicit():
    model = InceptionXMLPlusClassifier(n_epochs=3)
    assert model.set_params(clusterer__n_clusters=8) is model
    assert isinstance(model.clusterer, LabelTreeClusterer)
    assert model.clusterer.get_params() == LabelTreeClusterer(n_clusters=8).get_params()
    model.set_params(clusterer__max_leaf_size=4)  # the same clusterer, one more parameter
    assert (model.clusterer.n_clusters, model.clusterer.max_leaf_size) == (8, 4)
    # Resetting to None in the same call as a nested key: the nested key wins over None.
    model.set_params(clusterer=None, clusterer__max_iter=7, n_epochs=2)
    assert model.clusterer.get_params() == LabelTreeClusterer(max_iter=7).get_params()
    assert model.n_epochs == 2
    # Without nested keys the default stays None.
    assert InceptionXMLPlusClassifier().set_params(n_epochs=2).clusterer is None


def test_interrupted_fit_resumes_bit_identically(tmp_path, monkeypatch):
    params = dict(
        **{**FAST, "n_epochs": 3, "batch_size": 16},
        clusterer=LabelTreeClusterer(max_leaf_size=1),
        n_shortlist=2,
    )
    full = InceptionXMLPlusClassifier(**params).fit(TEXTS, LABELS)
    original, calls = InceptionXMLPlusClassifier._batch_loss, {"n": 0}

    def interrupt_at_fourth_step(self, *args):
        calls["n"] += 1
        if calls["n"] == 4:  # epoch 2, step 2
            raise KeyboardInterrupt
        return original(self, *args)

    path = tmp_path / "plus.ckpt"
    monkeypatch.setattr(InceptionXMLPlusClassifier, "_batch_loss", interrupt_at_fourth_step)
    interrupted = InceptionXMLPlusClassifier(**params, checkpoint_path=path)
    with pytest.warns(UserWarning, match="n_epochs_trained_=1"), pytest.raises(KeyboardInterrupt):
        interrupted.fit(TEXTS, LABELS)
    monkeypatch.setattr(InceptionXMLPlusClassifier, "_batch_loss", original)
    resumed = InceptionXMLPlusClassifier(**params).fit(TEXTS, LABELS, resume_from=path)
    np.testing.assert_array_equal(
        resumed.decision_function(TEXTS[:8]).toarray(), full.decision_function(TEXTS[:8]).toarray()
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_shortlist": 0}, "n_shortlist"),
        ({"detach_fraction": 1.5}, "detach_fraction"),
        ({"clusterer": "tree"}, "clusterer"),
        ({"tfidf_meta_linear": "yes"}, "tfidf_meta_linear"),
        ({"meta_score_weight": -0.1}, "meta_score_weight"),
        ({"meta_score_weight": 0.5, "combine_meta_scores": True}, "two ways of mixing"),
        ({"hard_negatives": -1}, "hard_negatives"),
        ({"hard_negatives": "all"}, "hard_negatives"),
        ({"easy_negative_weight": 1.5}, "easy_negative_weight"),
    ],
)
def test_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        InceptionXMLPlusClassifier(**{**FAST, **params}).fit(TEXTS, LABELS)


def test_clusterer_vectorizer_parameters_unused_with_tfidf_features_warn():
    small = dict(embedding_dim=32, max_seq_len=8, batch_size=8, n_epochs=1, random_state=0)
    clusterer = LabelTreeClusterer(tfidf_min_df=2, tfidf_max_features=100)
    with pytest.warns(UserWarning, match=r"tfidf_max_features=100, tfidf_min_df=2 are not used"):
        InceptionXMLPlusClassifier(clusterer=clusterer, **small).fit(TEXTS, LABELS)
    no_tfidf = dict(small, tfidf_embedding=False, tfidf_linear=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the clusterer vectorises the texts itself: no warning
        InceptionXMLPlusClassifier(clusterer=clusterer, **no_tfidf).fit(TEXTS, LABELS)
        InceptionXMLPlusClassifier(clusterer=LabelTreeClusterer(), **small).fit(TEXTS, LABELS)


# ---------------------------------------------------------------- tfidf_meta_linear
@pytest.fixture(scope="module")
def fitted_with_meta_linear(debian_subset):
    X, Y, _, _ = debian_subset
    clf = InceptionXMLPlusClassifier(
        **{**FAST, "max_seq_len": 16},
        clusterer=LabelTreeClusterer(max_leaf_size=8),
        n_shortlist=16,
        tfidf_meta_linear=True,
    )
    return clf.fit(X, Y)


def test_meta_linear_map_has_one_weight_per_cooccurring_ngram_and_cluster(
    fitted_with_meta_linear, fitted_on_debian, debian_subset
):
    from skxml._linear_map_support import cooccurrence_support

    clf = fitted_with_meta_linear
    X, Y, _, _ = debian_subset
    meta_linear = clf.network_.meta_sparse_linear
    assert meta_linear.n_labels == clf.n_clusters_
    bag = clf.tfidf_vectorizer_.transform(X)
    expected = cooccurrence_support(
        bag, clf.clusterer_.transform(Y), min_confidence=clf.tfidf_linear_min_confidence
    ).tocsr()
    expected.sort_indices()
    np.testing.assert_array_equal(meta_linear.indptr.numpy(), expected.indptr)
    np.testing.assert_array_equal(meta_linear.label_ids.numpy(), expected.indices)
    assert meta_linear.weight.abs().sum() > 0  # trained away from its zero start
    # Off by default; the label-level map is there either way.
    assert fitted_on_debian.network_.meta_sparse_linear is None
    assert clf.network_.sparse_linear.n_labels == len(clf.classes_)


def test_meta_logits_add_the_bag_times_the_meta_map(fitted_with_meta_linear, debian_subset):
    from skxml._sparse_rows import _csr_rows_to_bag

    clf = fitted_with_meta_linear
    texts = debian_subset[2][:5]
    tokens, bag = clf._prepare_text_features(texts)
    meta_linear = clf.network_.meta_sparse_linear
    weights = sp.csr_matrix(
        (
            meta_linear.weight.detach().numpy(),
            meta_linear.label_ids.numpy(),
            meta_linear.indptr.numpy(),
        ),
        shape=(meta_linear.n_ngrams, meta_linear.n_labels),
    )
    network = clf.network_.eval()
    with torch.inference_mode():
        bag_batch = _csr_rows_to_bag(bag, np.arange(len(texts)), "cpu")
        h = network.features(torch.from_numpy(tokens), bag_batch)
        meta = network.meta_logits(h, bag_batch).numpy()
        dense = network.meta_head(h).numpy()
    np.testing.assert_allclose(meta, dense + (bag @ weights).toarray(), rtol=1e-4, atol=1e-5)
    assert not np.allclose(meta, dense)


def test_linear_maps_learn_by_sgd_at_the_linear_learning_rate_times_their_loss_scale(
    fitted_with_meta_linear,
):
    clf = clone(fitted_with_meta_linear).set_params(linear_learning_rate=0.123)
    clf.network_ = fitted_with_meta_linear.network_
    for attribute in ("classes_", "n_clusters_", "n_shortlist_"):
        setattr(clf, attribute, getattr(fitted_with_meta_linear, attribute))
    found = {
        id(parameter): (optimizer, group["lr"])
        for optimizer in clf._build_optimizers()
        for group in optimizer.param_groups
        for parameter in group["params"]
    }
    n_labels, n_clusters = len(clf.classes_), clf.n_clusters_
    # The meta loss is a mean over the clusters, the extreme loss over the shortlisted
    # labels: n_shortlist clusters of n_labels / n_clusters labels each.
    expected = {
        "meta_sparse_linear": 0.123 * n_clusters,
        "sparse_linear": 0.123 * min(n_labels, clf.n_shortlist_ * n_labels / n_clusters),
    }
    for name, rate in expected.items():
        optimizer, lr = found[id(getattr(clf.network_, name).weight)]
        assert isinstance(optimizer, torch.optim.SGD)
        assert optimizer.defaults["momentum"] == 0.9
        assert lr == pytest.approx(rate)
    optimizer, lr = found[id(clf.network_.meta_head.classifier.weight)]
    assert isinstance(optimizer, torch.optim.Adam) and lr == clf.learning_rate


def test_extreme_linear_map_rate_follows_the_hard_negative_weights(fitted_on_debian):
    clf = clone(fitted_on_debian).set_params(hard_negatives=3, easy_negative_weight=0.1)
    for attribute in ("network_", "classes_", "n_clusters_", "n_shortlist_"):
        setattr(clf, attribute, getattr(fitted_on_debian, attribute))
    n_labels, n_clusters = len(clf.classes_), clf.n_clusters_
    shortlisted = min(n_labels, clf.n_shortlist_ * n_labels / n_clusters)
    assert shortlisted > 3
    found = {
        id(parameter): group["lr"]
        for optimizer in clf._build_optimizers()
        for group in optimizer.param_groups
        for parameter in group["params"]
    }
    # A text's extreme loss is divided by its total weight: 3 hard negatives at 1, the
    # rest of the shortlist at 0.1.
    expected = clf.linear_learning_rate * (3 + 0.1 * (shortlisted - 3))
    assert found[id(clf.network_.sparse_linear.weight)] == pytest.approx(expected)


def test_extreme_loss_weighs_the_hardest_shortlisted_negatives(fitted_on_debian, debian_subset):
    X, Y = debian_subset[0][:64], debian_subset[1][:64].tocsr()
    clf = pickle.loads(pickle.dumps(fitted_on_debian))
    assert clf.n_hard_negatives_ == 128  # "auto" with 3,000 texts' labels: max(128, 5 %)
    tokens, bag = clf._prepare_text_features(X)
    from skxml._sparse_rows import _csr_rows_to_bag

    rows = np.arange(len(X))
    targets = clf._batch_targets(Y, rows, torch.device("cpu"))
    token_ids, bag_batch = torch.from_numpy(tokens), _csr_rows_to_bag(bag, rows, "cpu")
    network = clf.network_.eval()
    with torch.no_grad():
        h = network.features(token_ids, bag_batch)
        meta_logits = network.meta_logits(h, bag_batch)
        meta_loss = torch.nn.functional.binary_cross_entropy_with_logits(meta_logits, targets[0])
        label_ids, mask = network.shortlist(
            meta_logits, clf.n_shortlist_, positive_clusters=targets[0] > 0
        )
        logits = network.extreme_logits(h, label_ids, mask, bag_batch)
        truth = torch.from_numpy(Y[rows].toarray())
        extreme_targets = torch.gather(truth, 1, label_ids.clamp(min=0)) * mask
        losses = {}
        for n_hard, easy in ((None, 1.0), (5, 0.0)):
            clf.n_hard_negatives_ = label_ids.shape[1] if n_hard is None else n_hard
            clf.easy_negative_weight = easy
            losses[n_hard] = float(clf._batch_loss(token_ids, bag_batch, targets) - meta_loss)
        # Plain BCE: the mean over the real shortlisted labels.
        bce = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, extreme_targets.float(), reduction="none"
        )
        assert losses[None] == pytest.approx(float(bce[mask].mean()), rel=1e-5)
        # 5 hardest negatives per text and the positives, by hand.
        negatives = logits.masked_fill((extreme_targets > 0) | ~mask, -torch.inf)
        hardest = torch.zeros_like(mask).scatter_(1, negatives.topk(5, dim=1).indices, True)
        chosen = ((extreme_targets > 0) | hardest) & mask
        assert losses[5] == pytest.approx(float(bce[chosen].mean()), rel=1e-5)


def test_hard_negatives_reach_every_shortlisted_label_on_small_data():
    # Toy data: "auto" (128) exceeds any shortlist, so the fit is the plain-BCE fit.
    auto = InceptionXMLPlusClassifier(**FAST).fit(TEXTS, LABELS)
    plain = InceptionXMLPlusClassifier(**FAST, hard_negatives=None).fit(TEXTS, LABELS)
    assert auto.n_hard_negatives_ == 128 and plain.n_hard_negatives_ == len(plain.classes_)
    assert [h["loss"] for h in auto.history_] == [h["loss"] for h in plain.history_]
    hard = InceptionXMLPlusClassifier(**FAST, hard_negatives=1, easy_negative_weight=0.0)
    assert hard.fit(TEXTS, LABELS).history_[0]["loss"] != plain.history_[0]["loss"]


def test_model_pickled_before_hard_negatives_keeps_plain_bce(fitted_on_debian):
    state = pickle.loads(pickle.dumps(fitted_on_debian)).__getstate__()
    del state["hard_negatives"], state["easy_negative_weight"], state["n_hard_negatives_"]
    old = InceptionXMLPlusClassifier.__new__(InceptionXMLPlusClassifier)
    old.__setstate__(state)
    assert old.get_params()["hard_negatives"] is None
    assert old.get_params()["easy_negative_weight"] == 0.02


def test_meta_linear_map_alone_builds_the_tfidf_features():
    clf = InceptionXMLPlusClassifier(
        **FAST,
        clusterer=LabelTreeClusterer(max_leaf_size=2),
        tfidf_embedding=False,
        tfidf_linear=False,
        tfidf_meta_linear=True,
    ).fit(TEXTS, LABELS)
    assert clf.tfidf_vectorizer_ is not None
    network = clf.network_
    assert network.bag_of_words is None and network.sparse_linear is None
    assert network.meta_sparse_linear.n_labels == clf.n_clusters_
    scores = clf.decision_function(TEXTS, k=2)
    assert scores.shape == (len(TEXTS), len(clf.classes_)) and scores.nnz == 2 * len(TEXTS)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        restored.decision_function(TEXTS, k=2).toarray(), scores.toarray()
    )


def test_networks_pickled_before_the_meta_map_still_predict(fitted_on_debian, debian_subset):
    texts = debian_subset[2][:20]
    expected = fitted_on_debian.decision_function(texts, k=3).toarray()
    old = pickle.loads(pickle.dumps(fitted_on_debian))
    # What a network pickled by skxml 0.1.0.dev0 before the option looks like.
    del old.network_.meta_sparse_linear
    assert not hasattr(old.network_, "meta_sparse_linear")
    np.testing.assert_array_equal(old.decision_function(texts, k=3).toarray(), expected)
    assert old.shortlist_recall(texts, debian_subset[3][:20]) == pytest.approx(
        fitted_on_debian.shortlist_recall(texts, debian_subset[3][:20])
    )


# ---------------------------------------------------------------- meta_score_weight
def test_meta_score_weight_adds_the_weighted_meta_log_probability(fitted_toy):
    texts = ["apple pie", "storm", "red apple"]
    weight = 0.7
    mixed = clone(fitted_toy).set_params(meta_score_weight=weight)
    mixed.__dict__.update({k: v for k, v in vars(fitted_toy).items() if k.endswith("_")})
    n_labels = len(fitted_toy.classes_)
    plain = fitted_toy.decision_function(texts, k=n_labels).toarray()
    scores = mixed.decision_function(texts, k=n_labels).toarray()
    tokens, bag = fitted_toy._prepare_text_features(texts)
    with torch.inference_mode():
        from skxml._sparse_rows import _csr_rows_to_bag

        network = fitted_toy.network_.eval()
        bag_batch = _csr_rows_to_bag(bag, np.arange(len(texts)), "cpu")
        h = network.features(torch.from_numpy(tokens), bag_batch)
        log_meta = torch.nn.functional.logsigmoid(network.meta_logits(h, bag_batch)).numpy()
    cluster_of = fitted_toy.clusterer_.labels_to_clusters_
    np.testing.assert_allclose(
        scores, plain + weight * log_meta[:, cluster_of], rtol=1e-5, atol=1e-5
    )
    assert (scores < plain).all()  # log sigmoid < 0 lowers every score


def test_meta_score_weight_is_read_at_prediction_and_checked_there(
    fitted_on_debian, debian_subset
):
    texts = debian_subset[2][:50]
    clf = pickle.loads(pickle.dumps(fitted_on_debian))
    before = clf.decision_function(texts, k=3)
    clf.set_params(meta_score_weight=2.0)
    after = clf.decision_function(texts, k=3)
    assert (before.indices != after.indices).any()  # the ranking moved without a refit
    clf.set_params(combine_meta_scores=True)
    with pytest.raises(ValueError, match="two ways of mixing"):
        clf.decision_function(texts)
    # A model pickled before the parameter existed ranks by the extreme scores alone.
    state = pickle.loads(pickle.dumps(fitted_on_debian)).__getstate__()
    del state["meta_score_weight"], state["tfidf_meta_linear"]
    old = InceptionXMLPlusClassifier.__new__(InceptionXMLPlusClassifier)
    old.__setstate__(state)
    assert old.get_params()["meta_score_weight"] == 0.0
    assert old.get_params()["tfidf_meta_linear"] is False
    np.testing.assert_array_equal(old.decision_function(texts, k=3).toarray(), before.toarray())
    assert repr(clone(old)) == repr(clone(fitted_on_debian))


def test_extreme_linear_map_gets_confusable_labels_and_meta_map_does_not():
    from skxml._linear_map_support import cooccurrence_support, neighbour_confusions

    params = dict(
        embedding_dim=64,
        max_seq_len=8,
        batch_size=8,
        n_epochs=1,
        random_state=0,
        clusterer=LabelTreeClusterer(max_leaf_size=2, random_state=0),
        tfidf_meta_linear=True,
    )
    plain = InceptionXMLPlusClassifier(**params, tfidf_linear_neighbours=0).fit(TEXTS, LABELS)
    wider = InceptionXMLPlusClassifier(**params, tfidf_linear_neighbours=4).fit(TEXTS, LABELS)
    bag = wider.tfidf_vectorizer_.transform(TEXTS)
    Y = sp.csr_matrix(wider._label_binarizer_.transform(LABELS))
    expected = cooccurrence_support(bag, Y, min_confidence=0.005) + cooccurrence_support(
        bag, neighbour_confusions(bag, Y, 4), min_confidence=0.005
    )
    head = wider.network_.sparse_linear
    np.testing.assert_array_equal(head.indptr.numpy(), sp.csr_matrix(expected > 0).indptr)
    assert head.label_ids.numel() > plain.network_.sparse_linear.label_ids.numel()
    # The meta map (to clusters) is the same with and without confusable labels.
    assert torch.equal(
        wider.network_.meta_sparse_linear.indptr, plain.network_.meta_sparse_linear.indptr
    )
    assert torch.equal(
        wider.network_.meta_sparse_linear.label_ids, plain.network_.meta_sparse_linear.label_ids
    )


def test_auto_word_vectors_start_english_text_from_bundled_glove():
    auto = {key: value for key, value in FAST.items() if key != "embedding_dim"}
    clf = InceptionXMLPlusClassifier(**auto).fit(TEXTS, LABELS)
    assert clf.word_vectors_ == "glove-6b-50d-50k"
    assert clf.word_vectors_token_coverage_ == 1.0
    assert clf.network_.encoder.embedding_dim == 50
    made_up = [f"zqxv{i} qqzx{i % 3}" for i in range(len(TEXTS))]
    clf = InceptionXMLPlusClassifier(**auto).fit(made_up, LABELS)
    assert clf.word_vectors_ is None
    assert clf.word_vectors_token_coverage_ == 0.0
    assert clf.network_.encoder.embedding_dim == 128


def test_default_clusterer_sizes_clusters_by_positives_per_label():
    # 400 labels with 2 training texts each: "auto" leaves hold up to 192 / 2 -> 64 labels,
    # so 8 clusters, where 16 labels per cluster would have made 32.
    rng = np.random.default_rng(0)
    texts = [" ".join(f"w{t}" for t in rng.integers(0, 300, size=6)) for _ in range(200)]
    Y = labels_with_positives(400, 2, n_samples=200)
    clf = InceptionXMLPlusClassifier(**{**FAST, "n_epochs": 1}).fit(texts, Y)
    assert clf.clusterer_.max_leaf_size_ == 64
    assert clf.n_clusters_ == 8


@pytest.mark.parametrize("n_keys", [0, 1, 5, 40])
def test_in_sorted_equals_torch_isin(n_keys):
    from skxml.models._inception_xml_plus import _in_sorted

    generator = torch.Generator().manual_seed(n_keys)
    keys = torch.randperm(60, generator=generator)[:n_keys].sort().values
    values = torch.randint(-5, 70, (7, 9), generator=generator)
    found = _in_sorted(values, keys)
    assert found.dtype == torch.bool and found.shape == values.shape
    assert torch.equal(found, torch.isin(values, keys))


@pytest.mark.parametrize("seed", range(6))
def test_positive_slots_marks_each_rows_own_positives(seed):
    from skxml.models._inception_xml_plus import _positive_slots

    generator = torch.Generator().manual_seed(seed)
    n_rows, n_slots, n_labels = 6, 11, 30
    label_ids = torch.randint(-1, n_labels, (n_rows, n_slots), generator=generator)
    mask = label_ids >= 0
    positives = torch.rand(n_rows, n_labels, generator=generator) < 0.15 * seed
    rows, labels = positives.nonzero(as_tuple=True)
    keys = (rows * n_labels + labels).sort().values
    found = _positive_slots(label_ids, mask, keys, n_labels)
    expected = torch.zeros(n_rows, n_slots, dtype=torch.bool)
    for row in range(n_rows):
        for slot in range(n_slots):
            label = int(label_ids[row, slot])
            expected[row, slot] = label >= 0 and bool(positives[row, label])
    assert found.dtype == torch.bool
    assert torch.equal(found, expected)
    # A label positive for another row only is not a positive of this one.
    if seed == 0:
        assert not found.any()


def test_positive_slots_hand_computed():
    from skxml.models._inception_xml_plus import _positive_slots

    label_ids = torch.tensor([[3, 1, -1], [1, 2, 0]])
    # Row 0 has label 1, row 1 has labels 0 and 3 (3 is not in its shortlist).
    keys = torch.tensor([0 * 4 + 1, 1 * 4 + 0, 1 * 4 + 3])
    found = _positive_slots(label_ids, label_ids >= 0, keys, 4)
    assert found.tolist() == [[False, True, False], [False, False, True]]


# ---------------------------------------------------------------- audit regressions
def test_shortlist_recall_is_one_when_every_label_is_shortlisted():
    # Two labels, both always shortlisted: ids [[0, 1]] must not be read as an indicator.
    texts = ["red apple pie", "green apple tart", "blue sky", "grey sky rain"] * 5
    labels = [["food"], ["food"], ["weather"], ["weather"]] * 5
    clf = InceptionXMLPlusClassifier(**{**FAST, "batch_size": 4}).fit(texts, labels)
    assert sorted(clf.shortlist(texts[:1])[0].tolist()) == [0, 1]
    assert clf.shortlist_recall(texts, labels) == 1.0
    # A label the model never saw is outside every shortlist.
    assert clf.shortlist_recall(texts[:2], [["food", "new"], ["food"]]) == pytest.approx(0.75)


def test_a_large_meta_score_weight_never_ranks_padding(fitted_on_debian):
    clf = clone(fitted_on_debian).set_params(meta_score_weight=1e5)
    clf.__dict__.update({k: v for k, v in vars(fitted_on_debian).items() if k.endswith("_")})
    texts = ["python library for parsing", "gtk theme", "kernel module"]
    k = len(clf.classes_) // 4
    scores = clf.decision_function(texts, k=k)
    assert scores.indices.min() >= 0
    assert all(np.diff(scores.indptr) == k)
    for row in clf.predict_labels(texts, k=k):
        assert len(set(row)) == len(row) == k


def test_combined_meta_scores_keep_confident_labels_apart(fitted_toy):
    combined = clone(fitted_toy).set_params(combine_meta_scores=True)
    combined.__dict__.update({k: v for k, v in vars(fitted_toy).items() if k.endswith("_")})
    n_clusters = fitted_toy.n_clusters_
    meta = torch.full((1, n_clusters), 20.0)
    label_ids = torch.tensor([[0, 1, 2]])
    values, labels = combined._rank(meta, label_ids, torch.tensor([[17.0, 25.0, 14.0]]), k=3)
    assert labels.tolist() == [[1, 0, 2]]
    assert values[0, 0] > values[0, 1] > values[0, 2]
    # p_e · p_m: the logit of the product is at most the smaller logit, about 16.95 here.
    assert values[0, 1] == pytest.approx(-np.log(np.exp(-17.0) + np.exp(-20.0)), abs=1e-3)


def test_a_training_shortlist_holds_every_positive_cluster_even_beyond_n_shortlist(monkeypatch):
    from skxml.nn._plus_network import InceptionXMLPlusNetwork

    texts = ["red apple pie", "green apple tart", "blue sky", "grey sky rain"] * 4
    labels = [["food"], ["food", "fruit"], ["weather", "sky"], ["weather", "rain"]] * 4
    shortlist, seen = InceptionXMLPlusNetwork.shortlist, []

    def recording(self, meta_logits, n_shortlist, positive_clusters=None):
        label_ids, mask = shortlist(self, meta_logits, n_shortlist, positive_clusters)
        if positive_clusters is not None:
            for row, ids in enumerate(label_ids):
                wanted = set(torch.nonzero(positive_clusters[row]).view(-1).tolist())
                got = set(self.label_clusters[ids[ids >= 0]].tolist())
                seen.append((n_shortlist, wanted <= got))
        return label_ids, mask

    monkeypatch.setattr(InceptionXMLPlusNetwork, "shortlist", recording)
    clf = InceptionXMLPlusClassifier(
        **{**FAST, "batch_size": 4},
        clusterer=LabelTreeClusterer(max_leaf_size=1),  # a cluster per label
        n_shortlist=1,
    ).fit(texts, labels)
    assert clf.n_shortlist_ == 1
    assert all(kept for _, kept in seen)
    # Widened to the two positive clusters in batches holding such a text, never more.
    assert max(width for width, _ in seen) == 2


def test_detach_fraction_of_a_whole_number_of_epochs_detaches_exactly_that_many():
    clf = InceptionXMLPlusClassifier(detach_fraction=0.28, n_epochs=25)
    detached = []
    clf.classes_, clf.n_epochs_ = np.arange(3), 25  # what _on_epoch_start reads from a fit
    for epoch in range(25):
        clf._on_epoch_start(epoch)
        detached.append(clf._detach_extreme)
    assert sum(detached) == 7  # 0.28 × 25 is 7.000000000000001 in floating point
    clf.set_params(detach_fraction=0.25).n_epochs_ = 10
    assert sum((clf._on_epoch_start(epoch), clf._detach_extreme)[1] for epoch in range(10)) == 3


def test_warm_start_takes_a_new_hard_negatives():
    clf = InceptionXMLPlusClassifier(**FAST, warm_start=True).fit(TEXTS, LABELS)
    clf.set_params(hard_negatives=2, n_epochs=1).fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ == 3 and clf.n_hard_negatives_ == 2
