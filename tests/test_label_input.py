"""How ``Y`` is read (skxml._label_input): label matrix or label collections, and the binarizer."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from skxml._label_input import _as_label_input, _fit_label_binarizer, _is_label_lists
from skxml.datasets import describe_dataset
from skxml.metrics import inverse_propensity, precision_at_k
from skxml.utils._validation import check_label_matrix


@pytest.mark.parametrize(
    "Y",
    [
        [["a", "b"], ["c"]],  # names
        [[1, 2], [3]],  # ragged ids
        [{7}, {5, 2}],  # sets of ids, even of equal length
        [frozenset({1}), frozenset({2})],
        [[], []],  # texts without labels
        [np.array(["a", "b"]), np.array(["c", "d"])],  # arrays of names
        [("x",), ("y",)],
        # ragged arrays of ids, as pandas' groupby(...).agg(np.array) gives
        [np.array([3, 7]), np.array([5])],
    ],
)
def test_is_label_lists_recognises_label_collections(Y):
    assert _is_label_lists(Y)


@pytest.mark.parametrize(
    "Y",
    [
        [[0, 1], [1, 0]],  # equal-length numbers: a 0/1 indicator matrix, as in scikit-learn
        [[0.0, 1.0], [1.0, 1.0]],
        [[True, False], [False, True]],
        np.array([[0, 1], [1, 0]]),
        sp.csr_matrix(np.eye(2)),
        [],
        "ab",
        [1, 2],  # a 1-D list of numbers is not a list of collections
        [np.array([0, 1]), np.array([1, 0])],  # equal-length arrays: matrix rows, as lists
    ],
)
def test_is_label_lists_leaves_matrices_and_other_inputs_alone(Y):
    assert not _is_label_lists(Y)


def test_as_label_input_turns_a_1d_object_array_into_a_list_of_collections():
    column = np.empty(2, dtype=object)
    column[0], column[1] = ["a", "b"], ["c"]
    as_list = _as_label_input(column)
    assert isinstance(as_list, list)
    assert as_list == [["a", "b"], ["c"]]
    assert _is_label_lists(as_list)


def test_as_label_input_returns_matrices_unchanged():
    dense = np.array([[0, 1], [1, 0]])
    sparse = sp.csr_matrix(dense)
    assert _as_label_input(dense) is dense
    assert _as_label_input(sparse) is sparse


def test_fit_label_binarizer_sorts_the_names_and_maps_rows_sparsely():
    binarizer = _fit_label_binarizer([["storm", "apple"], [], ["apple"]])
    assert list(binarizer.classes_) == ["apple", "storm"]
    matrix = binarizer.transform([["storm"], ["apple", "storm"]])
    assert sp.issparse(matrix)
    np.testing.assert_array_equal(matrix.toarray(), [[0, 1], [1, 1]])


def test_fit_label_binarizer_refuses_none_naming_the_argument_and_row():
    with pytest.raises(ValueError, match=r"^y's label list 1 holds None"):
        _fit_label_binarizer([["a"], ["b", None]], name="y")


def test_fit_label_binarizer_refuses_mixed_label_types_naming_them():
    with pytest.raises(TypeError, match=r"Y's label lists must hold labels of one sortable type"):
        _fit_label_binarizer([["a"], [1]])
    with pytest.raises(TypeError, match=r"found int, str"):
        _fit_label_binarizer([["a"], [1]])


@pytest.mark.parametrize(
    ("Y", "match"),
    [([None, ["a"], ["b"]], r"Y's row 0 is NoneType None, among rows that are collections"),
     ([["a"], "b", ["c"]], r"Y's row 1 is str 'b', among rows that are collections"),
     ([{1}, {2}, 3], r"Y's row 2 is int 3")],
)  # fmt: skip
def test_a_row_that_is_no_collection_among_label_lists_is_named(Y, match):
    from skxml.utils._validation import check_label_matrix

    with pytest.raises(TypeError, match=match):
        check_label_matrix(Y, name="Y")


@pytest.mark.parametrize(
    "call",
    [
        lambda Y: precision_at_k(Y, np.ones((2, 3)), k=1),
        inverse_propensity,
        lambda Y: describe_dataset(["a b", "c"], Y),
    ],
    ids=["precision_at_k", "inverse_propensity", "describe_dataset"],
)
def test_functions_of_label_matrices_given_label_lists_say_how_to_convert(call):
    with pytest.raises(TypeError, match=r"is a list of label collections .*MultiLabelBinarizer"):
        call([[0, 2], [1]])


def _pandas_column_types():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([[1, 0, 1], [0, 1, 0]])
    return [frame.astype("Int64"), frame.astype("boolean")]


@pytest.mark.parametrize(
    "convert",
    [
        lambda Y: Y.astype(np.float16),
        lambda Y: Y.astype(object),
        lambda Y: Y.astype(bool).astype(object),
        lambda Y: _pandas_column_types()[0],
        lambda Y: _pandas_column_types()[1],
    ],
    ids=["float16", "object ints", "object bools", "pandas Int64", "pandas boolean"],
)
def test_label_matrices_of_other_numeric_dtypes_are_read_as_numbers(convert):
    Y = np.array([[1, 0, 1], [0, 1, 0]])
    matrix = check_label_matrix(convert(Y))
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix.toarray(), Y)


@pytest.mark.parametrize(
    ("Y", "error", "match"),
    [
        (np.array([[1, None], [0, 1]], dtype=object), ValueError, "Y has missing values"),
        (np.array([["1", "0"]], dtype=object), TypeError, "numeric 0/1 values, got an array"),
        (np.array([[2, 0]], dtype=object), ValueError, "found the value 2.0"),
        (np.array([[1 + 0j, 0]], dtype=object), TypeError, "numeric 0/1 values"),
    ],
    ids=["None", "strings", "two", "complex"],
)
def test_object_label_matrices_that_are_not_0_1_numbers_are_refused(Y, error, match):
    with pytest.raises(error, match=match):
        check_label_matrix(Y)


def test_a_pandas_int64_matrix_with_a_missing_value_is_refused():
    pd = pytest.importorskip("pandas")
    Y = pd.DataFrame([[1, None], [0, 1]]).astype("Int64")
    with pytest.raises(ValueError, match="Y has missing values"):
        check_label_matrix(Y)


def test_label_lists_are_read_without_touching_the_warning_filters(monkeypatch):
    # warnings.catch_warnings swaps the process's filters: a thread predicting or scoring
    # beside another could leave "ignore" (or "error") in place for the whole process.
    import warnings

    from skxml import InceptionXMLClassifier, LabelTreeClusterer

    texts = ["red apple pie", "green apple tart", "blue sky today", "grey sky and rain"] * 3
    labels = [["food", "fruit"], ["food"], ["weather"], ["weather", "rain"]] * 3
    clf = InceptionXMLClassifier(
        embedding_dim=32, max_seq_len=8, n_epochs=1, random_state=0, warm_start=True
    ).fit(texts, labels)
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0).fit(texts, labels)

    def forbidden(*args, **kwargs):
        raise AssertionError("the warning filters were changed")

    monkeypatch.setattr(warnings, "catch_warnings", forbidden)
    monkeypatch.setattr(warnings, "simplefilter", forbidden)
    with_unseen = [[*row, "never_seen"] for row in labels]
    assert 0 <= clf.score(texts, [["food"], ["weather"], ["sky"], ["x"]] * 3) <= 1
    with pytest.raises(ValueError, match=r"New label\(s\): \['never_seen'\]"):
        clf.fit(texts, with_unseen)  # the warm start's check of new labels
    with pytest.raises(ValueError, match=r"unseen in fit, which belong to no cluster"):
        clusterer.transform(with_unseen)
    assert clusterer.transform(labels).shape == (12, 2)
