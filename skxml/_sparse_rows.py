"""CSR rows in and out of the networks: torch inputs from CSR rows, top-k scores as CSR."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from skxml._devices import to_device
from skxml.nn._network import BagOfWordsBatch


def _csr_rows_to_bag(
    matrix: sp.csr_matrix, rows: np.ndarray | slice, device: torch.device
) -> BagOfWordsBatch:
    """The EmbeddingBag inputs (ids, offsets, weights) of some CSR rows."""
    whole = isinstance(rows, slice) and rows.indices(matrix.shape[0]) == (0, matrix.shape[0], 1)
    subset = matrix if whole else matrix[rows]
    return (
        to_device(subset.indices.astype(np.int64), device),
        to_device(subset.indptr[:-1].astype(np.int64), device),
        to_device(subset.data.astype(np.float32, copy=False), device),
    )


def _csr_rows_to_positions(
    matrix: sp.csr_matrix, rows: np.ndarray, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The (row, column) indices of the stored entries of some CSR rows, on ``device``; rows
    are numbered 0..len(rows)-1 in the order given."""
    subset = matrix[rows].tocoo()
    return (
        to_device(subset.row.astype(np.int64), device),
        to_device(subset.col.astype(np.int64), device),
    )


def _csr_rows_to_dense(
    matrix: sp.csr_matrix, rows: np.ndarray, device: torch.device
) -> torch.Tensor:
    """A dense float32 (len(rows), n_cols) tensor of some CSR rows, built on ``device``."""
    dense = torch.zeros(len(rows), matrix.shape[1], device=device)
    dense[_csr_rows_to_positions(matrix, rows, device)] = 1.0
    return dense


def _top_k_to_csr(
    values: np.ndarray, indices: np.ndarray, n_labels: int, keep: np.ndarray | None = None
) -> sp.csr_matrix:
    """CSR (n, n_labels) from per-row top-k values and label indices, (n, k) each."""
    n_rows, k = indices.shape
    # Canonical CSR (column indices sorted within each row), sorted here with NumPy:
    # scipy's sort_indices() costs more than the whole network at batch size 1.
    order = np.argsort(indices, axis=1, kind="stable")
    indices = np.take_along_axis(indices, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    if keep is None:
        indptr = np.arange(0, n_rows * k + 1, k)
        data, cols = values.ravel(), indices.ravel()
    else:
        keep = np.take_along_axis(keep, order, axis=1)
        indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
        data, cols = values[keep], indices[keep]
    matrix = _csr_from_arrays(data, cols, indptr, (n_rows, n_labels))
    matrix.has_sorted_indices = True
    return matrix


def _csr_from_arrays(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """``sp.csr_matrix((data, indices, indptr), shape)`` with both index arrays already in
    the dtype scipy would choose (int32 unless too small), so that its constructor need not
    check and convert them: half its time for one row."""
    fits_int32 = max(shape[1], len(indices)) <= np.iinfo(np.int32).max
    index_dtype = np.int32 if fits_int32 else np.int64
    return sp.csr_matrix(
        (data, indices.astype(index_dtype, copy=False), indptr.astype(index_dtype, copy=False)),
        shape=shape,
    )
