"""Which (n-gram, label) pairs the sparse linear map learns: those seen together in
training, and the labels a text's most similar texts have and it lacks."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from skxml.metrics._ranking import _ranked_from_sparse_scores

# neighbour_confusions: n-grams in more texts than this do not count in texts' similarity.
_NEIGHBOUR_MAX_DOCUMENT_FREQUENCY = 1000

# neighbour_confusions: at most about this many candidate (text, other text) pairs at once
# (~40 bytes each while they are ranked), whatever the texts' lengths.
_NEIGHBOUR_CHUNK_PAIRS = 1 << 23


def cooccurrence_support(
    bag: sp.csr_matrix,
    labels: sp.csr_matrix,
    *,
    min_confidence: float = 0.0,
    chunk_size: int = 1 << 18,
) -> sp.csr_matrix:
    """The (n-gram, label) pairs seen together in training: the pattern of binary ``Xᵀ·Y``.

    With ``min_confidence > 0`` a pair is kept only when the label is on at least that
    fraction of the training texts holding the n-gram (``count(g, l) / df(g) ≥
    min_confidence``, the association-rule confidence). This drops what frequent n-grams
    ("for", "library", "the") co-occur with by chance — few support entries, but most of
    the (n-gram, label) terms a batch touches, since a frequent n-gram is in many texts —
    and keeps every pair of n-grams rarer than ``1 / min_confidence`` texts.

    Computed ``chunk_size`` rows at a time, so a bag memory-mapped from disk
    (:class:`~skxml.datasets.TokenCorpus`) is never loaded whole.
    """
    counts = sp.csr_matrix((bag.shape[1], labels.shape[1]), dtype=np.float32)
    document_frequency = np.zeros(bag.shape[1])
    for start in range(0, bag.shape[0], chunk_size):
        present = bag[start : start + chunk_size].astype(bool).astype(np.float32)
        counts = counts + present.T @ labels[start : start + chunk_size]
        document_frequency += np.asarray(present.sum(axis=0)).ravel()
    counts = counts.tocsr()
    counts.sum_duplicates()
    if min_confidence > 0:
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        counts.data[counts.data < min_confidence * document_frequency[rows]] = 0
        counts.eliminate_zeros()
    counts.data[:] = 1.0
    return counts


def neighbour_confusions(
    bag: sp.csr_matrix,
    labels: sp.csr_matrix,
    n_neighbours: int,
    *,
    max_document_frequency: int = _NEIGHBOUR_MAX_DOCUMENT_FREQUENCY,
    chunk_size: int = 4096,
    chunk_pairs: int = _NEIGHBOUR_CHUNK_PAIRS,
) -> sp.csr_matrix:
    """Each training text's confusable labels: those of its most similar texts it lacks.

    The similarity of two texts is the dot product of their (L2-normalised) TF-IDF rows over
    the n-grams in at most ``max_document_frequency`` texts: the frequent ones ("for",
    "library") add little to it and would make the products cost ``Σ df²``. A text's
    neighbours are the ``n_neighbours`` other texts of highest similarity (ties broken by
    row), among those sharing such an n-gram with it; a verbatim duplicate of the text is a
    neighbour like any other.

    Returns the 0/1 CSR matrix of shape ``labels.shape`` that is 1 where a neighbour has
    the label and the text does not. Computed at most ``chunk_size`` texts at a time, and
    fewer where their candidate pairs (the sum of their n-grams' document frequencies, an
    upper bound on the non-zeros of their rows of the product) would pass ``chunk_pairs``:
    long texts cannot make one chunk's products outgrow memory.
    """
    similar = sp.csr_matrix(bag, dtype=np.float32, copy=True)
    document_frequency = np.bincount(similar.indices, minlength=similar.shape[1])
    similar.data[document_frequency[similar.indices] > max_document_frequency] = 0.0
    similar.eliminate_zeros()
    transposed = similar.T.tocsr()
    n_texts = similar.shape[0]
    entry_rows = np.repeat(np.arange(n_texts), np.diff(similar.indptr))
    candidates = np.bincount(
        entry_rows, weights=document_frequency[similar.indices], minlength=n_texts
    )
    # bounds[i]: the candidate pairs of texts 0..i-1.
    bounds = np.concatenate([[0], np.cumsum(np.minimum(candidates, n_texts))])
    neighbour_rows, neighbour_columns = [], []
    start = 0
    while start < n_texts:
        fitting = int(np.searchsorted(bounds, bounds[start] + chunk_pairs, side="right")) - 1
        stop = min(max(fitting, start + 1), start + chunk_size, n_texts)
        scores = similar[start:stop] @ transposed
        # A text is not its own neighbour (a verbatim duplicate of it is).
        scores.data[
            scores.indices == np.repeat(np.arange(start, stop), np.diff(scores.indptr))
        ] = 0
        scores.eliminate_zeros()
        # Ranked by decreasing similarity, ties by row, as every ranking in skxml.
        ranked = _ranked_from_sparse_scores(scores, n_neighbours)
        rows, ranks = np.nonzero(ranked >= 0)
        neighbour_rows.append(rows + start)
        neighbour_columns.append(ranked[rows, ranks])
        start = stop
    row_ids = np.concatenate(neighbour_rows)
    neighbours = sp.csr_matrix(
        (np.ones(row_ids.size, np.float32), (row_ids, np.concatenate(neighbour_columns))),
        shape=(n_texts, n_texts),
    )
    confusions = (neighbours @ labels).tocsr()  # labels: 0/1, possibly read-only
    confusions.data[:] = 1.0
    confusions = sp.csr_matrix(confusions - confusions.multiply(labels))
    confusions.eliminate_zeros()
    return confusions
