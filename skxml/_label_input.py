"""How ``Y`` is read: a 0/1 label matrix, or one collection of labels per text."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import MultiLabelBinarizer

_NOTHING = object()


def _is_missing_label(label: Any) -> bool:
    """Whether ``label`` stands for a missing value rather than a label: None, a float NaN
    (pandas' usual missing value), pandas' ``NA`` or ``NaT``."""
    if label is None or type(label).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(label, (float, np.floating)) and bool(np.isnan(label))


def _fit_label_binarizer(Y: Any, *, name: str = "Y") -> MultiLabelBinarizer:
    """A sparse :class:`~sklearn.preprocessing.MultiLabelBinarizer` fitted on label lists,
    with a clear error when the labels cannot be sorted (e.g. names mixed with numbers) or
    are missing (None)."""
    for row, labels in enumerate(Y):
        missing = next((label for label in labels if _is_missing_label(label)), _NOTHING)
        if missing is not _NOTHING:
            raise ValueError(
                f"{name}'s label list {row} holds {missing!r}, a missing value; a label must "
                "be a name or an id (a text with no label has an empty list)."
            )
    try:
        return MultiLabelBinarizer(sparse_output=True).fit(Y)
    except TypeError as exc:
        kinds = sorted({type(label).__name__ for labels in Y for label in labels})
        raise TypeError(
            f"{name}'s label lists must hold labels of one sortable type (all str or all int), "
            f"found {', '.join(kinds)}: {exc}."
        ) from exc


def _binarize_known_labels(binarizer: MultiLabelBinarizer, Y: Any) -> tuple[Any, list[Any]]:
    """``binarizer.transform(Y)`` over the labels of its ``classes_``, and the labels of
    ``Y`` it lacks (sorted by their text). The unknown labels are left out here rather than
    by the binarizer, which warns of them: catching that warning needs
    ``warnings.catch_warnings``, which swaps the process's warning filters and so is not
    safe while other threads predict or score."""
    known = set(binarizer.classes_)
    unseen = {label for labels in Y for label in labels if label not in known}
    if unseen:
        Y = [[label for label in labels if label in known] for labels in Y]
    return binarizer.transform(Y), sorted(unseen, key=str)


def _as_label_input(Y: Any) -> Any:
    """``Y`` as given, except a 1-D object array or pandas Series (a DataFrame's "tags"
    column, one collection of labels per text), which becomes a list, so that it is read
    as a list of label collections would be.
    """
    one_dimensional = getattr(Y, "ndim", None) == 1 and not sp.issparse(Y)
    if one_dimensional and getattr(Y, "dtype", None) == np.dtype(object):
        return list(Y)
    return Y


def _is_label_lists(Y: Any) -> bool:
    """Whether ``Y`` is a sequence of label collections (not a label matrix).

    As in scikit-learn, a list of equal-length numeric lists is a 0/1 indicator matrix;
    sets, ragged lists and lists of names are label collections.
    """
    if sp.issparse(Y) or isinstance(Y, np.ndarray) or isinstance(Y, str):
        return False
    if not isinstance(Y, Sequence) or len(Y) == 0:
        return False
    first = Y[0]
    if isinstance(first, (set, frozenset)):
        return True
    if isinstance(first, np.ndarray) and first.dtype.kind in "OUS":
        return True
    # 1-D arrays of label ids (pandas' groupby(...).agg(np.array)) are read as lists are.
    one_dimensional_array = isinstance(first, np.ndarray) and first.ndim == 1
    if not (isinstance(first, (list, tuple)) or one_dimensional_array):
        return False
    try:
        # numpy >= 1.24 raises on ragged lists (no warning: no warnings.catch_warnings, which
        # swaps the process's warning filters and so is not safe in threads).
        array = np.asarray(Y)
    except ValueError:  # ragged
        return True
    if array.ndim == 2 and array.shape[1] == 0:
        return True  # only empty lists: texts without labels, not a matrix of no labels
    return not (array.ndim == 2 and array.dtype.kind in "biuf")


def _label_column_names(Y: Any, *, name: str = "Y") -> np.ndarray | None:
    """The column names of a pandas DataFrame label matrix, as label names (an object array
    of str), when every column is named by a string, each once; None for any other ``Y``.

    Columns named otherwise (the default positions 0, 1, ..., numbers, tuples of a
    MultiIndex, NaN) are read by position, as a matrix's are: such names are not labels a
    text could carry, and do not survive the round trips names must (files, pickles). A
    name repeated among the columns cannot name one label: a warning says the columns are
    read by position.
    """
    columns = getattr(Y, "columns", None)
    if columns is None or sp.issparse(Y) or getattr(Y, "ndim", None) != 2:
        return None
    names = [str(label) if isinstance(label, str) else label for label in columns]
    if not names or not all(type(label) is str for label in names):
        return None
    repeated = sorted(label for label, count in Counter(names).items() if count > 1)
    if repeated:
        warnings.warn(
            f"{name}'s columns repeat the names {repeated[:5]}"
            f"{' ...' if len(repeated) > 5 else ''}, so they cannot name one label each: "
            "the columns are read by position.",
            UserWarning,
            stacklevel=4,
        )
        return None
    array = np.empty(len(names), dtype=object)
    array[:] = names
    return array


def _in_classes_order(
    labels: Any, column_names: np.ndarray, classes: np.ndarray, *, name: str
) -> Any:
    """``labels`` (n, L) with its columns, named ``column_names``, put in the order of
    ``classes``; a ValueError when the names are not those of ``classes``."""
    # As Python objects: numpy scalars would print as np.str_('a') in the message.
    column_names, classes = (np.asarray(a).astype(object) for a in (column_names, classes))
    if list(column_names) == list(classes):
        return labels
    position = {label: column for column, label in enumerate(column_names)}
    known = set(classes)
    missing = [label for label in classes if label not in position]
    unknown = [label for label in column_names if label not in known]
    if missing or unknown:
        raise ValueError(
            f"{name}'s columns must name the model's labels (classes_), in any order; "
            f"missing: {missing[:5]}{' ...' if len(missing) > 5 else ''}, unknown: "
            f"{unknown[:5]}{' ...' if len(unknown) > 5 else ''}."
        )
    ordered = labels[:, np.array([position[label] for label in classes], dtype=np.int64)]
    if sp.issparse(ordered):  # canonical again: sorted column indices in every row
        ordered = sp.csr_matrix(ordered)
        ordered.sort_indices()
    return ordered


def _named_label_matrix(Y: Any, classes: np.ndarray, *, name: str) -> Any:
    """``Y`` read as a 0/1 matrix with its columns in the order of ``classes``, matched by
    their names; None when ``Y``'s columns name no labels (it is then read by position)."""
    from skxml.utils._validation import check_label_matrix  # it imports this module

    column_names = _label_column_names(Y, name=name)
    if column_names is None:
        return None
    labels = check_label_matrix(Y, name=name)
    return _in_classes_order(labels, column_names, classes, name=name)


def _nested_list_hint(Y: Any) -> str:
    """What to add to the error on a value beyond 0/1 of ``Y`` read as a matrix: how a list
    of equal-length lists of numbers is read, when ``Y`` is one."""
    return _NESTED_LIST_HINT if isinstance(Y, (list, tuple)) else ""


# How a list of equal-length lists of numbers is read, for its error on values beyond 0/1.
_NESTED_LIST_HINT = (
    " A list of equal-length lists of numbers is read as a 0/1 label matrix, one row per "
    "text and one column per label (as in scikit-learn). To give each text's label ids or "
    "names instead, pass each text's labels as a set (e.g. [{7}, {5, 2}]) or as lists of "
    "strings."
)
