"""Scorers of the ranking metrics, for cross-validation, GridSearchCV and Pipelines.

The plain metrics need nothing from the estimator but its scores, so
``sklearn.metrics.make_scorer(precision_at_k, k=5, response_method="decision_function")``
works as it is. The propensity-scored metrics also need inverse propensities, and those
must come from the labels the estimator was **trained** on: :func:`make_xmc_scorer`
builds scorers that read them off the fitted estimator.

**Contract** followed by the skxml classifiers, and needed from any estimator scored here.
After ``fit(X, Y)``, with ``Y`` a 0/1 matrix of shape ``(n_samples, n_labels)``:

- ``label_counts_`` : ndarray of shape ``(n_labels,)``, the number of training samples
  carrying each label;
- ``n_train_samples_`` : int, the number of training samples;
- ``decision_function(X)`` returns label scores, either a sparse ``(n, n_labels)`` matrix
  holding each row's top-k candidates or a dense ``(n, n_labels)`` array.

Only the propensity-scored scorers ("psp", "psndcg") read the two attributes; on a
:class:`~sklearn.pipeline.Pipeline` they are read from the last step, on a fitted
:class:`~sklearn.model_selection.GridSearchCV` from its ``best_estimator_``. An estimator tagged
as a classifier must also expose ``classes_`` (e.g. ``np.arange(n_labels)``), which
scikit-learn's response-method machinery reads before calling ``decision_function``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics._scorer import _BaseScorer, _cached_call
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _check_response_method

from skxml._label_input import _as_label_input, _is_label_lists, _named_label_matrix
from skxml.metrics._ranking import (
    inverse_propensity_from_counts,
    ndcg_at_k,
    precision_at_k,
    psndcg_at_k,
    psp_at_k,
    recall_at_k,
)

__all__ = ["get_xmc_scorer", "get_xmc_scorer_names", "make_xmc_scorer"]

_METRICS: dict[str, Callable[..., float]] = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "psp": psp_at_k,
    "psndcg": psndcg_at_k,
}
_PROPENSITY_METRICS = frozenset({"psp", "psndcg"})
_READY_MADE_K = (1, 3, 5)
# The short names of the papers' tables: P@k, R@k, N@k (nDCG), PSN@k (PSnDCG).
_METRIC_ALIASES = {"p": "precision", "r": "recall", "n": "ndcg", "psn": "psndcg"}
# "precision@5", or "precision_at_5" as the metric functions are named.
_SCORER_NAME = re.compile(r"(?P<metric>[a-z]+)(?:@|_at_)(?P<k>[0-9]+)")
_RESPONSE_METHODS = {"decision_function", "predict_proba", "predict"}


def _response_method_name(method: Any) -> str:
    # functools.partial-wrapped methods carry their name on .func.
    while not hasattr(method, "__name__") and hasattr(method, "func"):
        method = method.func
    return str(method.__name__)


def _step_with(estimator: Any, *attributes: str) -> Any:
    """The estimator, or the first of its successive Pipeline last steps and fitted searches'
    ``best_estimator_`` (a GridSearchCV scored in nested cross-validation), that has every
    one of ``attributes``; the innermost one reached when none has them."""
    holder = estimator
    while not all(hasattr(holder, name) for name in attributes):
        if getattr(holder, "steps", None):
            holder = holder.steps[-1][1]
        elif hasattr(holder, "best_estimator_"):
            holder = holder.best_estimator_
        else:
            break
    return holder


def _top_k_holder(estimator: Any) -> Any:
    """The estimator or Pipeline last step whose ``top_k`` (an int) caps the labels it
    returns per text, as the skxml classifiers' does; None for any other estimator."""
    holder = _step_with(estimator, "top_k", "classes_")
    top_k = getattr(holder, "top_k", None)
    has_classes = hasattr(holder, "classes_")
    if has_classes and isinstance(top_k, Integral) and not isinstance(top_k, bool):
        return holder
    return None


def _with_top_k(estimator: Any, top_k: int) -> Any:
    """A shallow copy of ``estimator`` whose top-k holder (itself, or down its Pipeline last
    steps and searches' ``best_estimator_``) has ``top_k``; fitted state is shared, and no
    object of the original is changed."""
    copied = object.__new__(type(estimator))
    copied.__dict__.update(estimator.__dict__)
    if hasattr(estimator, "top_k") and hasattr(estimator, "classes_"):
        copied.top_k = top_k
    elif getattr(estimator, "steps", None):
        name, last = estimator.steps[-1]
        copied.steps = [*estimator.steps[:-1], (name, _with_top_k(last, top_k))]
    elif hasattr(estimator, "best_estimator_"):
        copied.best_estimator_ = _with_top_k(estimator.best_estimator_, top_k)
    return copied


def _needs_own_k(holder: Any, k: int, *, predicts: str = "decision_function") -> bool:
    """Whether a scorer of ``k`` labels must ask ``holder`` for ``k`` itself rather than
    read the first ``k`` of its ``top_k`` answer: when that holds fewer labels, or when the
    estimator ranks ``top_k`` labels otherwise than ``k`` (InceptionXML+ widens its
    shortlist for a large ``top_k``; its ``_rankings_nested`` says when). ``predict``'s
    answer, a 0/1 matrix, has no ranking to cut at ``k``: asked for fewer labels than its
    ``top_k``, the copy answers ``k``; asked for more, the estimator's own answer (fewer
    labels, what it predicts) is scored."""
    n_labels = len(holder.classes_)
    k, top_k = min(k, n_labels), min(holder.top_k, n_labels)
    if predicts == "predict":
        return top_k > k
    if top_k < k:
        return True
    nested = getattr(holder, "_rankings_nested", None)
    return top_k > k and nested is not None and not nested(k, top_k)


def warn_if_no_label_is_known(distinct: set[Any], known: set[Any], *, name: str) -> None:
    """Warn when label lists name labels and not one of them is among the fitted
    ``classes_``: every label then counts as missed, which is usually a mix-up of label
    types (``1`` against ``"1"``) rather than a model that is always wrong."""
    if distinct and not distinct & known:
        examples = ", ".join(repr(label) for label in sorted(distinct, key=repr)[:3])
        fitted = ", ".join(repr(label) for label in sorted(known, key=repr)[:3])
        warnings.warn(
            f"None of the {len(distinct)} labels in {name} is among the estimator's classes_ "
            f"(e.g. {examples}; the estimator has {fitted}, ...), so every one counts as "
            "missed; check that the labels have the types the estimator was fitted with.",
            UserWarning,
            stacklevel=4,
        )


def _fitted_label_statistics(estimator: Any, metric: str) -> tuple[np.ndarray, int]:
    """``label_counts_`` and ``n_train_samples_`` of the estimator or its last step."""
    holder = _step_with(estimator, "label_counts_", "n_train_samples_")
    missing = [name for name in ("label_counts_", "n_train_samples_") if not hasattr(holder, name)]
    if missing:
        raise AttributeError(
            f"The {metric!r} scorer computes inverse propensities from the labels the "
            f"estimator was trained on, so the fitted estimator (or a Pipeline's last "
            f"step) must have the attributes `label_counts_` (training samples per "
            f"label) and `n_train_samples_`; {type(holder).__name__} lacks "
            f"{', '.join(f'`{name}`' for name in missing)}."
        )
    return np.asarray(holder.label_counts_), int(holder.n_train_samples_)


def _label_lists_as_matrix(
    estimator: Any, y_true: Any, *, name: str = "y_true"
) -> tuple[Any, int]:
    """Label lists (``[["a", "b"], ["c"]]``) as a CSR matrix over the fitted estimator's
    ``classes_`` (of its last step in a Pipeline), and the number of labels it never saw;
    any other ``y_true`` unchanged, with 0.

    Labels the estimator never saw are true labels all the same: they take extra columns
    after ``classes_`` (which no ranking can reach), so that recall, nDCG and the
    propensity-scored metrics count them as missed rather than forget them (P@k is the same
    either way: it divides by k).
    """
    y_true = _as_label_input(y_true)
    if not _is_label_lists(y_true):
        fitted = _step_with(estimator, "_label_binarizer_")
        if getattr(fitted, "_label_binarizer_", None) is None:
            return y_true, 0
        # A DataFrame's named columns are matched to the labels a skxml model was fitted
        # on by name, whatever their order.
        holder = _step_with(estimator, "classes_")
        named = _named_label_matrix(y_true, holder.classes_, name=name)
        return (y_true if named is None else named), 0
    holder = _step_with(estimator, "classes_")
    if not hasattr(holder, "classes_"):
        raise TypeError(
            f"{name} is a list of label lists, which the scorer maps to columns through the "
            f"fitted estimator's classes_; {type(holder).__name__} has none. Pass a 0/1 label "
            "matrix instead."
        )
    fitted = _step_with(estimator, "_label_binarizer_")
    if getattr(fitted, "_label_binarizer_", True) is None:  # a skxml model fitted on a matrix
        raise ValueError(
            f"{name} is a list of label lists but the estimator was fitted on a label matrix; "
            "pass a matrix with the same columns."
        )
    classes = list(holder.classes_)
    known = set(classes)
    distinct = {label for labels in y_true for label in labels}
    warn_if_no_label_is_known(distinct, known, name=name)
    unseen = sorted(distinct - known, key=repr)
    binarizer = MultiLabelBinarizer(classes=classes + unseen, sparse_output=True)
    return binarizer.fit_transform(y_true), len(unseen)


def _inverse_propensity_with_unseen(
    label_counts: np.ndarray, n_train_samples: int, n_unseen: int, *, A: float, B: float
) -> np.ndarray:
    """Inverse propensities of the training labels, then of ``n_unseen`` labels never seen
    in training (count 0: the highest inverse propensity)."""
    counts = np.concatenate([label_counts, np.zeros(n_unseen, dtype=np.int64)])
    return inverse_propensity_from_counts(counts, n_train_samples, A=A, B=B)


def _with_unreachable_columns(y_score: Any, n_labels: int, n_extra: int) -> Any:
    """``y_score`` of ``n_labels`` labels with ``n_extra`` more columns that no ranking
    reaches: absent from a sparse matrix (dense scores become one whose every entry but those
    is stored, zeros included, since a dense ranking would reach even ``-inf`` when ``k``
    exceeds the known labels). Ranked label indices are returned as they are."""
    if n_extra == 0:
        return y_score
    if sp.issparse(y_score):
        extra = sp.csr_matrix((y_score.shape[0], n_extra), dtype=y_score.dtype)
        return sp.hstack([sp.csr_matrix(y_score), extra], format="csr")
    scores = np.asarray(y_score)
    if scores.ndim != 2 or scores.dtype.kind not in "biuf":  # the metric's own error
        return y_score
    if scores.shape[1] != n_labels:
        return y_score  # ranked label indices (or a width the metric will refuse)
    n_samples = scores.shape[0]
    return sp.csr_matrix(
        (
            scores.astype(np.float64).ravel(),
            np.tile(np.arange(n_labels, dtype=np.int64), n_samples),
            np.arange(0, n_samples * n_labels + 1, max(n_labels, 1), dtype=np.int64),
        ),
        shape=(n_samples, n_labels + n_extra),
    )


class _XMCScorer(_BaseScorer):
    """Scorer of one ranking metric; see :func:`make_xmc_scorer`."""

    def __init__(self, metric: str, *, k: int, A: float, B: float, response_method: Any) -> None:
        super().__init__(
            score_func=_METRICS[metric],
            sign=1,
            kwargs={"k": k},
            response_method=response_method,
        )
        self._metric = metric
        self._A = A
        self._B = B

    def __repr__(self) -> str:
        arguments = [repr(self._metric), f"k={self._kwargs['k']}"]
        if self._metric in _PROPENSITY_METRICS:
            arguments += [f"A={self._A}", f"B={self._B}"]
        if self._response_method != "decision_function":
            arguments.append(f"response_method={self._response_method!r}")
        return f"make_xmc_scorer({', '.join(arguments)})"

    def _score(
        self, method_caller: Callable[..., Any], estimator: Any, X: Any, y_true: Any, **kwargs: Any
    ) -> float:
        sample_weight = kwargs.pop("sample_weight", None)
        if kwargs:
            raise TypeError(
                f"{self!r} accepts no metadata besides sample_weight; got {sorted(kwargs)}."
            )
        scoring_kwargs = dict(self._kwargs)
        if sample_weight is not None:
            scoring_kwargs["sample_weight"] = sample_weight
        if self._metric in _PROPENSITY_METRICS:
            # Read before predicting so that a missing attribute fails fast.
            label_counts, n_train_samples = _fitted_label_statistics(estimator, self._metric)
        y_true, n_unseen = _label_lists_as_matrix(estimator, y_true)
        if self._metric in _PROPENSITY_METRICS:
            scoring_kwargs["inv_propensity"] = _inverse_propensity_with_unseen(
                label_counts, n_train_samples, n_unseen, A=self._A, B=self._B
            )
        method = _check_response_method(estimator, self._response_method)
        name = _response_method_name(method)
        holder = _top_k_holder(estimator)
        if holder is not None and _needs_own_k(holder, self._kwargs["k"], predicts=name):
            # The estimator's top_k answer cannot be cut to this k (it holds fewer labels,
            # or ranks them from a wider shortlist): ask a copy answering k, uncached (the
            # estimator itself is left alone: another thread may be predicting with it).
            asking_k = _with_top_k(estimator, self._kwargs["k"])
            y_score = _cached_call(None, asking_k, name, X, pos_label=None)
        else:
            # method_caller caches responses by method name when several scorers share them.
            y_score = method_caller(estimator, name, X, pos_label=None)
        if n_unseen:  # y_true is then the CSR matrix of label lists made above
            y_score = _with_unreachable_columns(y_score, y_true.shape[1] - n_unseen, n_unseen)
        return float(self._sign * self._score_func(y_true, y_score, **scoring_kwargs))


@validate_params(
    {
        "metric": [StrOptions(set(_METRICS))],
        "k": [Interval(Integral, 1, None, closed="left")],
        "A": [Interval(Real, 0, None, closed="neither")],
        "B": [Interval(Real, 0, None, closed="neither")],
        "response_method": [StrOptions(_RESPONSE_METHODS), list, tuple],
    },
    prefer_skip_nested_validation=True,
)
def make_xmc_scorer(
    metric: str,
    *,
    k: int = 5,
    A: float = 0.55,
    B: float = 1.5,
    response_method: str | list[str] | tuple[str, ...] = "decision_function",
) -> _XMCScorer:
    """Build a scorer of a ranking metric for cross-validation and GridSearchCV.

    The scorer calls ``estimator.decision_function(X)`` (or ``response_method``) and
    evaluates the metric against ``y``; higher is better.

    For ``"psp"`` and ``"psndcg"`` it computes the inverse propensities from the fitted
    estimator's ``label_counts_`` and ``n_train_samples_``, i.e. from the **training**
    fold of each split. Propensities computed from the fold being scored would leak its
    labels into the weights and would change with the size of the fold, making the score
    of a split depend on which test samples it holds.

    Parameters
    ----------
    metric : {"precision", "recall", "ndcg", "psp", "psndcg"}
        The metric: :func:`precision_at_k`, :func:`recall_at_k`, :func:`ndcg_at_k`,
        :func:`psp_at_k` or :func:`psndcg_at_k`.
    k : int, default=5
        Number of top-ranked labels that are evaluated.
    A : float, default=0.55
        Propensity constant (used by "psp" and "psndcg" only).
    B : float, default=1.5
        Propensity constant (used by "psp" and "psndcg" only).
    response_method : {"decision_function", "predict_proba", "predict"} or list of \
            such str, default="decision_function"
        The estimator method whose output is scored; with a list, the first one the
        estimator has.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer, ``scorer(estimator, X, y) -> float``.

    Raises
    ------
    ValueError
        If ``response_method`` is a list holding other names than those above, or none.
    AttributeError
        When called on an estimator lacking ``label_counts_`` or ``n_train_samples_``
        (propensity-scored metrics only).

    See Also
    --------
    get_xmc_scorer : The same from a name such as ``"psp@5"``.

    Notes
    -----
    Estimators scored by the propensity-scored scorers must have, after ``fit``,
    ``label_counts_`` (ndarray of shape (n_labels,), training samples per label) and
    ``n_train_samples_`` (int), as the skxml classifiers do; on a Pipeline, the last
    step's attributes are used, on a fitted search (``GridSearchCV``, as in nested
    cross-validation) its ``best_estimator_``'s. The scored output
    (``decision_function`` by default) may be a sparse top-k matrix or dense scores, see
    :func:`precision_at_k`. A ``sample_weight`` given to the scorer weighs the queries in
    the metric's average (with metadata routing on, request it with
    ``scorer.set_score_request(sample_weight=True)``). An estimator (or Pipeline
    last step, or search's best estimator) with an int
    ``top_k`` and ``classes_``, as the skxml classifiers have, returns ``top_k`` labels per
    text; when that is fewer than the scorer's ``k`` (and than the number of labels), the
    scorer asks a shallow copy of the estimator with ``top_k=k`` (the estimator itself is
    never changed, so a thread predicting with it meanwhile is unaffected), so that
    ``recall@10`` of a model with ``top_k=5`` ranks ten labels rather than five. With
    ``response_method="predict"`` the predicted 0/1 labels hold no ranking: a ``k`` below
    ``top_k`` asks the copy for ``k`` labels (its ``k`` best, above the threshold if it has
    one), a ``k`` above ``top_k`` scores the ``top_k`` labels it predicts. Label
    lists as ``y_true`` are mapped through ``classes_``; a UserWarning says so when none of
    their labels is among them (``1`` against ``"1"``), and a model fitted on a label matrix
    refuses them.

    Examples
    --------
    >>> from skxml.metrics import make_xmc_scorer
    >>> make_xmc_scorer("psp", k=3)
    make_xmc_scorer('psp', k=3, A=0.55, B=1.5)

    Inside model selection, e.g.
    ``GridSearchCV(pipeline, grid, scoring=make_xmc_scorer("psp", k=5))``.
    """
    if isinstance(k, bool):  # an Integral to validate_params, but no number of ranks
        raise InvalidParameterError(
            f"The 'k' parameter of make_xmc_scorer must be an int in the range [1, inf), "
            f"got {k!r}."
        )
    if not isinstance(response_method, str):
        unknown = [name for name in response_method if name not in _RESPONSE_METHODS]
        if not response_method or unknown:
            raise ValueError(
                "response_method must be one of, or a non-empty list of, "
                f"{sorted(_RESPONSE_METHODS)}; got {response_method!r}."
            )
    return _XMCScorer(metric, k=k, A=A, B=B, response_method=response_method)


@validate_params({"name": [str]}, prefer_skip_nested_validation=True)
def get_xmc_scorer(name: str) -> _XMCScorer:
    """Get a ranking-metric scorer from a name such as ``"precision@5"``.

    Parameters
    ----------
    name : str
        ``"<metric>@<k>"`` with ``metric`` one of "precision", "recall", "ndcg", "psp",
        "psndcg" (or the papers' short names "p", "r", "n", "psn"; case does not matter)
        and ``k`` a positive int; ``"<metric>_at_<k>"``, after the metric functions'
        names (``"psp_at_5"``), is the same scorer. :func:`get_xmc_scorer_names` lists
        the usual ones (k = 1, 3, 5); any positive ``k`` is accepted.

    Returns
    -------
    scorer : callable
        ``make_xmc_scorer(metric, k=k)``, with the default propensity constants
        A=0.55, B=1.5; call :func:`make_xmc_scorer` for others.

    Raises
    ------
    ValueError
        If ``name`` does not have the form ``"<metric>@<k>"`` or ``"<metric>_at_<k>"``.

    See Also
    --------
    make_xmc_scorer : Full control over the scorer.

    Examples
    --------
    >>> from skxml.metrics import get_xmc_scorer
    >>> get_xmc_scorer("psndcg@3")
    make_xmc_scorer('psndcg', k=3, A=0.55, B=1.5)
    >>> get_xmc_scorer("P@1")
    make_xmc_scorer('precision', k=1)
    >>> get_xmc_scorer("psp_at_5")
    make_xmc_scorer('psp', k=5, A=0.55, B=1.5)
    """
    match = _SCORER_NAME.fullmatch(name.lower())
    metric = None if match is None else _METRIC_ALIASES.get(match["metric"], match["metric"])
    if match is None or metric not in _METRICS or int(match["k"]) < 1:
        raise ValueError(
            f"Unknown scorer name {name!r}: expected '<metric>@<k>' with metric one of "
            f"{', '.join(map(repr, _METRICS))} and k a positive int, e.g. 'precision@5' "
            f"or 'psp@3' (short names: 'p@5', 'psp@3'; also 'precision_at_5')."
        )
    return make_xmc_scorer(metric, k=int(match["k"]))


def get_xmc_scorer_names() -> list[str]:
    """Names of the ready-made ranking scorers accepted by :func:`get_xmc_scorer`.

    Returns
    -------
    names : list of str
        Every metric at k = 1, 3 and 5 (any other positive ``k`` also works).

    Examples
    --------
    >>> from skxml.metrics import get_xmc_scorer_names
    >>> get_xmc_scorer_names()[:3]
    ['precision@1', 'precision@3', 'precision@5']
    >>> len(get_xmc_scorer_names())
    15
    """
    return [f"{metric}@{k}" for metric in _METRICS for k in _READY_MADE_K]
