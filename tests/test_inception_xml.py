"""Tests of InceptionXMLClassifier on small real and synthetic data."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _toy_data import LABELS, TEXTS
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skxml import InceptionXMLClassifier
from skxml._checkpoint import load_checkpoint
from skxml.datasets import load_debian_tags
from skxml.metrics import get_xmc_scorer, precision_at_k
from skxml.text import load_word_vectors

# Small and fast: the narrowest width the convolution layout allows, short sequences.
FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=32, n_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def debian_subset():
    train = load_debian_tags(subset="train")
    test = load_debian_tags(subset="test")
    n_train, n_test = 3000, 500
    return train.data[:n_train], train.target[:n_train], test.data[:n_test], test.target[:n_test]


@pytest.fixture(scope="module")
def fitted_on_debian(debian_subset):
    X, Y, _, _ = debian_subset
    return InceptionXMLClassifier(**{**FAST, "n_epochs": 4, "max_seq_len": 16}).fit(X, Y)


@pytest.fixture(scope="module")
def fitted_toy():
    return InceptionXMLClassifier(**{**FAST, "n_epochs": 15, "top_k": 2}).fit(TEXTS, LABELS)


def test_fit_beats_the_most_frequent_labels_baseline(debian_subset, fitted_on_debian):
    _, Y, X_test, Y_test = debian_subset
    scores = fitted_on_debian.decision_function(X_test)
    counts = np.asarray(Y.sum(axis=0)).ravel().astype(np.float64)
    popular = np.tile(counts, (Y_test.shape[0], 1))  # same ranking for every query
    assert precision_at_k(Y_test, scores, k=1) > precision_at_k(Y_test, popular, k=1) + 0.15


def test_decision_function_returns_k_scores_per_row(fitted_on_debian, debian_subset):
    X_test = debian_subset[2][:50]
    scores = fitted_on_debian.decision_function(X_test, k=7)
    assert sp.issparse(scores) and scores.format == "csr"
    assert scores.shape == (50, 595)
    np.testing.assert_array_equal(np.diff(scores.indptr), 7)


def test_predict_proba_is_sigmoid_of_decision_function(fitted_on_debian, debian_subset):
    X_test = debian_subset[2][:20]
    logits = fitted_on_debian.decision_function(X_test)
    proba = fitted_on_debian.predict_proba(X_test)
    np.testing.assert_array_equal(proba.indices, logits.indices)
    np.testing.assert_allclose(proba.data, 1 / (1 + np.exp(-logits.data)), rtol=1e-5)
    assert np.all((proba.data > 0) & (proba.data < 1))


def test_top_k_scores_are_the_largest_of_the_full_ranking(fitted_on_debian, debian_subset):
    X_test = debian_subset[2][:10]
    full = fitted_on_debian.decision_function(X_test, k=595).toarray()
    top = fitted_on_debian.decision_function(X_test, k=5)
    for row in range(10):
        kept = top[row].toarray().ravel()
        threshold = np.sort(full[row])[-5]
        assert np.all(full[row][kept != 0] >= threshold - 1e-5)


def test_predict_returns_top_k_indicator(fitted_toy):
    predicted = fitted_toy.predict(["apple pie", "rain sky"])
    assert predicted.dtype == np.int8
    np.testing.assert_array_equal(predicted.sum(axis=1).A.ravel(), [2, 2])


def test_predict_threshold_keeps_only_confident_labels(fitted_toy):
    everything = fitted_toy.predict(["apple pie"], threshold=0.0)
    nothing = fitted_toy.predict(["apple pie"], threshold=1.0)
    assert everything.nnz == 2
    assert nothing.nnz == 0


@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.6])
def test_predict_with_a_threshold_marks_the_top_k_labels_whose_probability_reaches_it(
    fitted_on_debian, debian_subset, threshold
):
    X_test = debian_subset[2][:40]
    proba = fitted_on_debian.predict_proba(X_test)
    predicted = fitted_on_debian.predict(X_test, threshold=threshold)
    assert predicted.dtype == np.int8
    assert predicted.has_canonical_format
    np.testing.assert_array_equal(predicted.toarray(), (proba.toarray() >= threshold) * 1)
    np.testing.assert_array_equal(predicted.data, 1)


def test_label_lists_give_named_classes_and_sensible_predictions(fitted_toy):
    assert list(fitted_toy.classes_) == ["food", "fruit", "rain", "weather"]
    predicted = fitted_toy.predict_labels(["apple crumble pie", "rain storm sky"], k=1)
    assert (
        predicted == [["food"], ["rain"]]
        or predicted == [["fruit"], ["weather"]]
        or (predicted[0][0] in {"food", "fruit"} and predicted[1][0] in {"rain", "weather"})
    )


def test_predict_labels_follow_decreasing_scores(fitted_toy):
    names = fitted_toy.predict_labels(["green apple"], k=4)[0]
    proba = fitted_toy.predict_proba(["green apple"], k=4).toarray().ravel()
    order = [fitted_toy.classes_[i] for i in np.argsort(-proba, kind="stable")]
    assert names == order


def test_matrix_labels_give_integer_classes():
    Y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]] * 8)
    clf = InceptionXMLClassifier(**FAST).fit(TEXTS, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.label_counts_, Y.sum(axis=0))
    assert clf.n_train_samples_ == len(TEXTS)
    # predict_labels gives plain Python ints (JSON-serialisable), not numpy scalars.
    predicted = clf.predict_labels(TEXTS[:2], k=2)
    assert all(type(label) is int for row in predicted for label in row)
    assert json.loads(json.dumps(predicted)) == predicted
    proba = clf.predict_proba(TEXTS[:2], k=2).toarray()
    assert predicted == [np.argsort(-row, kind="stable")[:2].tolist() for row in proba]


def test_dense_and_sparse_labels_give_identical_models():
    Y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]] * 8)
    dense = InceptionXMLClassifier(**FAST).fit(TEXTS, Y)
    sparse = InceptionXMLClassifier(**FAST).fit(TEXTS, sp.csc_matrix(Y))
    a = dense.decision_function(TEXTS[:8], k=3)
    b = sparse.decision_function(TEXTS[:8], k=3)
    np.testing.assert_array_equal(a.toarray(), b.toarray())


def test_same_random_state_gives_identical_predictions():
    first = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS).decision_function(TEXTS)
    second = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS).decision_function(TEXTS)
    np.testing.assert_array_equal(first.toarray(), second.toarray())


def test_different_random_state_gives_different_models():
    first = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS).decision_function(TEXTS)
    other = InceptionXMLClassifier(**{**FAST, "random_state": 1}).fit(TEXTS, LABELS)
    assert not np.array_equal(first.toarray(), other.decision_function(TEXTS).toarray())


def test_fit_leaves_global_torch_rng_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS)
    np.testing.assert_array_equal(torch.rand(3), expected)


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_persistence_round_trip_gives_identical_predictions(fitted_toy, dump):
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(fitted_toy))
    else:
        buffer = io.BytesIO()
        joblib.dump(fitted_toy, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(
        restored.decision_function(TEXTS).toarray(), fitted_toy.decision_function(TEXTS).toarray()
    )
    assert restored.predict_labels(["apple"]) == fitted_toy.predict_labels(["apple"])


def test_loading_under_another_version_warns(fitted_toy):
    state = fitted_toy.__getstate__()
    state["skxml_version_"] = "0.0.1"
    clone_ = InceptionXMLClassifier.__new__(InceptionXMLClassifier)
    with pytest.warns(UserWarning, match="saved by skxml 0.0.1"):
        clone_.__setstate__(state)


def test_clone_keeps_parameters_and_drops_fitted_state(fitted_toy):
    copy = clone(fitted_toy)
    assert copy.get_params() == fitted_toy.get_params()
    assert not hasattr(copy, "network_")


def test_works_in_a_pipeline():
    pipeline = make_pipeline(
        FunctionTransformer(lambda texts: [t.upper() for t in texts]),
        InceptionXMLClassifier(**FAST),
    )
    pipeline.fit(TEXTS, LABELS)
    assert pipeline.predict(TEXTS[:3]).shape == (3, 4)


def test_grid_search_with_precision_scorer():
    Y = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]] * 8))
    scorer = make_scorer(precision_at_k, k=1, response_method="decision_function")
    search = GridSearchCV(
        InceptionXMLClassifier(**FAST), {"learning_rate": [0.001, 0.01]}, scoring=scorer, cv=2
    )
    search.fit(TEXTS, Y)
    assert set(search.cv_results_["param_learning_rate"]) == {0.001, 0.01}
    assert 0 <= search.best_score_ <= 1


def test_psp_scorer_reads_training_label_counts(fitted_toy):
    scorer = get_xmc_scorer("psp@1")
    value = scorer(fitted_toy, TEXTS, fitted_toy._label_binarizer_.transform(LABELS))
    assert 0 < value <= 1


def test_score_is_precision_at_top_k(fitted_toy):
    Y = fitted_toy._label_binarizer_.transform(LABELS)
    expected = precision_at_k(Y, fitted_toy.decision_function(TEXTS), k=2)
    assert fitted_toy.score(TEXTS, LABELS) == pytest.approx(expected)


def _optimizer_and_rate(optimizers, parameter):
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            if any(p is parameter for p in group["params"]):
                return optimizer, group["lr"]
    raise AssertionError("the parameter is in no optimizer")


def test_linear_map_learns_by_sgd_at_a_rate_free_of_the_label_count(fitted_on_debian):
    clf = fitted_on_debian  # 595 labels: 128 hard negatives per sample ("auto")
    optimizers = clf._build_optimizers()
    optimizer, rate = _optimizer_and_rate(optimizers, clf.network_.sparse_linear.weight)
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.defaults["momentum"] == 0.9
    # hard_negative_bce divides a sample's loss by its total weight, 128 + 0.02 · (595 - 128)
    assert rate == pytest.approx(clf.linear_learning_rate * (128 + 0.02 * 467))
    others = [g["lr"] for o in optimizers if o is not optimizer for g in o.param_groups]
    assert others and all(lr == clf.learning_rate for lr in others)
    # Plain BCE is a mean over all 595 labels.
    plain = clone(clf).set_params(hard_negatives=None)
    plain.network_, plain.classes_ = clf.network_, clf.classes_
    _, rate = _optimizer_and_rate(plain._build_optimizers(), clf.network_.sparse_linear.weight)
    assert rate == pytest.approx(clf.linear_learning_rate * 595)


def test_linear_map_with_sparse_gradients_takes_plain_sgd_steps(tmp_path, monkeypatch):
    from skxml import _base

    monkeypatch.setattr(_base, "_SPARSE_LINEAR_MIN_WEIGHTS", 0)
    path = tmp_path / "checkpoint.joblib"
    clf = InceptionXMLClassifier(**FAST, checkpoint_path=path).fit(TEXTS, LABELS)
    head = clf.network_.sparse_linear
    assert head.sparse_gradients
    assert head.weight.detach().abs().sum() > 0  # it learned
    optimizers = clf._build_optimizers()
    optimizer, rate = _optimizer_and_rate(optimizers, head.weight)
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["momentum"] == 0
    # Ten times the momentum path's rate; plain BCE over the toy data's labels.
    n_labels = len(clf.classes_)
    assert rate == pytest.approx(10 * clf.linear_learning_rate * n_labels)
    # The one-cycle schedule did not give it momentum (which would densify its buffer).
    saved = load_checkpoint(path)["optimizers"][optimizers.index(optimizer)]
    assert saved["state"] == {}
    assert all(group["momentum"] == 0 for group in saved["param_groups"])


def test_warm_start_continues_training():
    clf = InceptionXMLClassifier(**{**FAST, "warm_start": True}).fit(TEXTS, LABELS)
    vocabulary = dict(clf.sequence_encoder_.vocabulary_)
    network = clf.network_
    clf.fit(TEXTS, LABELS)
    assert clf.network_ is network
    assert clf.sequence_encoder_.vocabulary_ == vocabulary
    assert len(clf.history_) == 2 * FAST["n_epochs"]


def test_warm_start_rejects_other_label_count():
    clf = InceptionXMLClassifier(**{**FAST, "warm_start": True}).fit(
        TEXTS, np.eye(4)[[0, 1, 2, 3] * 8]
    )
    with pytest.raises(ValueError, match="has 4 labels, but Y has 3 columns"):
        clf.fit(TEXTS, np.eye(3)[[0, 1, 2, 0] * 8])


def test_early_stopping_records_validation_and_stops():
    clf = InceptionXMLClassifier(
        **{**FAST, "n_epochs": 30, "validation_fraction": 0.25, "n_iter_no_change": 2}
    ).fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ < 30
    assert all("validation_precision_at_1" in record for record in clf.history_)
    assert clf.n_train_samples_ == 24


def test_validation_data_is_scored_every_epoch():
    clf = InceptionXMLClassifier(**FAST).fit(
        TEXTS, LABELS, validation_data=(TEXTS[:8], LABELS[:8])
    )
    assert len(clf.history_) == FAST["n_epochs"]
    assert all(0 <= record["validation_precision_at_1"] <= 1 for record in clf.history_)


def test_paper_architecture_has_no_tfidf_parts():
    clf = InceptionXMLClassifier(**FAST, tfidf_embedding=False, tfidf_linear=False)
    clf.fit(TEXTS, LABELS)
    assert clf.network_.bag_of_words is None and clf.network_.sparse_linear is None
    assert clf.tfidf_vectorizer_ is None
    assert clf.predict(TEXTS[:2]).shape == (2, 4)


def test_sparse_linear_support_is_the_training_cooccurrence(fitted_toy):
    support = fitted_toy.network_.sparse_linear
    vocabulary = fitted_toy.tfidf_vectorizer_.vocabulary_
    labels = list(fitted_toy.classes_)
    start, end = support.indptr[vocabulary["apple"]], support.indptr[vocabulary["apple"] + 1]
    seen_with_apple = {labels[i] for i in support.label_ids[start:end].tolist()}
    assert seen_with_apple == {"food", "fruit"}


def _support_pairs(clf):
    """The sparse linear map's (n-gram, label name) pairs."""
    head = clf.network_.sparse_linear
    ngrams = clf.tfidf_vectorizer_.get_feature_names_out()
    indptr, label_ids = head.indptr.numpy(), head.label_ids.numpy()
    return {
        (ngrams[row], clf.classes_[label])
        for row in range(len(ngrams))
        for label in label_ids[indptr[row] : indptr[row + 1]]
    }


def test_sparse_linear_support_adds_neighbours_confusable_labels():
    # Each toy text is there 4 times, so its 3 nearest other texts are its copies: the 4th
    # is another text. "apple crumble recipe" (food) → an apple text, all of which are
    # "fruit"; "fresh apple juice" (fruit) → one with "food"; "blue sky today" (weather) →
    # "grey sky and rain" (weather, rain).
    plain = InceptionXMLClassifier(**FAST, tfidf_linear_neighbours=0).fit(TEXTS, LABELS)
    default = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS)
    wider = InceptionXMLClassifier(**FAST, tfidf_linear_neighbours=4).fit(TEXTS, LABELS)
    confusable = {("crumble", "fruit"), ("juice", "food"), ("today", "rain")}
    assert _support_pairs(default) == _support_pairs(plain)  # 3 neighbours: the copies
    assert _support_pairs(wider) >= _support_pairs(plain) | confusable
    assert not confusable & _support_pairs(plain)
    # What was added is exactly the co-occurrence support of the confusions.
    from skxml._linear_map_support import cooccurrence_support, neighbour_confusions

    bag = wider.tfidf_vectorizer_.transform(TEXTS)
    Y = wider._label_binarizer_.transform(LABELS)
    against = cooccurrence_support(
        bag, neighbour_confusions(bag, sp.csr_matrix(Y), 4), min_confidence=0.005
    )
    ngrams = wider.tfidf_vectorizer_.get_feature_names_out()
    rows, columns = against.nonzero()
    expected = {(ngrams[r], wider.classes_[c]) for r, c in zip(rows, columns, strict=True)}
    assert _support_pairs(wider) == _support_pairs(plain) | expected


def test_one_character_tokens_are_tfidf_inputs():
    # "C library" and "R library" differ by one letter only, which scikit-learn's default
    # token pattern would drop: both texts would have the same TF-IDF row.
    texts = ["c library for parsing", "r library for parsing"] * 6
    labels = [["lang-c"], ["lang-r"]] * 6
    params = {**FAST, "n_epochs": 30, "tfidf_embedding": False}
    clf = InceptionXMLClassifier(**params).fit(texts, labels)
    assert {"c", "r", "c library", "r library"} <= set(clf.tfidf_vectorizer_.vocabulary_)
    bags = clf.tfidf_vectorizer_.transform(texts[:2])
    assert (bags[0] != bags[1]).nnz > 0
    assert clf.predict_labels(["c library", "r library"], k=1) == [["lang-c"], ["lang-r"]]
    two_letters = InceptionXMLClassifier(**params, tfidf_token_pattern=r"(?u)\b\w\w+\b")
    two_letters.fit(texts, labels)
    assert "c" not in two_letters.tfidf_vectorizer_.vocabulary_


def test_narrow_word_vectors_are_projected(tmp_path):
    path = tmp_path / "vectors.txt"
    rng = np.random.default_rng(0)
    words = ["apple", "rain", "sky", "pie", "storm"]
    path.write_text(
        "".join(f"{w} {' '.join(f'{v:.4f}' for v in rng.normal(size=50))}\n" for w in words)
    )
    clf = InceptionXMLClassifier(**{**FAST, "embedding_dim": 300}, word_vectors=str(path))
    clf.fit(TEXTS, LABELS)
    assert clf.network_.encoder.embedding_dim == 50
    assert clf.network_.encoder.model_dim == 128
    assert 0 < clf.word_vectors_coverage_ < 1


@pytest.mark.parametrize(
    ("X", "Y", "error", "match"),
    [
        ("a single text", [["a"]], TypeError, "single str"),
        ([None, "text"], [["a"], ["b"]], TypeError, "item 0 is NoneType"),
        ([], [], ValueError, "empty"),
        (TEXTS, LABELS[:5], ValueError, "different numbers of samples"),
        (TEXTS[:4], np.array([[1, 0], [0, 2], [1, 1], [0, 1]]), ValueError, "only 0 and 1"),
        (TEXTS[:4], np.array([[1, 0], [0, np.nan], [1, 1], [0, 1]]), ValueError, "NaN"),
    ],
)
def test_fit_rejects_bad_input(X, Y, error, match):
    with pytest.raises(error, match=match):
        InceptionXMLClassifier(**FAST).fit(X, Y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_epochs": 0}, "n_epochs"),
        ({"dropout": 1.0}, "dropout"),
        ({"device": 3}, "device"),
        ({"top_k": 0}, "top_k"),
        ({"tfidf_linear_min_confidence": 1.5}, "tfidf_linear_min_confidence"),
        ({"tfidf_linear_min_confidence": -0.1}, "tfidf_linear_min_confidence"),
    ],
)
def test_fit_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        InceptionXMLClassifier(**{**FAST, **params}).fit(TEXTS, LABELS)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        InceptionXMLClassifier(**FAST, device="cuda").fit(TEXTS, LABELS)


@pytest.mark.parametrize("k", [0, -1, 5, 2.5])
def test_prediction_rejects_bad_k(fitted_toy, k):
    with pytest.raises(ValueError, match="k must be an int in"):
        fitted_toy.predict(["apple"], k=k)


def test_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError):
        InceptionXMLClassifier().predict(["apple"])


def test_texts_of_stop_words_or_unknown_words_still_get_predictions(fitted_toy):
    predicted = fitted_toy.predict(
        ["the and of", "zzzz qqqq", "", "   ", "🍎 pomme", "x" * 100_000]
    )
    np.testing.assert_array_equal(predicted.sum(axis=1).A.ravel(), 2)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_model_trained_for_cuda_predicts_on_a_cpu_only_machine(fitted_toy):
    # What a model fitted with device="cuda" looks like once loaded where CUDA is absent.
    restored = pickle.loads(pickle.dumps(fitted_toy))
    restored.device = "cuda"
    np.testing.assert_array_equal(
        restored.decision_function(TEXTS).toarray(), fitted_toy.decision_function(TEXTS).toarray()
    )


@pytest.mark.parametrize("token_pattern", [r"(?u)\b\w\w+\b", r"\S+"])
def test_tfidf_transform_equals_scikit_learn(token_pattern):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from skxml._text_features import tfidf_transform

    vectorizer = TfidfVectorizer(
        token_pattern=token_pattern, ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32
    ).fit(TEXTS)
    queries = [*TEXTS[:8], "", "unknown words only", "apple apple apple pie", "🍎 apple"]
    expected = vectorizer.transform(queries)
    actual = tfidf_transform(vectorizer, queries)
    assert actual.shape == expected.shape and actual.dtype == np.float32
    np.testing.assert_allclose(actual.toarray(), expected.toarray(), atol=1e-6)


def test_bundled_glove_vectors_by_name():
    clf = InceptionXMLClassifier(**FAST, word_vectors="glove-6b-50d-50k").fit(TEXTS, LABELS)
    assert clf.network_.encoder.embedding_dim == 50
    assert clf.network_.encoder.model_dim == 128
    assert clf.word_vectors_coverage_ > 0.5
    vocabulary = clf.sequence_encoder_.vocabulary_
    word = next(w for w in ("apple", "rain", "sky", "storm") if w in vocabulary)
    expected = load_word_vectors("glove-6b-50d-50k", {word: 2}).matrix[2]
    # The table starts from the vector and then trains, so it has moved, but only a little.
    trained = clf.network_.encoder.embedding.weight[vocabulary[word]].detach().numpy()
    assert np.corrcoef(trained, expected)[0, 1] > 0.5


# FAST without embedding_dim, so that word_vectors="auto" may load the bundled vectors.
AUTO = {key: value for key, value in FAST.items() if key != "embedding_dim"}


def test_auto_word_vectors_start_english_text_from_bundled_glove():
    clf = InceptionXMLClassifier(**AUTO, freeze_embeddings=True).fit(TEXTS, LABELS)
    assert clf.word_vectors_ == "glove-6b-50d-50k"
    assert clf.word_vectors_token_coverage_ == 1.0  # every toy word is a common English word
    assert clf.word_vectors_coverage_ == 1.0
    assert clf.network_.encoder.embedding_dim == 50
    vocabulary = clf.sequence_encoder_.vocabulary_
    expected = load_word_vectors("glove-6b-50d-50k", vocabulary).matrix
    frozen = clf.network_.encoder.embedding.weight.detach().numpy()
    ids = sorted(vocabulary.values())
    np.testing.assert_array_equal(frozen[ids], expected[ids])


def test_auto_word_vectors_ignore_a_file_named_like_the_bundled_vectors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("glove-6b-50d-50k").write_text("the 1.0 2.0\n")  # 2-d: loading it would fail
    clf = InceptionXMLClassifier(**AUTO, freeze_embeddings=True).fit(TEXTS, LABELS)
    assert clf.word_vectors_ == "glove-6b-50d-50k"
    assert clf.network_.encoder.embedding_dim == 50


def _coverage_texts(n_known: int) -> list[str]:
    """Texts of ``n_known`` common English words and one made-up word each."""
    known = ["camera", "phone", "battery", "screen", "music"]
    return [" ".join([*known[:n_known], f"zqxv{i}"]) for i in range(8)]


@pytest.mark.parametrize(
    ("n_known", "coverage", "chosen", "width"),
    [(4, 0.8, "glove-6b-50d-50k", 50), (3, 0.75, None, 128)],
)
def test_auto_word_vectors_threshold_is_80_percent_of_word_occurrences(
    n_known, coverage, chosen, width
):
    texts = _coverage_texts(n_known)
    labels = [["a"], ["b"]] * 4
    clf = InceptionXMLClassifier(**{**AUTO, "n_epochs": 1}).fit(texts, labels)
    assert clf.word_vectors_token_coverage_ == pytest.approx(coverage)
    assert clf.word_vectors_ == chosen
    assert clf.network_.encoder.embedding_dim == width
    assert hasattr(clf, "word_vectors_coverage_") == (chosen is not None)


def test_auto_word_vectors_learn_from_scratch_when_embedding_dim_is_set():
    clf = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS)
    assert clf.word_vectors_ is None
    assert not hasattr(clf, "word_vectors_token_coverage_")
    assert clf.network_.encoder.embedding_dim == FAST["embedding_dim"]


def test_a_refit_without_vectors_forgets_the_coverage_of_the_last_fit():
    clf = InceptionXMLClassifier(**{**AUTO, "n_epochs": 1}).fit(TEXTS, LABELS)
    assert clf.word_vectors_coverage_ == 1.0
    clf.set_params(word_vectors=None).fit(TEXTS, LABELS)
    assert clf.word_vectors_ is None
    assert not hasattr(clf, "word_vectors_coverage_")
    assert not hasattr(clf, "word_vectors_token_coverage_")


def test_word_vectors_none_learns_from_scratch_at_the_default_width():
    clf = InceptionXMLClassifier(**AUTO, word_vectors=None).fit(TEXTS, LABELS)
    assert clf.word_vectors_ is None
    assert clf.network_.encoder.embedding_dim == 128


def test_early_stopping_keeps_the_best_epoch_after_several_improvements():
    held_out = (TEXTS[::3], LABELS[::3])
    clf = InceptionXMLClassifier(**{**FAST, "n_epochs": 12, "n_iter_no_change": 3}).fit(
        TEXTS, LABELS, validation_data=held_out
    )
    scores = [record["validation_precision_at_1"] for record in clf.history_]
    improvements = sum(score > max(scores[:i], default=-1) for i, score in enumerate(scores))
    assert improvements >= 2  # the best copy was overwritten at least once
    # The network kept is the best epoch's, not the last one's.
    assert get_xmc_scorer("p@1")(clf, *held_out) == max(scores)


def test_validation_fraction_holds_its_texts_out_of_the_vocabularies():
    # Each text has a word of its own: the held-out texts' words must be as unknown to the
    # model as a test text's, in the word vocabulary and in the TF-IDF one.
    texts = [f"{text} only{row}" for row, text in enumerate(TEXTS)]
    clf = InceptionXMLClassifier(**{**FAST, "validation_fraction": 0.25}).fit(texts, LABELS)
    own_words = {f"only{row}" for row in range(len(texts))}
    in_words = own_words & set(clf.sequence_encoder_.vocabulary_)
    in_ngrams = own_words & set(clf.tfidf_vectorizer_.vocabulary_)
    assert len(in_words) == len(in_ngrams) == clf.n_train_samples_ == len(texts) - 8
    assert in_words == in_ngrams


@pytest.mark.parametrize("estimator", ["InceptionXMLClassifier", "InceptionXMLPlusClassifier"])
def test_another_thread_cannot_predict_while_the_model_fits_and_the_fit_is_unchanged(
    estimator, monkeypatch
):
    import threading

    import skxml

    cls = getattr(skxml, estimator)
    undisturbed = cls(**FAST, warm_start=True).fit(TEXTS, LABELS).fit(TEXTS, LABELS)
    model = cls(**FAST, warm_start=True).fit(TEXTS, LABELS)
    refused = []
    on_epoch_start = cls._on_epoch_start  # InceptionXML+ sets up each epoch there

    def predict_from_another_thread(self, epoch):
        on_epoch_start(self, epoch)

        def predict():
            try:
                self.predict(TEXTS[:2])
            except RuntimeError as exc:
                refused.append(str(exc))

        thread = threading.Thread(target=predict)
        thread.start()
        thread.join()

    monkeypatch.setattr(cls, "_on_epoch_start", predict_from_another_thread)
    model.fit(TEXTS, LABELS)  # the warm start, with a prediction tried before each epoch
    assert len(refused) == FAST["n_epochs"]
    assert "is being fitted in another thread; it cannot predict until that fit ends" in refused[0]
    # Refused before it could put the network in eval mode: the fit is the undisturbed one.
    np.testing.assert_array_equal(
        model.decision_function(TEXTS).toarray(), undisturbed.decision_function(TEXTS).toarray()
    )
    monkeypatch.undo()
    assert model.predict(TEXTS[:2]).shape[0] == 2  # and predicts again once the fit ended


@pytest.mark.parametrize("estimator", ["InceptionXMLClassifier", "InceptionXMLPlusClassifier"])
def test_threads_predicting_with_one_freshly_loaded_model_get_the_sequential_answers(
    estimator,
):
    import sys
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import skxml

    fitted = getattr(skxml, estimator)(**FAST).fit(TEXTS, LABELS)
    expected = fitted.decision_function(TEXTS).toarray()
    saved = pickle.dumps(fitted)
    # Switch threads as often as possible (the race was about 1 cold start in 700).
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            cold = pickle.loads(saved)  # nothing predicted yet: every cache is empty
            start = threading.Barrier(6)

            def predict(model=cold, start=start):
                start.wait()  # all at once, into the first call's building of the caches
                return model.decision_function(TEXTS)

            with ThreadPoolExecutor(6) as pool:
                answers = [call.result() for call in [pool.submit(predict) for _ in range(6)]]
            for answer in answers:
                np.testing.assert_array_equal(answer.toarray(), expected)
    finally:
        sys.setswitchinterval(previous)


@pytest.mark.parametrize(
    ("n_epochs", "steps_per_epoch", "expected"),
    [("auto", 2, 100), ("auto", 8, 25), ("auto", 19, 11), ("auto", 20, 10), ("auto", 500, 10),
     (3, 2, 3), (40, 500, 40)],
)  # fmt: skip
def test_auto_epochs_give_at_least_200_steps_and_an_int_is_kept(
    n_epochs, steps_per_epoch, expected
):
    from skxml._base import resolve_n_epochs

    assert resolve_n_epochs(n_epochs, steps_per_epoch) == expected


def test_auto_epochs_train_a_small_set_for_200_steps_and_record_them():
    # 24 texts in batches of 8: 3 steps an epoch, so 67 epochs; an int is run as given.
    clf = InceptionXMLClassifier(**{**FAST, "batch_size": 8, "n_epochs": "auto"})
    clf.fit(TEXTS[:24], LABELS[:24])
    assert clf.n_epochs == "auto" and clf.n_epochs_ == 67
    assert clf.n_epochs_trained_ == len(clf.history_) == 67
    clf.set_params(n_epochs=2).fit(TEXTS[:24], LABELS[:24])
    assert clf.n_epochs_ == clf.n_epochs_trained_ == 2
