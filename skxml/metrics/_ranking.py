"""Ranking metrics of extreme multi-label classification: P@k, R@k, nDCG@k, PSP@k, PSnDCG@k.

All metrics share one piece of machinery, :func:`_top_k_hits`, which turns any of the three
accepted score formats into the ``(n_samples, k)`` matrix of ranked label indices and the
matching 0/1 matrix of hits, without ever building a dense ``(n_samples, n_labels)`` array
for the sparse formats.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, validate_params

from skxml.utils._validation import check_label_matrix, check_sample_weight

__all__ = [
    "inverse_propensity",
    "inverse_propensity_from_counts",
    "ndcg_at_k",
    "precision_at_k",
    "psndcg_at_k",
    "psp_at_k",
    "recall_at_k",
]

# Dense scores are ranked block by block so that the boolean masks and the cumulative count
# used for tie-breaking never exceed this many entries, whatever n_samples is.
_DENSE_BLOCK_ENTRIES = 1 << 22

_F = TypeVar("_F", bound=Callable[..., Any])

# Parameter descriptions shared by every metric (numpydoc, continuation lines indented by 4).
_SHARED_DOCS = {
    "y_true": """y_true : {array-like, sparse matrix} of shape (n_samples, n_labels)
        True labels as a 0/1 matrix; any scipy.sparse format is accepted and never
        densified.""",
    "y_score": """y_score : {array-like, sparse matrix}
        Predictions, in one of three forms:

        - a dense float array of shape ``(n_samples, n_labels)``: every label is ranked by
          its score;
        - a scipy.sparse matrix of shape ``(n_samples, n_labels)`` holding only each
          row's candidate scores (what the skxml classifiers' ``decision_function``
          returns): the stored entries are ranked by score, labels that are not stored
          are not predicted (even when some stored scores are negative);
        - an integer array of shape ``(n_samples, m)``, ``m >= 1``, of label indices
          ranked best first, ``-1`` meaning "no prediction". Positions are taken
          literally: a ``-1`` before a label pushes that label one rank down.

        An integer array is read as ranked indices when its number of columns differs
        from ``n_labels``; with exactly ``n_labels`` columns it is read as scores. Pass
        float scores or a sparse matrix to be unambiguous. Among equal scores the lower
        label index ranks first.""",
    "k": """k : int, default=5
        Number of top-ranked labels that are evaluated.""",
    "sample_weight": """sample_weight : array-like of shape (n_samples,), default=None
        Weight of each query (non-negative, not all zero); ``None`` weighs every query
        alike.""",
    "inv_propensity": """inv_propensity : array-like of shape (n_labels,)
        Inverse propensity :math:`1/p_l` of every label, as returned by
        :func:`inverse_propensity` on the **training** labels. Must be finite and
        positive.""",
    "raises": """Raises
    ------
    ValueError
        If ``k`` is not a positive int; if the shapes of ``y_true``, ``y_score`` (and
        ``inv_propensity``, ``sample_weight``) disagree; if ``y_true`` is not 0/1,
        ``y_score`` holds NaN, ranked label indices are out of range or repeated within a
        row, ``inv_propensity`` is not finite and positive, or ``sample_weight`` is
        negative, not finite or all zero.
    TypeError
        If ``y_score`` is not numeric or ``k`` is a bool.""",
}


def _fill_doc(func: _F) -> _F:
    """Substitute the shared parameter descriptions into ``func``'s docstring."""
    doc = func.__doc__ or ""
    for name, text in _SHARED_DOCS.items():
        doc = doc.replace(f"%({name})s", text)
    func.__doc__ = doc
    return func


# --------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------


def _check_k(k: Any) -> int:
    # validate_params accepts bool for Integral; True meaning k=1 would hide a bug.
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(f"k must be a positive int, got the bool {k!r}.")
    return int(k)


def _check_inv_propensity(inv_propensity: Any, n_labels: int) -> np.ndarray:
    try:
        weights = np.asarray(inv_propensity, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"inv_propensity must be a 1-D array of floats of length n_labels; could not "
            f"convert it: {exc}"
        ) from exc
    if weights.ndim != 1 or weights.shape[0] != n_labels:
        raise ValueError(
            f"inv_propensity must have shape (n_labels,) = ({n_labels},) to match y_true, "
            f"got shape {weights.shape}."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("inv_propensity contains NaN or infinite values.")
    if np.any(weights <= 0):
        raise ValueError(
            f"inv_propensity must be strictly positive, found the value "
            f"{weights[weights <= 0][0]!r}."
        )
    return weights


# --------------------------------------------------------------------------------------
# Ranking: every score format -> (n_samples, k) ranked label indices, -1 padded
# --------------------------------------------------------------------------------------


def _ranked_from_dense_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """Top-k label indices of dense scores; ties go to the lower label index."""
    n_samples, n_labels = scores.shape
    n_kept = min(k, n_labels)
    ranked = np.full((n_samples, n_kept), -1, dtype=np.int64)
    block = max(1, _DENSE_BLOCK_ENTRIES // n_labels)
    for start in range(0, n_samples, block):
        # float64 first: negating bool or unsigned scores would fail or wrap around.
        negated = -np.asarray(scores[start : start + block], dtype=np.float64)
        if np.isnan(negated).any():
            raise ValueError("y_score contains NaN.")
        # argpartition alone picks arbitrarily among scores tied at the k-th position.
        # Instead keep everything strictly better than the k-th score, then the tied
        # entries in increasing label order until each row holds exactly n_kept labels.
        threshold = np.partition(negated, n_kept - 1, axis=1)[:, n_kept - 1 : n_kept]
        better = negated < threshold
        tied = negated == threshold
        n_tied_needed = n_kept - better.sum(axis=1, keepdims=True)
        selected = better | (tied & (np.cumsum(tied, axis=1) <= n_tied_needed))
        # nonzero walks rows in order and columns increasingly: candidates come out sorted
        # by label index, so a stable sort on the score keeps lower indices first on ties.
        candidates = np.nonzero(selected)[1].reshape(-1, n_kept)
        order = np.argsort(np.take_along_axis(negated, candidates, axis=1), axis=1, kind="stable")
        ranked[start : start + block, :n_kept] = np.take_along_axis(candidates, order, axis=1)
    return ranked


def _ranked_from_sparse_scores(scores: sp.csr_matrix, k: int) -> np.ndarray:
    """Top-k stored entries of each CSR row; O(nnz log nnz) time, O(nnz + n*k) memory."""
    n_samples = scores.shape[0]
    data = np.asarray(scores.data, dtype=np.float64)
    if np.isnan(data).any():
        raise ValueError("y_score contains NaN.")
    row_sizes = np.diff(scores.indptr)
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), row_sizes)
    # lexsort's last key is the primary one: by row, then by decreasing score, then by
    # increasing label index. Rows stay in place, so `rows` is unchanged by the ordering.
    order = np.lexsort((scores.indices, -data, rows))
    rank_in_row = np.arange(rows.size, dtype=np.int64) - scores.indptr[rows]
    keep = rank_in_row < k
    # No row holds more than n_labels entries (duplicates are summed before).
    ranked = np.full((n_samples, min(k, scores.shape[1])), -1, dtype=np.int64)
    ranked[rows[keep], rank_in_row[keep]] = scores.indices[order[keep]]
    return ranked


def _ranked_from_indices(indices: np.ndarray, n_labels: int, k: int) -> np.ndarray:
    """Validate an (n, m) array of ranked label indices and pad or cut it to
    ``min(k, max(n_labels, m))`` columns."""
    if indices.shape[1] == 0:
        raise ValueError(
            "y_score is an integer array with 0 columns; ranked label indices need at "
            "least one column (use -1 for 'no prediction')."
        )
    if indices.size and (indices.min() < -1 or indices.max() >= n_labels):
        bad = indices[(indices < -1) | (indices >= n_labels)][0]
        raise ValueError(
            f"y_score holds ranked label indices (an integer array whose number of "
            f"columns, {indices.shape[1]}, differs from n_labels={n_labels}); they must lie "
            f"in [-1, {n_labels}) with -1 meaning 'no prediction', found {bad}."
        )
    sorted_indices = np.sort(indices, axis=1)
    repeated = (sorted_indices[:, 1:] == sorted_indices[:, :-1]) & (sorted_indices[:, 1:] >= 0)
    if repeated.any():
        row = int(np.nonzero(repeated.any(axis=1))[0][0])
        raise ValueError(
            f"y_score holds ranked label indices and row {row} predicts the same label "
            f"more than once: {indices[row].tolist()}."
        )
    # At least min(k, n_labels) columns, as for scores: the ideal rankings of nDCG and PSP
    # are cut at this width, and must not be cut at the fewer ranks a model returned.
    width = min(k, max(n_labels, indices.shape[1]))
    ranked = np.full((indices.shape[0], width), -1, dtype=np.int64)
    n_kept = min(width, indices.shape[1])
    ranked[:, :n_kept] = indices[:, :n_kept]
    return ranked


def _ranked_labels(y_score: Any, n_samples: int, n_labels: int, k: int) -> np.ndarray:
    """Dispatch on the score format; see the ``y_score`` parameter of the metrics."""
    if sp.issparse(y_score):
        scores = sp.csr_matrix(y_score, copy=True)
        if scores.ndim != 2 or scores.shape != (n_samples, n_labels):
            raise ValueError(
                f"y_score is a sparse matrix of shape {scores.shape}, but y_true has shape "
                f"({n_samples}, {n_labels}); they must match."
            )
        if np.issubdtype(scores.dtype, np.complexfloating):
            raise TypeError("y_score must hold real scores, got complex values.")
        scores.sum_duplicates()
        return _ranked_from_sparse_scores(scores, k)

    try:
        array = np.asarray(y_score)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"y_score must be a 2-D array or a scipy.sparse matrix; could not convert it "
            f"to an array: {exc}"
        ) from exc
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"y_score must hold numbers, got an array of dtype {array.dtype}.")
    if array.ndim != 2:
        raise ValueError(
            f"y_score must be 2-D: scores of shape (n_samples, n_labels) or ranked label "
            f"indices of shape (n_samples, m); got an array of shape {array.shape}."
        )
    if array.shape[0] != n_samples:
        raise ValueError(
            f"y_score has {array.shape[0]} rows but y_true has {n_samples}; they must match."
        )
    if np.issubdtype(array.dtype, np.integer) and array.shape[1] != n_labels:
        return _ranked_from_indices(array, n_labels, k)
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError("y_score must hold real scores, got complex values.")
    if array.shape[1] != n_labels:
        raise ValueError(
            f"y_score has {array.shape[1]} columns but y_true has {n_labels} labels; pass "
            f"scores of shape (n_samples, n_labels), a sparse matrix of that shape, or an "
            f"integer array of ranked label indices."
        )
    return _ranked_from_dense_scores(array, k)


def _lookup_hits(labels: sp.csr_matrix, ranked: np.ndarray) -> np.ndarray:
    """0/1 matrix telling whether each ranked label is true, without densifying y_true."""
    n_samples, n_labels = labels.shape
    if labels.nnz == 0:
        return np.zeros(ranked.shape, dtype=np.float64)
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), np.diff(labels.indptr))
    # Canonical CSR (rows in order, sorted indices) makes these flat keys increasing, so
    # one searchsorted answers every (row, label) question.
    true_keys = rows * n_labels + labels.indices.astype(np.int64)
    query_keys = np.arange(n_samples, dtype=np.int64)[:, None] * n_labels + ranked
    positions = np.minimum(np.searchsorted(true_keys, query_keys), true_keys.size - 1)
    hits = (true_keys[positions] == query_keys) & (ranked >= 0)
    return hits.astype(np.float64)


def _top_k_hits(y_true: Any, y_score: Any, k: Any) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Validate the inputs and rank the predictions.

    Returns
    -------
    labels : csr_matrix of shape (n_samples, n_labels)
        Canonical y_true.
    ranked : ndarray of shape (n_samples, k') with k' = min(k, n_labels), int64
        Predicted label indices, best first, -1 where nothing is predicted. Ranks past the
        number of labels (or of the ranked indices given) would hold nothing: they are left
        out, so that memory follows the data, not ``k``; the metrics read ``k`` itself
        where they divide by it.
    hits : ndarray of shape (n_samples, k'), float64
        1.0 where ``ranked`` is a true label of its row.
    """
    k = _check_k(k)
    labels = check_label_matrix(y_true, name="y_true")
    n_samples, n_labels = labels.shape
    ranked = _ranked_labels(y_score, n_samples, n_labels, k)
    return labels, ranked, _lookup_hits(labels, ranked)


def _discounts(k: int) -> np.ndarray:
    """DCG discounts 1/log2(rank + 1) for ranks 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def _ideal_gains(labels: sp.csr_matrix, weights: np.ndarray, k: int) -> np.ndarray:
    """(n, k) matrix of each query's true-label weights, largest first, zero padded."""
    n_samples = labels.shape[0]
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), np.diff(labels.indptr))
    label_weights = weights[labels.indices]
    order = np.lexsort((-label_weights, rows))
    rank_in_row = np.arange(rows.size, dtype=np.int64) - labels.indptr[rows]
    keep = rank_in_row < k
    gains = np.zeros((n_samples, k), dtype=np.float64)
    gains[rows[keep], rank_in_row[keep]] = label_weights[order[keep]]
    return gains


def _mean(values: np.ndarray, weights: np.ndarray | None) -> float:
    """The mean of per-query values, weighted by ``weights`` when given."""
    return float(values.mean() if weights is None else values @ weights / weights.sum())


def _mean_of_ratios(
    numerators: np.ndarray, denominators: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """(Weighted) mean of per-query ratios where queries with a zero denominator count as 0."""
    ratios = np.divide(
        numerators, denominators, out=np.zeros_like(numerators), where=denominators > 0
    )
    return _mean(ratios, weights)


def _ratio_of_sums(
    numerators: np.ndarray, denominators: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Per-query numerators and denominators (one row, or one value, per query), each
    (weighted and) summed, then divided."""
    if weights is None:  # summed whole, as before weights existed: the same rounding
        numerator, denominator = numerators.sum(), denominators.sum()
    else:
        numerator = numerators.reshape(len(weights), -1).sum(axis=1) @ weights
        denominator = denominators.reshape(len(weights), -1).sum(axis=1) @ weights
    return float(numerator / denominator) if denominator > 0 else 0.0


# --------------------------------------------------------------------------------------
# Public metrics
# --------------------------------------------------------------------------------------

_METRIC_CONSTRAINTS: dict[str, list[Any]] = {
    "y_true": ["array-like", "sparse matrix"],
    "y_score": ["array-like", "sparse matrix"],
    "k": [Interval(Integral, 1, None, closed="left")],
    "sample_weight": ["array-like", None],
}


@validate_params(_METRIC_CONSTRAINTS, prefer_skip_nested_validation=True)
@_fill_doc
def precision_at_k(y_true: Any, y_score: Any, *, k: int = 5, sample_weight: Any = None) -> float:
    """Precision at k: the fraction of the k best-ranked labels that are true.

    :math:`\\mathrm{P@}k = \\frac{1}{n}\\sum_i \\frac{1}{k}\\sum_{l \\in \\mathrm{top}_k(i)}
    y_{il}`.

    Parameters
    ----------
    %(y_true)s
    %(y_score)s
    %(k)s
    %(sample_weight)s

    Returns
    -------
    score : float
        P@k in [0, 1] (papers report it multiplied by 100).

    %(raises)s

    See Also
    --------
    psp_at_k : Propensity-scored precision, which rewards correct rare labels.
    recall_at_k : Fraction of each query's true labels found in its top k.

    Notes
    -----
    The sum is divided by ``k`` even when fewer than ``k`` labels are predicted, so missing
    predictions count as wrong. A query with no true label scores 0 and still counts in the
    average over the ``n`` queries. With ``sample_weight`` the average is weighted: a query
    of weight 2 counts as two copies of it.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import precision_at_k
    >>> y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 0]])
    >>> y_score = np.array([[0.9, 0.8, 0.1, 0.0], [0.2, 0.7, 0.3, 0.1]])
    >>> precision_at_k(y_true, y_score, k=1)
    1.0
    >>> precision_at_k(y_true, y_score, k=2)  # (1/2 + 1/2) / 2
    0.5
    >>> precision_at_k(y_true, np.array([[0, 2], [1, -1]]), k=2)  # ranked indices
    0.75
    """
    _, _, hits = _top_k_hits(y_true, y_score, k)
    weights = check_sample_weight(sample_weight, hits.shape[0])
    if weights is None:
        return float(hits.sum() / (hits.shape[0] * k))
    return _mean(hits.sum(axis=1), weights) / k


@validate_params(_METRIC_CONSTRAINTS, prefer_skip_nested_validation=True)
@_fill_doc
def recall_at_k(y_true: Any, y_score: Any, *, k: int = 5, sample_weight: Any = None) -> float:
    """Recall at k: the fraction of each query's true labels found among its top k.

    :math:`\\mathrm{R@}k = \\frac{1}{n}\\sum_i |\\mathrm{top}_k(i) \\cap y_i| / |y_i|`.

    Parameters
    ----------
    %(y_true)s
    %(y_score)s
    %(k)s
    %(sample_weight)s

    Returns
    -------
    score : float
        R@k in [0, 1].

    %(raises)s

    See Also
    --------
    precision_at_k : Fraction of the top k that is true.

    Notes
    -----
    A query with no true label scores 0 and still counts in the average over the ``n``
    queries.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import recall_at_k
    >>> y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 0]])
    >>> y_score = np.array([[0.9, 0.8, 0.1, 0.0], [0.2, 0.7, 0.3, 0.1]])
    >>> recall_at_k(y_true, y_score, k=1)  # (1/2 + 1/1) / 2
    0.75
    """
    labels, _, hits = _top_k_hits(y_true, y_score, k)
    weights = check_sample_weight(sample_weight, hits.shape[0])
    return _mean_of_ratios(hits.sum(axis=1), np.diff(labels.indptr).astype(np.float64), weights)


@validate_params(_METRIC_CONSTRAINTS, prefer_skip_nested_validation=True)
@_fill_doc
def ndcg_at_k(y_true: Any, y_score: Any, *, k: int = 5, sample_weight: Any = None) -> float:
    """Normalised discounted cumulative gain at k.

    For each query, :math:`\\mathrm{DCG@}k = \\sum_{j=1}^{k} y_{i,r_i(j)} / \\log_2(j+1)`
    is divided by its best achievable value, the sum of the first
    :math:`\\min(k, |y_i|)` discounts; the ratios are averaged over queries.

    Parameters
    ----------
    %(y_true)s
    %(y_score)s
    %(k)s
    %(sample_weight)s

    Returns
    -------
    score : float
        nDCG@k in [0, 1].

    %(raises)s

    See Also
    --------
    psndcg_at_k : The propensity-scored version.

    Notes
    -----
    A query with no true label scores 0 and still counts in the average over the ``n``
    queries.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import ndcg_at_k
    >>> y_true = np.array([[0, 1, 1]])
    >>> y_score = np.array([[0.9, 0.8, 0.1]])
    >>> # DCG = 1/log2(3) + 1/log2(4) = 1.1309; IDCG = 1 + 1/log2(3) = 1.6309
    >>> round(ndcg_at_k(y_true, y_score, k=3), 4)
    0.6934
    """
    labels, _, hits = _top_k_hits(y_true, y_score, k)
    discounts = _discounts(hits.shape[1])
    ideal_cumulative = np.concatenate(([0.0], np.cumsum(discounts)))
    n_ideal = np.minimum(np.diff(labels.indptr), hits.shape[1])
    weights = check_sample_weight(sample_weight, hits.shape[0])
    return _mean_of_ratios(hits @ discounts, ideal_cumulative[n_ideal], weights)


_PROPENSITY_METRIC_CONSTRAINTS: dict[str, list[Any]] = {
    **_METRIC_CONSTRAINTS,
    "inv_propensity": ["array-like"],
}


@validate_params(_PROPENSITY_METRIC_CONSTRAINTS, prefer_skip_nested_validation=True)
@_fill_doc
def psp_at_k(
    y_true: Any,
    y_score: Any,
    *,
    k: int = 5,
    inv_propensity: Any,
    sample_weight: Any = None,
) -> float:
    """Propensity-scored precision at k (Jain et al., 2016 [1]_).

    Each correct label in the top k counts :math:`1/p_l` instead of 1; the total over all
    queries is divided by the best total a ranking could achieve, the sum over queries of
    the :math:`\\min(k, |y_i|)` largest :math:`1/p_l` among the query's true labels.

    Parameters
    ----------
    %(y_true)s
    %(y_score)s
    %(k)s
    %(inv_propensity)s
    %(sample_weight)s

    Returns
    -------
    score : float
        PSP@k in [0, 1]; 0.0 when no query has a true label.

    %(raises)s

    See Also
    --------
    inverse_propensity : Computes ``inv_propensity`` from training labels.
    precision_at_k : The unweighted metric.

    Notes
    -----
    Numerator and denominator are summed over all queries before dividing, the
    normalisation of the Extreme Classification Repository; with ``sample_weight`` each
    query's terms are multiplied by its weight in both sums. A query with no true label
    adds 0 to both sums. With equal propensities, PSP@k is the number of hits divided by
    :math:`\\sum_i \\min(k, |y_i|)`.

    References
    ----------
    .. [1] H. Jain, Y. Prabhu, M. Varma, "Extreme Multi-label Loss Functions for
       Recommendation, Tagging, Ranking & Other Missing Label Applications", KDD 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import psp_at_k
    >>> y_true = np.array([[1, 1, 0], [0, 1, 0]])
    >>> y_score = np.array([[0.9, 0.1, 0.5], [0.3, 0.2, 0.1]])
    >>> inv_propensity = np.array([1.0, 4.0, 2.0])
    >>> # hits at k=1: label 0 (weight 1) in row 0, nothing in row 1 -> 1
    >>> # best: label 1 (weight 4) in each row -> 8
    >>> psp_at_k(y_true, y_score, k=1, inv_propensity=inv_propensity)
    0.125
    """
    labels, ranked, hits = _top_k_hits(y_true, y_score, k)
    weights = _check_inv_propensity(inv_propensity, labels.shape[1])
    query_weights = check_sample_weight(sample_weight, hits.shape[0])
    gains = hits * weights[np.maximum(ranked, 0)]
    ideal = _ideal_gains(labels, weights, hits.shape[1])
    return _ratio_of_sums(gains, ideal, query_weights)


@validate_params(_PROPENSITY_METRIC_CONSTRAINTS, prefer_skip_nested_validation=True)
@_fill_doc
def psndcg_at_k(
    y_true: Any,
    y_score: Any,
    *,
    k: int = 5,
    inv_propensity: Any,
    sample_weight: Any = None,
) -> float:
    """Propensity-scored nDCG at k.

    The DCG of each query with gains :math:`y_{il}/p_l`, summed over queries and divided by
    the summed ideal DCG, in which each query's true labels are placed by decreasing
    :math:`1/p_l` in its first :math:`\\min(k, |y_i|)` ranks.

    Parameters
    ----------
    %(y_true)s
    %(y_score)s
    %(k)s
    %(inv_propensity)s
    %(sample_weight)s

    Returns
    -------
    score : float
        PSnDCG@k in [0, 1]; 0.0 when no query has a true label.

    %(raises)s

    See Also
    --------
    inverse_propensity : Computes ``inv_propensity`` from training labels.
    ndcg_at_k : The unweighted metric.

    Notes
    -----
    Like :func:`psp_at_k`, numerator and denominator are summed over all queries before
    dividing, and a query with no true label adds 0 to both.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import psndcg_at_k
    >>> y_true = np.array([[1, 1, 0]])
    >>> y_score = np.array([[0.9, 0.1, 0.5]])
    >>> inv_propensity = np.array([1.0, 4.0, 2.0])
    >>> # DCG@2 = 1/log2(2) + 0 = 1; ideal = 4/log2(2) + 1/log2(3) = 4.6309
    >>> round(psndcg_at_k(y_true, y_score, k=2, inv_propensity=inv_propensity), 4)
    0.2159
    """
    labels, ranked, hits = _top_k_hits(y_true, y_score, k)
    weights = _check_inv_propensity(inv_propensity, labels.shape[1])
    discounts = _discounts(hits.shape[1])
    gains = hits * weights[np.maximum(ranked, 0)]
    ideal = _ideal_gains(labels, weights, hits.shape[1])
    query_weights = check_sample_weight(sample_weight, hits.shape[0])
    return _ratio_of_sums(gains @ discounts, ideal @ discounts, query_weights)


# --------------------------------------------------------------------------------------
# Propensities
# --------------------------------------------------------------------------------------


@validate_params(
    {
        "label_counts": ["array-like"],
        "n_samples": [Interval(Integral, 3, None, closed="left")],
        "A": [Interval(Real, 0, None, closed="neither")],
        "B": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def inverse_propensity_from_counts(
    label_counts: Any, n_samples: int, A: float = 0.55, B: float = 1.5
) -> np.ndarray:
    """Inverse propensities :math:`1/p_l` from per-label training counts.

    :math:`p_l = 1 / (1 + C e^{-A \\ln(N_l + B)})` with :math:`C = (\\ln N - 1)(B + 1)^A`,
    hence :math:`1/p_l = 1 + C (N_l + B)^{-A}`.

    Parameters
    ----------
    label_counts : array-like of shape (n_labels,)
        :math:`N_l`, the number of training samples carrying each label (non-negative,
        at most ``n_samples``).
    n_samples : int
        :math:`N`, the number of training samples; at least 3, since the formula needs
        :math:`\\ln N > 1` to give propensities in (0, 1].
    A : float, default=0.55
        Dataset constant; 0.55 for Wikipedia and most datasets, 0.6 for Amazon, 0.5 for
        WikiTitles-500K.
    B : float, default=1.5
        Dataset constant; 1.5 for Wikipedia, 2.6 for Amazon, 0.4 for WikiTitles-500K.

    Returns
    -------
    inv_propensity : ndarray of shape (n_labels,), float64
        Values greater than 1, decreasing as labels get more frequent.

    Raises
    ------
    ValueError
        If ``label_counts`` is not 1-D, negative, non-finite or above ``n_samples``, or
        ``A`` and ``B`` give inverse propensities too large for floating point.
    TypeError
        If ``label_counts`` cannot be converted to numbers.

    See Also
    --------
    inverse_propensity : The same from a training label matrix.

    Examples
    --------
    >>> from skxml.metrics import inverse_propensity_from_counts
    >>> inverse_propensity_from_counts([0, 1, 10], n_samples=100).round(3)
    array([5.775, 4.605, 2.557])
    """
    try:
        counts = np.asarray(label_counts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"label_counts must be a 1-D array of non-negative counts; could not convert it: {exc}"
        ) from exc
    if counts.ndim != 1:
        raise ValueError(f"label_counts must be 1-D (n_labels,), got shape {counts.shape}.")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("label_counts must hold finite, non-negative counts.")
    if np.any(counts > n_samples):
        raise ValueError(
            f"label_counts cannot exceed n_samples={n_samples}: a label cannot occur in more "
            f"training samples than there are; found {counts.max():g}."
        )
    # (B + 1)^A (N_l + B)^-A in log space: the powers alone overflow for a large A.
    with np.errstate(over="ignore"):
        inv_propensity = 1.0 + (np.log(n_samples) - 1.0) * np.exp(
            A * (np.log(B + 1.0) - np.log(counts + B))
        )
    if not np.all(np.isfinite(inv_propensity)):
        raise ValueError(
            f"A={A!r} and B={B!r} give inverse propensities too large for floating point "
            "(the usual constants are A=0.5-0.6, B=0.4-2.6)."
        )
    return inv_propensity


@validate_params(
    {
        "Y_train": ["array-like", "sparse matrix"],
        "A": [Interval(Real, 0, None, closed="neither")],
        "B": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def inverse_propensity(Y_train: Any, A: float = 0.55, B: float = 1.5) -> np.ndarray:
    """Inverse propensities :math:`1/p_l` of every label, from the training labels.

    The propensity model of Jain et al. (2016): :math:`p_l = 1/(1 + C e^{-A \\ln(N_l + B)})`,
    :math:`C = (\\ln N - 1)(B + 1)^A`, with :math:`N` the number of training samples and
    :math:`N_l` the number of them carrying label :math:`l`.

    Parameters
    ----------
    Y_train : {array-like, sparse matrix} of shape (n_samples, n_labels)
        Training label matrix (0/1), at least 3 rows. Use the training labels, never the
        labels of the data being evaluated.
    A : float, default=0.55
        Dataset constant; 0.55 for Wikipedia and most datasets, 0.6 for Amazon, 0.5 for
        WikiTitles-500K.
    B : float, default=1.5
        Dataset constant; 1.5 for Wikipedia, 2.6 for Amazon, 0.4 for WikiTitles-500K.

    Returns
    -------
    inv_propensity : ndarray of shape (n_labels,), float64
        The ``inv_propensity`` argument of :func:`psp_at_k` and :func:`psndcg_at_k`.

    Raises
    ------
    ValueError
        If ``Y_train`` is not a 0/1 matrix or has fewer than 3 rows.

    See Also
    --------
    inverse_propensity_from_counts : The same from label counts.
    psp_at_k : Propensity-scored precision.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.metrics import inverse_propensity
    >>> Y_train = np.array([[1, 0], [1, 0], [1, 1], [0, 0]])
    >>> inverse_propensity(Y_train).round(3)
    array([1.28 , 1.386])
    """
    labels = check_label_matrix(Y_train, name="Y_train")
    n_samples, n_labels = labels.shape
    if n_samples < 3:
        raise ValueError(
            f"Y_train must have at least 3 rows to compute propensities (the model needs "
            f"ln(n_samples) > 1), got {n_samples}."
        )
    label_counts = np.bincount(labels.indices, minlength=n_labels)
    return inverse_propensity_from_counts(label_counts, n_samples, A=A, B=B)
