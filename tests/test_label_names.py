"""A pandas DataFrame of 0/1 label columns: its column names are the labels' names, as label
lists' are (classes_, predict_labels), and later label matrices are matched to them by name."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _toy_data import LABELS, TEXTS
from sklearn.preprocessing import MultiLabelBinarizer

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml._label_input import _in_classes_order, _label_column_names
from skxml.datasets import load_token_corpus, write_token_corpus
from skxml.metrics import get_xmc_scorer

pd = pytest.importorskip("pandas")

FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=3, random_state=0)
ESTIMATORS = [
    InceptionXMLClassifier(**FAST),
    InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(max_leaf_size=2, random_state=0), n_shortlist=2
    ),
]
estimators = pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
BINARIZER = MultiLabelBinarizer().fit(LABELS)  # classes: food, fruit, rain, weather
FRAME = pd.DataFrame(BINARIZER.transform(LABELS), columns=BINARIZER.classes_)
SHUFFLED = ["weather", "food", "rain", "fruit"]


def test_column_names_are_read_only_from_columns_all_named_by_strings():
    np.testing.assert_array_equal(_label_column_names(FRAME), ["food", "fruit", "rain", "weather"])
    assert _label_column_names(FRAME).dtype == object
    eye = np.eye(3)
    for columns in (None, [2, 0, 1], [10, 20, 30], ["a", "b", 3], ["a", "b", np.nan]):
        assert _label_column_names(pd.DataFrame(eye, columns=columns)) is None, columns
    tuples = pd.MultiIndex.from_tuples([("t", "a"), ("t", "b"), ("u", "a")])
    assert _label_column_names(pd.DataFrame(eye, columns=tuples)) is None
    assert _label_column_names(pd.get_dummies(pd.Series([True, False, True]))) is None
    assert _label_column_names(eye) is None
    assert _label_column_names(sp.csr_matrix(eye)) is None
    with pytest.warns(UserWarning, match=r"Y's columns repeat the names \['a'\].*by position"):
        assert _label_column_names(pd.DataFrame(eye, columns=["a", "b", "a"])) is None


def test_in_classes_order_permutes_columns_by_name_or_says_what_differs():
    labels = np.array([[1, 0, 0], [0, 1, 1]])
    ordered = _in_classes_order(
        labels, np.array(["c", "a", "b"]), np.array(["a", "b", "c"]), name="Y"
    )
    np.testing.assert_array_equal(ordered, [[0, 0, 1], [1, 1, 0]])
    sparse = _in_classes_order(
        sp.csr_matrix(labels), np.array(["c", "a", "b"]), np.array(["a", "b", "c"]), name="Y"
    )
    assert sparse.has_sorted_indices
    np.testing.assert_array_equal(sparse.toarray(), [[0, 0, 1], [1, 1, 0]])
    with pytest.raises(ValueError, match=r"missing: \['c'\], unknown: \['d'\]"):
        _in_classes_order(labels, np.array(["a", "b", "d"]), np.array(["a", "b", "c"]), name="Y")


@estimators
def test_a_dataframe_fit_names_its_labels_as_label_lists_do(estimator):
    from sklearn.base import clone

    from_frame = clone(estimator).fit(TEXTS, FRAME)
    from_lists = clone(estimator).fit(TEXTS, LABELS)
    assert list(from_frame.classes_) == ["food", "fruit", "rain", "weather"]
    np.testing.assert_array_equal(
        from_frame.decision_function(TEXTS).toarray(),
        from_lists.decision_function(TEXTS).toarray(),
    )
    assert from_frame.predict_labels(TEXTS[:3]) == from_lists.predict_labels(TEXTS[:3])
    # Label lists score it too, mapped through the names.
    assert from_frame.score(TEXTS, LABELS) == from_frame.score(TEXTS, FRAME)


def test_columns_in_another_order_are_matched_by_name():
    from skxml.metrics._scorer import _label_lists_as_matrix

    clf = InceptionXMLClassifier(**FAST).fit(TEXTS, FRAME[SHUFFLED])
    assert list(clf.classes_) == SHUFFLED  # the frame's own order
    expected = FRAME[SHUFFLED].to_numpy()
    for frame in (FRAME, FRAME[SHUFFLED], FRAME[["rain", "fruit", "weather", "food"]]):
        read = clf._check_eval_labels(frame, len(TEXTS), name="y")
        np.testing.assert_array_equal(read.toarray(), expected)
        np.testing.assert_array_equal(_label_lists_as_matrix(clf, frame)[0].toarray(), expected)
    assert clf.score(TEXTS, FRAME) == clf.score(TEXTS, FRAME[SHUFFLED])
    scorer = get_xmc_scorer("psp@3")
    assert scorer(clf, TEXTS, FRAME) == scorer(clf, TEXTS, FRAME[SHUFFLED])
    with pytest.raises(ValueError, match=r"y's columns must name the model's labels"):
        clf.score(TEXTS, FRAME.rename(columns={"rain": "storm"}))
    with pytest.raises(ValueError, match=r"y_true's columns must name the model's labels"):
        scorer(clf, TEXTS, FRAME.rename(columns={"rain": "storm"}))


def test_a_warm_start_and_validation_data_match_columns_by_name():
    params = {**FAST, "warm_start": True}
    ordered = InceptionXMLClassifier(**params).fit(TEXTS, FRAME)
    shuffled = InceptionXMLClassifier(**params).fit(TEXTS, FRAME)
    ordered.fit(TEXTS, FRAME, validation_data=(TEXTS[:8], FRAME.iloc[:8]))
    shuffled.fit(TEXTS, FRAME[SHUFFLED], validation_data=(TEXTS[:8], FRAME[SHUFFLED].iloc[:8]))
    np.testing.assert_array_equal(
        ordered.decision_function(TEXTS).toarray(), shuffled.decision_function(TEXTS).toarray()
    )
    assert ordered.history_ == [
        {**record, "seconds": ordered.history_[i]["seconds"],
         "samples_per_second": ordered.history_[i]["samples_per_second"]}
        for i, record in enumerate(shuffled.history_)
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"missing: \['rain'\], unknown: \['storm'\]"):
        ordered.fit(TEXTS, FRAME.rename(columns={"rain": "storm"}))


def test_resume_takes_the_same_frame_in_another_column_order(tmp_path):
    path = tmp_path / "checkpoint.joblib"
    first = InceptionXMLClassifier(**FAST, checkpoint_path=path).fit(TEXTS, FRAME)
    again = InceptionXMLClassifier(**FAST).fit(TEXTS, FRAME[SHUFFLED], resume_from=path)
    np.testing.assert_array_equal(
        again.decision_function(TEXTS).toarray(), first.decision_function(TEXTS).toarray()
    )


def test_frames_not_named_by_strings_keep_positional_columns():
    for columns in ([3, 2, 1, 0], [10, 20, 30, 40]):
        clf = InceptionXMLClassifier(**FAST).fit(TEXTS, FRAME.set_axis(columns, axis=1))
        np.testing.assert_array_equal(clf.classes_, np.arange(4))
        read = clf._check_eval_labels(pd.DataFrame(FRAME.to_numpy()), len(TEXTS), name="y")
        np.testing.assert_array_equal(read.toarray(), FRAME.to_numpy())
    with pytest.warns(UserWarning, match="read by position"):
        clf = InceptionXMLClassifier(**FAST).fit(
            TEXTS, FRAME.set_axis(["a", "a", "b", "c"], axis=1)
        )
    np.testing.assert_array_equal(clf.classes_, np.arange(4))


def test_unnamed_matrices_keep_positional_columns():
    clf = InceptionXMLClassifier(**FAST).fit(TEXTS, pd.DataFrame(FRAME.to_numpy()))
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    # A model fitted on an unnamed matrix reads later frames by position, as before.
    assert clf.score(TEXTS, FRAME) == clf.score(TEXTS, FRAME.to_numpy())
    repeated = FRAME.set_axis(["a", "a", "b", "c"], axis=1)  # names it does not read
    assert clf.score(TEXTS, repeated) == clf.score(TEXTS, FRAME.to_numpy())
    scorer = get_xmc_scorer("p@3")
    assert scorer(clf, TEXTS, repeated) == scorer(clf, TEXTS, FRAME.to_numpy())


def test_a_token_corpus_keeps_the_names(tmp_path):
    write_token_corpus(tmp_path / "c", TEXTS, FRAME, estimator=InceptionXMLClassifier(**FAST))
    corpus = load_token_corpus(tmp_path / "c")
    assert list(corpus.classes) == ["food", "fruit", "rain", "weather"]
    clf = InceptionXMLClassifier(**FAST).fit(corpus)
    assert clf.predict_labels(["red apple pie"], k=1)[0][0] in {"food", "fruit"}
