"""Unicode normalisation of the texts (normalize_unicode): one token per spelling of a word."""

from __future__ import annotations

import pickle
import unicodedata

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.datasets import write_token_corpus
from skxml.text import SequenceEncoder, Tokenizer, normalize_text, tokenize
from skxml.text._tokenizer import tfidf_preprocessor

FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}  # "!" … "~" → "！" … "～"


def full_width(text: str) -> str:
    """``text`` typed with a Chinese or Japanese input method's full-width letters."""
    return text.translate(FULL_WIDTH).replace(" ", "\u3000")


def test_normalize_text_gives_every_spelling_one_form():
    assert normalize_text("cafe\u0301") == "caf\u00e9"  # combining accent composed
    assert normalize_text(full_width("Headphones 2022!")) == "Headphones 2022!"
    assert normalize_text("wire\u00adless\u200b \u2060x\ufeff") == "wireless x"
    assert normalize_text("\ufb01le m\u00b2 \uff76\uff80") == "file m2 \u30ab\u30bf"
    assert normalize_text("tab\tand\nline") == "tab\tand\nline"  # white space stays
    # An invisible character between a letter and its accent: removed before NFKC.
    assert normalize_text("e\u200b\u0301") == "\u00e9"
    assert normalize_text("a\tb\x00c\x7f\n") == "a\tbc\n"  # ASCII: its controls only
    with pytest.raises(TypeError, match="text must be a str, got NoneType"):
        normalize_text(None)


def test_spacing_accents_do_not_split_words():
    # NFKC makes "´" a space and a combining accent: "Men´s" would be "men" and "\u0301s".
    assert tokenize("Men´s shoes") == ["men's", "shoes"]
    assert tokenize("don´t stop") == ["stop"]  # the stop word "don't"
    assert tokenize("na¨ive ka\u309bra", stop_words=None, split_cjk=False) == [
        "na¨ive",
        "ka\u309bra",
    ]
    assert normalize_text("ｶ\u309b ﬁ¨") == "カ\u309b fi¨"


def test_normalize_text_returns_printable_ascii_as_it_is():
    text = "best wireless headphones 2022"
    assert normalize_text(text) is text
    assert normalize_text("") == ""


def test_tokens_of_a_word_spelt_in_other_forms_are_the_same():
    plain = tokenize("Café wireless headphones")
    for variant in (
        "Cafe\u0301 wireless headphones",
        full_width("Café wireless headphones"),
        "Caf\u00e9 wire\u00adless head\u200bphones",
    ):
        assert tokenize(variant) == plain
        assert tokenize(variant, normalize_unicode=False) != plain


def test_stop_words_are_normalised_like_the_texts():
    tokenizer = Tokenizer(stop_words=[full_width("the")])
    assert tokenizer("the best") == ["best"]
    assert Tokenizer(stop_words=[full_width("the")], normalize_unicode=False)("the best") == [
        "the",
        "best",
    ]


def test_normalize_unicode_takes_part_in_equality_repr_and_pickling():
    assert Tokenizer() != Tokenizer(normalize_unicode=False)
    assert "normalize_unicode=False" in repr(Tokenizer(normalize_unicode=False))
    loaded = pickle.loads(pickle.dumps(Tokenizer(normalize_unicode=False)))
    assert loaded == Tokenizer(normalize_unicode=False)
    with pytest.raises(TypeError, match="normalize_unicode must be a bool, got int"):
        Tokenizer(normalize_unicode=1)
    with pytest.raises(InvalidParameterError, match="normalize_unicode"):
        SequenceEncoder(normalize_unicode="yes").fit(["a"])


def test_tokenizers_and_encoders_pickled_before_the_parameter_read_characters_as_they_are():
    state = dict(Tokenizer().__dict__)
    del state["normalize_unicode"]
    old = Tokenizer.__new__(Tokenizer)
    old.__setstate__(state)
    assert old.normalize_unicode is False
    assert old(full_width("abc")) == [full_width("abc")]
    encoder = SequenceEncoder().fit(["abc"])
    state = encoder.__getstate__()
    del state["normalize_unicode"]
    old_encoder = SequenceEncoder.__new__(SequenceEncoder)
    old_encoder.__setstate__(state)
    assert old_encoder.get_params()["normalize_unicode"] is False


@pytest.mark.parametrize("split_cjk", [True, False])
def test_tfidf_preprocessor_reads_texts_as_the_tokenizer(split_cjk):
    preprocessor = tfidf_preprocessor(normalize_unicode=True, split_cjk=split_cjk)
    text = full_width("GTK") + " 向け Men´s wire\u00adless"
    tokenizer = Tokenizer(stop_words=None, split_cjk=split_cjk)
    assert preprocessor(text).split() == tokenizer(text)
    assert pickle.loads(pickle.dumps(preprocessor)) is preprocessor  # a module function
    raw = tfidf_preprocessor(normalize_unicode=False, split_cjk=split_cjk)
    raw_tokens = (raw or str.lower)(text).split()
    assert raw_tokens == Tokenizer(stop_words=None, split_cjk=split_cjk, normalize_unicode=False)(
        text
    )
    assert raw_tokens != tokenizer(text)


TEXTS = [
    "wireless headphones bluetooth",
    "noise cancelling headphones",
    "running shoes for men",
    "trail running shoes",
    "cafe latte coffee beans",
    "espresso coffee grinder",
] * 4
LABELS = [["audio"], ["audio"], ["shoes"], ["shoes"], ["coffee"], ["coffee"]] * 4
FAST = dict(embedding_dim=32, max_seq_len=8, batch_size=8, n_epochs=3, random_state=0)


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_a_query_in_another_spelling_gets_the_plain_spelling_s_scores(estimator):
    clf = estimator(**FAST).fit(TEXTS, LABELS)
    assert clf.normalize_unicode is True
    queries = ["wireless headphones", "espresso coffee", "running shoes"]
    variants = [
        full_width(queries[0]),
        "espresso\u200b coffee\u00ad",
        unicodedata.normalize("NFD", "running shoes") + "\u200e",
    ]
    np.testing.assert_array_equal(
        clf.decision_function(variants).toarray(), clf.decision_function(queries).toarray()
    )
    # Without it, the full-width query is a text of unknown words and n-grams.
    raw = estimator(**FAST, normalize_unicode=False).fit(TEXTS, LABELS)
    assert raw.sequence_encoder_.transform([variants[0]])[0][:2].tolist() == [1, 1]
    assert raw.tfidf_vectorizer_.transform([variants[0]]).nnz == 0
    assert clf.tfidf_vectorizer_.transform([variants[0]]).nnz > 0


def test_models_pickled_before_the_parameter_read_characters_as_they_are():
    clf = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS)
    state = clf.__getstate__()
    del state["normalize_unicode"]
    old = InceptionXMLClassifier.__new__(InceptionXMLClassifier)
    old.__setstate__(state)
    assert old.get_params()["normalize_unicode"] is False


def test_a_token_corpus_written_with_another_setting_is_refused(tmp_path):
    corpus = write_token_corpus(tmp_path / "c", TEXTS, LABELS, estimator=None)
    with pytest.raises(ValueError, match=r"normalize_unicode=False \(corpus: True\)"):
        InceptionXMLClassifier(**FAST, normalize_unicode=False).fit(corpus)


def test_the_clusterer_reads_texts_in_any_spelling_alike():
    mixed = [full_width(text) if i % 2 else text for i, text in enumerate(TEXTS)]
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0)
    plain, spelt = clusterer._text_features(TEXTS), clusterer._text_features(mixed)
    assert spelt.shape == plain.shape  # one vocabulary, not a second one in full width
    np.testing.assert_array_equal(spelt.toarray(), plain.toarray())
    np.testing.assert_array_equal(
        clusterer.fit(mixed, LABELS).labels_to_clusters_,
        clone(clusterer).fit(TEXTS, LABELS).labels_to_clusters_,
    )
