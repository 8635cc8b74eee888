"""Out-of-core training: token corpora written to disk, memory-mapped, and fitted from."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _toy_data import LABELS, TEXTS

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier
from skxml._text_features import tfidf_transform
from skxml.datasets import TokenCorpus, load_debian_tags, load_token_corpus, write_token_corpus

SMALL = dict(embedding_dim=32, max_seq_len=12, batch_size=32, n_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def tags_subset():
    texts, labels = load_debian_tags(subset="train", return_X_y=True)
    return list(texts[:600]), sp.csr_matrix(labels[:600])


def _network_equal(first, second) -> bool:
    one, two = first.network_.state_dict(), second.network_.state_dict()
    return one.keys() == two.keys() and all(torch.equal(one[key], two[key]) for key in one)


def test_corpus_holds_the_same_arrays_as_the_in_memory_path(tmp_path, tags_subset):
    texts, labels = tags_subset
    clf = InceptionXMLClassifier(**SMALL)
    corpus = write_token_corpus(tmp_path / "c", texts, labels, estimator=clf, chunk_size=97)
    encoder, vectorizer = clf._fit_text_features(texts)
    assert isinstance(corpus.tokens, np.memmap) and corpus.tokens.dtype == np.int32
    np.testing.assert_array_equal(corpus.tokens, encoder.transform(texts))
    assert corpus.sequence_encoder.vocabulary_ == encoder.vocabulary_
    expected_bag = tfidf_transform(vectorizer, texts)
    assert (corpus.bag != expected_bag).nnz == 0
    assert (corpus.labels != labels).nnz == 0
    for matrix in (corpus.bag, corpus.labels):  # mapped from disk, not loaded
        assert all(isinstance(a, np.memmap) for a in (matrix.data, matrix.indices, matrix.indptr))
        assert matrix.indices.dtype == matrix.indptr.dtype
    assert len(corpus) == 600 and np.array_equal(corpus.classes, np.arange(labels.shape[1]))
    assert repr(load_token_corpus(tmp_path / "c")) == repr(corpus)


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_fit_from_a_corpus_equals_the_in_memory_fit(tmp_path, tags_subset, estimator):
    texts, labels = tags_subset
    in_memory = estimator(**SMALL).fit(texts, labels)
    write_token_corpus(tmp_path / "c", texts, labels, estimator=estimator(**SMALL), chunk_size=64)
    from_disk = estimator(**SMALL).fit(load_token_corpus(tmp_path / "c"))
    assert _network_equal(in_memory, from_disk)
    queries = [*texts[:50], "a query never seen", ""]
    np.testing.assert_array_equal(
        from_disk.decision_function(queries).toarray(),
        in_memory.decision_function(queries).toarray(),
    )
    np.testing.assert_array_equal(from_disk.label_counts_, in_memory.label_counts_)
    assert from_disk.n_train_samples_ == 600


def test_label_names_validation_data_and_warm_start(tmp_path):
    clf = InceptionXMLClassifier(embedding_dim=32, max_seq_len=8, batch_size=8, n_epochs=2,
                                 top_k=1, random_state=0, warm_start=True)  # fmt: skip
    corpus = write_token_corpus(tmp_path / "c", TEXTS, LABELS, estimator=clf)
    assert list(corpus.classes) == sorted({name for names in LABELS for name in names})
    clf.fit(corpus, validation_data=(TEXTS[:8], LABELS[:8]))
    assert "validation_precision_at_1" in clf.history_[-1]
    assert list(clf.classes_) == list(corpus.classes)
    assert clf.predict_labels([TEXTS[0]])[0][0] in LABELS[0]
    clf.fit(corpus)  # warm start on the same corpus continues
    assert clf.n_epochs_trained_ == 4


def test_corpus_rejections(tmp_path, tags_subset):
    texts, labels = tags_subset
    corpus = write_token_corpus(tmp_path / "c", texts, labels, estimator=None)
    with pytest.raises(ValueError, match="y must be None when X is a TokenCorpus"):
        InceptionXMLClassifier().fit(corpus, labels)
    with pytest.raises(ValueError, match="pass validation_data"):
        InceptionXMLClassifier(validation_fraction=0.1).fit(corpus)
    with pytest.raises(ValueError, match=r"max_seq_len=12 \(corpus: 32\)"):
        InceptionXMLClassifier(max_seq_len=12).fit(corpus)
    with pytest.raises(ValueError, match="tfidf_min_df=3 \\(corpus: 1\\)"):
        InceptionXMLPlusClassifier(tfidf_min_df=3).fit(corpus)
    with pytest.raises(ValueError, match=r"min_df=1.0 \(corpus: 1\)"):  # all texts, not one
        InceptionXMLClassifier(min_df=1.0).fit(corpus)
    with pytest.raises(FileNotFoundError, match="is not a token corpus"):
        load_token_corpus(tmp_path)
    with pytest.raises(TypeError, match="estimator must be an InceptionXMLClassifier"):
        write_token_corpus(tmp_path / "d", texts, labels, estimator=object())
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        write_token_corpus(tmp_path / "d", texts, labels, chunk_size=0)
    with pytest.raises(ValueError, match="X and Y have different numbers of samples"):
        write_token_corpus(tmp_path / "d", texts, labels[:10])
    no_tfidf = dict(tfidf_embedding=False, tfidf_linear=False)
    plain = write_token_corpus(
        tmp_path / "e", texts, labels, estimator=InceptionXMLPlusClassifier(**no_tfidf)
    )
    assert plain.bag is None
    with pytest.raises(ValueError, match="needs the raw texts, not a TokenCorpus"):
        InceptionXMLPlusClassifier(**no_tfidf).fit(plain)
    # tfidf_meta_linear is a TF-IDF input too: a corpus must hold the bag it needs, and no
    # bag a fit on the texts would not have made.
    meta_only = InceptionXMLPlusClassifier(**no_tfidf, tfidf_meta_linear=True)
    with pytest.raises(
        ValueError,
        match=r"prepared without TF-IDF n-grams, but this estimator "
        r"uses them \(.*tfidf_meta_linear=True\)",
    ):
        meta_only.fit(plain)
    with_bag = write_token_corpus(tmp_path / "g", texts, labels, estimator=meta_only)
    assert with_bag.bag is not None
    with pytest.raises(
        ValueError,
        match=r"prepared with TF-IDF n-grams, but this estimator "
        r"uses none",
    ):
        InceptionXMLPlusClassifier(**no_tfidf).fit(with_bag)
    fitted = InceptionXMLClassifier(**SMALL, warm_start=True).fit(texts[:300], labels[:300])
    other = write_token_corpus(tmp_path / "f", texts[300:], labels[300:], estimator=fitted)
    with pytest.raises(ValueError, match="other labels or another vocabulary"):
        fitted.fit(other)


def test_an_n_gram_range_given_as_a_list_matches_the_same_tuple():
    from skxml._base import _same_parameter

    assert _same_parameter([1, 2], (1, 2))
    assert not _same_parameter([1, 3], (1, 2))
    assert not _same_parameter([1, 2, 3], (1, 2))


def test_corpus_format_mismatch_is_reported(tmp_path):
    write_token_corpus(tmp_path, TEXTS, LABELS)
    meta = tmp_path / "corpus.json"
    meta.write_text(meta.read_text().replace('"format": 1', '"format": 99'))
    with pytest.raises(ValueError, match="corpus format 99 is not supported"):
        TokenCorpus(tmp_path)


def test_y_none_with_texts_names_the_problem():
    with pytest.raises(TypeError, match="Y may be None only when X is a TokenCorpus"):
        InceptionXMLClassifier().fit(TEXTS)


@pytest.mark.parametrize(
    ("file", "content", "match"),
    [
        (
            "corpus.json",
            b'{"format": 1}',
            r"corpus.json: the token corpus .* is damaged \(KeyError",
        ),
        ("corpus.json", b"[1]", r"corpus format 'list' is not supported"),
        ("corpus.json", b"{not json", r"corpus.json is damaged \(Expecting property name"),
        ("preprocessing.joblib", b"garbage", r"preprocessing.joblib: the token corpus .* damaged"),
        ("tokens.npy", None, r"tokens.npy: the token corpus .* damaged"),
        ("labels_indptr.npy", None, r"labels_indptr.npy: the token corpus .* damaged"),
    ],
    ids=["no n_samples", "not an object", "not json", "joblib", "truncated", "truncated csr"],
)
def test_a_damaged_corpus_names_the_file(tmp_path, file, content, match):
    write_token_corpus(tmp_path / "c", TEXTS, LABELS, estimator=InceptionXMLClassifier())
    target = tmp_path / "c" / file
    if content is None:  # cut the file in half
        content = target.read_bytes()[: target.stat().st_size // 2]
    target.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_token_corpus(tmp_path / "c")


def test_a_corpus_whose_row_count_disagrees_with_its_arrays_is_refused(tmp_path):
    import json

    write_token_corpus(tmp_path / "c", TEXTS, LABELS, estimator=InceptionXMLClassifier())
    meta_file = tmp_path / "c" / "corpus.json"
    meta = json.loads(meta_file.read_text())
    meta["n_samples"] += 5
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"tokens.npy: .* not 37 rows as corpus.json says"):
        load_token_corpus(tmp_path / "c")


@pytest.mark.parametrize(
    ("file", "position", "value", "match"),
    [
        ("labels_indices.npy", 3, 10_000, r"labels_indices.npy: .* column indices run from 0 "),
        ("labels_indices.npy", 0, -1, r"labels_indices.npy: .* column indices run from -1 "),
        ("bag_indices.npy", 5, 10**6, r"bag_indices.npy: .* column indices run from 0 "),
        ("tokens.npy", 2, 10**6, r"tokens.npy: .* token ids run from 0 to 1000000"),
    ],
    ids=["label beyond", "negative label", "n-gram beyond", "token beyond"],
)
def test_a_corpus_with_ids_out_of_range_is_refused_not_crashing(
    tmp_path, file, position, value, match
):
    write_token_corpus(tmp_path / "c", TEXTS, LABELS, estimator=InceptionXMLClassifier())
    array = np.load(tmp_path / "c" / file, mmap_mode="r+")
    array.reshape(-1)[position] = value  # as one flipped value in a damaged file
    array.flush()
    del array
    with pytest.raises(ValueError, match=match):
        load_token_corpus(tmp_path / "c")


def test_a_corpus_with_another_corpus_s_vocabularies_is_refused(tmp_path):
    write_token_corpus(tmp_path / "a", TEXTS, LABELS, estimator=InceptionXMLClassifier())
    write_token_corpus(tmp_path / "b", TEXTS[:6], LABELS[:6], estimator=InceptionXMLClassifier())
    (tmp_path / "a" / "preprocessing.joblib").write_bytes(
        (tmp_path / "b" / "preprocessing.joblib").read_bytes()
    )
    with pytest.raises(ValueError, match=r"the token corpus .* is damaged .* outside"):
        load_token_corpus(tmp_path / "a")


def test_split_cjk_must_match_the_corpus_and_old_corpora_take_their_encoder_s(tmp_path):
    import joblib

    texts = ["日本語テキスト解析", "中文文本分类", "apple pie", "storm rain"] * 4
    labels = [["ja"], ["zh"], ["food"], ["weather"]] * 4
    write_token_corpus(tmp_path / "c", texts, labels, estimator=InceptionXMLClassifier())
    with pytest.raises(ValueError, match=r"split_cjk=False \(corpus: True\)"):
        InceptionXMLClassifier(**SMALL, split_cjk=False).fit(load_token_corpus(tmp_path / "c"))
    # A corpus written before split_cjk was recorded: the encoder's setting stands in.
    preprocessing_file = tmp_path / "c" / "preprocessing.joblib"
    preprocessing = joblib.load(preprocessing_file)
    del preprocessing["text_parameters"]["split_cjk"]
    joblib.dump(preprocessing, preprocessing_file)
    assert load_token_corpus(tmp_path / "c").text_parameters["split_cjk"] is True
