"""Shortlist recall: how many of a text's true labels its shortlist contains."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import StrOptions, validate_params

from skxml.utils._validation import check_label_matrix


@validate_params(
    {
        "y_true": ["array-like", "sparse matrix"],
        "shortlist": ["array-like", "sparse matrix"],
        "shortlist_format": [StrOptions({"auto", "ids", "indicator"})],
    },
    prefer_skip_nested_validation=True,
)
def shortlist_recall(
    y_true: Any,
    shortlist: Any,
    *,
    shortlist_format: Literal["auto", "ids", "indicator"] = "auto",
) -> float:
    """Mean fraction of each text's true labels that lie in its shortlist.

    For text :math:`i` with true labels :math:`Y_i \\neq \\emptyset` and shortlist
    :math:`S_i`, the recall is :math:`|Y_i \\cap S_i| / |Y_i|`; the result averages it over the
    texts that have at least one true label. It bounds from above the recall@k that a model
    scoring only its shortlist can reach.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_samples, n_labels)
        0/1 true labels.
    shortlist : array-like of shape (n_samples, K) or (n_samples, n_labels), or sparse matrix
        Either the shortlisted label ids of each text, padded with -1 (what
        :meth:`InceptionXMLPlusClassifier.shortlist` returns), or a 0/1 indicator matrix of the
        shape of ``y_true``.
    shortlist_format : {"auto", "ids", "indicator"}, default="auto"
        How ``shortlist`` is read. ``"auto"``: a sparse matrix, or an array of ``n_labels``
        columns holding only 0 and 1, is an indicator matrix; any other integer array holds
        label ids. With one or two labels, label ids ``[[0, 1]]`` also hold only 0 and 1:
        ``"auto"`` then reads an integer array as an indicator and warns. Pass ``"ids"``
        for what :meth:`InceptionXMLPlusClassifier.shortlist` returns.

    Returns
    -------
    recall : float
        In [0, 1]; 0.0 when no text has a true label.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import shortlist_recall
    >>> y_true = np.array([[1, 1, 0, 0], [0, 0, 1, 0]])
    >>> shortlist_recall(y_true, np.array([[0, 3, -1], [2, 1, 0]]))  # (1/2 + 1/1) / 2
    0.75
    >>> shortlist_recall(y_true, np.array([[0, 1], [2, 3]]), shortlist_format="ids")
    1.0
    """
    truth = check_label_matrix(y_true, name="y_true")
    n_samples, n_labels = truth.shape
    if shortlist_format == "auto":
        indicator = sp.issparse(shortlist) or (
            np.ndim(shortlist) == 2
            and np.shape(shortlist)[1] == n_labels
            and _is_indicator(shortlist)
        )
        if indicator and n_labels <= 2 and np.asarray(shortlist).dtype.kind in "iu":
            warnings.warn(
                f"shortlist, an integer array of 0s and 1s for {n_labels} label(s), is read as "
                "a 0/1 indicator matrix; if it holds label ids (as "
                "InceptionXMLPlusClassifier.shortlist returns), pass shortlist_format='ids'.",
                UserWarning,
                stacklevel=3,  # the caller's line, past validate_params's wrapper
            )
    else:
        indicator = shortlist_format == "indicator"
        if not indicator and sp.issparse(shortlist):
            raise ValueError(
                "shortlist_format='ids' reads an (n_samples, K) array of label ids; got a "
                "sparse matrix (an indicator matrix: pass shortlist_format='indicator')."
            )
    if indicator:
        listed = check_label_matrix(shortlist, name="shortlist")
        if listed.shape != truth.shape:
            raise ValueError(
                f"shortlist as an indicator matrix must have the shape of y_true "
                f"{truth.shape}, got {listed.shape}."
            )
        hits = np.asarray(truth.multiply(listed).sum(axis=1)).ravel()
    else:
        ids = np.asarray(shortlist)
        if ids.ndim != 2 or ids.shape[0] != n_samples or ids.dtype.kind not in "iu":
            raise ValueError(
                f"shortlist must be an (n_samples={n_samples}, K) integer array of label ids "
                f"(-1 for padding) or an indicator matrix; got shape {ids.shape}, dtype "
                f"{ids.dtype}."
            )
        if ids.size and ids.max() >= n_labels:
            raise ValueError(
                f"shortlist holds label id {int(ids.max())}, but y_true has {n_labels} labels."
            )
        if ids.size and ids.min() < -1:
            raise ValueError(
                f"shortlist holds label id {int(ids.min())}; label ids are >= 0, and -1 is "
                "the only padding value."
            )
        rows = np.repeat(np.arange(n_samples, dtype=np.int64), ids.shape[1])
        valid = ids.ravel() >= 0
        listed_keys = np.unique(rows[valid] * n_labels + ids.ravel()[valid])
        true_rows = np.repeat(np.arange(n_samples, dtype=np.int64), np.diff(truth.indptr))
        found = np.isin(true_rows * n_labels + truth.indices, listed_keys)
        hits = np.bincount(true_rows[found], minlength=n_samples)
    n_true = np.diff(truth.indptr)
    labelled = n_true > 0
    if not labelled.any():
        return 0.0
    return float(np.mean(hits[labelled] / n_true[labelled]))


def _is_indicator(matrix: Any) -> bool:
    values = np.asarray(matrix)
    return bool(np.isin(values, (0, 1)).all())
