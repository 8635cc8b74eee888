"""sample_weight: per-text weights from the metrics and the losses through both estimators'
fit (in memory and from a token corpus), score, checkpoints and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _toy_data import LABELS, TEXTS
from torch import nn

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.datasets import load_token_corpus, write_token_corpus
from skxml.metrics import (
    inverse_propensity,
    ndcg_at_k,
    precision_at_k,
    psndcg_at_k,
    psp_at_k,
    recall_at_k,
)
from skxml.nn import hard_negative_bce, sparse_target_bce

FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=3, random_state=0)
ESTIMATORS = [
    InceptionXMLClassifier(**FAST),
    InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(max_leaf_size=2, random_state=0), n_shortlist=2
    ),
]
estimators = pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)


# ---------------------------------------------------------------- metrics
def test_weighted_precision_by_hand():
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    y_score = np.array([[0.9, 0.1, 0.0], [0.9, 0.1, 0.0], [0.0, 0.1, 0.9]])  # right, wrong, right
    assert precision_at_k(y_true, y_score, k=1) == pytest.approx(2 / 3)
    assert precision_at_k(y_true, y_score, k=1, sample_weight=[1, 3, 0]) == pytest.approx(1 / 4)
    assert precision_at_k(y_true, y_score, k=1, sample_weight=[1, 1, 1]) == pytest.approx(2 / 3)


def test_weighted_psp_sums_numerators_and_denominators_with_the_weights():
    y_true = np.array([[1, 1, 0], [0, 1, 0]])
    y_score = np.array([[0.9, 0.1, 0.5], [0.3, 0.2, 0.1]])
    inv_p = np.array([1.0, 4.0, 2.0])
    # Row 0: gain 1 (label 0), ideal 4; row 1: gain 0, ideal 4. Weights 3 and 1:
    expected = (3 * 1 + 1 * 0) / (3 * 4 + 1 * 4)
    got = psp_at_k(y_true, y_score, k=1, inv_propensity=inv_p, sample_weight=[3, 1])
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("metric", [precision_at_k, recall_at_k, ndcg_at_k, psp_at_k, psndcg_at_k])
def test_an_integer_weight_counts_as_that_many_copies(metric):
    rng = np.random.default_rng(0)
    y_true = sp.csr_matrix((rng.random((30, 8)) < 0.3).astype(float))
    y_score = rng.random((30, 8))
    weights = rng.integers(0, 4, 30)
    repeated = np.repeat(np.arange(30), weights)
    extra = {"inv_propensity": inverse_propensity(y_true)} if "ps" in metric.__name__ else {}
    weighted = metric(y_true, y_score, k=3, sample_weight=weights, **extra)
    copies = metric(y_true[repeated], y_score[repeated], k=3, **extra)
    assert weighted == pytest.approx(copies, rel=1e-12)
    assert metric(y_true, y_score, k=3, sample_weight=None, **extra) == pytest.approx(
        metric(y_true, y_score, k=3, sample_weight=np.full(30, 0.5), **extra), rel=1e-12
    )


@pytest.mark.parametrize(
    ("sample_weight", "error", "match"),
    [
        ([1, 2], ValueError, r"sample_weight must have shape \(3,\)"),
        ([1, -1, 1], ValueError, "must be non-negative, got -1.0 at index 1"),
        ([1, np.nan, 1], ValueError, "must be finite"),
        ([0, 0, 0], ValueError, "zero for every sample"),
        (["a", "b", "c"], TypeError, "must hold numbers"),
    ],
)
def test_metrics_refuse_bad_weights(sample_weight, error, match):
    y = np.eye(3)
    with pytest.raises(error, match=match):
        precision_at_k(y, y, k=1, sample_weight=sample_weight)


# ---------------------------------------------------------------- losses
def test_hard_negative_bce_weighs_each_sample_outside_the_normaliser():
    torch.manual_seed(0)
    logits = torch.randn(3, 6)
    targets = (torch.rand(3, 6) < 0.3).float()
    weights = torch.tensor([2.0, 0.0, 1.0])
    got = hard_negative_bce(logits, targets, n_hard=2, easy_weight=0.1, sample_weight=weights)
    # The same entry weights as without sample weights, each row's terms times its weight.
    entries = torch.full_like(logits, 0.1)
    hardest = logits.masked_fill(targets > 0, -torch.inf).topk(2, dim=1).indices
    entries.scatter_(1, hardest, 1.0)
    entries[targets > 0] = 1.0
    bce = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    expected = (bce * entries * weights[:, None]).sum() / entries.sum()
    assert got == pytest.approx(float(expected), rel=1e-6)
    # Plain BCE (every negative hard): the mean over all entries, rows weighted.
    plain = hard_negative_bce(logits, targets, n_hard=6, sample_weight=weights)
    assert plain == pytest.approx(float((bce * weights[:, None]).mean()), rel=1e-6)
    unweighted = hard_negative_bce(logits, targets, n_hard=2, easy_weight=0.1)
    ones = hard_negative_bce(
        logits, targets, n_hard=2, easy_weight=0.1, sample_weight=torch.ones(3)
    )
    assert torch.equal(unweighted, ones)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(batch,\) = \(3,\)"):
        hard_negative_bce(logits, targets, n_hard=2, sample_weight=torch.ones(2))


@pytest.mark.parametrize("positive_weight", [None, torch.tensor([2.0, 0.5, 1.5])])
def test_sparse_target_bce_with_sample_weights_matches_the_dense_loss(positive_weight):
    torch.manual_seed(0)
    logits = torch.randn(3, 5, requires_grad=True)
    rows, columns = torch.tensor([0, 1, 2]), torch.tensor([1, 3, 0])
    weights = torch.tensor([0.5, 2.0, 0.0])
    loss = sparse_target_bce(logits, rows, columns, positive_weight, sample_weight=weights)
    loss.backward()
    dense_logits = logits.detach().clone().requires_grad_(True)
    targets = torch.zeros(3, 5)
    targets[rows, columns] = 1.0
    entries = torch.ones(3, 5)
    if positive_weight is not None:
        entries[rows, columns] = positive_weight
    bce = nn.functional.binary_cross_entropy_with_logits(dense_logits, targets, reduction="none")
    expected = (bce * entries * weights[:, None]).sum() / entries.sum()
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    torch.testing.assert_close(logits.grad, dense_logits.grad)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(batch,\)"):
        sparse_target_bce(logits, rows, columns, sample_weight=torch.ones(4))


# ---------------------------------------------------------------- estimators
def _ambiguous_corpus():
    """One phrase labelled "a" on half its copies and "b" on the other half, plus texts that
    make the rest of the vocabulary."""
    texts = ["shared phrase here"] * 16 + ["other words a"] * 8 + ["other words b"] * 8
    labels = [["a"]] * 8 + [["b"]] * 8 + [["a"]] * 8 + [["b"]] * 8
    return texts, labels


@estimators
def test_weights_decide_between_labels_a_text_had_equally_often(estimator):
    from sklearn.base import clone

    texts, labels = _ambiguous_corpus()
    favour_a = np.array([4.0] * 8 + [1.0] * 8 + [1.0] * 16)
    favour_b = np.array([1.0] * 8 + [4.0] * 8 + [1.0] * 16)
    params = {"n_epochs": 8}
    for weights, first in ((favour_a, "a"), (favour_b, "b")):
        clf = clone(estimator).set_params(**params).fit(texts, labels, sample_weight=weights)
        assert clf.predict_labels(["shared phrase here"], k=1) == [[first]]


@estimators
def test_score_weighs_texts(estimator):
    from sklearn.base import clone

    clf = clone(estimator).fit(TEXTS, LABELS)
    weights = np.arange(len(TEXTS)) % 4
    texts = [*TEXTS, "apple rain sky"]
    labels = [*LABELS, ["weather"]]
    expected = precision_at_k(
        clf._check_eval_labels(labels, len(texts), name="y"),
        clf.decision_function(texts),
        k=clf.top_k if clf.top_k <= len(clf.classes_) else len(clf.classes_),
        sample_weight=[*weights, 5],
    )
    assert clf.score(texts, labels, sample_weight=[*weights, 5]) == pytest.approx(expected)
    # Only the last text counts: its one label among the k = 4 labels returned.
    assert clf.score(texts, labels, sample_weight=[0] * len(TEXTS) + [1]) == 0.25
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(33,\)"):
        clf.score(texts, labels, sample_weight=weights)


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_corpus_fit_with_weights_equals_the_in_memory_fit_and_never_draws_weight_zero(
    tmp_path, estimator
):
    weights = np.arange(len(TEXTS)) % 3 + 0.5
    in_memory = estimator(**FAST).fit(TEXTS, LABELS, sample_weight=weights)
    write_token_corpus(tmp_path / "c", TEXTS, LABELS, estimator=estimator(**FAST))
    corpus = load_token_corpus(tmp_path / "c")
    from_disk = estimator(**FAST).fit(corpus, sample_weight=weights)
    np.testing.assert_array_equal(
        from_disk.decision_function(TEXTS).toarray(), in_memory.decision_function(TEXTS).toarray()
    )
    drawn: list[np.ndarray] = []
    spy = estimator(**FAST)
    batch_targets = spy._batch_targets

    def recording(labels, rows, device):
        drawn.append(rows)
        return batch_targets(labels, rows, device)

    spy._batch_targets = recording
    weights[::4] = 0
    spy.fit(corpus, sample_weight=weights)
    seen = np.concatenate(drawn)
    assert not np.isin(seen, np.flatnonzero(weights == 0)).any()
    assert set(seen) == set(np.flatnonzero(weights))


def test_validation_fraction_keeps_each_weight_with_its_text():
    texts, labels = _ambiguous_corpus()
    weights = np.array([4.0] * 8 + [1.0] * 8 + [1.0] * 16)
    losses = []
    # hard_negatives=1: dense targets (with every negative hard, the loss reads positions).
    clf = InceptionXMLClassifier(
        **{**FAST, "n_epochs": 8}, validation_fraction=0.25, hard_negatives=1
    )
    original = clf._batch_loss

    def spy(token_ids, bag, targets, sample_weight=None):
        losses.append((targets.argmax(dim=1), sample_weight))
        return original(token_ids, bag, targets, sample_weight)

    clf._batch_loss = spy
    clf.fit(texts, labels, sample_weight=weights)
    for label_index, batch_weights in losses:
        # classes_ are ["a", "b"]; the only texts of weight 4 are the first "a" copies,
        # so a weight above the others' belongs to a text labelled "a".
        heavy = batch_weights > batch_weights.min()
        assert (label_index[heavy] == 0).all()
    assert any((w > w.min()).any() for _, w in losses)


def test_resume_refuses_other_weights(tmp_path):
    path = tmp_path / "checkpoint.joblib"
    weights = np.arange(len(TEXTS)) % 3 + 1.0
    InceptionXMLClassifier(**FAST, checkpoint_path=path).fit(TEXTS, LABELS, sample_weight=weights)
    again = InceptionXMLClassifier(**FAST).fit(
        TEXTS, LABELS, sample_weight=weights, resume_from=path
    )
    assert again.n_epochs_trained_ == 3
    with pytest.raises(ValueError, match="other data"):
        InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS, resume_from=path)
    with pytest.raises(ValueError, match="other data"):
        InceptionXMLClassifier(**FAST).fit(
            TEXTS, LABELS, sample_weight=weights[::-1], resume_from=path
        )


@pytest.mark.parametrize(
    ("sample_weight", "error", "match"),
    [
        (np.ones(5), ValueError, r"sample_weight must have shape \(32,\), one weight per sample"),
        (-np.ones(32), ValueError, "sample_weight must be non-negative, got -1.0 at index 0"),
        ([np.inf] * 32, ValueError, "sample_weight must be finite"),
        ([0.0] * 32, ValueError, "sample_weight is zero for every sample"),
        ([0.0] * 31 + [1.0], ValueError, "At least 2 training samples of positive sample_weight"),
        (["1"] * 32, TypeError, "sample_weight must hold numbers"),
        (np.array(["1"] * 32, dtype=object), TypeError, "sample_weight must hold numbers"),
    ],
)
def test_fit_refuses_bad_weights_naming_them(sample_weight, error, match):
    clf = InceptionXMLClassifier(**FAST)
    with pytest.raises(error, match=match):
        clf.fit(TEXTS, LABELS, sample_weight=sample_weight)
    assert not hasattr(clf, "network_")


def test_numbers_held_as_objects_weigh_as_the_same_floats():
    # A pandas object column of numbers, as scikit-learn's _check_sample_weight reads it.
    weights = np.arange(len(TEXTS)) % 3 + 1.0
    as_floats = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS, sample_weight=weights)
    as_objects = InceptionXMLClassifier(**FAST).fit(
        TEXTS, LABELS, sample_weight=np.array([int(w) for w in weights], dtype=object)
    )
    assert [epoch["loss"] for epoch in as_floats.history_] == [
        epoch["loss"] for epoch in as_objects.history_
    ]


def test_weight_zero_on_every_text_of_a_label_leaves_the_label_out_of_label_lists():
    weights = np.array([0.0 if "rain" in names else 1.0 for names in LABELS])
    clf = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS, sample_weight=weights)
    assert "rain" not in clf.classes_
    assert clf.n_train_samples_ == int(np.count_nonzero(weights))


@pytest.mark.parametrize("as_matrix", [False, True], ids=["label-lists", "matrix"])
def test_texts_with_labels_only_at_weight_zero_are_nothing_to_learn(as_matrix):
    from sklearn.preprocessing import MultiLabelBinarizer

    labels = [names if row % 2 else [] for row, names in enumerate(LABELS)]
    if as_matrix:
        labels = MultiLabelBinarizer(sparse_output=True).fit_transform(labels)
    weights = np.array([0.0 if row % 2 else 1.0 for row in range(len(LABELS))])
    with pytest.raises(ValueError, match="none of its 16 rows of positive sample_weight"):
        InceptionXMLClassifier(**FAST).fit(TEXTS, labels, sample_weight=weights)


def test_grid_search_passes_weights_to_fit():
    from sklearn.model_selection import GridSearchCV, KFold

    from skxml.metrics import get_xmc_scorer

    weights = np.arange(len(TEXTS)) % 3 + 1.0
    search = GridSearchCV(
        InceptionXMLClassifier(**FAST),
        {"n_epochs": [2, 4]},
        scoring=get_xmc_scorer("p@1"),
        cv=KFold(2, shuffle=True, random_state=0),
    ).fit(TEXTS, LABELS, sample_weight=weights)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The refit on all the data got the weights: it is the weighted fit, not the plain one.
    params = {**FAST, **search.best_params_}
    weighted = InceptionXMLClassifier(**params).fit(TEXTS, LABELS, sample_weight=weights)
    plain = InceptionXMLClassifier(**params).fit(TEXTS, LABELS)
    refit = search.best_estimator_.decision_function(TEXTS).toarray()
    np.testing.assert_array_equal(refit, weighted.decision_function(TEXTS).toarray())
    assert not np.array_equal(refit, plain.decision_function(TEXTS).toarray())


def test_metadata_routing_weighs_the_fits_and_the_scores():
    import sklearn
    from sklearn.base import clone
    from sklearn.model_selection import KFold, cross_validate

    from skxml.metrics import get_xmc_scorer

    weights = np.arange(len(TEXTS)) % 3 + 1.0
    cv = KFold(2, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = InceptionXMLClassifier(**FAST).set_fit_request(sample_weight=True)
        scorer = get_xmc_scorer("p@3").set_score_request(sample_weight=True)
        results = cross_validate(
            estimator, TEXTS, LABELS, cv=cv, scoring=scorer,
            params={"sample_weight": weights}, return_estimator=True,
        )  # fmt: skip
    for (train, test), fitted, score in zip(
        cv.split(TEXTS), results["estimator"], results["test_score"], strict=True
    ):
        by_hand = clone(InceptionXMLClassifier(**FAST)).fit(
            [TEXTS[i] for i in train], [LABELS[i] for i in train], sample_weight=weights[train]
        )
        np.testing.assert_array_equal(
            fitted.decision_function(TEXTS).toarray(), by_hand.decision_function(TEXTS).toarray()
        )
        truth = fitted._check_eval_labels([LABELS[i] for i in test], len(test), name="y")
        scores = fitted.decision_function([TEXTS[i] for i in test], k=3)
        expected = precision_at_k(truth, scores, k=3, sample_weight=weights[test])
        assert score == pytest.approx(expected)
        assert score != pytest.approx(precision_at_k(truth, scores, k=3))


def test_a_corpus_leaves_the_labels_of_weight_zero_out_of_what_is_built_from_labels(tmp_path):
    from sklearn.preprocessing import MultiLabelBinarizer

    matrix = MultiLabelBinarizer(sparse_output=True).fit_transform(LABELS)  # same columns
    weights = np.array([0.0 if "rain" in names else 1.0 for names in LABELS])
    params = {**FAST, "propensity_weighting": 1.0}
    write_token_corpus(tmp_path / "c", TEXTS, matrix, estimator=InceptionXMLClassifier(**params))
    corpus = load_token_corpus(tmp_path / "c")
    from_disk = InceptionXMLClassifier(**params).fit(corpus, sample_weight=weights)
    in_memory = InceptionXMLClassifier(**params).fit(TEXTS, matrix, sample_weight=weights)
    assert from_disk.n_train_samples_ == in_memory.n_train_samples_ == 20
    np.testing.assert_array_equal(from_disk.label_counts_, [12, 12, 0, 4])
    np.testing.assert_array_equal(in_memory.label_counts_, [12, 12, 0, 4])

    # Every labelled text at weight 0: nothing to learn, as in memory.
    labels = [names if row % 2 else [] for row, names in enumerate(LABELS)]
    write_token_corpus(tmp_path / "d", TEXTS, labels, estimator=InceptionXMLClassifier(**FAST))
    only_unlabelled = np.array([0.0 if row % 2 else 1.0 for row in range(len(LABELS))])
    with pytest.raises(ValueError, match="none of the 16 texts of positive sample_weight"):
        InceptionXMLClassifier(**FAST).fit(
            load_token_corpus(tmp_path / "d"), sample_weight=only_unlabelled
        )


def test_resume_takes_weights_that_train_alike(tmp_path):
    weights = np.arange(len(TEXTS)) % 3 + 1.0
    path = tmp_path / "weighted.joblib"
    first = InceptionXMLClassifier(**FAST, checkpoint_path=path).fit(
        TEXTS, LABELS, sample_weight=weights
    )
    again = InceptionXMLClassifier(**FAST).fit(
        TEXTS, LABELS, sample_weight=2 * weights, resume_from=path
    )
    np.testing.assert_array_equal(
        again.decision_function(TEXTS).toarray(), first.decision_function(TEXTS).toarray()
    )
    plain = tmp_path / "plain.joblib"
    InceptionXMLClassifier(**FAST, checkpoint_path=plain).fit(TEXTS, LABELS)
    InceptionXMLClassifier(**FAST).fit(
        TEXTS, LABELS, sample_weight=np.ones(len(TEXTS)), resume_from=plain
    )
    with pytest.raises(ValueError, match="resume with the same X, Y, sample_weight"):
        InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS, resume_from=path)
