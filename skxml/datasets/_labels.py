"""Label names and label columns: validating names, mapping names to columns, building Y.

The readers of the text formats (AttentionXML, LF-* JSON lines) turn per-sample label lists
into a CSR label matrix here, so that the column order, the handling of labels outside the
known label space and the dtype of ``Y`` are the same for every format.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__: list[str] = []

UNKNOWN_LABEL_OPTIONS = ("error", "warn", "ignore")


def as_name_array(names: Sequence[str]) -> np.ndarray:
    """A 1-D object array holding ``names``.

    Object dtype, as in scikit-learn's ``MultiLabelBinarizer.classes_``: a fixed-width
    unicode array would take ``4 * longest_name`` bytes per label, which for hundreds of
    thousands of product titles is hundreds of megabytes.
    """
    array = np.empty(len(names), dtype=object)
    array[:] = list(names)
    return array


def check_label_names(
    label_names: Any, *, name: str = "label_names", distinct: bool = True
) -> np.ndarray:
    """Validate a non-empty sequence of label names and return it as an object array.

    ``distinct=False`` accepts repeated names, for label spaces whose columns are known by
    index and whose names are only descriptive (product titles of the LF-* datasets).
    """
    if isinstance(label_names, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of label names (str), got a single "
            f"{type(label_names).__name__}; wrap it in a list."
        )
    if isinstance(label_names, np.ndarray) and label_names.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {label_names.shape}.")
    names = list(label_names)
    for position, label in enumerate(names):
        if not isinstance(label, str):
            raise TypeError(
                f"{name} must contain only str; item {position} is "
                f"{type(label).__name__} ({label!r:.40})."
            )
    if not names:
        raise ValueError(f"{name} is empty; at least one label name is required.")
    if distinct and len(set(names)) != len(names):
        seen: set[str] = set()
        for label in names:
            if label in seen:
                raise ValueError(f"{name} must be distinct; {label!r} occurs more than once.")
            seen.add(label)
    return as_name_array(names)


def label_columns(label_names: np.ndarray) -> dict[str, int]:
    """Map each label name to its column index."""
    return {label: column for column, label in enumerate(label_names)}


def collect_label_names(label_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """The distinct names of ``label_lists`` in sorted (code point) order."""
    distinct: set[str] = set()
    for labels in label_lists:
        distinct.update(labels)
    return as_name_array(sorted(distinct))


def csr_from_rows(
    counts: np.ndarray, columns: np.ndarray, data: np.ndarray, n_columns: int
) -> sp.csr_matrix:
    """A CSR matrix from per-row entry counts and the entries' columns and values.

    Indices are int32 whenever they fit (what scipy itself chooses for such sizes), and
    sorted within rows.
    """
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    index_dtype = np.int32 if max(indptr[-1], n_columns) < np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_matrix(
        (data, np.asarray(columns, dtype=index_dtype), indptr.astype(index_dtype)),
        shape=(len(counts), n_columns),
    )
    matrix.sort_indices()
    return matrix


def binary_csr_from_rows(counts: np.ndarray, columns: np.ndarray, n_columns: int) -> sp.csr_matrix:
    """A float32 0/1 CSR label matrix; a label repeated within a row is stored once."""
    data = np.ones(len(columns), dtype=np.float32)
    matrix = csr_from_rows(counts, columns, data, n_columns)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def label_lists_to_matrix(
    label_lists: Sequence[Sequence[str]],
    label_names: np.ndarray,
    *,
    on_unknown_label: str,
    source: str,
) -> sp.csr_matrix:
    """Turn per-sample label-name lists into a 0/1 CSR matrix over ``label_names``.

    A name missing from ``label_names`` raises (``"error"``; the message gives ``source``,
    the 1-based line and the name), is dropped with a single warning giving the count
    (``"warn"``), or is dropped silently (``"ignore"``).
    """
    column_of = label_columns(label_names)
    counts = np.zeros(len(label_lists), dtype=np.int64)
    columns: list[int] = []
    n_unknown = 0
    unknown_examples: list[str] = []
    for row, labels in enumerate(label_lists):
        kept = 0
        for label in labels:
            column = column_of.get(label)
            if column is None:
                if on_unknown_label == "error":
                    raise ValueError(
                        f"{source}: line {row + 1}: label {label!r} is not in label_names "
                        f"({len(label_names)} labels). Pass on_unknown_label='warn' or "
                        f"'ignore' to drop such labels."
                    )
                n_unknown += 1
                if len(unknown_examples) < 3 and label not in unknown_examples:
                    unknown_examples.append(label)
                continue
            columns.append(column)
            kept += 1
        counts[row] = kept
    if n_unknown and on_unknown_label == "warn":
        examples = ", ".join(repr(label) for label in unknown_examples)
        warnings.warn(
            f"{source}: dropped {n_unknown} label occurrence(s) not in label_names "
            f"(for example {examples}).",
            UserWarning,
            stacklevel=3,
        )
    return binary_csr_from_rows(counts, np.asarray(columns, dtype=np.int64), len(label_names))
