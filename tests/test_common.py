"""scikit-learn's own estimator checks on every skxml estimator, and their text versions.

scikit-learn 1.9 runs its data-dependent checks only on estimators that accept 2-D numeric
arrays: for skxml's estimators, which take raw texts (``input_tags.string``),
``parametrize_with_checks`` yields only the checks that apply (cloneability). So:

1. ``parametrize_with_checks`` runs on every estimator (what it yields all passes);
2. the data-independent API checks are called directly (all pass, none expected to fail);
3. every other check scikit-learn has for a classifier or a transformer is listed in
   ``NOT_APPLICABLE`` with the reason, and where its intent applies to texts it is re-run
   below on text data (``test_text_*``). ``test_every_sklearn_check_is_accounted_for`` fails
   when a scikit-learn release adds a check this file does not list.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _toy_data import TEXTS as TOY_TEXTS
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import _yield_all_checks, parametrize_with_checks

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.text import SequenceEncoder

ESTIMATORS = [
    InceptionXMLClassifier(n_epochs=1, embedding_dim=64),
    InceptionXMLPlusClassifier(n_epochs=1, embedding_dim=64),
    SequenceEncoder(),
]
CLASSIFIERS = [
    InceptionXMLClassifier(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=2),
    InceptionXMLPlusClassifier(
        embedding_dim=64,
        max_seq_len=8,
        batch_size=8,
        n_epochs=2,
        clusterer=LabelTreeClusterer(max_leaf_size=1),
        n_shortlist=2,
    ),
]

# Every check below passes; none is expected to fail.
API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_param_validation",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_sparse_tag",
    # Passes as is: an unfitted estimator raises NotFittedError before reading X.
    "check_estimators_unfitted",
]

_NUMERIC_X = "feeds numeric 2-D arrays; skxml estimators take raw texts"
_TEXT_VERSION = "feeds numeric 2-D arrays; its text version runs here as "
_ONE_D_Y = "fits 1-D (multi-class) y; skxml classifiers are multilabel with a 2-D label matrix"
_SPARSE_OUTPUT = (
    "expects dense (n, n_labels) outputs; skxml returns CSR top-k matrices by design "
    "(DESIGN.md §6: never a dense n × L array); shapes and values are tested in "
    "tests/test_inception_xml.py"
)

# The checks scikit-learn has for a multilabel classifier that are not run on skxml, why,
# and where their intent is tested with texts.
NOT_APPLICABLE = {
    "check_array_api_input": _NUMERIC_X + " (and no Array API namespace)",
    "check_complex_data": _NUMERIC_X,
    "check_dtype_object": _NUMERIC_X,
    "check_estimators_dtypes": _NUMERIC_X,
    "check_estimator_sparse_array": _NUMERIC_X,
    "check_estimator_sparse_matrix": _NUMERIC_X,
    "check_f_contiguous_array_estimator": _NUMERIC_X,
    "check_readonly_memmap_input": _NUMERIC_X,
    "check_positive_only_tag_during_fit": _NUMERIC_X,
    "check_fit1d": _NUMERIC_X,
    "check_fit2d_1feature": _NUMERIC_X,
    "check_n_features_in": _NUMERIC_X + " (texts have no n_features_in_)",
    "check_n_features_in_after_fitting": _NUMERIC_X + " (texts have no n_features_in_)",
    "check_estimators_nan_inf": _NUMERIC_X + "; bad texts: tests/test_bad_input.py",
    "check_estimators_empty_data_messages": _NUMERIC_X + "; tests/test_bad_input.py",
    "check_classifier_data_not_an_array": _NUMERIC_X + "; test_text_list_tuple_and_array_agree",
    "check_fit2d_1sample": _NUMERIC_X + "; 1 sample: test_text_one_sample_is_a_clear_error",
    "check_fit2d_predict1d": _NUMERIC_X + "; a single string: tests/test_bad_input.py",
    "check_fit_check_is_fitted": _TEXT_VERSION + "test_text_unfitted_raises",
    "check_estimators_fit_returns_self": _TEXT_VERSION + "test_text_fit_returns_self",
    "check_dict_unchanged": _TEXT_VERSION + "test_text_prediction_leaves_state_unchanged",
    "check_dont_overwrite_parameters": _TEXT_VERSION + "test_text_fit_keeps_parameters",
    "check_estimators_overwrite_params": _TEXT_VERSION + "test_text_fit_keeps_parameters",
    "check_fit_idempotent": _TEXT_VERSION + "test_text_fit_is_idempotent",
    "check_estimators_pickle": _TEXT_VERSION + "test_text_pickle_round_trip",
    "check_methods_subset_invariance": _TEXT_VERSION + "test_text_subset_invariance",
    "check_methods_sample_order_invariance": _TEXT_VERSION + "test_text_sample_order",
    "check_decision_proba_consistency": _TEXT_VERSION + "test_text_decision_proba_consistency",
    "check_pipeline_consistency": _TEXT_VERSION + "test_text_pipeline_consistency",
    "check_classifiers_multilabel_representation_invariance": _TEXT_VERSION
    + "test_text_label_representations_agree",
    "check_non_transformer_estimators_n_iter": _TEXT_VERSION + "test_text_n_epochs_trained",
    "check_fit_score_takes_y": _TEXT_VERSION + "test_text_score_takes_y",
    "check_estimators_partial_fit_n_features": "skxml estimators have no partial_fit",
    "check_classifiers_train": _ONE_D_Y,
    "check_classifiers_classes": _ONE_D_Y,
    "check_classifiers_one_label": _ONE_D_Y,
    "check_classifiers_one_label_sample_weights": _ONE_D_Y,
    "check_classifiers_regression_target": _ONE_D_Y,
    "check_supervised_y_2d": _ONE_D_Y,
    "check_supervised_y_no_nan": _ONE_D_Y + "; NaN in Y: tests/test_bad_input.py",
    "check_classifier_multioutput": _ONE_D_Y,
    "check_requires_y_none": _ONE_D_Y + "; Y=None: tests/test_bad_input.py",
    "check_classifiers_multilabel_output_format_predict": _SPARSE_OUTPUT,
    "check_classifiers_multilabel_output_format_predict_proba": _SPARSE_OUTPUT,
    "check_classifiers_multilabel_output_format_decision_function": _SPARSE_OUTPUT,
    # Transformers (SequenceEncoder; tested with texts in tests/test_text_sequence_encoder.py).
    "check_transformer_general": _NUMERIC_X + "; fit_transform = fit + transform is tested",
    "check_transformer_data_not_an_array": _NUMERIC_X + "; lists, tuples, arrays are tested",
    "check_transformer_preserve_dtypes": _NUMERIC_X + " (output is int64 token ids)",
    "check_transformer_n_iter": "not iterative",
    "check_transformers_unfitted": _NUMERIC_X + "; the unfitted error is tested",
    "check_array_api_mixed_inputs": _NUMERIC_X + " (and no Array API namespace)",
    "check_array_api_same_namespace": _NUMERIC_X + " (and no Array API namespace)",
    # The classifiers' fit takes sample_weight (tests/test_sample_weight.py has more).
    "check_all_zero_sample_weights_error": _TEXT_VERSION
    + "test_text_all_zero_sample_weights_error",
    "check_sample_weight_equivalence_on_dense_data": _TEXT_VERSION
    + "test_text_sample_weight_equivalence (weight 0 is removal and equal weights are none, "
    "exactly; an integer weight k is not k copies: they would fall in k batches of a "
    "stochastic minibatch fit)",
    "check_sample_weights_list": _TEXT_VERSION + "test_text_sample_weights_containers",
    "check_sample_weights_not_an_array": _TEXT_VERSION + "test_text_sample_weights_containers",
    "check_sample_weights_not_overwritten": _TEXT_VERSION
    + "test_text_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series": _TEXT_VERSION + "test_text_sample_weights_containers",
    "check_sample_weights_shape": _TEXT_VERSION + "test_text_sample_weights_shape",
}


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# LabelTreeClusterer truthfully accepts numeric 2-D X (a precomputed feature matrix), so
# scikit-learn runs its full transformer suite on it: 15 checks pass, and these fail only
# because scikit-learn fits transformers with a 1-D y and transforms X.
_CLUSTERS_LABELS = (
    "scikit-learn fits it with a 1-D y; LabelTreeClusterer clusters the labels of a 2-D label "
    "matrix and its transform maps label matrices, not X (tested in "
    "tests/test_cluster_label_tree.py)"
)
CLUSTERER_EXPECTED_FAILURES = {
    **dict.fromkeys(
        [
            "check_fit_score_takes_y",
            "check_estimators_overwrite_params",
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
            "check_estimators_dtypes",
            "check_pipeline_consistency",
            "check_estimators_nan_inf",
            "check_estimator_sparse_tag",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_transformer_general",
            "check_transformer_n_iter",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit2d_1sample",
            "check_fit2d_1feature",
            "check_dict_unchanged",
            "check_fit_idempotent",
            "check_fit_check_is_fitted",
            "check_n_features_in",
            "check_fit2d_predict1d",
        ],
        _CLUSTERS_LABELS,
    ),
    "check_dtype_object": "an object array is read as raw texts, so a 2-D one is rejected",
    "check_transformer_data_not_an_array": (
        "scikit-learn's _NotAnArray wrapper is neither an array nor a sequence of texts"
    ),
}


@parametrize_with_checks(
    [LabelTreeClusterer(max_leaf_size=2, random_state=0)],
    expected_failed_checks=lambda estimator: CLUSTERER_EXPECTED_FAILURES,
)
def test_sklearn_checks_on_label_tree_clusterer(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check_name", API_CHECKS)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_api_check(estimator, check_name):
    getattr(estimator_checks, check_name)(type(estimator).__name__, estimator)


def test_every_sklearn_check_is_accounted_for():
    # The checks scikit-learn runs on a numeric classifier and a numeric transformer (with
    # sample weights); the cloneability check is yielded by parametrize_with_checks.
    names = {
        getattr(check, "func", check).__name__
        for estimator in (KNeighborsClassifier(), StandardScaler())
        for check in _yield_all_checks(estimator, legacy=True)
    }
    assert names - set(API_CHECKS) - set(NOT_APPLICABLE) == set()
    assert set(NOT_APPLICABLE) - names == set()


# ---------------------------------------------------------------- text versions
TEXTS = TOY_TEXTS[:24]
Y = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 1]] * 6)[: len(TEXTS)])
QUERIES = ["apple pie", "rain and storm", "sky", "nothing known here", "apple rain"]


def _fit(estimator):
    return clone(estimator).set_params(random_state=0).fit(TEXTS, Y)


@pytest.fixture(scope="module", params=CLASSIFIERS, ids=lambda e: type(e).__name__)
def fitted(request):
    return _fit(request.param)


classifiers = pytest.mark.parametrize("estimator", CLASSIFIERS, ids=lambda e: type(e).__name__)


@classifiers
def test_text_unfitted_raises(estimator):
    from sklearn.exceptions import NotFittedError

    for method in ("predict", "predict_proba", "decision_function", "score"):
        with pytest.raises(NotFittedError):
            args = (QUERIES, Y[: len(QUERIES)]) if method == "score" else (QUERIES,)
            getattr(clone(estimator), method)(*args)


@classifiers
def test_text_fit_returns_self(estimator):
    estimator = clone(estimator)
    assert estimator.fit(TEXTS, Y) is estimator


@classifiers
def test_text_fit_keeps_parameters(estimator):
    estimator = clone(estimator).set_params(random_state=0)
    before = estimator.get_params(deep=False)
    public_before = {k for k in vars(estimator) if not k.startswith("_")}
    estimator.fit(TEXTS, Y)
    assert estimator.get_params(deep=False) == before
    added = {k for k in vars(estimator) if not k.startswith("_")} - public_before
    assert all(name.endswith("_") for name in added), added


def test_text_prediction_leaves_state_unchanged(fitted):
    before = {k: v for k, v in vars(fitted).items() if not hasattr(v, "state_dict")}
    weights = {k: v.clone() for k, v in fitted.network_.state_dict().items()}
    for method in ("predict", "predict_proba", "decision_function", "predict_labels"):
        getattr(fitted, method)(QUERIES)
    after = {k: v for k, v in vars(fitted).items() if not hasattr(v, "state_dict")}
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    assert all((weights[k] == v).all() for k, v in fitted.network_.state_dict().items())


@classifiers
def test_text_fit_is_idempotent(estimator):
    estimator = clone(estimator).set_params(random_state=0)
    first = estimator.fit(TEXTS, Y).decision_function(QUERIES).toarray()
    second = estimator.fit(TEXTS, Y).decision_function(QUERIES).toarray()
    np.testing.assert_array_equal(first, second)


def test_text_pickle_round_trip(fitted):
    import pickle

    restored = pickle.loads(pickle.dumps(fitted))
    for method in ("predict", "predict_proba", "decision_function"):
        expected = getattr(fitted, method)(QUERIES).toarray()
        np.testing.assert_array_equal(getattr(restored, method)(QUERIES).toarray(), expected)


def test_text_subset_invariance(fitted):
    # Batch-independent predictions: BatchNorm runs in eval mode, no cross-row state.
    for method in ("predict", "predict_proba", "decision_function"):
        whole = getattr(fitted, method)(QUERIES).toarray()
        for row, query in enumerate(QUERIES):
            part = getattr(fitted, method)([query]).toarray()[0]
            np.testing.assert_allclose(part, whole[row], rtol=1e-5, atol=1e-6)


def test_text_sample_order(fitted):
    order = np.array([3, 0, 4, 2, 1])
    whole = fitted.decision_function(QUERIES).toarray()
    shuffled = fitted.decision_function([QUERIES[i] for i in order]).toarray()
    np.testing.assert_allclose(shuffled, whole[order], rtol=1e-5, atol=1e-6)


def test_text_decision_proba_consistency(fitted):
    k = len(fitted.classes_)
    scores = fitted.decision_function(QUERIES, k=k).toarray()
    proba = fitted.predict_proba(QUERIES, k=k).toarray()
    for row in range(len(QUERIES)):
        assert np.array_equal(
            np.argsort(-scores[row], kind="stable"), np.argsort(-proba[row], kind="stable")
        )


def test_text_pipeline_consistency(fitted):
    pipeline = make_pipeline(FunctionTransformer(lambda texts: list(texts)), clone(fitted))
    pipeline.set_params(**{f"{pipeline.steps[-1][0]}__random_state": 0}).fit(TEXTS, Y)
    direct = _fit(fitted)
    np.testing.assert_array_equal(
        pipeline.decision_function(QUERIES).toarray(), direct.decision_function(QUERIES).toarray()
    )
    assert pipeline.score(TEXTS, Y) == direct.score(TEXTS, Y)


@classifiers
def test_text_label_representations_agree(estimator):
    names = np.array(["food", "fruit", "weather"], dtype=object)
    dense = Y.toarray()
    lists = [list(names[row.astype(bool)]) for row in dense]
    scores = [
        _fit_with(estimator, labels).decision_function(QUERIES).toarray()
        for labels in (Y, dense, dense.tolist(), Y.tocsc(), lists)
    ]
    for other in scores[1:]:
        np.testing.assert_array_equal(other, scores[0])


def _fit_with(estimator, labels):
    return clone(estimator).set_params(random_state=0).fit(TEXTS, labels)


def test_text_list_tuple_and_array_agree(fitted):
    as_list = fitted.decision_function(QUERIES).toarray()
    for container in (tuple(QUERIES), np.array(QUERIES, dtype=object), np.array(QUERIES)):
        np.testing.assert_array_equal(fitted.decision_function(container).toarray(), as_list)


def test_text_n_epochs_trained(fitted):
    assert fitted.n_epochs_trained_ == fitted.n_epochs == len(fitted.history_)


def test_text_score_takes_y(fitted):
    score = fitted.score(TEXTS, Y)
    assert 0.0 <= score <= 1.0
    with pytest.raises(TypeError):
        fitted.score(TEXTS)  # type: ignore[call-arg]


@classifiers
def test_text_one_sample_is_a_clear_error(estimator):
    with pytest.raises(ValueError, match="At least 2 training samples"):
        clone(estimator).fit(TEXTS[:1], Y[:1])


WEIGHTS = np.arange(len(TEXTS)) % 3 + 1.0


@classifiers
def test_text_sample_weights_containers(estimator):
    pd = pytest.importorskip("pandas")
    expected = _fit_weighted(estimator, WEIGHTS).decision_function(QUERIES).toarray()
    for container in (list(WEIGHTS), tuple(WEIGHTS), pd.Series(WEIGHTS), WEIGHTS.astype(int)):
        scores = _fit_weighted(estimator, container).decision_function(QUERIES).toarray()
        np.testing.assert_array_equal(scores, expected)


@classifiers
def test_text_sample_weights_not_overwritten(estimator):
    weights = WEIGHTS.copy()
    _fit_weighted(estimator, weights)
    np.testing.assert_array_equal(weights, WEIGHTS)


@classifiers
def test_text_sample_weights_shape(estimator):
    for bad in (WEIGHTS[:-1], np.c_[WEIGHTS, WEIGHTS]):
        with pytest.raises(ValueError, match=r"sample_weight must have shape \(24,\)"):
            _fit_weighted(estimator, bad)


@classifiers
def test_text_all_zero_sample_weights_error(estimator):
    with pytest.raises(ValueError, match="sample_weight is zero for every sample"):
        _fit_weighted(estimator, np.zeros(len(TEXTS)))


@classifiers
def test_text_sample_weight_equivalence(estimator):
    expected = _fit(estimator).decision_function(QUERIES).toarray()
    for equal in (np.ones(len(TEXTS)), np.full(len(TEXTS), 0.1)):
        scores = _fit_weighted(estimator, equal).decision_function(QUERIES).toarray()
        np.testing.assert_array_equal(scores, expected)
    weights = WEIGHTS.copy()
    weights[[1, 5, 6]] = 0
    kept = np.flatnonzero(weights)
    removed = (
        clone(estimator)
        .set_params(random_state=0)
        .fit([TEXTS[i] for i in kept], Y[kept], sample_weight=weights[kept])
    )
    np.testing.assert_array_equal(
        _fit_weighted(estimator, weights).decision_function(QUERIES).toarray(),
        removed.decision_function(QUERIES).toarray(),
    )


def _fit_weighted(estimator, sample_weight):
    return clone(estimator).set_params(random_state=0).fit(TEXTS, Y, sample_weight=sample_weight)
