"""CSR rows in and out of the networks (skxml._sparse_rows), against hand-computed results."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skxml._sparse_rows import (
    _csr_from_arrays,
    _csr_rows_to_bag,
    _csr_rows_to_dense,
    _csr_rows_to_positions,
    _top_k_to_csr,
)

CPU = torch.device("cpu")
# Rows: [0.5 at 1, 0.25 at 3], [], [1.0 at 0].
MATRIX = sp.csr_matrix(
    (np.array([0.5, 0.25, 1.0]), np.array([1, 3, 0]), np.array([0, 2, 2, 3])), shape=(3, 4)
)


def test_csr_rows_to_bag_gives_embedding_bag_ids_offsets_and_float32_weights():
    ids, offsets, weights = _csr_rows_to_bag(MATRIX, np.array([2, 0]), CPU)
    assert ids.tolist() == [0, 1, 3]
    assert offsets.tolist() == [0, 1]
    assert weights.dtype == torch.float32
    assert weights.tolist() == [1.0, 0.5, 0.25]


def test_csr_rows_to_bag_of_the_whole_matrix_keeps_empty_rows():
    ids, offsets, weights = _csr_rows_to_bag(MATRIX, slice(None), CPU)
    assert ids.dtype == offsets.dtype == torch.int64
    assert ids.tolist() == [1, 3, 0]
    assert offsets.tolist() == [0, 2, 2]  # the empty middle row is a bag of nothing
    bags = torch.nn.functional.embedding_bag(
        ids, torch.eye(4), offsets, mode="sum", per_sample_weights=weights
    )
    np.testing.assert_allclose(bags.numpy(), MATRIX.toarray())


def test_csr_rows_to_positions_numbers_rows_in_the_order_given():
    rows, columns = _csr_rows_to_positions(MATRIX, np.array([2, 1, 0]), CPU)
    assert rows.tolist() == [0, 2, 2]
    assert columns.tolist() == [0, 1, 3]


def test_csr_rows_to_dense_is_the_0_1_pattern_of_the_rows():
    dense = _csr_rows_to_dense(MATRIX, np.array([0, 2]), CPU)
    assert dense.dtype == torch.float32
    assert dense.tolist() == [[0, 1, 0, 1], [1, 0, 0, 0]]


def test_top_k_to_csr_sorts_each_rows_columns_and_keeps_their_values():
    values = np.array([[0.9, 0.1, 0.5], [0.3, 0.2, 0.7]], dtype=np.float32)
    indices = np.array([[4, 0, 2], [1, 3, 0]])
    matrix = _top_k_to_csr(values, indices, n_labels=5)
    assert matrix.shape == (2, 5)
    assert matrix.has_canonical_format
    assert matrix.indices.tolist() == [0, 2, 4, 0, 1, 3]
    np.testing.assert_array_equal(matrix.data, np.float32([0.1, 0.5, 0.9, 0.7, 0.3, 0.2]))
    expected = np.zeros((2, 5), dtype=np.float32)
    expected[[0, 0, 0, 1, 1, 1], [4, 0, 2, 1, 3, 0]] = values.ravel()
    np.testing.assert_array_equal(matrix.toarray(), expected)


def test_top_k_to_csr_drops_the_entries_keep_is_false_for():
    values = np.array([[0.9, 0.1], [0.3, 0.2]], dtype=np.float32)
    indices = np.array([[3, 1], [2, 0]])
    keep = np.array([[True, False], [False, False]])
    matrix = _top_k_to_csr(values, indices, n_labels=4, keep=keep)
    assert matrix.indptr.tolist() == [0, 1, 1]
    assert matrix.indices.tolist() == [3]
    assert matrix.data.tolist() == pytest.approx([0.9])


@pytest.mark.parametrize(
    ("n_columns", "dtype"), [(10, np.int32), (np.iinfo(np.int32).max + 1, np.int64)]
)
def test_csr_from_arrays_picks_the_index_dtype_scipy_would(n_columns, dtype):
    matrix = _csr_from_arrays(
        np.array([1.0, 2.0]), np.array([0, 5], dtype=np.int64), np.array([0, 1, 2]), (2, n_columns)
    )
    assert matrix.indices.dtype == dtype and matrix.indptr.dtype == dtype
    assert matrix[1, 5] == 2.0
