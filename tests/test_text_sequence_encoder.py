"""Tests for skxml.text.SequenceEncoder."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError, SkipTestWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import estimator_checks
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils._tags import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from skxml.text import PAD_ID, UNK_ID, SequenceEncoder, Tokenizer, _stop_words

TEXTS = [
    "GNU C compiler",
    "C library for the GNU system",
    "Python library",
    "Python bindings for the GNU C library",
]


# --------------------------------------------------------------------------------------
# scikit-learn compatibility


# scikit-learn runs its common checks only on estimators that accept 2-D numeric arrays
# (`input_tags.two_d_array`); for a text transformer it runs the cloneability check alone,
# so no check needs to be marked as an expected failure. The data-independent API checks
# are run one by one below, and the data-dependent ones have text versions in this file.
with warnings.catch_warnings():
    # The SkipTestWarning says the numeric checks do not apply to text input.
    warnings.simplefilter("ignore", SkipTestWarning)
    _SKLEARN_CHECKS = parametrize_with_checks([SequenceEncoder()])


@_SKLEARN_CHECKS
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# The estimator-wide API checks run for every estimator in tests/test_common.py; these two
# apply to transformers only.
API_CHECKS = [
    "check_transformers_unfitted",
    "check_get_feature_names_out_error",
]


@pytest.mark.parametrize("check_name", API_CHECKS)
def test_sequence_encoder_sklearn_api_check(check_name):
    getattr(estimator_checks, check_name)("SequenceEncoder", SequenceEncoder())


def test_sequence_encoder_tags_say_text_input():
    tags = get_tags(SequenceEncoder())
    assert tags.input_tags.string
    assert not tags.input_tags.two_d_array
    assert tags.transformer_tags.preserves_dtype == []
    assert tags.requires_fit


def test_sequence_encoder_clone_keeps_params_not_state():
    encoder = SequenceEncoder(max_seq_len=5, min_df=2, stop_words=["gnu"]).fit(TEXTS)
    cloned = clone(encoder)
    assert cloned.get_params() == encoder.get_params()
    assert not hasattr(cloned, "vocabulary_")


def test_sequence_encoder_pickle_round_trip_keeps_stop_words(monkeypatch):
    encoder = SequenceEncoder(max_seq_len=6).fit(TEXTS)
    payload = pickle.dumps(encoder)
    # Were the stop words resolved again at load time, "python" would vanish.
    _stop_words._cached_stop_words.cache_clear()
    monkeypatch.setattr(_stop_words, "_load_nltk_stop_words", lambda name: ["python"])
    try:
        loaded = pickle.loads(payload)
        np.testing.assert_array_equal(loaded.transform(TEXTS), encoder.transform(TEXTS))
        assert loaded.vocabulary_ == encoder.vocabulary_
    finally:
        _stop_words._cached_stop_words.cache_clear()


def test_sequence_encoder_in_pipeline_and_grid_search():
    texts = TEXTS * 5
    y = np.array([0, 1, 0, 1] * 5)
    pipeline = make_pipeline(SequenceEncoder(max_seq_len=4), LogisticRegression())
    pipeline.fit(texts, y)
    assert pipeline.predict(texts).shape == (20,)
    search = GridSearchCV(
        Pipeline([("encode", SequenceEncoder()), ("classify", LogisticRegression())]),
        {"encode__max_seq_len": [2, 3]},
        cv=2,
    ).fit(texts, y)
    assert search.best_params_["encode__max_seq_len"] in (2, 3)


def test_sequence_encoder_fit_returns_self_and_is_idempotent():
    encoder = SequenceEncoder()
    assert encoder.fit(TEXTS) is encoder
    first = encoder.transform(TEXTS)
    vocabulary = dict(encoder.vocabulary_)
    encoder.fit(TEXTS)
    assert encoder.vocabulary_ == vocabulary
    np.testing.assert_array_equal(encoder.transform(TEXTS), first)


def test_sequence_encoder_does_not_change_input_or_params():
    texts = list(TEXTS)
    stop_words = ["gnu"]
    encoder = SequenceEncoder(stop_words=stop_words)
    params = encoder.get_params()
    encoder.fit_transform(texts)
    encoder.transform(texts)
    assert texts == TEXTS
    assert stop_words == ["gnu"]
    assert encoder.get_params() == params
    state = dict(encoder.__dict__)
    encoder.transform(texts)
    assert encoder.__dict__.keys() == state.keys()


def test_sequence_encoder_fit_transform_equals_fit_then_transform():
    np.testing.assert_array_equal(
        SequenceEncoder(max_seq_len=3).fit_transform(TEXTS),
        SequenceEncoder(max_seq_len=3).fit(TEXTS).transform(TEXTS),
    )


def test_sequence_encoder_unfitted_raises():
    with pytest.raises(NotFittedError):
        SequenceEncoder().transform(TEXTS)
    with pytest.raises(NotFittedError):
        SequenceEncoder().inverse_transform([[2]])
    with pytest.raises(NotFittedError):
        SequenceEncoder().get_feature_names_out()


def test_sequence_encoder_get_feature_names_out_names_positions():
    encoder = SequenceEncoder(max_seq_len=3).fit(TEXTS)
    names = encoder.get_feature_names_out()
    assert names.tolist() == ["sequenceencoder0", "sequenceencoder1", "sequenceencoder2"]
    assert names.dtype == object
    assert len(names) == encoder.transform(TEXTS).shape[1]


# --------------------------------------------------------------------------------------
# vocabulary


def test_sequence_encoder_vocabulary_by_document_frequency_then_alphabet():
    encoder = SequenceEncoder().fit(TEXTS)
    # Document frequencies: c 3, gnu 3, library 3, python 2, then 1 each.
    assert encoder.vocabulary_ == {
        "c": 2,
        "gnu": 3,
        "library": 4,
        "python": 5,
        "bindings": 6,
        "compiler": 7,
        "system": 8,
    }
    assert encoder.vocabulary_size_ == 9


def test_sequence_encoder_counts_documents_not_occurrences():
    encoder = SequenceEncoder().fit(["zebra zebra zebra", "apple", "apple"])
    assert encoder.vocabulary_ == {"apple": 2, "zebra": 3}


@pytest.mark.parametrize(
    ("min_df", "expected"),
    [
        (1, {"c", "gnu", "library", "python", "bindings", "compiler", "system"}),
        (0, {"c", "gnu", "library", "python", "bindings", "compiler", "system"}),
        (2, {"c", "gnu", "library", "python"}),
        (3, {"c", "gnu", "library"}),
        (0.5, {"c", "gnu", "library", "python"}),  # at least 2 of 4 texts
        (0.51, {"c", "gnu", "library"}),
        (1.0, set()),
    ],
)
def test_sequence_encoder_min_df(min_df, expected):
    encoder = SequenceEncoder(min_df=min_df)
    if not expected:
        with pytest.raises(ValueError, match="vocabulary is empty"):
            encoder.fit(TEXTS)
        return
    encoder.fit(TEXTS)
    assert set(encoder.vocabulary_) == expected
    assert sorted(encoder.vocabulary_.values()) == list(range(2, 2 + len(expected)))


@pytest.mark.parametrize(
    ("max_features", "expected"),
    [(1, ["c"]), (2, ["c", "gnu"]), (5, ["c", "gnu", "library", "python", "bindings"])],
)
def test_sequence_encoder_max_features_keeps_most_frequent(max_features, expected):
    encoder = SequenceEncoder(max_features=max_features).fit(TEXTS)
    assert sorted(encoder.vocabulary_, key=encoder.vocabulary_.get) == expected


def test_sequence_encoder_vocabulary_does_not_depend_on_text_order():
    forward = SequenceEncoder().fit(TEXTS).vocabulary_
    backward = SequenceEncoder().fit(TEXTS[::-1]).vocabulary_
    assert forward == backward


# --------------------------------------------------------------------------------------
# transform


def test_sequence_encoder_transform_pads_truncates_and_marks_unknown_words():
    encoder = SequenceEncoder(max_seq_len=4).fit(TEXTS)
    ids = encoder.transform(
        [
            "GNU C library",  # short: padded
            "Python bindings for the GNU C library and compiler",  # long: truncated
            "Rust crate for the GNU library",  # unknown word -> UNK
            "of the and",  # only stop words: all padding
            "",  # empty: all padding
            "!!! ... zzz",  # punctuation dropped, unknown kept
        ]
    )
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(
        ids,
        [
            [3, 2, 4, 0],
            [5, 6, 3, 2],
            [UNK_ID, UNK_ID, 3, 4],
            [0, 0, 0, 0],
            [0, 0, 0, 0],
            [UNK_ID, 0, 0, 0],
        ],
    )


def test_sequence_encoder_max_seq_len_can_change_after_fit():
    encoder = SequenceEncoder(max_seq_len=2).fit(TEXTS)
    assert encoder.transform(TEXTS).shape == (4, 2)
    encoder.set_params(max_seq_len=10)
    assert encoder.transform(TEXTS).shape == (4, 10)
    encoder.set_params(max_seq_len=0)
    with pytest.raises(ValueError, match="max_seq_len must be >= 1"):
        encoder.transform(TEXTS)


@pytest.mark.parametrize(
    "X",
    [
        TEXTS,
        tuple(TEXTS),
        np.array(TEXTS),
        np.array(TEXTS, dtype=object),
        np.array(TEXTS)[:, None],
        (text for text in TEXTS),
    ],
    ids=["list", "tuple", "array", "object-array", "column", "generator"],
)
def test_sequence_encoder_accepts_sequences_of_texts(X):
    expected = SequenceEncoder().fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(SequenceEncoder().fit_transform(X), expected)


def test_sequence_encoder_transform_checked_equals_transform():
    encoder = SequenceEncoder(max_seq_len=4).fit(TEXTS)
    texts = ["GNU C library", "Rust crate for the GNU library", "", "of the and"]
    np.testing.assert_array_equal(encoder.transform_checked(texts), encoder.transform(texts))


def test_sequence_encoder_transform_of_no_texts():
    encoder = SequenceEncoder(max_seq_len=5).fit(TEXTS)
    ids = encoder.transform([])
    assert ids.shape == (0, 5) and ids.dtype == np.int64


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ("GNU C compiler", TypeError, "single str"),
        ([], ValueError, "X is empty"),
        (["ok", None], TypeError, "item 1 is NoneType"),
        (["ok", 3], TypeError, "item 1 is int"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "1-D sequence"),
        (["the of and", "!!!"], ValueError, "vocabulary is empty"),
        (42, TypeError, "sequence of strings"),
    ],
)
def test_sequence_encoder_fit_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        SequenceEncoder().fit(X)


def test_sequence_encoder_transform_rejects_bad_input():
    encoder = SequenceEncoder().fit(TEXTS)
    with pytest.raises(TypeError, match="single str"):
        encoder.transform("GNU")
    with pytest.raises(TypeError, match="item 0 is bytes"):
        encoder.transform([b"GNU"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_seq_len": 0}, "'max_seq_len'"),
        ({"max_seq_len": 2.5}, "'max_seq_len'"),
        ({"min_df": -1}, "'min_df'"),
        ({"min_df": 1.5}, "'min_df'"),
        ({"max_features": 0}, "'max_features'"),
        ({"lowercase": "yes"}, "'lowercase'"),
        ({"stop_words": "french"}, "'stop_words'"),
        ({"tokenizer": "split"}, "'tokenizer'"),
    ],
)
def test_sequence_encoder_invalid_params(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        SequenceEncoder(**params).fit(TEXTS)


# --------------------------------------------------------------------------------------
# tokenizer options


def test_sequence_encoder_stop_words_and_lowercase_options():
    encoder = SequenceEncoder(stop_words=None, lowercase=False).fit(["The GNU", "the gnu"])
    assert set(encoder.vocabulary_) == {"The", "GNU", "the", "gnu"}
    assert encoder.tokenizer_ == Tokenizer(lowercase=False, stop_words=None)


def test_sequence_encoder_custom_tokenizer():
    encoder = SequenceEncoder(tokenizer=str.split).fit(["The GNU", "the gnu"])
    assert set(encoder.vocabulary_) == {"The", "GNU", "the", "gnu"}
    assert encoder.tokenizer_ is str.split


def test_sequence_encoder_tokenizer_instance_pickles():
    encoder = SequenceEncoder(tokenizer=Tokenizer(stop_words=["gnu"])).fit(TEXTS)
    assert "gnu" not in encoder.vocabulary_ and "the" in encoder.vocabulary_
    loaded = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(loaded.transform(TEXTS), encoder.transform(TEXTS))


@pytest.mark.parametrize("params", [{"lowercase": False}, {"stop_words": None}])
def test_sequence_encoder_warns_about_unused_options(params):
    with pytest.warns(UserWarning, match="not used when a tokenizer is given"):
        SequenceEncoder(tokenizer=str.split, **params).fit(TEXTS)


def test_sequence_encoder_custom_tokenizer_with_defaults_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SequenceEncoder(tokenizer=str.split).fit(TEXTS)


def test_sequence_encoder_tokenizer_must_return_strings():
    with pytest.raises(TypeError, match="tokenizer must return a list of str; for text 0"):
        SequenceEncoder(tokenizer=lambda text: [len(text)]).fit(TEXTS)
    encoder = SequenceEncoder(tokenizer=lambda text: iter(text.split())).fit(TEXTS)
    assert "GNU" in encoder.vocabulary_
    # A str would be read character by character, None is no list.
    with pytest.raises(TypeError, match=r"for text 0 it returned a str \('"):
        SequenceEncoder(tokenizer=lambda text: text).fit(TEXTS)
    with pytest.raises(TypeError, match=r"for text 0 it returned a NoneType"):
        SequenceEncoder(tokenizer=lambda text: None).fit(TEXTS)


# --------------------------------------------------------------------------------------
# inverse_transform


def test_sequence_encoder_inverse_transform_round_trip():
    encoder = SequenceEncoder(max_seq_len=8).fit(TEXTS)
    tokenizer = encoder.tokenizer_
    assert encoder.inverse_transform(encoder.transform(TEXTS)) == [tokenizer(t) for t in TEXTS]
    assert encoder.inverse_transform([[5, UNK_ID, PAD_ID]]) == [["python", "<unk>"]]
    assert encoder.inverse_transform(np.zeros((0, 3), dtype=np.int64)) == []


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ([2, 3], "2-D array of integer token ids"),
        ([[2.0, 3.0]], "2-D array of integer token ids"),
        ([[2, 99]], r"outside \[0, 9\)"),
        ([[-1, 2]], r"outside \[0, 9\)"),
    ],
)
def test_sequence_encoder_inverse_transform_rejects_bad_ids(X, match):
    encoder = SequenceEncoder().fit(TEXTS)
    with pytest.raises(ValueError, match=match):
        encoder.inverse_transform(X)


# --------------------------------------------------------------------------------------
# invariants


_WORDS = st.sampled_from(["gnu", "c", "library", "python", "the", "of", "rust", "x.org", "!!"])
_TEXTS = st.lists(st.lists(_WORDS, max_size=12).map(" ".join), min_size=1, max_size=8)


@settings(max_examples=50, deadline=None)
@given(texts=_TEXTS, max_seq_len=st.integers(1, 6))
def test_sequence_encoder_row_invariants(texts, max_seq_len):
    encoder = SequenceEncoder(max_seq_len=max_seq_len).fit(TEXTS)
    ids = encoder.transform(texts)
    assert ids.shape == (len(texts), max_seq_len)
    for text, row in zip(texts, ids, strict=True):
        tokens = encoder.tokenizer_(text)
        length = min(len(tokens), max_seq_len)
        # left-aligned: the ids, then only padding
        assert np.all(row[:length] != PAD_ID) and np.all(row[length:] == PAD_ID)
        expected = [encoder.vocabulary_.get(token, UNK_ID) for token in tokens[:max_seq_len]]
        assert row[:length].tolist() == expected
        assert row.max() < encoder.vocabulary_size_
    # Each row depends on its text alone: order and subsets do not matter.
    order = np.random.default_rng(0).permutation(len(texts))
    np.testing.assert_array_equal(encoder.transform([texts[i] for i in order]), ids[order])
    np.testing.assert_array_equal(encoder.transform(texts[:1]), ids[:1])


def test_sequence_encoder_on_real_texts(shared_data):
    path = shared_data / "debian-tags" / "train_texts.txt"
    with open(path, encoding="utf-8") as f:
        texts = [next(f).rstrip("\n") for _ in range(2000)]
    encoder = SequenceEncoder(min_df=2).fit(texts)
    ids = encoder.transform(texts)
    assert ids.shape == (2000, 32)
    assert "the" not in encoder.vocabulary_ and "for" not in encoder.vocabulary_
    assert {"library", "development", "files"} <= set(encoder.vocabulary_)
    # Short texts: nothing near the 32-token limit, and (almost) every text keeps a token.
    assert (ids[:, 16:] == PAD_ID).all()
    assert (ids[:, 0] != PAD_ID).mean() > 0.99
    assert len(set(encoder.vocabulary_.values())) == encoder.vocabulary_size_ - 2
