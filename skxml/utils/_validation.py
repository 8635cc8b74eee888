"""Input validation shared across skxml: label matrices, text sequences, parameters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Set
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, InvalidParameterError

from skxml._label_input import _is_label_lists


def _refuse_a_row_that_is_no_collection(Y: Any, name: str) -> None:
    """Name the first row of a list of label collections that is not one (``None``, a bare
    ``str``, a number): numpy's own message on such a mix says nothing of where it is."""
    if not isinstance(Y, (list, tuple)):
        return
    collection = (list, tuple, set, frozenset, np.ndarray)
    if not any(isinstance(row, collection) for row in Y):
        return
    for position, row in enumerate(Y):
        if not isinstance(row, collection):
            raise TypeError(
                f"{name}'s row {position} is {type(row).__name__} {row!r:.40}, among rows "
                "that are collections of labels: give each text's labels as a list or set "
                "(an empty one for a text without labels), or a 0/1 matrix."
            )


def check_label_matrix(
    Y: Any,
    *,
    name: str = "Y",
    dtype: type = np.float32,
    allow_empty: bool = False,
    value_hint: str = "",
) -> sp.csr_matrix:
    """Validate a 0/1 label matrix and return it as a canonical CSR matrix.

    Parameters
    ----------
    Y : array-like or scipy.sparse matrix of shape (n_samples, n_labels)
        Dense or sparse matrix whose entries are 0 or 1.
    name : str, default="Y"
        Name of the argument, used in error messages.
    dtype : numpy dtype, default=np.float32
        dtype of the returned matrix.
    allow_empty : bool, default=False
        Whether a matrix with zero rows is accepted.
    value_hint : str, default=""
        Appended to the error for a value other than 0 and 1 (how the caller read ``Y``).

    Returns
    -------
    Y : scipy.sparse.csr_matrix
        Canonical CSR matrix (sorted indices, no explicit zeros, no duplicates).

    Raises
    ------
    TypeError
        If ``Y`` is not a matrix.
    ValueError
        If ``Y`` is not 2-D, holds NaN/inf, or has values other than 0 and 1.
    """
    if sp.issparse(Y):
        matrix = sp.csr_matrix(Y, copy=True)
    else:
        if isinstance(Y, str) or Y is None:
            raise TypeError(
                f"{name} must be a 2-D array-like or scipy.sparse matrix of 0/1 values, "
                f"got {type(Y).__name__}."
            )
        if isinstance(Y, Iterator):
            raise TypeError(
                f"{name} must be a 0/1 label matrix or a list of label collections, got a "
                f"{type(Y).__name__} (an iterator, read only once); pass list({name}) instead."
            )
        try:
            array = np.asarray(Y)
        except (TypeError, ValueError) as exc:
            _refuse_a_row_that_is_no_collection(Y, name)
            if _is_label_lists(Y):
                raise TypeError(
                    f"{name} is a list of label collections (one per sample), but a 0/1 label "
                    "matrix is needed here: convert it with sklearn.preprocessing."
                    "MultiLabelBinarizer, whose classes= fixes the order of the columns."
                ) from exc
            raise TypeError(
                f"{name} must be a 2-D array-like or scipy.sparse matrix of 0/1 values; "
                f"could not convert it to an array: {exc}"
            ) from exc
        if array.dtype == object and array.ndim == 2:
            # Numbers held as objects (pandas' nullable Int64 / boolean columns, a list of
            # Python ints built as dtype=object): read as floats if every one is a number.
            array = _numeric_or_as_is(array)
        if array.dtype == np.float16:
            array = array.astype(np.float32)  # scipy.sparse holds no float16
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool
        ):
            first = array.reshape(-1)[0] if array.size else None
            first = first.item() if isinstance(first, np.generic) else first
            if array.ndim == 1 and isinstance(first, str):
                # One label name per sample, as a multiclass y would be.
                raise TypeError(
                    f"{name} must be a 0/1 label matrix or a list of label lists, got a 1-D "
                    f"sequence of str (one label per sample, such as {first!r}?); wrap each "
                    f"sample's labels in a list: [[{first!r}], ...]."
                )
            _refuse_a_row_that_is_no_collection(Y, name)
            if array.ndim == 1 and isinstance(first, Mapping):
                raise TypeError(
                    f"{name}'s rows are {type(first).__name__}s; give each text's labels as a "
                    "list or set of label names or ids (an empty one for a text without "
                    "labels), or a 0/1 matrix."
                )
            if array.dtype == object and any(_is_missing(value) for value in array.flat):
                raise ValueError(
                    f"{name} has missing values (None or pandas NA); expected only 0 and 1."
                )
            raise TypeError(
                f"{name} must hold numeric 0/1 values, got an array of dtype {array.dtype}."
            )
        if array.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_labels), got an array of shape {array.shape}."
            )
        matrix = sp.csr_matrix(array)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_labels), got shape {matrix.shape}.")
    if matrix.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} has no rows (shape {matrix.shape}); at least one is required.")
    if matrix.shape[1] == 0:
        raise ValueError(
            f"{name} has no columns (shape {matrix.shape}); at least one label is required."
        )
    matrix.sum_duplicates()
    data = matrix.data
    if data.size:
        if not np.all(np.isfinite(data)):
            raise ValueError(f"{name} contains NaN or infinite values; expected only 0 and 1.")
        if np.any((data != 0) & (data != 1)):
            bad = data[(data != 0) & (data != 1)][0].item()
            raise ValueError(
                f"{name} must contain only 0 and 1, found the value {bad!r}.{value_hint}"
            )
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix.astype(dtype, copy=False)


def _numeric_or_as_is(array: np.ndarray) -> np.ndarray:
    """An object array of numbers (bool, int, float, NumPy scalars) as float64; any other
    object array (strings, None, pandas' NA) unchanged, for the caller's dtype error."""
    if not all(isinstance(value, (Real, np.bool_)) for value in array.flat):
        return array
    return array.astype(np.float64)


def _is_missing(value: Any) -> bool:
    """Whether ``value`` is None or pandas' ``NA`` (without importing pandas)."""
    return value is None or type(value).__name__ == "NAType"


def is_table(X: Any) -> bool:
    """Whether ``X`` is a 2-D table with named columns (a pandas or polars DataFrame), which
    iterates over its column names rather than its rows."""
    shape = getattr(X, "shape", None)
    return hasattr(X, "columns") and isinstance(shape, tuple) and len(shape) == 2


def check_texts(X: Any, *, name: str = "X", allow_empty: bool = False) -> list[str]:
    """Validate a sequence of raw texts and return it as a list of ``str``.

    Parameters
    ----------
    X : iterable of str
        The texts. A single string is rejected (it would be read as characters). A 2-D
        array or table (pandas or polars DataFrame) of one column is read as that column, and
        one of several columns is rejected (iterating a table gives its column names).
    name : str, default="X"
        Name of the argument, used in error messages.
    allow_empty : bool, default=False
        Whether an empty sequence is accepted.

    Returns
    -------
    texts : list of str

    Raises
    ------
    TypeError
        If ``X`` is a single string, a mapping or a set, not iterable, or holds non-string
        items.
    ValueError
        If ``X`` is empty and ``allow_empty`` is False, or a 2-D array or table of more than
        one column.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of strings (one text per sample), got a single "
            f"{type(X).__name__}; wrap it in a list: [{name}]."
        )
    if is_table(X):
        # Iterating a table gives its column names, which would be read as texts. One
        # column is the texts; more are ambiguous.
        if X.shape[1] != 1:
            raise ValueError(
                f"{name} must be a 1-D sequence of strings, got a {type(X).__name__} of "
                f"shape {tuple(X.shape)}; pass the one column that holds the texts, e.g. "
                f"{name}['text']."
            )
        X = np.asarray(X, dtype=object)
    if isinstance(X, np.ndarray) and X.ndim != 1:
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        else:
            raise ValueError(
                f"{name} must be a 1-D sequence of strings, got an array of shape {X.shape}."
            )
    if not isinstance(X, Iterable):
        raise TypeError(f"{name} must be a sequence of strings, got {type(X).__name__}.")
    if isinstance(X, (Mapping, Set)):
        # Iterating a dict gives its keys and a set has no order: rows would not line up.
        raise TypeError(
            f"{name} must be an ordered sequence of strings (list, tuple, array, Series), "
            f"got a {type(X).__name__}."
        )
    texts = list(X)
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"{name} must contain only strings; item {position} is "
                f"{type(text).__name__} ({text!r:.40})."
            )
    if not texts and not allow_empty:
        raise ValueError(f"{name} is empty; at least one text is required.")
    return texts


def check_sample_weight(
    sample_weight: Any, n_samples: int, *, name: str = "sample_weight"
) -> np.ndarray | None:
    """Validate per-sample weights: ``None``, one non-negative number, or one per sample.

    Parameters
    ----------
    sample_weight : None, float or array-like of shape (n_samples,)
        Weights; a single number weighs every sample alike. A pandas Series or a list is
        read as an array; booleans are read as 0/1.
    n_samples : int
        The number of samples the weights must match.
    name : str, default="sample_weight"
        Name of the argument, used in error messages.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64, or None
        A new array (the caller's is never changed); None when ``sample_weight`` is None.

    Raises
    ------
    TypeError
        If the weights are not numbers.
    ValueError
        If their shape is not ``(n_samples,)``, or a weight is negative, NaN or infinite,
        or they sum to zero.
    """
    if sample_weight is None:
        return None
    try:
        weights = np.asarray(sample_weight)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise ValueError(
            f"{name} must be a number or a 1-D array of {n_samples} numbers, one per sample."
        ) from exc
    if weights.dtype == object:
        # Numbers held as objects (a pandas object column) are read as floats, as
        # scikit-learn's _check_sample_weight does.
        if all(isinstance(value, Real) for value in weights.flat):
            weights = weights.astype(np.float64)
    if weights.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold numbers, got an array of dtype {weights.dtype} "
            f"({type(sample_weight).__name__})."
        )
    if weights.ndim == 0:
        weights = np.full(n_samples, weights, dtype=np.float64)
    weights = np.array(weights, dtype=np.float64)  # always a copy
    if weights.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},), one weight per sample, got shape "
            f"{weights.shape}."
        )
    if not np.isfinite(weights).all():
        raise ValueError(
            f"{name} must be finite, got NaN or infinity at index "
            f"{int(np.flatnonzero(~np.isfinite(weights))[0])}."
        )
    if (weights < 0).any():
        position = int(np.flatnonzero(weights < 0)[0])
        raise ValueError(
            f"{name} must be non-negative, got {weights[position]} at index {position}."
        )
    if n_samples and not weights.any():
        raise ValueError(f"{name} is zero for every sample: nothing would count.")
    return weights


def check_ngram_range(ngram_range: Any, *, name: str) -> tuple[int, int]:
    """``ngram_range`` as a ``(min_n, max_n)`` pair of ints with ``1 <= min_n <= max_n``.

    Raises
    ------
    ValueError
        Naming ``name``, if it is anything else.
    """
    valid = (
        isinstance(ngram_range, (tuple, list))
        and len(ngram_range) == 2
        and all(isinstance(n, Integral) and not isinstance(n, bool) for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1]
    )
    if not valid:
        raise ValueError(
            f"{name} must be a tuple (min_n, max_n) of ints with 1 <= min_n <= max_n, got "
            f"{ngram_range!r}."
        )
    return int(ngram_range[0]), int(ngram_range[1])


def check_token_pattern(pattern: str, *, name: str) -> str:
    """``pattern`` if it compiles as a regular expression with at most one group (what
    scikit-learn's vectorizers accept as ``token_pattern``).

    Raises
    ------
    ValueError
        Naming ``name``, if it does not.
    """
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{name}={pattern!r} is not a valid regular expression: {exc}.") from exc
    if compiled.groups > 1:
        raise ValueError(
            f"{name}={pattern!r} has {compiled.groups} capturing groups; at most one is "
            "allowed (it selects the token), use (?:...) for the others."
        )
    return pattern


def refuse_booleans_as_numbers(
    constraints: Mapping[str, Any], params: Mapping[str, Any], caller_name: str
) -> None:
    """Refuse ``True`` / ``False`` for a numeric parameter that is no switch.

    scikit-learn's ``Interval(Integral, ...)`` and ``Interval(Real, ...)`` accept them (a
    bool is an int), so ``top_k=True`` would pass as 1 and ``threshold=True`` as 1.0.
    Parameters whose constraints also take ``"boolean"`` or ``"verbose"`` keep them;
    ``random_state=True`` (seed 1 to scikit-learn) is refused too.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        Naming the parameter and the estimator, as scikit-learn's own validation does.
    """
    for name, value in params.items():
        if not isinstance(value, (bool, np.bool_)):
            continue
        options = constraints.get(name, ())
        # "random_state" takes ints as seeds: True would be seed 1.
        numeric = any(
            isinstance(option, Interval) or option == "random_state" for option in options
        )
        if numeric and not any(
            isinstance(option, str) and option in ("boolean", "verbose") for option in options
        ):
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller_name} must be a number, not a boolean. "
                f"Got {value!r} instead."
            )


class RefusesBooleansAsNumbers:
    """Mixin for estimators: ``_validate_params`` (run by ``fit``) also refuses a boolean
    for a numeric parameter (:func:`refuse_booleans_as_numbers`)."""

    def _validate_params(self) -> None:
        super()._validate_params()  # type: ignore[misc]
        refuse_booleans_as_numbers(
            self._parameter_constraints,  # type: ignore[attr-defined]
            self.get_params(deep=False),  # type: ignore[attr-defined]
            type(self).__name__,
        )
