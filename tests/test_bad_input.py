"""Bad and unusual input: one table of cases, each with its exception and message fragment.

Every public entry point must answer bad input with a ``TypeError`` / ``ValueError`` (or
``NotFittedError``, ``FileNotFoundError``) that names the argument and what was expected,
never a trace from deep inside torch or numpy; unusual but valid input (empty texts, emoji,
1 MB texts, rows without labels) must work. The data-file readers have their own, longer
tables in ``test_datasets_*.py`` and ``test_text_word_vectors.py``; a few representatives are
repeated here so this file lists every kind of bad input the issue names.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.datasets import dump_attentionxml, load_attentionxml, load_lf_json, load_xc_sparse
from skxml.metrics import get_xmc_scorer, precision_at_k
from skxml.text import load_word_vectors

TEXTS = ["red apple pie", "green apple tart", "blue sky today", "grey sky and rain"] * 3
LABELS = np.array([[1, 0], [1, 0], [0, 1], [0, 1]] * 3)
SMALL = dict(embedding_dim=64, max_seq_len=8, batch_size=4, n_epochs=2, random_state=0)
N = len(TEXTS)


@pytest.fixture(scope="module")
def fitted():
    return InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)


def _with_nan(matrix: np.ndarray) -> np.ndarray:
    matrix = matrix.astype(float)
    matrix[1, 1] = np.nan
    return matrix


# (case id, X, Y, fit parameters, exception, message fragment)
FIT_CASES = [
    ("empty X", [], LABELS[:0], {}, ValueError, "X is empty"),
    ("None item", [None, *TEXTS[1:]], LABELS, {}, TypeError, "item 0 is NoneType"),
    ("int item", [*TEXTS[:-1], 7], LABELS, {}, TypeError, "item 11 is int"),
    ("bytes item", [b"apple", *TEXTS[1:]], LABELS, {}, TypeError, "item 0 is bytes"),
    ("single string", "red apple pie", LABELS[:1], {}, TypeError, "single str"),
    ("dict of texts", dict.fromkeys(TEXTS), LABELS, {}, TypeError, "ordered sequence"),
    ("set of texts", set(TEXTS), LABELS[:4], {}, TypeError, "ordered sequence"),
    ("2-D array X", np.array(TEXTS).reshape(3, 4), LABELS[:3], {}, ValueError, "1-D"),
    ("X not iterable", 42, LABELS, {}, TypeError, "sequence of strings, got int"),
    ("only empty texts", [""] * N, LABELS, {}, ValueError, "X has no usable word"),
    ("only white space", [" \t\n "] * N, LABELS, {}, ValueError, "X has no usable word"),
    ("only stop words", ["the and of a"] * N, LABELS, {}, ValueError, "X has no usable word"),
    ("X/Y length mismatch", TEXTS, LABELS[:5], {}, ValueError, "12 texts, 5 rows"),
    (
        "X/label-lists mismatch",
        TEXTS,
        [["a"]] * 3,
        {},
        ValueError,
        "12 texts, 3 label lists",
    ),
    ("Y value 2", TEXTS, LABELS * 2, {}, ValueError, "only 0 and 1, found the value 2"),
    ("Y negative", TEXTS, -LABELS, {}, ValueError, "only 0 and 1, found the value -1"),
    ("Y NaN", TEXTS, _with_nan(LABELS), {}, ValueError, "NaN or infinite"),
    (
        "sparse Y NaN",
        TEXTS,
        sp.csr_matrix(_with_nan(LABELS)),
        {},
        ValueError,
        "NaN or infinite",
    ),
    ("Y inf", TEXTS, np.where(LABELS == 1, np.inf, 0), {}, ValueError, "NaN or infinite"),
    ("Y 2-D strings", TEXTS, np.array([["a", "b"]] * N), {}, TypeError, "numeric 0/1"),
    (
        "Y one label name per sample (array)",
        TEXTS,
        np.array(["a"] * N),
        {},
        TypeError,
        r"1-D sequence of str \(one label per sample, such as 'a'\?\); wrap each "
        r"sample's labels in a list: \[\['a'\], \.\.\.\]",
    ),
    (
        "Y one label name per sample (list)",
        TEXTS,
        ["a"] * N,
        {},
        TypeError,
        r"one label per sample, such as 'a'",
    ),
    ("Y 1-D", TEXTS, np.ones(N), {}, ValueError, "must be 2-D"),
    ("Y None", TEXTS, None, {}, TypeError, "Y must be a 2-D array-like"),
    ("Y without columns", TEXTS, [[]] * N, {}, ValueError, "no columns"),
    (
        "label names mixed with numbers",
        TEXTS,
        [["fruit", 3]] * N,
        {},
        TypeError,
        r"one sortable type \(all str or all int\), found int, str",
    ),
    (
        "early stopping without held-out data",
        TEXTS,
        LABELS,
        {"n_iter_no_change": 2},
        ValueError,
        "n_iter_no_change=2 stops on validation P@1, which needs held-out data",
    ),
    ("Y without positives", TEXTS, np.zeros((N, 3)), {}, ValueError, "no positive entry"),
    ("None as a label", TEXTS, [["fruit"], [None]] * (N // 2), {}, ValueError, "1 holds None"),
    (
        "NaN as a label",
        TEXTS,
        [{1}, {2, math.nan}] * (N // 2),
        {},
        ValueError,
        r"label list 1 holds nan, a missing value",
    ),
    (
        "Y a generator",
        TEXTS,
        (row for row in [["fruit"]] * N),
        {},
        TypeError,
        r"got a generator \(an iterator, read only once\); pass list\(Y\)",
    ),
    ("Y rows dicts", TEXTS, [{"fruit": 1}] * N, {}, TypeError, "Y's rows are dicts"),
    (
        "n-gram range reversed",
        TEXTS,
        LABELS,
        {"tfidf_ngram_range": (2, 1)},
        ValueError,
        r"tfidf_ngram_range must be a tuple \(min_n, max_n\) of ints with 1 <= min_n <= max_n, "
        r"got \(2, 1\)",
    ),
    ("n-gram range from 0", TEXTS, LABELS, {"tfidf_ngram_range": (0, 1)}, ValueError, "got"),
    ("n-gram range of one", TEXTS, LABELS, {"tfidf_ngram_range": (1,)}, ValueError, "min_n"),
    (
        "token pattern not a regex",
        TEXTS,
        LABELS,
        {"tfidf_token_pattern": "("},
        ValueError,
        r"tfidf_token_pattern='\(' is not a valid regular expression",
    ),
    (
        "token pattern with two groups",
        TEXTS,
        LABELS,
        {"tfidf_token_pattern": r"(\w)(\w+)"},
        ValueError,
        "has 2 capturing groups",
    ),
    (
        "label ids as equal-length lists",
        TEXTS,
        [[7], [5]] * (N // 2),
        {},
        ValueError,
        r"found the value 7\. A list of equal-length lists of numbers is read as a 0/1 label "
        r"matrix.*as a set \(e\.g\. \[\{7\}, \{5, 2\}\]\)",
    ),
    ("bad parameter", TEXTS, LABELS, {"n_epochs": 0}, ValueError, "'n_epochs' parameter"),
    ("bad device", TEXTS, LABELS, {"device": "tpu"}, ValueError, "not a valid torch device"),
    (
        "device torch knows but skxml does not run on",
        TEXTS,
        LABELS,
        {"device": "mps"},
        ValueError,
        r"device='mps' is not supported: skxml runs on 'cpu' and 'cuda' devices",
    ),
    ("meta device", TEXTS, LABELS, {"device": "meta"}, ValueError, "device='meta' is not supp"),
    (
        "word vector array with validation_fraction",
        TEXTS,
        LABELS,
        {"word_vectors": np.zeros((9, 64)), "validation_fraction": 0.25},
        ValueError,
        "word_vectors given as an array cannot be combined with validation_fraction",
    ),
    (
        "word vectors with NaN",
        TEXTS,
        LABELS,
        {"word_vectors": np.full((3, 64), np.nan)},
        ValueError,
        "word_vectors given as an array must be finite: it holds NaN",
    ),
    (
        "word vectors beyond float32",
        TEXTS,
        LABELS,
        {"word_vectors": np.full((3, 64), 1e39)},
        ValueError,
        "word_vectors given as an array must be finite: some values are beyond float32",
    ),
    (
        "word vectors of strings",
        TEXTS,
        LABELS,
        {"word_vectors": np.full((3, 64), "a")},
        TypeError,
        "word_vectors given as an array must hold numbers, got dtype <U1",
    ),
    (
        "word vectors of wrong shape",
        TEXTS,
        LABELS,
        {"word_vectors": np.zeros((3, 50))},
        ValueError,
        r"shape \(vocabulary_size, dim\)",
    ),
]


@pytest.mark.parametrize(
    ("X", "Y", "params", "error", "match"),
    [case[1:] for case in FIT_CASES],
    ids=[case[0] for case in FIT_CASES],
)
@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_fit_rejects_bad_input(estimator, X, Y, params, error, match):
    clf = estimator(**{**SMALL, **params})
    with pytest.raises(error, match=match):
        clf.fit(X, Y)
    assert not [name for name in vars(clf) if name.endswith("_")]  # left unfitted


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_names_the_device():
    with pytest.raises(ValueError, match=r"device='cuda' was requested but CUDA is not"):
        InceptionXMLClassifier(**SMALL, device="cuda").fit(TEXTS, LABELS)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_misspelt_cuda_device_is_an_error_not_a_fall_back_to_the_cpu(fitted):
    with pytest.raises(ValueError, match=r"device='cuda:abc' is not a valid torch device"):
        InceptionXMLClassifier(**SMALL, device="cuda:abc").fit(TEXTS, LABELS)
    clf = copy.deepcopy(fitted).set_params(device="cudafoo")
    with pytest.raises(ValueError, match=r"device='cudafoo' is not a valid torch device"):
        clf.predict(TEXTS[:1])
    # A valid name of a GPU this machine lacks still falls back to the CPU for prediction.
    assert clf.set_params(device="cuda:1").predict(TEXTS[:1]).shape == (1, 2)


def test_a_resume_from_that_is_no_path_is_named():
    with pytest.raises(TypeError, match=r"resume_from must be the path of a checkpoint file"):
        InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS, resume_from=5)


def test_equal_length_label_id_lists_in_score_get_the_same_hint_as_in_fit():
    ids = [{0}, {0}, {3}, {3}] * 3
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, ids)
    with pytest.raises(ValueError, match=r"found the value 3\. A list of equal-length lists"):
        clf.score(TEXTS, [[0], [0], [3], [3]] * 3)


def test_malformed_or_doubled_validation_data_is_rejected():
    with pytest.raises(ValueError, match=r"validation_data\[1\] must have shape"):
        InceptionXMLClassifier(**SMALL).fit(
            TEXTS, LABELS, validation_data=(TEXTS[:2], np.ones((2, 3)))
        )
    with pytest.raises(ValueError, match=r"pair \(texts, Y\).*got a tuple of length 1"):
        InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS, validation_data=(TEXTS[:2],))
    with pytest.raises(ValueError, match=r"pair \(texts, Y\).*got a dict\."):
        InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS, validation_data={"X": TEXTS})
    with pytest.raises(ValueError, match="either validation_data or validation_fraction"):
        InceptionXMLClassifier(**SMALL, validation_fraction=0.2).fit(
            TEXTS, LABELS, validation_data=(TEXTS[:2], LABELS[:2])
        )


# (case id, method, X, keyword arguments, exception, message fragment)
PREDICT_CASES = [
    ("empty X", "predict", [], {}, ValueError, "X is empty"),
    ("None item", "predict", ["apple", None], {}, TypeError, "item 1 is NoneType"),
    ("single string", "predict_proba", "apple", {}, TypeError, "single str"),
    ("k = 0", "predict", ["apple"], {"k": 0}, ValueError, "k must be an int in"),
    ("k < 0", "decision_function", ["apple"], {"k": -2}, ValueError, "k must be an int in"),
    ("k > n_labels", "predict_proba", ["apple"], {"k": 3}, ValueError, r"n_labels=2\], got 3"),
    ("k float", "predict", ["apple"], {"k": 1.5}, ValueError, "k must be an int"),
    ("k bool", "predict", ["apple"], {"k": True}, ValueError, "k must be an int"),
    ("threshold > 1", "predict", ["apple"], {"threshold": 1.5}, ValueError, "threshold must"),
    ("threshold < 0", "predict_labels", ["a"], {"threshold": -0.1}, ValueError, "threshold"),
    ("threshold NaN", "predict", ["apple"], {"threshold": float("nan")}, ValueError, "in \\[0"),
    (
        "threshold str",
        "predict",
        ["apple"],
        {"threshold": "0.5"},
        TypeError,
        "threshold must be a real number in \\[0, 1\\] or None, got str '0.5'",
    ),
    ("threshold bool", "predict_labels", ["a"], {"threshold": True}, TypeError, "got bool"),
]


@pytest.mark.parametrize(
    ("method", "X", "kwargs", "error", "match"),
    [case[1:] for case in PREDICT_CASES],
    ids=[case[0] for case in PREDICT_CASES],
)
def test_prediction_rejects_bad_input(fitted, method, X, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(fitted, method)(X, **kwargs)


class _Table:
    """A DataFrame's relevant surface: a 2-D shape, columns, and iteration over the column
    names (what a plain ``list(X)`` would read as the texts)."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.columns = list(columns)
        self._values = np.array(list(columns.values()), dtype=object).T
        self.shape = self._values.shape

    def __iter__(self):
        return iter(self.columns)

    def __array__(self, dtype=None, copy=None):
        return self._values if dtype is None else self._values.astype(dtype)


def test_a_table_of_one_column_is_read_as_its_texts_not_its_column_name(fitted):
    queries = ["red apple", "grey rain", "blue sky"]
    expected = fitted.decision_function(queries)
    got = fitted.decision_function(_Table({"text": queries}))
    assert got.shape == (3, 2)
    np.testing.assert_array_equal(got.toarray(), expected.toarray())
    streamed = sp.vstack(list(fitted.predict_iter(_Table({"text": queries}), batch_size=2)))
    np.testing.assert_array_equal(streamed.toarray(), fitted.predict(queries).toarray())
    refit = InceptionXMLClassifier(**SMALL).fit(_Table({"text": TEXTS}), LABELS)
    assert refit.sequence_encoder_.vocabulary_ == fitted.sequence_encoder_.vocabulary_


@pytest.mark.parametrize("method", ["fit", "predict", "predict_iter"])
def test_a_table_of_several_columns_is_rejected_naming_its_shape(fitted, method):
    table = _Table({"title": TEXTS, "body": TEXTS})
    with pytest.raises(ValueError, match=r"got a _Table of shape \(12, 2\); pass the one column"):
        if method == "fit":
            InceptionXMLClassifier(**SMALL).fit(table, LABELS)
        elif method == "predict":
            fitted.predict(table)
        else:
            next(fitted.predict_iter(table))


def test_predict_iter_reads_a_one_column_array_as_predict_does(fitted):
    column = np.array(TEXTS, dtype=object).reshape(-1, 1)
    batches = list(fitted.predict_iter(column, method="decision_function", batch_size=5))
    assert [batch.shape[0] for batch in batches] == [5, 5, 2]
    np.testing.assert_allclose(
        sp.vstack(batches).toarray(), fitted.decision_function(column).toarray(), rtol=1e-6
    )
    with pytest.raises(ValueError, match=r"shape \(6, 2\)"):
        next(fitted.predict_iter(column.reshape(6, 2)))


def test_pandas_data_frames_are_read_by_column():
    pd = pytest.importorskip("pandas")
    texts = ["red apple", "grey rain"]
    fitted = InceptionXMLClassifier(**SMALL).fit(pd.DataFrame({"text": TEXTS}), LABELS)
    np.testing.assert_array_equal(
        fitted.decision_function(pd.DataFrame({"text": texts})).toarray(),
        fitted.decision_function(pd.Series(texts)).toarray(),
    )
    with pytest.raises(ValueError, match=r"DataFrame of shape \(2, 2\)"):
        fitted.predict(pd.DataFrame({"title": texts, "body": texts}))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "decision_function", "predict_labels"]
)
def test_unfitted_estimator_raises_not_fitted(method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(InceptionXMLClassifier(), method)(["apple"])


def test_score_with_more_label_columns_is_rejected(fitted):
    wider = np.hstack([LABELS, LABELS])
    with pytest.raises(ValueError, match=r"y must have shape .* \(12, 2\), got \(12, 4\)"):
        fitted.score(TEXTS, wider)


# ---------------------------------------------------------------- unusual but valid input
@pytest.mark.parametrize(
    "query",
    ["", "   ", "the of and", "zzqx wvut", "🍎🍏 pie ünïcödé 苹果 \u200b", "a" * 1000],
    ids=["empty", "white space", "stop words", "unknown words", "emoji", "one long word"],
)
def test_unusual_texts_still_get_k_predictions(fitted, query):
    proba = fitted.predict_proba([query, "red apple pie"], k=2)
    assert proba.shape == (2, 2)
    assert np.all(np.diff(proba.indptr) == 2)
    # A training text of this toy set may saturate to exactly 1.0 in float32 (logit > 17).
    assert np.all((proba.data > 0) & (proba.data <= 1))
    scores = fitted.decision_function([query, "red apple pie"], k=2)
    assert np.all(np.isfinite(scores.data))
    np.testing.assert_array_equal(scores.indices, proba.indices)


def test_one_megabyte_text_is_truncated_not_fatal(fitted):
    huge = "red apple pie " * (2**20 // 14)
    assert len(huge) > 10**6 - 20
    proba = fitted.predict_proba([huge], k=1)
    # Only the first max_seq_len words reach the encoder: the huge text scores like them.
    assert proba.indices.tolist() == fitted.predict_proba(["red apple pie"], k=1).indices.tolist()


def test_fit_on_a_one_megabyte_text_works():
    texts = [*TEXTS[:-1], "grey sky " * (2**20 // 9)]
    clf = InceptionXMLClassifier(**SMALL).fit(texts, LABELS)
    assert clf.predict(["grey sky"]).shape == (1, 2)


def test_rows_without_labels_and_labels_without_rows_are_kept():
    Y = np.hstack([LABELS, np.zeros((N, 1), dtype=int)])  # label 2 never occurs
    Y[0] = 0  # text 0 has no label
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, Y)
    assert clf.classes_.tolist() == [0, 1, 2]
    assert clf.label_counts_.tolist() == [5, 6, 0]
    assert clf.predict(["apple"], k=3).shape == (1, 3)


def test_texts_with_and_without_emoji_fit_together():
    texts = [text + (" 🍎" if i % 2 else " naïve") for i, text in enumerate(TEXTS)]
    clf = InceptionXMLClassifier(**SMALL).fit(texts, LABELS)
    assert "naïve" in clf.sequence_encoder_.vocabulary_


# ---------------------------------------------------------------- files
def test_word_vector_files_with_wrong_content_are_rejected(tmp_path):
    vocabulary = {"apple": 2, "pie": 3}
    cases = {
        "wrong dimension": ("apple 1 2 3\npie 1 2\n", "line 2 has 2 values, expected 3"),
        "NaN": ("apple 1 nan 3\npie 1 2 3\n", "line 1 has NaN or infinite"),
        "truncated": ("apple 1 2 3\npie 1 2", "a wrong dimension or a truncated line"),
        "header": ("5 3\napple 1 2 3\n", "announces 5 words but the file has 1"),
    }
    for name, (content, match) in cases.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(content)
        with pytest.raises(ValueError, match=match):
            load_word_vectors(path, vocabulary)
        with pytest.raises(ValueError, match=match):
            InceptionXMLClassifier(**SMALL, word_vectors=path).fit(TEXTS, LABELS)


def test_duplicated_words_in_a_vector_file_warn_and_keep_the_first(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("apple 1 2 3\napple 4 5 6\npie 7 8 9\n")
    with pytest.warns(UserWarning, match="repeat"):
        vectors = load_word_vectors(path, {"apple": 2, "pie": 3})
    np.testing.assert_array_equal(vectors.matrix[2], [1, 2, 3])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("2 x\n0:1\n1:1\n", "expected a header 'n_rows n_cols'"),
        ("2 3\n0:1\n5:1\n", "column index 5 is out of range"),
        ("3 3\n0:1\n1:1\n", "declares 3 rows but the file has 2"),
        ("2 3\n0:1\n1:one\n", "line 3"),
    ],
    ids=["bad header", "index >= n_cols", "missing rows", "bad value"],
)
def test_malformed_xc_sparse_files_name_file_and_line(tmp_path, content, match):
    path = tmp_path / "Y.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_xc_sparse(path)


def test_malformed_json_line_is_reported_with_its_line(tmp_path):
    path = tmp_path / "trn.json.gz"
    with gzip.open(path, "wt") as file:
        file.write(json.dumps({"uid": "1", "title": "a b", "target_ind": [0]}) + "\n{oops\n")
    with pytest.raises(ValueError, match=r"line 2: invalid JSON"):
        load_lf_json(path)


# ---------------------------------------------------------------- property-based
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x0b\x0c"),
    max_size=30,
)
_labels = st.lists(st.sampled_from(["a", "b", "c", "d/e", "ü"]), max_size=3, unique=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_text, _labels), min_size=1, max_size=8))
def test_attentionxml_round_trip_keeps_texts_and_labels(tmp_path_factory, rows):
    directory: Path = tmp_path_factory.mktemp("axml")
    texts = [" ".join(text.split()) for text, _ in rows]  # the format is one line per text
    names = sorted({label for _, labels in rows for label in labels} | {"a"})
    Y = sp.csr_matrix(
        [[int(name in labels) for name in names] for _, labels in rows], dtype=np.float32
    )
    dump_attentionxml(texts, Y, names, directory / "t_texts.txt", directory / "t_labels.txt")
    loaded_texts, loaded_Y, loaded_names = load_attentionxml(
        directory / "t_texts.txt", directory / "t_labels.txt", label_names=names
    )
    assert loaded_texts == texts
    assert loaded_names.tolist() == names
    assert (loaded_Y != Y).nnz == 0


@settings(max_examples=25, deadline=None)
@given(queries=st.lists(_text, min_size=1, max_size=5))
def test_any_text_gets_exactly_k_predictions(queries):
    clf = _hypothesis_model()
    proba = clf.predict_proba(queries, k=2)
    assert proba.shape == (len(queries), 2)
    assert np.all(np.diff(proba.indptr) == 2)
    assert np.all(np.isfinite(proba.data))


_MODEL: list[InceptionXMLClassifier] = []


def _hypothesis_model() -> InceptionXMLClassifier:
    if not _MODEL:
        _MODEL.append(InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS))
    return _MODEL[0]


def test_equal_length_numeric_lists_are_a_label_matrix_and_sets_are_label_ids():
    as_matrix = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS.tolist())
    assert as_matrix.classes_.tolist() == [0, 1]
    ids = [{0, 3} if row[0] else {1} for row in LABELS]
    as_ids = InceptionXMLClassifier(**SMALL).fit(TEXTS, ids)
    assert as_ids.classes_.tolist() == [0, 1, 3]
    with pytest.raises(ValueError, match="only 0 and 1, found the value 3"):
        InceptionXMLClassifier(**SMALL).fit(
            TEXTS, [[0, 3] if row[0] else [1, 2] for row in LABELS]
        )


def _names(row) -> list[str]:
    return ["fruit", "food"] if row[0] else ["weather"]


def test_a_column_of_label_lists_is_read_as_label_lists():
    lists = [_names(row) for row in LABELS]
    column = np.empty(len(lists), dtype=object)
    column[:] = lists  # a 1-D object array: one list per text
    from_lists = InceptionXMLClassifier(**SMALL).fit(TEXTS, lists)
    from_column = InceptionXMLClassifier(**SMALL).fit(TEXTS, column)
    assert from_column.classes_.tolist() == from_lists.classes_.tolist()
    np.testing.assert_array_equal(
        from_column.decision_function(TEXTS).toarray(),
        from_lists.decision_function(TEXTS).toarray(),
    )
    assert from_column.score(TEXTS, column) == from_lists.score(TEXTS, lists)
    clusters = LabelTreeClusterer(n_clusters=2, random_state=0).fit(TEXTS, column)
    assert clusters.transform(column).shape == (len(TEXTS), 2)


def test_a_pandas_series_of_label_lists_fits_and_scores():
    pd = pytest.importorskip("pandas")
    lists = [_names(row) for row in LABELS]
    # An index without 0 and in another order: rows must be read by position.
    tags = pd.Series(lists, index=range(100, 100 + len(lists)))[::-1]
    texts = pd.Series(TEXTS, index=range(100, 100 + len(TEXTS)))[::-1]
    fitted = InceptionXMLClassifier(**SMALL).fit(texts, tags)
    reference = InceptionXMLClassifier(**SMALL).fit(TEXTS[::-1], lists[::-1])
    assert fitted.classes_.tolist() == ["food", "fruit", "weather"]
    np.testing.assert_array_equal(
        fitted.decision_function(TEXTS).toarray(), reference.decision_function(TEXTS).toarray()
    )
    # P@3 over 3 labels: every right label is in the top 3, so 2/3 for the six texts with
    # two labels and 1/3 for the six with one.
    assert fitted.score(texts, tags) == pytest.approx(0.5)
    assert get_xmc_scorer("precision@3")(fitted, texts, tags) == pytest.approx(0.5)


def test_warm_start_with_new_label_names_says_which_and_what_to_do():
    labels = [["fruit"], ["fruit"], ["sky"], ["sky"]] * 3
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, labels)
    first_network = clf.network_
    new_labels = [*labels[:-1], ["weather"]]
    with pytest.raises(ValueError, match=r"New label\(s\): \['weather'\]\. Refit with warm_st"):
        clf.fit(TEXTS, new_labels)
    assert clf.network_ is first_network  # the failed fit left the model as it was
    assert list(clf.classes_) == ["fruit", "sky"]


@pytest.mark.parametrize(
    ("estimator", "parameter", "value"),
    [
        (InceptionXMLClassifier, "top_k", 0),
        (InceptionXMLClassifier, "threshold", 1.5),
        (InceptionXMLPlusClassifier, "top_k", -1),
        (InceptionXMLPlusClassifier, "meta_score_weight", -1.0),
        (InceptionXMLPlusClassifier, "combine_meta_scores", "yes"),
    ],
)
def test_prediction_parameters_set_after_fit_are_validated(estimator, parameter, value):
    clf = estimator(**SMALL).fit(TEXTS, LABELS)
    before = clf.predict_proba(TEXTS[:2]).toarray()
    clf.set_params(**{parameter: value})
    message = f"The '{parameter}' parameter of {estimator.__name__}"
    for method in ("predict", "predict_proba", "decision_function", "predict_labels"):
        with pytest.raises(ValueError, match=message):
            getattr(clf, method)(TEXTS[:2])
    clf.set_params(**{parameter: estimator().get_params()[parameter]})
    np.testing.assert_array_equal(clf.predict_proba(TEXTS[:2]).toarray(), before)


@pytest.mark.parametrize("value", [2.0, np.float64(2.0)], ids=["float", "np-float"])
def test_prediction_parameter_equal_to_a_valid_one_but_of_another_type_is_rejected(value):
    # The last valid prediction parameters are remembered, by type as well as value: 2.0
    # compares equal to the valid 2, yet top_k must be an int.
    clf = InceptionXMLClassifier(**SMALL, top_k=2).fit(TEXTS, LABELS)
    clf.predict(TEXTS[:1])
    clf.set_params(top_k=value)
    with pytest.raises(ValueError, match="The 'top_k' parameter of InceptionXMLClassifier"):
        clf.predict(TEXTS[:1])


def _with_logits(clf, monkeypatch, logits: np.ndarray) -> None:
    """Make ``clf`` answer every query with these logits (one row per text, all labels)."""
    n_labels = logits.shape[1]

    def top_k_logits(X, k):
        k = clf._resolve_k(k)
        rows = np.array([logits[i % len(logits)] for i in range(len(X))])
        order = np.argsort(-rows, axis=1, kind="stable")[:, :k]
        data = np.take_along_axis(rows, order, axis=1).astype(np.float32)
        return sp.csr_matrix(
            (data.ravel(), order.ravel(), np.arange(0, data.size + 1, k)), (len(X), n_labels)
        )

    monkeypatch.setattr(clf, "_top_k_logits", top_k_logits)


def test_confident_logits_keep_their_ranking_in_probabilities_and_label_names(monkeypatch):
    # Logits 20 and 31 are both 1.0 in float32 probabilities; the ranking must survive.
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, [["a"], ["b"], ["c"], ["d"]] * 3)
    _with_logits(clf, monkeypatch, np.array([[-1.0, 2.0, 20.0, 31.0]]))
    assert clf.predict_labels(["x"], k=2) == [["d", "c"]]
    assert clf.predict_labels(["x"], k=1) == [["d"]]
    proba = clf.predict_proba(["x"], k=2)
    assert proba.dtype == np.float64
    assert proba[0, 3] > proba[0, 2] > 0.99
    truth = np.array([[0, 0, 0, 1]])
    assert precision_at_k(truth, proba, k=1) == 1.0
    assert precision_at_k(truth, clf.decision_function(["x"], k=2), k=1) == 1.0


def test_threshold_zero_keeps_labels_whose_probability_underflows(monkeypatch):
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, [["a"], ["b"], ["c"], ["d"]] * 3)
    _with_logits(clf, monkeypatch, np.array([[-900.0, -800.0, -300.0, 0.0]]))
    assert clf.predict(["x"], k=3, threshold=0.0).toarray().tolist() == [[0, 1, 1, 1]]
    assert clf.predict_labels(["x"], k=3, threshold=0.0) == [["d", "c", "b"]]
    assert clf.predict(["x"], k=3, threshold=0.5).toarray().tolist() == [[0, 0, 0, 1]]
    assert clf.predict_labels(["x"], k=3, threshold=0.5) == [["d"]]
    assert clf.predict(["x", "y"], k=3, threshold=0.6).nnz == 0
    assert clf.predict_labels(["x", "y"], k=3, threshold=0.6) == [[], []]


def test_numpy_label_ids_come_back_as_python_ints():
    ids = [{np.int64(10), np.int64(13)}, {np.int64(13)}, {np.int64(2)}, {np.int64(2)}] * 3
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, ids)
    predicted = clf.predict_labels(TEXTS[:2], k=2)
    assert all(type(label) is int for row in predicted for label in row)
    assert json.loads(json.dumps(predicted)) == predicted


WARM_STRUCTURE_CHANGES = [
    ({"embedding_dim": 32}, "embedding_dim=64 → 32"),
    ({"max_seq_len": 4}, "max_seq_len=8 → 4"),
    ({"tfidf_linear": False}, "tfidf_linear=True → False"),
    ({"dropout": 0.5}, "dropout=0.25 → 0.5"),
    ({"tfidf_ngram_range": (1, 1)}, r"tfidf_ngram_range=\(1, 2\) → \(1, 1\)"),
]


@pytest.mark.parametrize(("change", "match"), WARM_STRUCTURE_CHANGES)
def test_warm_start_refuses_parameters_that_shape_the_fitted_model(change, match):
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    network = clf.network_
    clf.set_params(**change)
    with pytest.raises(ValueError, match=f"changed since: {match}. Set them back"):
        clf.fit(TEXTS, LABELS)
    assert clf.network_ is network


def test_warm_start_takes_new_training_parameters():
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    clf.set_params(n_epochs=1, learning_rate=0.001, batch_size=2, top_k=1, verbose=0)
    clf.fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ == 3


def test_warm_start_refuses_a_changed_nested_clusterer():
    clf = InceptionXMLPlusClassifier(**SMALL, warm_start=True)
    clf.set_params(clusterer__n_clusters=2).fit(TEXTS, LABELS)
    clf.set_params(clusterer__n_clusters=1)  # changes the same clusterer object
    with pytest.raises(ValueError, match="clusterer=LabelTreeClusterer"):
        clf.fit(TEXTS, LABELS)


def test_warm_start_takes_the_default_clusterer_however_it_is_spelt():
    # clusterer=None is LabelTreeClusterer(); a nested clusterer__n_clusters=None turns
    # None into it: neither is a change of the fitted model.
    clf = InceptionXMLPlusClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    clf.set_params(clusterer=LabelTreeClusterer()).fit(TEXTS, LABELS)
    clf.set_params(clusterer=None).set_params(clusterer__n_clusters=None).fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ == 3 * SMALL["n_epochs"]
    with pytest.raises(ValueError, match=r"clusterer=.*→ LabelTreeClusterer\(max_leaf_size=1\)"):
        clf.set_params(clusterer=LabelTreeClusterer(max_leaf_size=1)).fit(TEXTS, LABELS)


def test_warm_start_takes_an_unchanged_clusterer_seeded_by_a_random_state_instance():
    # Comparing the clusterer's clones compared two RandomState copies with ==, which is
    # identity for them: every warm start was refused as a change.
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=np.random.RandomState(0))
    clf = InceptionXMLPlusClassifier(**SMALL, clusterer=clusterer, warm_start=True)
    clf.fit(TEXTS, LABELS).fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ == 4


@pytest.mark.parametrize("parameter", ["min_df", "tfidf_min_df"])
def test_warm_start_refuses_a_count_turned_into_a_fraction(parameter):
    # 1 (one text) == 1.0 (all texts) in Python, yet they build other vocabularies.
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    clf.set_params(**{parameter: 1.0})
    with pytest.raises(ValueError, match=f"changed since: {parameter}=1 → 1.0. Set them"):
        clf.fit(TEXTS, LABELS)
    clf.set_params(**{parameter: np.int64(1)}).fit(TEXTS, LABELS)  # the same count
    assert clf.n_epochs_trained_ == 4


def test_warm_start_takes_an_int_for_an_equal_float_where_both_mean_the_same():
    # Only a parameter that is a count or a fraction (min_df) tells 1 from 1.0.
    clf = InceptionXMLClassifier(**SMALL, dropout=0, warm_start=True).fit(TEXTS, LABELS)
    clf.set_params(dropout=0.0, tfidf_linear_min_confidence=0.005).fit(TEXTS, LABELS)
    plus = InceptionXMLPlusClassifier(
        **SMALL, clusterer=LabelTreeClusterer(n_clusters=2, tol=0), warm_start=True
    ).fit(TEXTS, LABELS)
    plus.set_params(clusterer__tol=0.0).fit(TEXTS, LABELS)
    plus.set_params(clusterer__tfidf_min_df=1.0)
    with pytest.raises(ValueError, match="changed since: clusterer="):
        plus.fit(TEXTS, LABELS)
    assert (clf.n_epochs_trained_, plus.n_epochs_trained_) == (4, 4)


def test_warm_start_takes_a_word_vectors_path_as_str_or_path(tmp_path):
    path = tmp_path / "vectors.txt"
    words = {w for text in TEXTS for w in text.split()}
    path.write_text("".join(f"{w} {' '.join(['0.1'] * 8)}\n" for w in sorted(words)))
    params = {**SMALL, "embedding_dim": None}
    clf = InceptionXMLClassifier(**params, word_vectors=str(path), warm_start=True)
    clf.fit(TEXTS, LABELS).set_params(word_vectors=path).fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ == 4


def test_a_model_saved_before_a_structure_parameter_refuses_a_warm_start_changing_it():
    # Its record of the fitted structure lacks normalize_unicode: the loaded model reads
    # False, and a warm start with True would keep the old vocabulary under new parameters.
    clf = InceptionXMLClassifier(**SMALL, normalize_unicode=False, warm_start=True)
    state = clf.fit(TEXTS, LABELS).__getstate__()
    del state["normalize_unicode"], state["_structure_parameters_"]["normalize_unicode"]
    old = InceptionXMLClassifier.__new__(InceptionXMLClassifier)
    old.__setstate__(state)
    old.set_params(normalize_unicode=True)
    with pytest.raises(ValueError, match="changed since: normalize_unicode=False → True"):
        old.fit(TEXTS, LABELS)
    old.set_params(normalize_unicode=False).fit(TEXTS, LABELS)
    assert old.n_epochs_trained_ == 4


@pytest.mark.parametrize("kind", ["tensor", "DataFrame", "list"])
def test_warm_start_with_word_vectors_given_as_any_array_like(kind):
    from skxml.text import SequenceEncoder

    n_tokens = SequenceEncoder(max_seq_len=8).fit(TEXTS).vocabulary_size_
    vectors = np.random.default_rng(0).normal(size=(n_tokens, 16)).astype(np.float32)
    pd = pytest.importorskip("pandas") if kind == "DataFrame" else None
    given = {
        "tensor": lambda: torch.from_numpy(vectors.copy()),
        "DataFrame": lambda: pd.DataFrame(vectors),
        "list": lambda: vectors.tolist(),
    }[kind]
    params = {**SMALL, "embedding_dim": None}
    clf = InceptionXMLClassifier(**params, word_vectors=given(), warm_start=True)
    clf.fit(TEXTS, LABELS)
    clf.set_params(word_vectors=given()).fit(TEXTS, LABELS)  # an equal copy: no change
    assert clf.n_epochs_trained_ == 4
    changed = vectors.copy()
    changed[2, 0] += 1.0
    clf.set_params(word_vectors=torch.from_numpy(changed))
    with pytest.raises(ValueError, match="changed since: word_vectors="):
        clf.fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    ("estimator", "parameter"),
    [
        (InceptionXMLClassifier, "top_k"),
        (InceptionXMLClassifier, "threshold"),
        (InceptionXMLClassifier, "n_epochs"),
        (InceptionXMLPlusClassifier, "meta_score_weight"),
        (LabelTreeClusterer, "n_clusters"),
        (LabelTreeClusterer, "random_state"),
        (InceptionXMLClassifier, "random_state"),
    ],
)
def test_a_boolean_is_no_number(estimator, parameter):
    # scikit-learn's intervals take True as 1: top_k=True failed inside torch.topk, and
    # threshold=True emptied every prediction (a threshold of 1.0).
    message = f"The '{parameter}' parameter of {estimator.__name__} must be a number, not a b"
    bad = estimator(**{parameter: True})
    if estimator is LabelTreeClusterer:
        with pytest.raises(ValueError, match=message):
            bad.fit(TEXTS, LABELS)
        return
    with pytest.raises(ValueError, match=message):
        bad.set_params(**SMALL).set_params(**{parameter: True}).fit(TEXTS, LABELS)
    if parameter in ("n_epochs", "random_state"):
        return
    clf = estimator(**SMALL).fit(TEXTS, LABELS)
    clf.set_params(**{parameter: True})
    with pytest.raises(ValueError, match=message):
        clf.predict(TEXTS[:1])
    # A switch keeps its booleans, and verbose its (sklearn) True.
    assert estimator(**SMALL, verbose=True, warm_start=True).fit(TEXTS, LABELS).network_


@pytest.mark.parametrize(
    ("parameter", "value", "match"),
    [
        ("device", 5, "The 'device' parameter of InceptionXMLClassifier must be an instance"),
        ("precision", "fp8", "The 'precision' parameter of InceptionXMLClassifier must be a"),
    ],
)
def test_device_and_precision_set_after_fit_are_validated_at_prediction(parameter, value, match):
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    clf.set_params(**{parameter: value})
    with pytest.raises(ValueError, match=match):
        clf.predict(TEXTS[:1])


def test_warm_start_keeps_label_names_given_a_matrix_and_refuses_lists_after_a_matrix():
    named = [["fruit"], ["fruit"], ["sky"], ["sky"]] * 3
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, named)
    clf.fit(TEXTS, clf._label_binarizer_.transform(named))  # columns of classes_
    assert list(clf.classes_) == ["fruit", "sky"]
    assert clf.predict_labels(TEXTS[:1], k=1)[0][0] in ("fruit", "sky")
    by_matrix = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match=r"fitted on a label matrix .* but Y is a list of label"):
        by_matrix.fit(TEXTS, named)
    np.testing.assert_array_equal(by_matrix.classes_, [0, 1])


def test_plus_rejects_a_clusterer_other_than_label_tree_clusterer():
    from sklearn.cluster import KMeans

    with pytest.raises(ValueError, match=r"'clusterer' parameter .* must be an instance of"):
        InceptionXMLPlusClassifier(**SMALL, clusterer=KMeans(2)).fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        (TEXTS, [[1], ["a"]] * (N // 2), TypeError, "y's label lists must hold labels of one"),
        ([None, *TEXTS[1:]], LABELS, TypeError, "item 0 is NoneType"),
        ([None] * N, LABELS, TypeError, "item 0 is NoneType"),
        (TEXTS, np.zeros((N, 4)), ValueError, "y has no positive entry"),
        (TEXTS, [["a"], [None]] * (N // 2), ValueError, "y's label list 1 holds None"),
        (TEXTS, LABELS, ValueError, "tfidf_ngram_range must be a tuple"),
    ],
    ids=["mixed label types", "None text", "only None", "no positive", "None label", "ngrams"],
)
def test_label_tree_clusterer_names_bad_input(X, y, error, match):
    ngram_range = (2, 1) if match.startswith("tfidf") else (1, 2)
    with pytest.raises(error, match=match):
        LabelTreeClusterer(n_clusters=1, tfidf_ngram_range=ngram_range).fit(X, y)


def test_shortlist_recall_rejects_ids_below_the_padding_value():
    from skxml.metrics import shortlist_recall

    y_true = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]]))
    with pytest.raises(ValueError, match="label id -2; label ids are >= 0, and -1 is the only"):
        shortlist_recall(y_true, np.array([[0, -2], [2, 1]]))
    assert shortlist_recall(y_true, np.array([[0, -1], [2, 1]])) == pytest.approx(0.75)


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_a_diverging_fit_is_an_error_not_a_model_of_nans(estimator):
    clf = estimator(**{**SMALL, "learning_rate": 1e6})
    with pytest.raises(ValueError, match=r"training loss became nan in epoch 1: the opt"):
        clf.fit(TEXTS, LABELS)
    assert not hasattr(clf, "network_")  # left as before fit


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_a_fit_whose_loss_rises_warns_that_it_diverges(estimator):
    # A loss that rises after the first epoch, the same on every CPU: a real divergence
    # (a learning rate of 100 on these texts) rose on one host and fell back on another.
    clf = estimator(**{**SMALL, "n_epochs": 4})
    # From the second epoch on, the loss reads 1000 times its value; gradients unchanged.
    _loss_changed_after(clf, N // SMALL["batch_size"], lambda value: value + 999 * value.detach())
    with pytest.warns(
        ConvergenceWarning, match=r"training loss rose from [\d.e+]+ in epoch 1 to"
    ) as record:
        clf.fit(TEXTS, LABELS)
    assert record[0].filename == __file__  # points at the caller's fit
    assert clf.history_[-1]["loss"] > 2 * clf.history_[0]["loss"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy = estimator(**{**SMALL, "n_epochs": 4}).fit(TEXTS, LABELS)
    assert healthy.history_[-1]["loss"] < healthy.history_[0]["loss"]


def _loss_changed_after(clf, n_batches: int, change) -> None:
    """Make ``clf``'s training loss ``change(loss)`` from its ``n_batches + 1``-th batch on."""
    batch_loss, calls = clf._batch_loss, []

    def loss(*args, **kwargs):
        calls.append(None)
        value = batch_loss(*args, **kwargs)
        return change(value) if len(calls) > n_batches else value

    clf._batch_loss = loss


def _loss_turning_nan_after(clf, n_batches: int) -> None:
    """Make ``clf``'s training loss NaN from its ``n_batches + 1``-th batch on."""
    _loss_changed_after(clf, n_batches, lambda value: value * math.nan)


def test_a_warm_start_that_diverges_in_its_first_epoch_leaves_the_estimator_as_it_was():
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    before = clf.decision_function(TEXTS, k=2).toarray()
    counts, n_samples = clf.label_counts_.copy(), clf.n_train_samples_
    clf.set_params(warm_start=True, n_epochs=2)
    _loss_turning_nan_after(clf, 1)  # the first step changes the network, the second fails
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(ValueError, match="training loss became nan in epoch 3"):
            clf.fit(TEXTS[:8], LABELS[:8])  # other data: other label counts
    del clf._batch_loss
    assert len(clf.history_) == 2 and clf.n_epochs_trained_ == 2
    np.testing.assert_array_equal(clf.label_counts_, counts)
    assert clf.n_train_samples_ == n_samples
    assert not clf.network_.training
    np.testing.assert_array_equal(clf.decision_function(TEXTS, k=2).toarray(), before)


def test_a_warm_start_that_diverges_later_keeps_its_last_finite_epoch():
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    clf.set_params(warm_start=True, n_epochs=3)
    _loss_turning_nan_after(clf, 2)  # 2 batches of 4 an epoch
    with pytest.warns(UserWarning, match="keeps the network of its last complete epoch"):
        with pytest.raises(ValueError, match="training loss became nan in epoch 4"):
            clf.fit(TEXTS[:8], LABELS[:8])
    del clf._batch_loss
    assert len(clf.history_) == 3 and clf.n_epochs_trained_ == 3
    assert clf.n_train_samples_ == 8  # the data of the epoch it keeps


@pytest.mark.parametrize(
    ("where", "match"),
    [(".", r"is a folder; give a file path, e.g. '.*fit.ckpt'"),
     ("file.txt/fit.ckpt", r"its folder .*file.txt cannot be created")],
)  # fmt: skip
def test_an_unwritable_checkpoint_path_fails_before_training(tmp_path, where, match):
    (tmp_path / "file.txt").write_text("not a folder")
    clf = InceptionXMLClassifier(**SMALL, checkpoint_path=tmp_path / where)
    with pytest.raises(ValueError, match=match):
        clf.fit(TEXTS, LABELS)
    assert not hasattr(clf, "history_")


TFIDF_OFF = {"tfidf_embedding": False, "tfidf_linear": False}
PATTERN = InceptionXMLClassifier().tfidf_token_pattern


@pytest.mark.parametrize(
    ("estimator", "params", "match"),
    [
        (InceptionXMLClassifier, {}, re.escape(f"tfidf_token_pattern={PATTERN!r} finds no token")),
        (
            InceptionXMLClassifier,
            {"tfidf_min_df": 7},  # no word is in more than 6 of the 12 texts
            r"tfidf_min_df=7 leaves no n-gram.*tfidf_embedding=False and tfidf_linear=False\.",
        ),
        (
            InceptionXMLClassifier,
            {"tfidf_min_df": 100},
            r"tfidf_min_df=100 leaves no n-gram in the training texts \(it is more than the 12 "
            r"training texts\)",
        ),
        (
            InceptionXMLPlusClassifier,
            {},
            r"finds no token.*or tfidf_embedding=False and tfidf_linear=False and "
            r"tfidf_meta_linear=False\.",
        ),
    ],
    ids=["pattern", "min_df", "min_df-above-the-texts", "plus"],
)
def test_an_empty_tfidf_vocabulary_is_blamed_on_its_cause(estimator, params, match):
    texts = ["😀 🎉", "🍎 🍏", "⛈ 🌧"] * 4 if "tfidf_min_df" not in params else TEXTS
    labels = LABELS if "tfidf_min_df" in params else LABELS[: len(texts)]
    with pytest.raises(ValueError, match=match):
        estimator(**{**SMALL, **params}).fit(texts, labels)


def test_emoji_texts_fit_with_the_encoders_tokens_as_tfidf_n_grams():
    texts = ["😀 🎉", "🍎 🍏", "⛈ 🌧"] * 4
    clf = InceptionXMLClassifier(**SMALL, tfidf_token_pattern=None).fit(texts, LABELS)
    assert clf.predict(["🍎"]).shape == (1, 2)


def test_plus_without_tfidf_inputs_says_how_to_cluster_texts_of_one_letter_words():
    texts = ["x y", "z w", "q r", "x q"] * 3
    with pytest.raises(ValueError, match=r"all off, the clusterer builds.*Turn one of them on"):
        InceptionXMLPlusClassifier(**SMALL, **TFIDF_OFF).fit(texts, LABELS)
    InceptionXMLPlusClassifier(**SMALL).fit(texts, LABELS)  # its own n-grams: one letter
