"""A TF-IDF k-nearest-neighbour baseline used by ``skxml demo`` (not public API).

Each query's label scores are the cosine-similarity-weighted votes of its nearest training
texts. It needs no training beyond the TF-IDF fit, so it gives the demo a sensible point of
comparison in seconds; the InceptionXML estimators replace it as the main model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from skxml.utils._validation import check_label_matrix, check_texts


def _top_k_rows(scores: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest stored values of every CSR row (ties: lower column first)."""
    scores = scores.tocsr()
    scores.sort_indices()
    n_rows = scores.shape[0]
    row_of_entry = np.repeat(np.arange(n_rows), np.diff(scores.indptr))
    order = np.lexsort((scores.indices, -scores.data, row_of_entry))
    rank_in_row = np.arange(order.size) - np.repeat(scores.indptr[:-1], np.diff(scores.indptr))
    keep = order[rank_in_row < k]
    return sp.csr_matrix(
        (scores.data[keep], (row_of_entry[keep], scores.indices[keep])), shape=scores.shape
    )


class TfidfKNNBaseline:
    """Cosine k-NN over TF-IDF vectors; scores are similarity-weighted label votes."""

    def __init__(self, *, n_neighbors: int = 10, top_k: int = 5, batch_size: int = 2048):
        self.n_neighbors = n_neighbors
        self.top_k = top_k
        self.batch_size = batch_size

    def fit(self, X: Any, Y: Any) -> TfidfKNNBaseline:
        texts = check_texts(X)
        labels = check_label_matrix(Y)
        if labels.shape[0] != len(texts):
            raise ValueError(f"X has {len(texts)} texts but Y has {labels.shape[0]} rows.")
        self.vectorizer_ = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        self.train_features_ = self.vectorizer_.fit_transform(texts).T.tocsr()
        self.train_labels_ = labels
        self.label_counts_ = np.asarray(labels.sum(axis=0)).ravel().astype(np.int64)
        self.n_train_samples_ = labels.shape[0]
        return self

    def decision_function(self, X: Any) -> sp.csr_matrix:
        texts = check_texts(X)
        features = self.vectorizer_.transform(texts)
        blocks = []
        for start in range(0, len(texts), self.batch_size):
            similarity = features[start : start + self.batch_size] @ self.train_features_
            neighbours = _top_k_rows(similarity.tocsr(), self.n_neighbors)
            blocks.append(_top_k_rows(neighbours @ self.train_labels_, self.top_k))
        return sp.vstack(blocks, format="csr")
