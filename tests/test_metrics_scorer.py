"""Tests of skxml.metrics._scorer: scorers in cross-validation, GridSearchCV, Pipelines."""

from __future__ import annotations

import math
import pickle
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, normalize
from sklearn.utils.validation import check_is_fitted

from skxml.metrics import (
    get_xmc_scorer,
    get_xmc_scorer_names,
    inverse_propensity,
    inverse_propensity_from_counts,
    make_xmc_scorer,
    ndcg_at_k,
    precision_at_k,
    psndcg_at_k,
    psp_at_k,
    recall_at_k,
)
from skxml.utils._validation import check_label_matrix

# --------------------------------------------------------------------------------------
# A test-only estimator following the skxml classifier contract
# --------------------------------------------------------------------------------------


class CentroidRanker(BaseEstimator):
    """Multi-label nearest-centroid ranker on TF-IDF rows.

    Each label's centroid is the normalised sum of its training rows; a query's score for
    a label is the cosine with the centroid. After ``fit`` it has ``label_counts_`` and
    ``n_train_samples_``; ``decision_function`` returns CSR top-k or dense scores.
    """

    def __init__(self, *, top_k=5, output="sparse"):
        self.top_k = top_k
        self.output = output

    def fit(self, X, y):
        labels = check_label_matrix(y, name="y")
        self.centroids_ = normalize(sp.csr_matrix(labels.T @ sp.csr_matrix(X)))
        self.label_counts_ = np.bincount(labels.indices, minlength=labels.shape[1])
        self.n_train_samples_ = labels.shape[0]
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        scores = (sp.csr_matrix(X) @ self.centroids_.T).toarray()
        if self.output == "dense":
            return scores
        top = np.argsort(-scores, axis=1, kind="stable")[:, : self.top_k]
        rows = np.repeat(np.arange(len(scores)), top.shape[1])
        return sp.csr_matrix((scores[rows, top.ravel()], (rows, top.ravel())), shape=scores.shape)


class CentroidClassifier(ClassifierMixin, CentroidRanker):
    """The same tagged as a classifier: scikit-learn's scorers then read ``classes_``."""

    def fit(self, X, y):
        super().fit(X, y)
        self.classes_ = np.arange(len(self.label_counts_))
        return self


class FixedScores(BaseEstimator):
    """Returns fixed scores; label statistics are set by hand."""

    def __init__(self, scores, label_counts, n_train_samples):
        self.scores = scores
        self.label_counts = label_counts
        self.n_train_samples = n_train_samples

    def fit(self, X, y=None):
        self.label_counts_ = np.asarray(self.label_counts)
        self.n_train_samples_ = self.n_train_samples
        return self

    def decision_function(self, X):
        return self.scores


def make_corpus(n_samples=60, seed=0):
    """Texts built from the keywords of their one or two labels, plus noise words."""
    rng = np.random.default_rng(seed)
    texts, rows = [], []
    for _ in range(n_samples):
        n_labels = rng.integers(1, 3)
        labels = rng.choice(6, size=n_labels, replace=False)
        words = [f"topic{label}w{rng.integers(0, 3)}" for label in labels for _ in range(3)]
        words += [f"noise{rng.integers(0, 20)}" for _ in range(2)]
        texts.append(" ".join(rng.permutation(words)))
        rows.append(labels)
    Y = sp.lil_matrix((n_samples, 6))
    for i, labels in enumerate(rows):
        Y[i, labels] = 1
    return np.array(texts), sp.csr_matrix(Y)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus()


def make_pipeline(**ranker_params):
    return Pipeline(
        [("tfidf", TfidfVectorizer()), ("ranker", CentroidClassifier(**ranker_params))]
    )


def manual_cv_scores(estimator, X, Y, cv, metric, *, k, training_propensities=False):
    """Cross-validation by hand; PSP-type metrics get the training fold's propensities."""
    scores = []
    for train, test in cv.split(X):
        fitted = clone(estimator).fit(X[train], Y[train])
        kwargs = {"inv_propensity": inverse_propensity(Y[train])} if training_propensities else {}
        scores.append(metric(Y[test], fitted.decision_function(X[test]), k=k, **kwargs))
    return np.array(scores)


# --------------------------------------------------------------------------------------
# sklearn.metrics.make_scorer on the plain metrics
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["sparse", "dense"])
@pytest.mark.parametrize("ranker", [CentroidRanker, CentroidClassifier])
def test_make_scorer_in_cross_val_score(corpus, output, ranker):
    X, Y = corpus
    pipeline = Pipeline([("tfidf", TfidfVectorizer()), ("ranker", ranker(output=output))])
    cv = KFold(3)
    scorer = make_scorer(precision_at_k, k=3, response_method="decision_function")
    # cross_val_score validates y as a dense "array-like" (scikit-learn >= 1.5), so it takes
    # a dense label matrix; GridSearchCV below takes the sparse one.
    got = cross_val_score(pipeline, X, Y.toarray(), scoring=scorer, cv=cv, error_score="raise")
    expected = manual_cv_scores(pipeline, X, Y, cv, precision_at_k, k=3)
    np.testing.assert_allclose(got, expected)
    assert 0.2 < got.mean() <= 1.0  # the keywords make the task learnable


def test_make_scorer_in_grid_search_over_pipeline(corpus):
    X, Y = corpus
    scorer = make_scorer(ndcg_at_k, k=3, response_method="decision_function")
    search = GridSearchCV(
        make_pipeline(),
        {"ranker__top_k": [1, 3], "tfidf__sublinear_tf": [False, True]},
        scoring=scorer,
        cv=KFold(3),
        error_score="raise",
    ).fit(X, Y)
    # top_k=1 leaves ranks 2 and 3 empty, so it cannot beat top_k=3 on nDCG@3
    assert search.best_params_["ranker__top_k"] == 3
    expected = manual_cv_scores(
        clone(make_pipeline()).set_params(**search.best_params_), X, Y, KFold(3), ndcg_at_k, k=3
    )
    assert search.best_score_ == pytest.approx(expected.mean())


# --------------------------------------------------------------------------------------
# make_xmc_scorer / get_xmc_scorer
# --------------------------------------------------------------------------------------


def test_xmc_scorer_psp_hand_computed():
    # Training statistics: N = 10, N_l = [8, 1, 0], A = 0.55, B = 1.5.
    # C = (ln 10 - 1) * 2.5^0.55; 1/p = [1 + C * 9.5^-0.55, ln 10, 1 + C * 1.5^-0.55]
    #                                 = [1.62506, 2.30259, 2.72513]
    # y = [[1, 1, 0]]; the top-1 label is 0: PSP@1 = 1.62506 / 2.30259 (the best is label 1)
    estimator = FixedScores(sp.csr_matrix(np.array([[0.9, 0.2, 0.0]])), [8, 1, 0], 10).fit(None)
    scorer = make_xmc_scorer("psp", k=1)
    C = (math.log(10) - 1) * 2.5**0.55
    expected = (1 + C * 9.5**-0.55) / math.log(10)
    assert scorer(estimator, None, np.array([[1, 1, 0]])) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.62506 / 2.30259, rel=1e-5)


class KeywordRanker(BaseEstimator):
    """Scores label l by the number of times its keyword occurs; fit only counts labels.

    Its ranking does not depend on the training data, so a cross-validated score can be
    worked out by hand.
    """

    KEYWORDS = ("alpha", "beta", "gamma")

    def fit(self, X, y):
        labels = check_label_matrix(y, name="y")
        self.label_counts_ = np.bincount(labels.indices, minlength=labels.shape[1])
        self.n_train_samples_ = labels.shape[0]
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        return np.array([[text.split().count(word) for word in self.KEYWORDS] for text in X])


def skewed_corpus():
    """Two folds of 20 queries whose label frequencies are mirror images.

    Fold 1: 10 x {0, 1} "alpha alpha beta", 8 x {0} "alpha", 2 x {2} "gamma"
            (counts 18, 10, 2);
    fold 2: 10 x {0, 1} "alpha alpha beta", 8 x {1} "beta", 2 x {2} "gamma"
            (counts 10, 18, 2).
    """
    texts = ["alpha alpha beta"] * 10 + ["alpha"] * 8 + ["gamma"] * 2
    texts += ["alpha alpha beta"] * 10 + ["beta"] * 8 + ["gamma"] * 2
    rows = [[0, 1]] * 10 + [[0]] * 8 + [[2]] * 2 + [[0, 1]] * 10 + [[1]] * 8 + [[2]] * 2
    Y = sp.lil_matrix((40, 3))
    for i, labels in enumerate(rows):
        Y[i, labels] = 1
    return np.array(texts), sp.csr_matrix(Y)


def cross_validated_psp(pipeline, X, Y, cv, via):
    scorer = make_xmc_scorer("psp", k=1)
    if via == "cross_val_score":
        return cross_val_score(
            pipeline, X, Y.toarray(), scoring=scorer, cv=cv, error_score="raise"
        )
    # a one-point grid cross-validates with a sparse y
    search = GridSearchCV(
        pipeline, {}, scoring=scorer, cv=cv, refit=False, error_score="raise"
    ).fit(X, Y)
    return np.array([search.cv_results_[f"split{i}_test_score"][0] for i in range(2)])


@pytest.mark.parametrize("via", ["cross_val_score", "grid_search"])
def test_xmc_scorer_psp_uses_training_fold_propensities(via):
    X, Y = skewed_corpus()
    pipeline = Pipeline([("identity", FunctionTransformer()), ("ranker", KeywordRanker())])
    got = cross_validated_psp(pipeline, X, Y, KFold(2), via)
    # Weights from counts (18, 10, 2) with N = 20: w0 < w1 (label 0 is the frequent one).
    w0, w1, w2 = inverse_propensity_from_counts([18, 10, 2], 20)
    assert w0 < w1
    # Split 1 scores fold 1 after training on fold 2 (counts 10, 18, 2, so there w0 > w1):
    # every query gets its best label first, PSP = 1.
    # Split 2 scores fold 2 after training on fold 1, with the weights above: the {0, 1}
    # queries rank label 0 first (w0) where label 1 was best (w1); "beta" and "gamma" hit:
    # PSP@1 = (10 w0 + 8 w1 + 2 w2) / (18 w1 + 2 w2).
    split_2 = (10 * w0 + 8 * w1 + 2 * w2) / (18 * w1 + 2 * w2)
    np.testing.assert_allclose(got, [1.0, split_2], rtol=1e-12)
    assert split_2 == pytest.approx(0.9440, abs=1e-4)
    # Propensities from the scored fold itself give other values: split 1 would weigh
    # fold 1's {0, 1} queries by fold 1's own w0 < w1, split 2 would be perfect.
    leaked = [
        psp_at_k(
            Y[test],
            KeywordRanker().fit(X[train], Y[train]).decision_function(X[test]),
            k=1,
            inv_propensity=inverse_propensity(Y[test]),
        )
        for train, test in KFold(2).split(X)
    ]
    split_1_leaked = (10 * w0 + 8 * w0 + 2 * w2) / (10 * w1 + 8 * w0 + 2 * w2)
    np.testing.assert_allclose(leaked, [split_1_leaked, 1.0], rtol=1e-12)
    assert np.all(np.abs(np.array(leaked) - got) > 0.04)


def test_xmc_scorer_matches_make_scorer_for_plain_metrics(corpus):
    X, Y = corpus
    pipeline = make_pipeline().fit(X, Y)
    for metric, function in [("precision", precision_at_k), ("ndcg", ndcg_at_k)]:
        ours = make_xmc_scorer(metric, k=2)(pipeline, X, Y)
        theirs = make_scorer(function, k=2, response_method="decision_function")(pipeline, X, Y)
        assert ours == theirs


def test_xmc_scorers_multimetric_grid_search(corpus):
    X, Y = corpus
    scoring = {name: get_xmc_scorer(name) for name in get_xmc_scorer_names()}
    search = GridSearchCV(
        make_pipeline(),
        {"ranker__top_k": [2, 5]},
        scoring=scoring,
        refit="psp@3",
        cv=KFold(2),
        error_score="raise",
    ).fit(X, Y)
    for name in scoring:
        values = search.cv_results_[f"mean_test_{name}"]
        assert np.all((values >= 0) & (values <= 1)), name
    # P@5 with top_k=2 is at most 2/5
    assert search.cv_results_["mean_test_precision@5"][0] <= 0.4
    # the scores computed together (sharing one decision_function call) match each alone
    pipeline = make_pipeline(top_k=5)
    for name, metric, uses_propensity in [
        ("precision@1", precision_at_k, False),
        ("psp@3", psp_at_k, True),
        ("ndcg@5", ndcg_at_k, False),
    ]:
        expected = manual_cv_scores(
            pipeline,
            X,
            Y,
            KFold(2),
            metric,
            k=int(name[-1]),
            training_propensities=uses_propensity,
        )
        assert search.cv_results_[f"mean_test_{name}"][1] == pytest.approx(expected.mean())


class CountingRanker(CentroidRanker):
    """Counts its decision_function calls (in this process)."""

    calls: ClassVar[list[int]] = []

    def decision_function(self, X):
        CountingRanker.calls.append(X.shape[0])
        return super().decision_function(X)


def test_xmc_scorers_share_one_decision_function_call(corpus):
    X, Y = corpus
    CountingRanker.calls.clear()
    pipeline = Pipeline([("tfidf", TfidfVectorizer()), ("ranker", CountingRanker())])
    scoring = {name: get_xmc_scorer(name) for name in ["precision@1", "psp@3", "ndcg@5"]}
    cross_validate(pipeline, X, Y.toarray(), scoring=scoring, cv=KFold(2), error_score="raise")
    assert CountingRanker.calls == [30, 30]


def test_xmc_scorer_cross_validate_psndcg(corpus):
    X, Y = corpus
    results = cross_validate(
        make_pipeline(),
        X,
        Y.toarray(),
        scoring={"psndcg@3": get_xmc_scorer("psndcg@3"), "recall@5": get_xmc_scorer("recall@5")},
        cv=KFold(3),
        error_score="raise",
    )
    assert np.all(results["test_psndcg@3"] > 0)
    assert np.all(results["test_recall@5"] > 0)


def test_xmc_scorer_pickles(corpus):
    X, Y = corpus
    pipeline = make_pipeline().fit(X, Y)
    scorer = make_xmc_scorer("psp", k=3, A=0.6, B=2.6)
    restored = pickle.loads(pickle.dumps(scorer))
    assert restored(pipeline, X, Y) == scorer(pipeline, X, Y)
    assert repr(restored) == repr(scorer)


@pytest.mark.parametrize("metric", ["psp", "psndcg"])
def test_xmc_scorer_missing_attributes(corpus, metric):
    X, Y = corpus
    scores = np.ones((len(X), 6))
    bare = FixedScores(scores, [1] * 6, 10)  # not fitted: no label_counts_
    with pytest.raises(AttributeError, match=r"FixedScores lacks `label_counts_`"):
        make_xmc_scorer(metric)(bare, X, Y)
    pipeline = Pipeline([("model", FixedScores(scores, [1] * 6, 10))])
    with pytest.raises(
        AttributeError, match="FixedScores lacks `label_counts_`, `n_train_samples_`"
    ):
        make_xmc_scorer(metric)(pipeline, X, Y)
    # plain metrics need no statistics
    assert make_xmc_scorer("precision")(bare, X, Y) >= 0


def test_xmc_scorer_reads_pipeline_last_step(corpus):
    X, Y = corpus
    pipeline = make_pipeline().fit(X, Y)
    ranker = pipeline.named_steps["ranker"]
    expected = psp_at_k(
        Y,
        pipeline.decision_function(X),
        k=5,
        inv_propensity=inverse_propensity(Y),
    )
    assert ranker.n_train_samples_ == len(X)
    assert make_xmc_scorer("psp")(pipeline, X, Y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("metric", ["precision", "recall", "ndcg", "psp", "psndcg"])
def test_xmc_scorer_weighs_queries_by_sample_weight(corpus, metric):
    _, Y = corpus
    scores = np.random.default_rng(0).random(Y.shape)  # a ranking right on some queries only
    ranker = FixedScores(scores, label_counts=[5, 1, 2, 9, 3, 4], n_train_samples=20).fit(None)
    scorer = make_xmc_scorer(metric, k=2)
    weights = np.arange(Y.shape[0]) % 3  # 0, 1, 2: a query of weight 2 counts twice
    repeated = np.repeat(np.arange(Y.shape[0]), weights)
    weighted = scorer(ranker, None, Y, sample_weight=weights)
    ranker.scores = scores[repeated]
    copies = scorer(ranker, None, Y[repeated])
    assert weighted == pytest.approx(copies, rel=1e-12)
    ranker.scores = scores
    assert weighted != pytest.approx(scorer(ranker, None, Y), rel=1e-6)


def test_xmc_scorer_rejects_other_metadata(corpus):
    X, Y = corpus
    pipeline = make_pipeline().fit(X, Y)
    with pytest.raises(TypeError, match="no metadata besides sample_weight; got \\['groups'\\]"):
        make_xmc_scorer("precision")._score(None, pipeline, X, Y, groups=np.ones(len(X)))


@pytest.mark.parametrize(
    ("scorer", "expected"),
    [
        (make_xmc_scorer("precision"), "make_xmc_scorer('precision', k=5)"),
        (make_xmc_scorer("psp", k=3, B=2.6), "make_xmc_scorer('psp', k=3, A=0.55, B=2.6)"),
        (
            make_xmc_scorer("ndcg", k=1, response_method="predict_proba"),
            "make_xmc_scorer('ndcg', k=1, response_method='predict_proba')",
        ),
        (get_xmc_scorer("recall@10"), "make_xmc_scorer('recall', k=10)"),
    ],
)
def test_xmc_scorer_repr(scorer, expected):
    assert repr(scorer) == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metric": "accuracy"}, "'metric' parameter"),
        ({"metric": "psp", "k": 0}, "'k' parameter"),
        ({"metric": "precision", "k": True}, "'k' parameter .* got True"),
        ({"metric": "psp", "A": -1.0}, "'A' parameter"),
        ({"metric": "psp", "B": 0}, "'B' parameter"),
        ({"metric": "psp", "response_method": "transform"}, "'response_method' parameter"),
        ({"metric": "precision", "response_method": ["foo"]}, r"must be one of.*'foo'"),
        ({"metric": "precision", "response_method": []}, r"a non-empty list of"),
    ],
)
def test_make_xmc_scorer_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_xmc_scorer(**kwargs)


def test_get_xmc_scorer_names():
    names = get_xmc_scorer_names()
    assert len(names) == len(set(names)) == 15
    assert {"precision@1", "precision@3", "precision@5", "psp@5", "ndcg@5", "psndcg@5"} <= set(
        names
    )
    for name in names:
        metric, k = name.split("@")
        assert repr(get_xmc_scorer(name)).startswith(f"make_xmc_scorer({metric!r}, k={k}")


@pytest.mark.parametrize(
    "name", ["precision", "q@5", "precision@0", "precision@x", "PSPP@5", "psp@5 ", "psp@-1", ""]
)
def test_get_xmc_scorer_bad_name(name):
    with pytest.raises(ValueError, match=r"expected '<metric>@<k>'.*'precision', 'recall'"):
        get_xmc_scorer(name)


def test_get_xmc_scorer_non_string():
    with pytest.raises(TypeError, match="'name' parameter"):
        get_xmc_scorer(5)


@pytest.mark.parametrize(
    ("name", "metric", "k"),
    [("p@1", "precision", 1), ("P@5", "precision", 5), ("PSP@3", "psp", 3),
     ("n@3", "ndcg", 3), ("psn@5", "psndcg", 5), ("r@10", "recall", 10),
     ("Precision@1", "precision", 1), ("precision_at_5", "precision", 5),
     ("psp_at_3", "psp", 3), ("NDCG_at_1", "ndcg", 1)],
)  # fmt: skip
def test_get_xmc_scorer_accepts_the_papers_short_names(name, metric, k):
    assert repr(get_xmc_scorer(name)).startswith(f"make_xmc_scorer({metric!r}, k={k}")


@pytest.mark.parametrize(
    "name", ["q@1", "p@0", "p1", "psp@", "precision@-1", "precision_at_", "precision_5", "p_at_0"]
)
def test_get_xmc_scorer_rejects_unknown_names(name):
    with pytest.raises(ValueError, match="Unknown scorer name"):
        get_xmc_scorer(name)


# --------------------------------------------------------------------------------------
# y as label lists (estimators fitted on label names)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def named_fit():
    from skxml import InceptionXMLClassifier

    texts = ["red apple pie", "green apple tart", "blue sky today", "grey sky and rain"] * 6
    labels = [["food", "fruit"], ["food"], ["weather"], ["weather", "rain"]] * 6
    clf = InceptionXMLClassifier(
        embedding_dim=64, max_seq_len=8, n_epochs=3, batch_size=8, top_k=3, random_state=0
    ).fit(texts, labels)
    return clf, texts, labels


@pytest.mark.parametrize("name", ["p@1", "psp@3", "r@5"])
def test_a_label_matrix_given_as_a_list_of_lists_scores_as_the_array(named_fit, name):
    clf, texts, labels = named_fit
    matrix = clf._label_binarizer_.transform(labels).toarray()
    scorer = get_xmc_scorer(name)
    assert scorer(clf, texts, matrix.tolist()) == scorer(clf, texts, matrix)


@pytest.mark.parametrize("name", ["p@1", "p@3", "ndcg@3", "psp@3", "psndcg@3"])
def test_xmc_scorer_maps_label_lists_through_classes(named_fit, name):
    clf, texts, labels = named_fit
    scorer = get_xmc_scorer(name)
    matrix = clf._label_binarizer_.transform(labels)
    assert scorer(clf, texts, labels) == scorer(clf, texts, matrix)
    # A label the estimator never saw is a true label no ranking reaches: P@k is unchanged,
    # the others count it as missed (a column of its own, inverse propensity of count 0).
    with_unseen = [[*row, "unseen"] for row in labels]
    if name.startswith("p@"):
        assert scorer(clf, texts, with_unseen) == scorer(clf, texts, matrix)
    else:
        metric, k = (
            {"ndcg": ndcg_at_k, "psp": psp_at_k, "psndcg": psndcg_at_k}[name.split("@")[0]],
            int(name.split("@")[1]),
        )
        extended = sp.hstack([matrix, np.ones((len(texts), 1))], format="csr")
        scores = clf.decision_function(texts)
        scores = sp.hstack([scores, sp.csr_matrix((len(texts), 1))], format="csr")
        kwargs = {}
        if metric is not ndcg_at_k:
            counts = np.append(clf.label_counts_, 0)
            kwargs["inv_propensity"] = inverse_propensity_from_counts(counts, len(texts))
        expected = metric(extended, scores, k=k, **kwargs)
        assert scorer(clf, texts, with_unseen) == pytest.approx(expected)
        assert scorer(clf, texts, with_unseen) < scorer(clf, texts, matrix)
    # The lists are read by name, not position: reversing the classes changes the score.
    renamed = {"food": "weather", "weather": "food", "fruit": "rain", "rain": "fruit"}
    swapped = [[renamed[label] for label in row] for row in labels]
    assert scorer(clf, texts, swapped) < scorer(clf, texts, labels)


def test_xmc_scorer_counts_unseen_labels_as_missed_recall(named_fit):
    clf, _, _ = named_fit
    # Each text's one known label is ranked first; its unseen label halves recall@1.
    queries, truth = ["red apple pie", "blue sky today"], [["food", "rare"], ["weather", "new"]]
    assert clf.predict_labels(queries, k=1) == [["food"], ["weather"]]
    assert get_xmc_scorer("r@1")(clf, queries, truth) == pytest.approx(0.5)
    assert get_xmc_scorer("r@1")(clf, queries, [["food"], ["weather"]]) == 1.0


def test_unreachable_columns_rank_below_every_label():
    from skxml.metrics._scorer import _with_unreachable_columns

    dense = np.array([[0.5, -3.0], [2.0, 0.0]])
    padded = _with_unreachable_columns(dense, 2, 2)
    assert padded.shape == (2, 4) and padded.nnz == 4  # every score stored, 0.0 included
    np.testing.assert_array_equal(padded[:, :2].toarray(), dense)
    sparse = sp.csr_matrix(dense)
    padded = _with_unreachable_columns(sparse, 2, 1)
    assert padded.shape == (2, 3) and padded.nnz == sparse.nnz
    assert _with_unreachable_columns(dense, 2, 0) is dense
    ranked = np.array([[1], [0]])  # ranked label indices: nothing to pad
    assert _with_unreachable_columns(ranked, 2, 1) is ranked
    # Ranked below even a -3.0 score, and never reached with k beyond the known labels.
    y_true = np.array([[0, 0, 1], [0, 0, 1]])
    for k in (2, 3):
        assert precision_at_k(y_true, _with_unreachable_columns(dense, 2, 1), k=k) == 0.0


class _DenseScores(ClassifierMixin, BaseEstimator):
    """A model of three named labels whose decision_function returns dense scores."""

    def fit(self, X, y):
        self.classes_ = np.array(["a", "b", "c"], dtype=object)
        self.label_counts_, self.n_train_samples_ = np.array([5, 3, 1]), 10
        return self

    def decision_function(self, X):
        return np.tile([0.9, 0.5, 0.1], (len(X), 1))


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("recall", 0.5), ("precision", 1 / 5), ("ndcg", 1 / (1 + 1 / np.log2(3)))],
)
def test_unseen_labels_are_missed_by_dense_scores_even_when_k_exceeds_the_labels(metric, expected):
    estimator = _DenseScores().fit(["x"], None)
    # "zzz" is no label of the model: with k=5 > 3 labels it must still count as missed.
    assert make_xmc_scorer(metric, k=5)(estimator, ["q"], [["a", "zzz"]]) == pytest.approx(
        expected
    )


def test_cross_val_score_takes_label_lists_with_kfold(named_fit):
    clf, texts, labels = named_fit
    got = cross_val_score(
        clone(clf), texts, labels, cv=KFold(2), scoring=get_xmc_scorer("p@1"), error_score="raise"
    )
    assert got.shape == (2,)
    assert np.all((got >= 0) & (got <= 1))


def test_xmc_scorer_label_lists_need_classes(corpus):
    X, Y = corpus
    pipeline = Pipeline([("tfidf", TfidfVectorizer()), ("ranker", CentroidRanker())]).fit(X, Y)
    assert not hasattr(pipeline.steps[-1][1], "classes_")
    with pytest.raises(TypeError, match="maps to columns through the fitted estimator's classes_"):
        get_xmc_scorer("p@1")(pipeline, X, [["a"]] * len(X))


@pytest.mark.parametrize("name", ["r@3", "psp@3", "ndcg@3"])
def test_xmc_scorer_ranks_k_labels_when_the_estimator_returns_fewer(named_fit, name):
    # The estimator returns its top_k labels per text; a scorer reading more ranks asks for
    # them, instead of scoring a truncated ranking, and leaves top_k as it was.
    clf, texts, labels = named_fit
    scorer = get_xmc_scorer(name)
    matrix = clf._label_binarizer_.transform(labels)
    full = scorer(clf, texts, matrix)
    clf.set_params(top_k=1)
    try:
        assert scorer(clf, texts, matrix) == full
        assert clf.top_k == 1
        # Through a Pipeline's last step too, and with the response cached by a first
        # scorer that read top_k labels only.
        pipeline = Pipeline([("identity", FunctionTransformer()), ("clf", clf)])
        results = cross_validate(
            pipeline, texts, matrix.toarray(), cv=[(np.arange(24), np.arange(24))],
            scoring={"p@1": get_xmc_scorer("p@1"), name: scorer},
        )  # fmt: skip
    finally:
        clf.set_params(top_k=3)
    assert results[f"test_{name}"][0] == pytest.approx(full)  # the same fit, refitted


def test_a_predict_scorer_scores_the_k_best_labels_not_the_lowest_columns(named_fit):
    # predict answers top_k labels as 1s, with no ranking among them: P@1 of that answer
    # would be the precision of the predicted label of lowest column index. The scorer asks
    # for k labels instead, as predict(X, k=1) gives them.
    clf, texts, labels = named_fit
    matrix = clf._label_binarizer_.transform(labels)
    scorer = make_xmc_scorer("precision", k=1, response_method="predict")
    by_hand = precision_at_k(matrix, clf.predict(texts, k=1), k=1)
    assert by_hand == get_xmc_scorer("p@1")(clf, texts, matrix) == 1.0
    lowest_column_first = precision_at_k(matrix, clf.predict(texts), k=1)
    assert lowest_column_first < 1.0  # what the scorer gave before
    assert scorer(clf, texts, matrix) == by_hand
    assert clf.top_k == 3
    # Above top_k, what the estimator predicts (3 labels) is scored: P@5 counts 5 ranks.
    at_5 = make_xmc_scorer("precision", k=5, response_method="predict")
    assert at_5(clf, texts, matrix) == precision_at_k(matrix, clf.predict(texts), k=5)


def test_xmc_scorer_recall_counts_ranks_past_top_k(corpus):
    X, Y = corpus
    pipeline = make_pipeline(top_k=1).fit(X, Y)
    by_hand = ndcg_at_k(Y, pipeline.set_params(ranker__top_k=6).decision_function(X), k=4)
    pipeline.set_params(ranker__top_k=1)
    assert get_xmc_scorer("ndcg@4")(pipeline, X, Y) == pytest.approx(by_hand)
    assert pipeline.named_steps["ranker"].top_k == 1


class _WatchedTopK(CentroidClassifier):
    """Records the ``top_k`` of every instance whose decision_function runs."""

    seen: list[tuple[int, int]] = []

    def decision_function(self, X):
        _WatchedTopK.seen.append((id(self), self.top_k))
        return super().decision_function(X)


@pytest.mark.parametrize("wrapping", ["none", "pipeline", "search"])
def test_a_scorer_asking_for_more_labels_never_changes_the_shared_estimator(corpus, wrapping):
    # Another thread predicting with the same model must keep getting its top_k labels.
    X, Y = corpus
    ranker = _WatchedTopK(top_k=1)
    estimator = {
        "none": lambda: ranker,
        "pipeline": lambda: Pipeline([("tfidf", TfidfVectorizer()), ("ranker", ranker)]),
        "search": lambda: GridSearchCV(
            Pipeline([("tfidf", TfidfVectorizer()), ("ranker", ranker)]),
            {"ranker__output": ["sparse"]},
            scoring=get_xmc_scorer("p@1"),
            cv=[(np.arange(Y.shape[0]), np.arange(Y.shape[0]))],
        ),
    }[wrapping]().fit(TfidfVectorizer().fit_transform(X) if wrapping == "none" else X, Y)
    fitted = ranker if wrapping != "search" else estimator.best_estimator_.steps[-1][1]
    _WatchedTopK.seen.clear()
    X_scored = TfidfVectorizer().fit(X).transform(X) if wrapping == "none" else X
    get_xmc_scorer("ndcg@4")(estimator, X_scored, Y)
    assert [top_k for _, top_k in _WatchedTopK.seen] == [4]  # asked of a copy
    assert all(instance != id(fitted) for instance, _ in _WatchedTopK.seen)
    assert fitted.top_k == 1


def test_xmc_scorer_label_lists_on_a_matrix_fitted_model_are_refused(named_fit):
    from skxml import InceptionXMLClassifier

    clf, texts, labels = named_fit
    matrix = clf._label_binarizer_.transform(labels)
    by_matrix = InceptionXMLClassifier(
        embedding_dim=16, max_seq_len=8, n_epochs=1, batch_size=8, random_state=0
    ).fit(texts, matrix)
    with pytest.raises(ValueError, match="fitted on a label matrix"):
        get_xmc_scorer("p@1")(by_matrix, texts, labels)


def test_labels_of_another_type_than_the_fitted_ones_warn(named_fit):
    from skxml import InceptionXMLClassifier

    _, texts, _ = named_fit
    numbered = InceptionXMLClassifier(
        embedding_dim=16, max_seq_len=8, n_epochs=1, batch_size=8, random_state=0
    ).fit(texts, [["1"], ["2"]] * 12)
    as_ints = [{1}, {2}] * 12  # sets: equal-length lists of ints read as a 0/1 matrix
    with pytest.warns(UserWarning, match=r"None of the 2 labels in y_true is among"):
        assert get_xmc_scorer("p@1")(numbered, texts, as_ints) == 0.0
    with pytest.warns(UserWarning, match=r"None of the 2 labels in y is among"):
        assert numbered.score(texts, as_ints) == 0.0


def test_xmc_scorers_read_a_fitted_search_through_its_best_estimator(named_fit):
    # Nested cross-validation scores a fitted GridSearchCV: the scorer must reach the model
    # inside for top_k (ranking k labels) and for the training label counts (PSP).
    from sklearn.model_selection import GridSearchCV

    clf, texts, labels = named_fit
    search = GridSearchCV(
        clone(clf).set_params(top_k=1), {"n_epochs": [3]}, cv=KFold(2),
        scoring=get_xmc_scorer("p@1"),
    ).fit(texts, labels)  # fmt: skip
    for name in ("r@3", "psp@3", "ndcg@3"):
        scorer = get_xmc_scorer(name)
        assert scorer(search, texts, labels) == scorer(search.best_estimator_, texts, labels)
    assert search.best_estimator_.top_k == 1
    nested = cross_validate(
        search, texts, labels, cv=KFold(2), scoring=get_xmc_scorer("psp@3")
    )  # fmt: skip
    assert np.all(np.isfinite(nested["test_score"]))


def test_xmc_scorer_asks_inceptionxml_plus_for_its_own_k_when_top_k_widens_the_shortlist():
    # One shortlisted cluster of 3 labels: top_k=5 widens the shortlist, and its first 3
    # labels are not the k=3 answer. The scorer must score the k=3 answer whatever top_k.
    from skxml import InceptionXMLPlusClassifier, LabelTreeClusterer

    rng = np.random.default_rng(3)
    words = "apple pie sky rain cloud river music guitar code python bread wine road car".split()
    texts = [" ".join(rng.choice(words, 5)) for _ in range(40)]
    Y = np.zeros((40, 12), dtype=int)
    for row in Y:
        row[rng.choice(12, rng.integers(1, 4), replace=False)] = 1
    clf = InceptionXMLPlusClassifier(
        n_epochs=1, embedding_dim=16, word_vectors=None, random_state=0, n_shortlist=1,
        clusterer=LabelTreeClusterer(n_clusters=4, random_state=0),
    ).fit(texts, Y)  # fmt: skip
    expected = recall_at_k(Y, clf.decision_function(texts, k=3), k=3)
    assert not clf._rankings_nested(3, 5) and clf._rankings_nested(1, 3)
    for top_k in (3, 5, 12):
        clf.set_params(top_k=top_k)
        assert get_xmc_scorer("r@3")(clf, texts, Y) == expected
        assert clf.top_k == top_k
