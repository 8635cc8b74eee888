"""Prediction over streams of texts: predict_iter, and chunked tokenisation in predict."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _toy_data import LABELS, TEXTS

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, _base
from skxml.utils._threads import SINGLE_THREAD_MAX_TEXTS

SMALL = dict(embedding_dim=32, max_seq_len=8, batch_size=8, n_epochs=2, top_k=2, random_state=0)
QUERIES = [*TEXTS[:7], "", "unknown words", "apple storm"]


@pytest.fixture(scope="module", params=[InceptionXMLClassifier, InceptionXMLPlusClassifier])
def fitted(request):
    return request.param(**SMALL).fit(TEXTS, LABELS)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_predict_iter_batches_concatenate_to_the_whole_prediction(fitted, method):
    batches = list(fitted.predict_iter(iter(QUERIES), method=method, batch_size=3, k=3))
    assert [batch.shape[0] for batch in batches] == [3, 3, 3, 1]
    whole = getattr(fitted, method)(QUERIES, k=3)
    streamed = sp.vstack(batches, format="csr")
    # Same labels; scores equal up to float rounding (matrix products round differently for
    # another batch size: ~1e-7 on logits).
    assert (streamed.astype(bool) != whole.astype(bool)).nnz == 0
    np.testing.assert_allclose(streamed.toarray(), whole.toarray(), rtol=0, atol=1e-5)


def test_predict_iter_labels_and_threshold(fitted):
    streamed = list(
        itertools.chain.from_iterable(
            fitted.predict_iter(QUERIES, method="predict_labels", batch_size=4, threshold=0.5)
        )
    )
    assert streamed == fitted.predict_labels(QUERIES, threshold=0.5)


def test_predict_iter_consumes_the_stream_lazily(fitted):
    consumed = []

    def stream():
        for text in itertools.cycle(QUERIES):  # endless
            consumed.append(text)
            yield text

    batches = fitted.predict_iter(stream(), batch_size=4)
    first = next(batches)
    assert first.shape[0] == 4 and len(consumed) == 4
    next(batches)
    assert len(consumed) == 8


def test_chunked_tokenisation_gives_the_same_scores(fitted, monkeypatch):
    whole = fitted.decision_function(QUERIES).toarray()
    monkeypatch.setattr(_base, "_PREDICT_CHUNK_SIZE", 3)
    chunked = fitted.decision_function(QUERIES).toarray()
    np.testing.assert_array_equal(chunked != 0, whole != 0)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-5)
    assert fitted.decision_function(QUERIES[:1]).shape == (1, len(fitted.classes_))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "transform"}, ValueError, "method must be one of predict, predict_proba"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer, got 0"),
        ({"batch_size": 2.5}, ValueError, "batch_size must be a positive integer"),
        ({"batch_size": True}, ValueError, "batch_size must be a positive integer"),
    ],
)
def test_predict_iter_rejects_bad_arguments(fitted, kwargs, error, match):
    with pytest.raises(error, match=match):
        next(fitted.predict_iter(QUERIES, **kwargs))


@pytest.mark.parametrize(
    ("X", "match"),
    [("apple pie", "got a single str"), (42, "sequence of strings, got int")],
)
def test_predict_iter_rejects_non_streams(fitted, X, match):
    with pytest.raises(TypeError, match=match):
        next(fitted.predict_iter(X))


def test_predict_iter_names_the_bad_item_of_a_later_batch(fitted):
    batches = fitted.predict_iter(iter(["apple", "pie", "sky", None]), batch_size=2)
    next(batches)  # the first batch is fine
    with pytest.raises(TypeError, match=r"X\[2:4\].*item 1 is NoneType"):
        next(batches)


def test_predict_iter_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        next(InceptionXMLClassifier().predict_iter(QUERIES))


@pytest.mark.parametrize(
    ("n_labels", "expected"),
    [(1, 1024), (595, 1024), (131_072, 1024), (131_073, 512), (670_091, 128), (2_812_281, 32)],
)
def test_prediction_batch_keeps_the_score_block_bounded(n_labels, expected):
    batch = _base._prediction_batch_size(n_labels)
    assert batch == expected
    assert batch * n_labels <= 2**27 or batch == 1


def test_many_labels_use_smaller_forward_batches(fitted, monkeypatch):
    whole = fitted.decision_function(QUERIES).toarray()
    monkeypatch.setattr(_base, "_PREDICT_MAX_SCORES", 2 * len(fitted.classes_))  # 2 texts
    seen = []
    forward = fitted._inference_network(torch.device("cpu"))

    def spy(token_ids, *args, **kwargs):
        seen.append(token_ids.shape[0])
        return forward(token_ids, *args, **kwargs)

    monkeypatch.setattr(fitted, "_inference_network", lambda device: spy)
    np.testing.assert_allclose(fitted.decision_function(QUERIES).toarray(), whole, atol=1e-5)
    assert seen == [2] * 5


def test_small_cpu_batches_run_on_one_thread_and_restore_the_count(
    fitted, monkeypatch, two_threads
):
    seen = []
    forward = fitted._inference_network(torch.device("cpu"))

    def spy(token_ids, *args, **kwargs):
        seen.append((token_ids.shape[0], torch.get_num_threads()))
        return forward(token_ids, *args, **kwargs)

    monkeypatch.setattr(fitted, "_inference_network", lambda device: spy)
    limit = SINGLE_THREAD_MAX_TEXTS
    monkeypatch.setattr(_base, "_prediction_batch_size", lambda *args, **kwargs: limit + 1)
    fitted.decision_function(QUERIES[:1])
    fitted.decision_function(QUERIES[: limit + 2])
    # One text: one thread; a full batch of limit + 1 texts: both, then the 1-text rest: one.
    assert seen == [(1, 1), (limit + 1, 2), (1, 1)]
    assert torch.get_num_threads() == 2


def test_single_thread_scores_match_the_batched_ones(fitted, two_threads):
    whole = fitted.decision_function(QUERIES, k=3)
    one_by_one = sp.vstack([fitted.decision_function([query], k=3) for query in QUERIES])
    assert (one_by_one.astype(bool) != whole.astype(bool)).nnz == 0
    np.testing.assert_allclose(one_by_one.toarray(), whole.toarray(), rtol=0, atol=1e-5)


def test_top_k_of_a_few_texts_runs_on_one_thread_too(fitted, monkeypatch, two_threads):
    seen = []
    to_csr = _base._top_k_to_csr

    def spy(values, *args, **kwargs):
        seen.append((values.shape[0], torch.get_num_threads()))
        return to_csr(values, *args, **kwargs)

    monkeypatch.setattr(_base, "_top_k_to_csr", spy)
    limit = SINGLE_THREAD_MAX_TEXTS
    fitted.decision_function(QUERIES[:limit])
    fitted.decision_function(QUERIES[: limit + 1])
    assert seen == [(limit, 1), (limit + 1, 2)]
    assert torch.get_num_threads() == 2
