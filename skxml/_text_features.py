"""A text's inputs to the networks: its token ids and its TF-IDF row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from skxml._sparse_rows import _csr_from_arrays
from skxml.text import SequenceEncoder


def tfidf_transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)`` for a fitted sublinear, L2-normalised TfidfVectorizer.

    The same matrix as scikit-learn's (tested), without its per-call input validation, which
    costs more than the whole network at batch size 1.
    """
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    indptr = [0]
    indices: list[int] = []
    counts: list[int] = []
    for text in texts:
        row: dict[int, int] = {}
        for token in analyze(text):
            column = vocabulary.get(token)
            if column is not None:
                row[column] = row.get(column, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    columns = np.asarray(indices, dtype=np.int32)
    offsets = np.asarray(indptr, dtype=np.int64)
    values = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * vectorizer.idf_[columns]
    # L2-normalise each row; rows without any known n-gram stay empty.
    row_lengths = np.diff(offsets)
    squared_norms = np.zeros(len(texts))
    non_empty = row_lengths > 0
    squared_norms[non_empty] = np.add.reduceat(values**2, offsets[:-1][non_empty])
    values /= np.repeat(np.sqrt(np.maximum(squared_norms, 1e-300)), row_lengths)
    return _csr_from_arrays(
        values.astype(np.float32), columns, offsets, (len(texts), len(vocabulary))
    )


def transform_texts(
    sequence_encoder: SequenceEncoder,
    vectorizer: TfidfVectorizer | None,
    texts: Sequence[str],
) -> tuple[np.ndarray, sp.csr_matrix | None]:
    """Token ids ``(n, max_seq_len)`` and, with a vectorizer, the TF-IDF bag of some texts."""
    token_ids = sequence_encoder.transform_checked(texts)
    bag = None if vectorizer is None else tfidf_transform(vectorizer, texts)
    return token_ids, bag
