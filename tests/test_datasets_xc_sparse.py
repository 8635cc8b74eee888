"""Tests of the Extreme Classification Repository formats: load_xc_sparse, dump_xc_sparse,
load_xc_bow."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import skxml.datasets._xc_sparse as xc_module
from skxml.datasets import dump_xc_sparse, load_xc_bow, load_xc_sparse


def _write(path, text, *, compress=False):
    raw = text.encode("utf-8")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


SPARSE_TEXT = "4 5\n0:1 3:0.5\n\n4:2 1:-1.25\n2:1\n"
SPARSE_DENSE = np.array([[1, 0, 0, 0.5, 0], [0, 0, 0, 0, 0], [0, -1.25, 0, 0, 2], [0, 0, 1, 0, 0]])


def test_load_xc_sparse_hand_computed(tmp_path):
    matrix = load_xc_sparse(_write(tmp_path / "m.txt", SPARSE_TEXT))
    assert sp.isspmatrix_csr(matrix)
    assert matrix.dtype == np.float32
    assert matrix.has_sorted_indices
    np.testing.assert_array_equal(matrix.toarray(), SPARSE_DENSE)


def test_load_xc_sparse_float64(tmp_path):
    path = _write(tmp_path / "m.txt", "1 2\n1:0.1\n")
    matrix = load_xc_sparse(path, dtype=np.float64)
    assert matrix.dtype == np.float64
    assert matrix[0, 1] == 0.1


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_load_xc_sparse_file_variants(tmp_path, compress, newline, final_newline):
    text = SPARSE_TEXT.replace("\n", newline)
    if not final_newline:
        text = text.removesuffix(newline)
    # Named .txt even when compressed: gzip is recognised by content.
    matrix = load_xc_sparse(str(_write(tmp_path / "m.txt", text, compress=compress)))
    np.testing.assert_array_equal(matrix.toarray(), SPARSE_DENSE)


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("0 7\n", (0, 7)),
        ("3 0\n\n\n\n", (3, 0)),
        ("2 4\n\n\n", (2, 4)),
        ("\ufeff1 2\n1:1\n", (1, 2)),
    ],
)
def test_load_xc_sparse_degenerate_shapes(tmp_path, text, shape):
    matrix = load_xc_sparse(_write(tmp_path / "m.txt", text))
    assert matrix.shape == shape


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Every value "1": the label-matrix shortcut.
        ("3 6\n5:1 0:1\n\n2:1 3:1\t4:1", [[1, 0, 0, 0, 0, 1], [0] * 6, [0, 0, 1, 1, 1, 0]]),
        ("1 12\n11:1 10:1\n", [[0] * 10 + [1, 1]]),
        # Values other than "1" next to "1": the general vectorised parse.
        ("2 3\n0:1 1:10\n2:1.0\n", [[1, 10, 0], [0, 0, 1]]),
        ("1 3\n0:+1 1:1e1 2:-.5\n", [[1, 10, -0.5]]),
    ],
)
def test_load_xc_sparse_valid_files_take_the_fast_path(
    tmp_path, monkeypatch, newline, text, expected
):
    def fail(*args, **kwargs):
        raise AssertionError("a well-formed file went through the token-by-token parser")

    monkeypatch.setattr(xc_module, "_parse_pairs_slowly", fail)
    path = _write(tmp_path / "y.txt", text.replace("\n", newline))
    np.testing.assert_array_equal(load_xc_sparse(path).toarray(), expected)


def test_load_xc_sparse_drops_explicit_zeros(tmp_path):
    matrix = load_xc_sparse(_write(tmp_path / "m.txt", "1 3\n0:0 1:2 2:0.0\n"))
    assert matrix.nnz == 1
    assert matrix[0, 1] == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; expected a header line 'n_rows n_cols'"),
        ("2\n", "line 1: expected a header 'n_rows n_cols' of 2 non-negative integers, got '2'"),
        ("a b\n", "line 1: expected a header 'n_rows n_cols'"),
        ("-1 3\n", "line 1: expected a header"),
        ("1 3 4\n1:1\n", "line 1: .*read it with load_xc_bow"),
        ("2 3\n0:1\n", "the header declares 2 rows but the file has 1 lines"),
        ("1 3\n0:1\n1:1\n", "the header declares 1 rows but the file has 2 lines"),
        ("1 3\n3:1\n", "line 2: column index 3 is out of range: the header declares 3 columns"),
        ("1 3\n0:1 -1:1\n", "line 2: column index -1 is negative"),
        ("1 3\n1.5:1\n", "line 2: column index 1.5 is not an integer"),
        ("1 3\nx:1\n", "line 2: expected 'column:value' pairs .* 'x:1' has a column index that"),
        ("1 3\n1:x\n", "line 2: .*'1:x' has a value that is not a number"),
        ("2 3\n0:1\n1\n", "line 3: .*'1' has no ':'"),
        ("1 3\n1:1 2\n", "line 2: .*'2' has no ':'"),
        ("1 3\n1:2:3\n", "line 2: .*'1:2:3' has more than one ':'"),
        ("1 9\n3:4:5 6\n", "line 2: .*'3:4:5' has more than one ':'"),
        ("1 3\n1:\n", "line 2: .*'1:' has an empty column index or value"),
        ("1 9\n:5 7\n", "line 2: .*':5' has an empty column index or value"),
        ("1 3\n1::2\n", "line 2: .*'1::2' has more than one ':'"),
        ("2 3\n0:1\n1:1 2:1 1:1\n", "line 3: column index 1 occurs more than once in the row"),
        ("1 3\n1:nan\n", "line 2: value nan is not a finite float32 number"),
        ("1 3\n1:1e300\n", "line 2: value 1e\\+300 is not a finite float32 number"),
        ("1 3\n1:\xe9\n", "line 2: .* has a value that is not a number"),
    ],
)
def test_load_xc_sparse_malformed(tmp_path, text, message):
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=r"bad\.txt: " + message):
        load_xc_sparse(path)


def test_load_xc_sparse_error_line_in_later_chunk(tmp_path, monkeypatch):
    # Small chunks: the line number must count the lines of the earlier chunks.
    monkeypatch.setattr(xc_module, "_CHUNK_BYTES", 16)
    rows = [f"{i % 7}:1 {(i + 3) % 7}:0.5" for i in range(60)]
    rows[41] = "2:1 9:1"
    path = _write(tmp_path / "m.txt", "60 7\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"line 43: column index 9 is out of range"):
        load_xc_sparse(path)
    rows[41] = "2:1 x"
    _write(path, "60 7\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"line 43: .*'x' has no ':'"):
        load_xc_sparse(path)


def test_load_xc_sparse_small_chunks_same_result(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    matrix = sp.random(80, 30, density=0.2, format="csr", random_state=rng, dtype=np.float32)
    path = tmp_path / "m.txt"
    dump_xc_sparse(path, matrix)
    whole = load_xc_sparse(path)
    monkeypatch.setattr(xc_module, "_CHUNK_BYTES", 50)
    chunked = load_xc_sparse(path)
    assert (whole != chunked).nnz == 0
    assert (whole != matrix).nnz == 0


@pytest.mark.parametrize(
    ("dtype", "error", "match"),
    [(np.int32, ValueError, "floating dtype"), ("no such type", TypeError, "numpy floating")],
)
def test_load_xc_sparse_bad_dtype(tmp_path, dtype, error, match):
    path = _write(tmp_path / "m.txt", "1 2\n1:1\n")
    with pytest.raises(error, match=match):
        load_xc_sparse(path, dtype=dtype)


def test_load_xc_sparse_bad_path_type():
    with pytest.raises(TypeError, match="'path' parameter of load_xc_sparse"):
        load_xc_sparse(3)


def test_dump_xc_sparse_exact_text(tmp_path):
    path = tmp_path / "m.txt"
    dump_xc_sparse(path, sp.csr_matrix(SPARSE_DENSE.astype(np.float32)))
    assert path.read_text(encoding="utf-8") == "4 5\n0:1 3:0.5\n\n1:-1.25 4:2\n2:1\n"


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        (np.array([[True, False, True]]), "1 3\n0:1 2:1\n"),
        (np.array([[0, 7, -2]], dtype=np.int64), "1 3\n1:7 2:-2\n"),
        (np.array([[0.1, 0, 3.0]], dtype=np.float64), "1 3\n0:0.1 2:3\n"),
        (np.array([[0.1, 0, 1e-7]], dtype=np.float32), "1 3\n0:0.1 2:1e-07\n"),
        (sp.coo_matrix(([1.0, 2.0], ([0, 0], [1, 1])), shape=(2, 2)), "2 2\n1:3\n\n"),
    ],
)
def test_dump_xc_sparse_value_text(tmp_path, matrix, expected):
    path = tmp_path / "m.txt"
    dump_xc_sparse(path, matrix)
    assert path.read_text(encoding="utf-8") == expected


def test_dump_xc_sparse_value_format(tmp_path):
    path = tmp_path / "m.txt"
    dump_xc_sparse(path, np.array([[0.123456, 0, 1]]), value_format="%.2f")
    assert path.read_text(encoding="utf-8") == "1 3\n0:0.12 2:1.00\n"


@pytest.mark.parametrize(
    ("matrix", "value_format", "error", "match"),
    [
        (np.array([[np.nan, 1.0]]), None, ValueError, "NaN or infinite"),
        (np.array([1.0, 2.0]), None, ValueError, "must be 2-D"),
        (np.array([[1 + 2j]]), None, TypeError, "real numbers"),
        (np.array([["a"]]), None, TypeError, "real numbers"),
        (np.array([[1.0]]), "%s and %s", ValueError, "value_format must be a printf-style"),
        (np.array([[1.0]]), "value", ValueError, "value_format must be a printf-style"),
        (np.array([[3.0]]), "%5.1f", ValueError, r"it writes white space, '  1.5'"),
        (np.array([[3.0]]), "% d", ValueError, r"it writes white space, ' 1'"),
        (np.array([[1.0, 0.5]]), "%3g", ValueError, r"writes the value 1.0 as '  1', with white"),
        (np.array([[0.4, 1]]), "%d", ValueError, r"writes the value 0.4 as '0', which reads"),
        (np.array([[0.001, 1]]), "%.2f", ValueError, r"writes the value 0.001 as '0.00'"),
    ],
)
def test_dump_xc_sparse_bad_input(tmp_path, matrix, value_format, error, match):
    with pytest.raises(error, match=match):
        dump_xc_sparse(tmp_path / "m.txt", matrix, value_format=value_format)


def test_dump_xc_sparse_gzip_deterministic_and_readable(tmp_path):
    matrix = sp.csr_matrix(SPARSE_DENSE)
    first, second = tmp_path / "a.txt.gz", tmp_path / "b.txt.gz"
    dump_xc_sparse(first, matrix)
    dump_xc_sparse(second, matrix)
    assert first.read_bytes()[:2] == b"\x1f\x8b"
    assert first.read_bytes() == second.read_bytes()
    np.testing.assert_array_equal(load_xc_sparse(first).toarray(), SPARSE_DENSE)


@st.composite
def _sparse_matrices(draw, dtype):
    n_rows = draw(st.integers(0, 12))
    n_cols = draw(st.integers(1, 15))
    values = arrays(
        dtype,
        (n_rows, n_cols),
        elements=st.floats(
            allow_nan=False, allow_infinity=False, width=8 * np.dtype(dtype).itemsize
        ),
    )
    dense = draw(values)
    mask = draw(arrays(np.bool_, (n_rows, n_cols)))
    return sp.csr_matrix(np.where(mask, dense, 0).astype(dtype))


@settings(max_examples=50, deadline=None)
@given(matrix=_sparse_matrices(np.float32), compress=st.booleans())
def test_xc_sparse_round_trip_float32(tmp_path_factory, matrix, compress):
    path = tmp_path_factory.mktemp("rt") / ("m.txt.gz" if compress else "m.txt")
    dump_xc_sparse(path, matrix)
    loaded = load_xc_sparse(path)
    assert loaded.shape == matrix.shape
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.toarray(), matrix.toarray())


@settings(max_examples=50, deadline=None)
@given(matrix=_sparse_matrices(np.float64))
def test_xc_sparse_round_trip_float64(tmp_path_factory, matrix):
    path = tmp_path_factory.mktemp("rt") / "m.txt"
    dump_xc_sparse(path, matrix)
    loaded = load_xc_sparse(path, dtype=np.float64)
    np.testing.assert_array_equal(loaded.toarray(), matrix.toarray())


BOW_TEXT = "4 5 3\n0,2 1:0.5 4:1\n3:2\n1\n\n"


def test_load_xc_bow_hand_computed(tmp_path):
    X, Y = load_xc_bow(_write(tmp_path / "train.txt", BOW_TEXT))
    np.testing.assert_array_equal(
        X.toarray(), [[0, 0.5, 0, 0, 1], [0, 0, 0, 2, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(Y.toarray(), [[1, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]])
    assert X.dtype == np.float32 and Y.dtype == np.float32
    assert sp.isspmatrix_csr(X) and sp.isspmatrix_csr(Y)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_load_xc_bow_file_variants(tmp_path, compress, newline):
    text = "2 3 2\n0,1 0:1 2:0.25\n1 1:3".replace("\n", newline)  # no final newline
    X, Y = load_xc_bow(_write(tmp_path / "t.txt", text, compress=compress), dtype=np.float64)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X.toarray(), [[1, 0, 0.25], [0, 3, 0]])
    np.testing.assert_array_equal(Y.toarray(), [[1, 1], [0, 1]])


def test_load_xc_bow_repeated_label_counted_once(tmp_path):
    _, Y = load_xc_bow(_write(tmp_path / "t.txt", "1 1 3\n2,0,2 0:1\n"))
    np.testing.assert_array_equal(Y.toarray(), [[1, 0, 1]])
    np.testing.assert_array_equal(Y.data, 1.0)


def test_load_xc_bow_small_chunks_same_result(tmp_path, monkeypatch):
    lines = [f"{i % 4},{(i + 1) % 4} {i % 9}:{i / 8} {(i + 4) % 9}:1" for i in range(40)]
    path = _write(tmp_path / "t.txt", "40 9 4\n" + "\n".join(lines) + "\n")
    X, Y = load_xc_bow(path)
    monkeypatch.setattr(xc_module, "_CHUNK_BYTES", 40)
    X_chunked, Y_chunked = load_xc_bow(path)
    assert (X != X_chunked).nnz == 0 and (Y != Y_chunked).nnz == 0
    assert Y.nnz == 80


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; expected a header line 'n_points n_features n_labels'"),
        ("2 3\n0 0:1\n", "line 1: expected a header 'n_points n_features n_labels'"),
        ("1 3 2\n2 0:1\n", "line 2: label index 2 is out of range: the header declares 2 labels"),
        ("1 3 2\n-1 0:1\n", "line 2: label index -1 is negative"),
        ("1 3 2\na,b 0:1\n", "line 2: expected comma-separated label indices .*\\('a' is not"),
        ("1 3 2\n0,,1 0:1\n", "line 2: expected comma-separated label indices .*\\('' is not"),
        ("1 3 20\n1_0 0:1\n", "line 2: expected comma-separated label indices .*'1_0' is not"),
        ("1 3 2\n0 3:1\n", "line 2: feature index 3 is out of range: the header declares 3 feat"),
        ("1 3 2\n0 1:1 1:2\n", "line 2: feature index 1 occurs more than once"),
        ("1 3 2\n0 1:1 2\n", "line 2: expected 'feature:value' pairs .*'2' has no ':'"),
        ("2 3 2\n0 1:1\n", "the header declares 2 rows but the file has 1 lines"),
    ],
)
def test_load_xc_bow_malformed(tmp_path, text, message):
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=r"bad\.txt: " + message):
        load_xc_bow(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("2 3\n0:1_0\n1:1\n", r"line 2: .* '0:1_0' has a value that is not a number"),
        ("2 3\n1_0:1\n1:1\n", r"line 2: .* '1_0:1' has a column index that is not a number"),
        ("2 1_0\n0:1\n1:1\n", r"line 1: expected a header 'n_rows n_cols'"),
        ("2 99999999999999999999\n0:1\n1:1\n", r"line 1: the header's 9+ is too large"),
        ("2 1000000000000\n0:1\n1:1\n", r"line 1: the header's 1000000000000 is too large"),
    ],
    ids=["underscore value", "underscore index", "underscore header", "overflow", "huge"],
)
def test_numbers_python_reads_but_a_data_file_cannot_hold_are_refused(tmp_path, content, match):
    path = tmp_path / "labels.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_xc_sparse(path)


def test_dump_takes_a_dense_float16_matrix(tmp_path):
    matrix = np.array([[0.5, 0.0], [0.0, 1.25]], dtype=np.float16)
    dump_xc_sparse(tmp_path / "m.txt", matrix)
    assert (tmp_path / "m.txt").read_text() == "2 2\n0:0.5\n1:1.25\n"
    np.testing.assert_array_equal(load_xc_sparse(tmp_path / "m.txt").toarray(), matrix)


def test_a_header_error_shows_80_characters_and_names_lone_carriage_returns(tmp_path):
    # Lines ended by CR alone read as one line 1: the message must not echo the whole file.
    path = tmp_path / "mac.txt"
    path.write_bytes(b"2 3\r0:1 1:1\r2:1\r" * 1000)
    with pytest.raises(ValueError, match=r"\.\.\.'\. The line holds carriage returns") as info:
        load_xc_sparse(path)
    assert len(str(info.value)) < len(str(path)) + 400  # the file is 16,000 bytes
