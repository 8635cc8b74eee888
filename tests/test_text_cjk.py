"""Chinese and Japanese text: Han ideographs and kana as tokens of their own (split_cjk)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils._param_validation import InvalidParameterError

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.text import SequenceEncoder, Tokenizer, space_cjk, tokenize
from skxml.text._tokenizer import CJK_CHARACTER_CLASS, lowercase_and_space_cjk


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("无线蓝牙耳机 2022款", ["无", "线", "蓝", "牙", "耳", "机", "2022", "款"]),
        # Kanji, katakana and hiragana; Latin words stay whole.
        ("Ruby 向けMarkdownプロセッサ", ["Ruby", "向", "け", "Markdown", *"プロセッサ"]),
        # Iteration mark, half-width katakana, an extension-B ideograph, a compatibility one.
        ("人々 ｶﾀｶﾅ 𠀀 豈", ["人", "々", "ｶ", "ﾀ", "ｶ", "ﾅ", "𠀀", "豈"]),
        # Hangul (Korean puts spaces between words) and Thai are not split.
        ("무선 이어폰 หูฟังไร้สาย", ["무선", "이어폰", "หูฟังไร้สาย"]),
    ],
)
def test_space_cjk_spaces_out_han_and_kana_only(text, expected):
    assert space_cjk(text).split() == expected


def test_space_cjk_returns_text_without_such_characters_unchanged():
    for text in ("best wireless headphones", "Kopfhörer für Kinder", "", "  a  b "):
        assert space_cjk(text) == text


@pytest.mark.parametrize("text", [None, 3, b"\xe6\x97\xa5"])
def test_space_cjk_rejects_what_is_not_a_str(text):
    with pytest.raises(TypeError, match="text must be a str, got"):
        space_cjk(text)


def test_tokenizer_splits_han_and_kana_and_drops_cjk_punctuation():
    tokens = Tokenizer()("日本語形態素解析システム（共有ライブラリ）、開発用。GTK+ 向け")
    assert tokens == [
        *"日本語形態素解析システム",
        *"共有ライブラリ",
        *"開発用",
        "gtk",
        "向",
        "け",
    ]


def test_tokenizer_without_split_cjk_keeps_phrases():
    # NFKC makes the full-width parentheses ASCII ones; without it they stay as written.
    assert Tokenizer(split_cjk=False)("日本語形態素解析システム（共有ライブラリ）") == [
        "日本語形態素解析システム(共有ライブラリ"
    ]
    raw = Tokenizer(split_cjk=False, normalize_unicode=False)
    phrase = "日本語形態素解析システム（共有ライブラリ"
    assert raw(phrase + "）") == [phrase]
    assert tokenize("无线蓝牙耳机 降噪", split_cjk=False) == ["无线蓝牙耳机", "降噪"]
    # Mixed with stop words and case: the other rules still apply.
    assert tokenize("The 耳机 OF Sony") == ["耳", "机", "sony"]


def test_split_cjk_takes_part_in_equality_and_repr():
    assert Tokenizer() != Tokenizer(split_cjk=False)
    assert hash(Tokenizer()) != hash(Tokenizer(split_cjk=False))
    assert "split_cjk=False" in repr(Tokenizer(split_cjk=False))
    loaded = pickle.loads(pickle.dumps(Tokenizer(split_cjk=False)))
    assert loaded == Tokenizer(split_cjk=False)
    assert loaded("无线耳机") == ["无线耳机"]


def test_tokenizer_pickled_before_split_cjk_keeps_white_space_split():
    tokenizer = Tokenizer()
    state = dict(tokenizer.__dict__)
    del state["split_cjk"]
    old = Tokenizer.__new__(Tokenizer)
    old.__setstate__(state)
    assert old.split_cjk is False
    assert old("无线耳机 sony") == ["无线耳机", "sony"]


def test_split_cjk_must_be_a_bool():
    with pytest.raises(TypeError, match="split_cjk must be a bool, got str"):
        Tokenizer(split_cjk="yes")
    with pytest.raises(InvalidParameterError, match="split_cjk"):
        tokenize("无线", split_cjk=1)
    with pytest.raises(InvalidParameterError, match="split_cjk"):
        SequenceEncoder(split_cjk="no").fit(["无线"])


def test_sequence_encoder_vocabulary_of_characters():
    texts = ["无线耳机", "有线耳机", "无线鼠标"]
    encoder = SequenceEncoder(max_seq_len=4).fit(texts)
    assert set(encoder.vocabulary_) == set("无线耳机有鼠标")
    np.testing.assert_array_equal(
        encoder.transform(["无线键盘"])[0],
        [encoder.vocabulary_["无"], encoder.vocabulary_["线"], 1, 1],
    )
    phrases = SequenceEncoder(split_cjk=False).fit(texts)
    assert set(phrases.vocabulary_) == set(texts)


def test_sequence_encoder_warns_that_split_cjk_is_unused_with_a_tokenizer():
    with pytest.warns(UserWarning, match="split_cjk and normalize_unicode are not used when"):
        SequenceEncoder(split_cjk=False, tokenizer=str.split).fit(["a b"])


def test_sequence_encoder_pickled_before_split_cjk_reads_false():
    encoder = SequenceEncoder().fit(["无线耳机"])
    state = encoder.__getstate__()
    del state["split_cjk"]
    old = SequenceEncoder.__new__(SequenceEncoder)
    old.__setstate__(state)
    assert old.get_params()["split_cjk"] is False


# Two labels told apart by characters that recur inside ever different phrases: no phrase
# of the test texts occurs in training, so only character tokens can carry the signal.
EARPHONE = ["无线耳机推荐", "降噪耳机", "耳机评测", "运动耳机", "头戴耳机好用", "入耳式耳机"]
SHIRT = ["白色衬衫", "衬衫男款", "长袖衬衫推荐", "纯棉衬衫", "修身衬衫好用", "衬衫女款"]
CJK_TEXTS = (EARPHONE + SHIRT) * 3
CJK_LABELS = ([["耳机"]] * len(EARPHONE) + [["衬衫"]] * len(SHIRT)) * 3
FAST = dict(embedding_dim=32, max_seq_len=8, batch_size=8, n_epochs=8, random_state=0)


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_classifiers_learn_from_characters_of_unseen_phrases(estimator):
    clf = estimator(**FAST).fit(CJK_TEXTS, CJK_LABELS)
    assert clf.predict_labels(["蓝牙耳机", "格子衬衫"], k=1) == [["耳机"], ["衬衫"]]
    # The TF-IDF inputs are character unigrams and bigrams too.
    vocabulary = clf.tfidf_vectorizer_.vocabulary_
    assert "耳" in vocabulary and "耳 机" in vocabulary and "耳机" not in vocabulary


def test_classifier_without_split_cjk_sees_test_phrases_as_unknown():
    clf = InceptionXMLClassifier(**FAST, split_cjk=False).fit(CJK_TEXTS, CJK_LABELS)
    # One unknown-word id per phrase, and no TF-IDF n-gram of the test texts is known.
    np.testing.assert_array_equal(
        clf.sequence_encoder_.transform(["蓝牙耳机", "格子衬衫"])[:, :2], [[1, 0], [1, 0]]
    )
    assert clf.tfidf_vectorizer_.transform(["蓝牙耳机", "格子衬衫"]).nnz == 0
    assert "无线耳机推荐" in clf.tfidf_vectorizer_.vocabulary_


def test_classifier_pickled_before_split_cjk_reads_false():
    clf = InceptionXMLClassifier(**FAST).fit(CJK_TEXTS, CJK_LABELS)
    state = clf.__getstate__()
    del state["split_cjk"]
    old = InceptionXMLClassifier.__new__(InceptionXMLClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old.__setstate__(state)
    assert old.get_params()["split_cjk"] is False
    assert old.predict_labels(["蓝牙耳机"], k=1) == clf.predict_labels(["蓝牙耳机"], k=1)


def test_label_tree_clusterer_reads_characters_of_raw_texts():
    # Four labels: two whose texts share 耳机, two whose texts share 衬衫; no phrase repeats.
    texts = ["无线耳机", "降噪耳机", "运动耳机", "头戴耳机"]
    texts += ["白色衬衫", "长袖衬衫", "纯棉衬衫", "修身衬衫"]
    Y = sp.csr_matrix(np.eye(4)[[0, 0, 1, 1, 2, 2, 3, 3]])
    clusterer = LabelTreeClusterer(n_clusters=2, random_state=0).fit(texts, Y)
    assert sorted(clusterer.cluster_members(c).tolist() for c in range(2)) == [[0, 1], [2, 3]]
    # The documented features: character tokens of these texts, as a feature matrix.
    features = TfidfVectorizer(
        preprocessor=lowercase_and_space_cjk,
        token_pattern=r"(?u)\b\w\w+\b|" + CJK_CHARACTER_CLASS,
        ngram_range=(1, 2),
        sublinear_tf=True,
        dtype=np.float32,
    ).fit_transform(texts)
    # Per group of four texts: 8 + 2 characters, 4 + 4 + 1 character bigrams ("耳 机" shared).
    assert features.shape[1] == 2 * (10 + 9)
    for seed in range(4):
        from_texts = LabelTreeClusterer(n_clusters=2, random_state=seed).fit(texts, Y)
        from_features = LabelTreeClusterer(n_clusters=2, random_state=seed).fit(features, Y)
        np.testing.assert_array_equal(
            from_texts.labels_to_clusters_, from_features.labels_to_clusters_
        )
