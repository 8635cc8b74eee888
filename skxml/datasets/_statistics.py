"""Summary statistics of a multi-label text dataset, as tabulated by the XMC literature."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from skxml.utils._validation import check_label_matrix, check_texts

__all__ = ["describe_dataset"]


@validate_params(
    {
        "texts": ["array-like"],
        "Y": ["array-like", "sparse matrix"],
        "tail_threshold": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def describe_dataset(texts: Sequence[str], Y: Any, *, tail_threshold: int = 5) -> dict[str, Any]:
    """Statistics of a multi-label text dataset.

    The quantities of the dataset tables of the Extreme Classification Repository and of
    the XMC papers, plus the text length that matters for short-text XMC.

    Parameters
    ----------
    texts : sequence of str of length n_samples
        The raw texts.
    Y : {array-like, sparse matrix} of shape (n_samples, n_labels)
        0/1 label matrix.
    tail_threshold : int, default=5
        Labels with at least one and at most this many samples are counted as tail labels.

    Returns
    -------
    statistics : dict
        With the keys

        - ``"n_samples"`` (int) and ``"n_labels"`` (int, columns of ``Y``);
        - ``"n_labels_with_samples"`` (int): labels with at least one sample;
        - ``"n_samples_without_labels"`` (int);
        - ``"avg_labels_per_sample"`` (float): stored labels / ``n_samples``;
        - ``"avg_samples_per_label"`` (float): stored labels / ``n_labels_with_samples``
          (labels without a sample, e.g. in a test split, are left out as in the
          repository's tables);
        - ``"median_samples_per_label"`` (float): over the labels with samples;
        - ``"n_tail_labels"`` (int): labels with 1 to ``tail_threshold`` samples;
        - ``"tail_threshold"`` (int);
        - ``"avg_words_per_text"`` (float) and ``"max_words_per_text"`` (int), words
          being white-space separated tokens.

        Averages over an empty set are ``nan``.

    Raises
    ------
    ValueError
        If ``Y`` is not a 0/1 matrix or its number of rows differs from ``len(texts)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.datasets import describe_dataset
    >>> stats = describe_dataset(
    ...     ["red apple", "blue sky today"], np.array([[1, 1, 0], [1, 0, 0]])
    ... )
    >>> stats["avg_labels_per_sample"], stats["avg_samples_per_label"]
    (1.5, 1.5)
    >>> stats["n_labels_with_samples"], stats["avg_words_per_text"]
    (2, 2.5)
    """
    texts = check_texts(texts, name="texts", allow_empty=True)
    Y = check_label_matrix(Y, name="Y", allow_empty=True)
    if Y.shape[0] != len(texts):
        raise ValueError(f"texts has {len(texts)} items but Y has {Y.shape[0]} rows.")
    n_samples, n_labels = Y.shape
    samples_per_label = np.bincount(Y.indices, minlength=n_labels)
    labels_per_sample = np.diff(Y.indptr)
    used = samples_per_label[samples_per_label > 0]
    words = np.fromiter((len(text.split()) for text in texts), dtype=np.int64, count=n_samples)

    def mean(total: float, count: int) -> float:
        return float(total / count) if count else float("nan")

    return {
        "n_samples": int(n_samples),
        "n_labels": int(n_labels),
        "n_labels_with_samples": int(used.size),
        "n_samples_without_labels": int(np.count_nonzero(labels_per_sample == 0)),
        "avg_labels_per_sample": mean(Y.nnz, n_samples),
        "avg_samples_per_label": mean(Y.nnz, used.size),
        "median_samples_per_label": float(np.median(used)) if used.size else float("nan"),
        "n_tail_labels": int(np.count_nonzero(used <= tail_threshold)),
        "tail_threshold": int(tail_threshold),
        "avg_words_per_text": mean(words.sum(), n_samples),
        "max_words_per_text": int(words.max()) if n_samples else 0,
    }
