"""The sparse text formats of the Extreme Classification Repository.

``trn_X_Y.txt``-style files: a header ``n_rows n_cols``, then one line per row holding
``col:val`` pairs separated by spaces (an empty line is a row without entries). The older
combined files (``train.txt`` of Bibtex, Delicious, …) have a header
``n_points n_features n_labels`` and lines ``l1,l2,... f:v f:v ...``.

Parsing is vectorised per chunk of lines: the ``col:val`` pairs of a whole chunk are
converted by a single :func:`numpy.fromstring` call after structural checks; only a chunk
that fails them is parsed again token by token, to name the line and the problem.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from itertools import pairwise, repeat
from typing import IO, Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import validate_params

from skxml.datasets._io import display_path, open_binary, open_binary_for_writing
from skxml.datasets._labels import binary_csr_from_rows, csr_from_rows

__all__ = ["dump_xc_sparse", "load_xc_bow", "load_xc_sparse"]

# Lines are read and parsed this many bytes at a time, which bounds the temporary copies
# made by the vectorised parser whatever the size of the file.
_CHUNK_BYTES = 1 << 24

# The six bytes that bytes.split(), numpy's text parser and the careful path all treat as
# white space; mapped to b" " so that a single substring search covers all of them.
_WHITESPACE_TO_SPACE = bytes.maketrans(b"\t\n\r\x0b\x0c", b"     ")

# A token with two colons, in text whose white space has been mapped to spaces.
_TWO_COLONS = re.compile(rb":[^ :]*:")

# Rows formatted at a time by dump_xc_sparse, which bounds its temporary string arrays.
_WRITE_BLOCK_ROWS = 1 << 16

# Column indices of float-parsed pairs are exact integers up to this magnitude.
_MAX_EXACT_INTEGER = 2**53


# --------------------------------------------------------------------------------------
# Parsing helpers shared by load_xc_sparse and load_xc_bow
# --------------------------------------------------------------------------------------


def _parse_header(line: bytes, path: Any, names: tuple[str, ...]) -> tuple[int, ...]:
    layout = " ".join(names)
    if not line:
        raise ValueError(
            f"{display_path(path)}: the file is empty; expected a header line '{layout}'."
        )
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    tokens = line.split()
    values: list[int] = []
    for token in tokens:
        if b"_" in token:  # int() reads "1_0" as 10
            break
        try:
            values.append(int(token))
        except ValueError:
            break
    if values and max(values) > np.iinfo(np.int32).max:
        raise ValueError(
            f"{display_path(path)}: line 1: the header's {max(values)} is too large for a "
            f"number of rows or columns (at most {np.iinfo(np.int32).max})."
        )
    if len(tokens) != len(names) or len(values) != len(names) or min(values) < 0:
        hint = ""
        if len(names) == 2 and len(tokens) == 3 and len(values) == 3:
            hint = (
                " Three numbers 'n_points n_features n_labels' mark the combined "
                "features-and-labels format: read it with load_xc_bow."
            )
        shown = line.decode("utf-8", "replace").strip()
        if len(shown) > 80:
            shown = shown[:80] + " ..."
            if b"\r" in line:  # old Mac line ends: the whole file reads as its line 1
                hint += " The line holds carriage returns: the file's lines end in CR alone."
        raise ValueError(
            f"{display_path(path)}: line 1: expected a header '{layout}' of {len(names)} "
            f"non-negative integers, got {shown!r}.{hint}"
        )
    return tuple(values)


def _token_text(token: bytes) -> str:
    return repr(token.decode("utf-8", "replace"))


def _is_number(text: bytes) -> bool:
    if b"_" in text:  # Python's float() reads "1_0" as 10; a data file's number has no "_"
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_pairs_slowly(
    lines: list[bytes], path: Any, first_line: int, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token-by-token parse that names the first malformed ``index:value`` pair."""
    counts = np.zeros(len(lines), dtype=np.int64)
    indices: list[float] = []
    values: list[float] = []
    for offset, line in enumerate(lines):
        tokens = line.split()
        for token in tokens:
            index_text, colon, value_text = token.partition(b":")
            if not colon:
                problem = "has no ':'"
            elif b":" in value_text:
                problem = "has more than one ':'"
            elif not index_text or not value_text:
                problem = f"has an empty {kind} index or value"
            elif not _is_number(index_text):
                problem = f"has a {kind} index that is not a number"
            elif not _is_number(value_text):
                problem = "has a value that is not a number"
            else:
                indices.append(float(index_text))
                values.append(float(value_text))
                continue
            raise ValueError(
                f"{display_path(path)}: line {first_line + offset}: expected "
                f"'{kind}:value' pairs separated by spaces, but {_token_text(token)} "
                f"{problem}."
            )
        counts[offset] = len(tokens)
    return counts, np.asarray(indices, dtype=np.float64), np.asarray(values, dtype=np.float64)


def _fromstring(text: bytes, dtype: type, sep: str = " ") -> np.ndarray | None:
    """The numbers of ``text`` separated by ``sep``, or None if it has anything else."""
    try:
        with warnings.catch_warnings():
            # numpy < 2.3 warns (and stops early) instead of raising on unparsable text.
            warnings.simplefilter("error", DeprecationWarning)
            return np.fromstring(text, dtype=dtype, sep=sep)
    except (ValueError, DeprecationWarning):
        return None


def _parse_pairs_fast(lines: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Vectorised parse of ``index:value`` lines, or None when the chunk looks malformed.

    With ``n_pairs`` colons, the parse is accepted only when no colon touches white space,
    another colon or an end of the text (so every colon joins two non-empty words), no
    token holds two colons, and the text holds exactly ``2 * n_pairs`` numbers (so no
    word lies outside a pair and each word is one number).
    """
    counts = np.fromiter(map(bytes.count, lines, repeat(b":")), dtype=np.int64, count=len(lines))
    n_pairs = int(counts.sum())
    # Joined with a separator: the feature parts of load_xc_bow may lack their newline.
    text = b"\n".join(lines).translate(_WHITESPACE_TO_SPACE)
    if (
        text.startswith(b":")
        or text.endswith(b":")
        or b" :" in text
        or b": " in text
        or b"::" in text
    ):
        return None
    if text.count(b":1 ") + text.endswith(b":1") == n_pairs:
        # Every value is exactly "1" (a label matrix): dropping ":1" leaves the column
        # indices alone, and integers parse about ten times faster than floats.
        columns = _fromstring(text.replace(b":1 ", b" ").removesuffix(b":1"), np.int64)
        if columns is None or columns.size != n_pairs:
            return None
        return counts, columns, np.ones(n_pairs, dtype=np.float64)
    if _TWO_COLONS.search(text):
        return None
    numbers = _fromstring(text.replace(b":", b" "), np.float64)
    if numbers is None or numbers.size != 2 * n_pairs:
        return None
    return counts, numbers[0::2], numbers[1::2]


def _line_of_entry(counts: np.ndarray, entry: int, first_line: int) -> int:
    return first_line + int(np.searchsorted(np.cumsum(counts), entry, side="right"))


def _format_number(number: float) -> str:
    return (
        str(int(number)) if np.isfinite(number) and number == int(number) else repr(float(number))
    )


def _check_indices(
    counts: np.ndarray,
    indices: np.ndarray,
    n_columns: int,
    *,
    path: Any,
    first_line: int,
    kind: str,
    declared: str,
) -> np.ndarray:
    """Integer indices in ``[0, n_columns)``, or a ValueError naming the first bad one."""
    if indices.dtype.kind == "f":
        finite = np.isfinite(indices)
        integral = finite & (indices == np.floor(np.where(finite, indices, 0)))
        not_integer = ~integral | (np.abs(indices) >= _MAX_EXACT_INTEGER)
    else:
        not_integer = np.zeros(indices.shape, dtype=bool)
    # NaN compares False, so it is only flagged as "not an integer".
    bad = not_integer | (indices < 0) | (indices >= n_columns)
    if bad.any():
        entry = int(np.argmax(bad))
        if not_integer[entry]:
            problem = "is not an integer"
        elif indices[entry] < 0:
            problem = "is negative"
        else:
            problem = f"is out of range: the header declares {n_columns} {declared}"
            if n_columns:
                problem += f" (valid indices 0..{n_columns - 1})"
        raise ValueError(
            f"{display_path(path)}: line {_line_of_entry(counts, entry, first_line)}: {kind} "
            f"index {_format_number(indices[entry])} {problem}."
        )
    return indices.astype(np.int64)


def _parse_pair_lines(
    lines: list[bytes], *, path: Any, first_line: int, n_columns: int, kind: str, declared: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-line entry counts, checked integer indices and float64 values of a chunk."""
    parsed = _parse_pairs_fast(lines)
    if parsed is None:
        parsed = _parse_pairs_slowly(lines, path, first_line, kind)
    counts, indices, values = parsed
    checked = _check_indices(
        counts, indices, n_columns, path=path, first_line=first_line, kind=kind, declared=declared
    )
    return counts, checked, values


def _read_chunks(stream: IO[bytes]) -> Iterator[list[bytes]]:
    while lines := stream.readlines(_CHUNK_BYTES):
        yield lines


def _check_row_count(n_lines: int, n_rows: int, path: Any) -> None:
    if n_lines != n_rows:
        raise ValueError(
            f"{display_path(path)}: the header declares {n_rows} rows but the file has "
            f"{n_lines} lines after the header (an empty line is a row without entries)."
        )


def _check_no_duplicates(matrix: sp.csr_matrix, path: Any, kind: str) -> None:
    """Reject a row naming the same index twice (its value would be ambiguous)."""
    indices = matrix.indices
    if indices.size < 2:
        return
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    repeated = (indices[1:] == indices[:-1]) & (rows[1:] == rows[:-1])
    if repeated.any():
        entry = int(np.argmax(repeated))
        raise ValueError(
            f"{display_path(path)}: line {rows[entry] + 2}: {kind} index {indices[entry]} occurs "
            f"more than once in the row."
        )


def _finite_values(
    values: np.ndarray, dtype: np.dtype, counts: np.ndarray, path: Any, first_line: int
) -> np.ndarray:
    with np.errstate(over="ignore"):
        converted = values.astype(dtype)
    bad = ~np.isfinite(converted)
    if bad.any():
        entry = int(np.argmax(bad))
        raise ValueError(
            f"{display_path(path)}: line {_line_of_entry(counts, entry, first_line)}: value "
            f"{float(values[entry])!r} is not a finite {dtype.name} number."
        )
    return converted


def _check_float_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a numpy floating dtype, got {dtype!r}.") from exc
    if resolved.kind != "f":
        raise ValueError(f"dtype must be a floating dtype such as np.float32, got {resolved}.")
    return resolved


# --------------------------------------------------------------------------------------
# Public readers and writer
# --------------------------------------------------------------------------------------


@validate_params(
    {"path": [str, os.PathLike], "dtype": "no_validation"},
    prefer_skip_nested_validation=True,
)
def load_xc_sparse(path: str | os.PathLike[str], *, dtype: Any = np.float32) -> sp.csr_matrix:
    """Read a sparse matrix in the Extreme Classification Repository format.

    The format of ``trn_X_Y.txt``, ``tst_X_Y.txt``, ``trn_X_Xf.txt``, …: a header line
    ``n_rows n_cols``, then exactly ``n_rows`` lines, line *i* holding the entries of row
    *i* as ``col:val`` pairs separated by spaces (0-based columns, in any order). An empty
    line is a row without entries. The file may be plain or gzip (detected from its
    content); ``"\\r\\n"`` line ends and a missing final newline are accepted.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    dtype : numpy floating dtype, default=np.float32
        dtype of the returned values.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix of shape (n_rows, n_cols)
        Canonical CSR (sorted indices); entries whose value is 0 are not stored.

    Raises
    ------
    ValueError
        If the header is not two non-negative integers, the number of lines differs from
        ``n_rows``, or a pair is malformed (missing or extra ``:``, non-numeric, column
        index negative, non-integer or ``>= n_cols``, value not finite, column repeated
        within a row). The message names the file and the 1-based line. Also if ``dtype``
        is not a floating dtype.
    TypeError
        If ``dtype`` is not a numpy dtype at all.

    See Also
    --------
    dump_xc_sparse : Write a matrix in this format.
    load_xc_bow : Read the older combined features-and-labels files.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skxml.datasets import load_xc_sparse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "trn_X_Y.txt")
    ...     _ = path.write_text("3 4\\n0:1 3:1\\n\\n2:1\\n", encoding="utf-8")
    ...     Y = load_xc_sparse(path)
    >>> Y.toarray()
    array([[1., 0., 0., 1.],
           [0., 0., 0., 0.],
           [0., 0., 1., 0.]], dtype=float32)
    """
    resolved = _check_float_dtype(dtype)
    all_counts: list[np.ndarray] = []
    all_columns: list[np.ndarray] = []
    all_values: list[np.ndarray] = []
    with open_binary(path) as stream:
        n_rows, n_cols = _parse_header(stream.readline(), path, ("n_rows", "n_cols"))
        first_line = 2
        for lines in _read_chunks(stream):
            counts, columns, values = _parse_pair_lines(
                lines,
                path=path,
                first_line=first_line,
                n_columns=n_cols,
                kind="column",
                declared="columns",
            )
            all_counts.append(counts)
            all_columns.append(columns)
            all_values.append(_finite_values(values, resolved, counts, path, first_line))
            first_line += len(lines)
    _check_row_count(first_line - 2, n_rows, path)
    matrix = csr_from_rows(
        np.concatenate(all_counts) if all_counts else np.zeros(0, dtype=np.int64),
        np.concatenate(all_columns) if all_columns else np.zeros(0, dtype=np.int64),
        np.concatenate(all_values) if all_values else np.zeros(0, dtype=resolved),
        n_cols,
    )
    _check_no_duplicates(matrix, path, "column")
    matrix.eliminate_zeros()
    return matrix


def _parse_label_tokens(
    tokens: list[bytes], *, path: Any, first_line: int, n_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-line label counts and checked label indices of comma-separated label lists."""
    counts = np.fromiter(
        (token.count(b",") + 1 if token else 0 for token in tokens),
        dtype=np.int64,
        count=len(tokens),
    )
    labels = _fromstring(b",".join(token for token in tokens if token), np.int64, sep=",")
    if labels is None or labels.size != counts.sum():
        parsed: list[float] = []
        for offset, token in enumerate(tokens):
            for part in token.split(b",") if token else []:
                if not _is_number(part):
                    raise ValueError(
                        f"{display_path(path)}: line {first_line + offset}: expected "
                        f"comma-separated label indices before the features, got "
                        f"{_token_text(token)} ({_token_text(part)} is not a number)."
                    )
                parsed.append(float(part))
        labels = np.asarray(parsed, dtype=np.float64)
    checked = _check_indices(
        counts, labels, n_labels, path=path, first_line=first_line, kind="label", declared="labels"
    )
    return counts, checked


def _split_bow_line(line: bytes) -> tuple[bytes, bytes]:
    """``(labels, features)`` of a combined line; a first token with ':' is a feature."""
    parts = line.split(None, 1)
    if not parts:
        return b"", b""
    if b":" in parts[0]:
        return b"", line
    return parts[0], parts[1] if len(parts) > 1 else b""


@validate_params(
    {"path": [str, os.PathLike], "dtype": "no_validation"},
    prefer_skip_nested_validation=True,
)
def load_xc_bow(
    path: str | os.PathLike[str], *, dtype: Any = np.float32
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Read features and labels from a combined Extreme Classification Repository file.

    The format of the classic bag-of-words datasets (``train.txt``/``test.txt`` of
    Bibtex, Delicious, Mediamill, EURLex-4K, …): a header
    ``n_points n_features n_labels``, then one line per point,
    ``l1,l2,... f:v f:v ...``: comma-separated label indices, then the ``feature:value``
    pairs. A point without labels starts directly with its features (or is an empty
    line). Plain or gzip; ``"\\r\\n"`` and a missing final newline are accepted.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    dtype : numpy floating dtype, default=np.float32
        dtype of the feature values.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_points, n_features)
        Feature matrix (canonical CSR; zero values are not stored).
    Y : scipy.sparse.csr_matrix of shape (n_points, n_labels), dtype float32
        0/1 label matrix; a label repeated within a line is counted once.

    Raises
    ------
    ValueError
        If the header is not three non-negative integers, the number of lines differs
        from ``n_points``, a label or feature index is malformed or out of range, or a
        value is not finite. The message names the file and the 1-based line. Also if
        ``dtype`` is not a floating dtype.
    TypeError
        If ``dtype`` is not a numpy dtype at all.

    See Also
    --------
    load_xc_sparse : Read a single sparse matrix (``trn_X_Y.txt``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skxml.datasets import load_xc_bow
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "train.txt")
    ...     _ = path.write_text("2 3 4\\n0,3 1:0.5 2:1\\n0:2\\n", encoding="utf-8")
    ...     X, Y = load_xc_bow(path)
    >>> X.toarray()
    array([[0. , 0.5, 1. ],
           [2. , 0. , 0. ]], dtype=float32)
    >>> Y.toarray()
    array([[1., 0., 0., 1.],
           [0., 0., 0., 0.]], dtype=float32)
    """
    resolved = _check_float_dtype(dtype)
    feature_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    label_parts: list[tuple[np.ndarray, np.ndarray]] = []
    with open_binary(path) as stream:
        n_points, n_features, n_labels = _parse_header(
            stream.readline(), path, ("n_points", "n_features", "n_labels")
        )
        first_line = 2
        for lines in _read_chunks(stream):
            split = [_split_bow_line(line) for line in lines]
            label_parts.append(
                _parse_label_tokens(
                    [labels for labels, _ in split],
                    path=path,
                    first_line=first_line,
                    n_labels=n_labels,
                )
            )
            counts, columns, values = _parse_pair_lines(
                [features for _, features in split],
                path=path,
                first_line=first_line,
                n_columns=n_features,
                kind="feature",
                declared="features",
            )
            values = _finite_values(values, resolved, counts, path, first_line)
            feature_parts.append((counts, columns, values))
            first_line += len(lines)
    _check_row_count(first_line - 2, n_points, path)

    def joined(parts: list[Any], position: int, dtype: Any) -> np.ndarray:
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate([part[position] for part in parts])

    X = csr_from_rows(
        joined(feature_parts, 0, np.int64),
        joined(feature_parts, 1, np.int64),
        joined(feature_parts, 2, resolved),
        n_features,
    )
    _check_no_duplicates(X, path, "feature")
    X.eliminate_zeros()
    Y = binary_csr_from_rows(
        joined(label_parts, 0, np.int64), joined(label_parts, 1, np.int64), n_labels
    )
    return X, Y


def _check_matrix(matrix: Any) -> sp.csr_matrix:
    """A canonical CSR copy of a finite real 2-D matrix, explicit zeros dropped."""
    source = matrix if sp.issparse(matrix) else np.asarray(matrix)
    if source.dtype.kind not in "biuf":
        raise TypeError(f"matrix must hold real numbers, got dtype {source.dtype}.")
    if source.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {source.shape}.")
    if source.dtype == np.float16:  # scipy.sparse holds no float16; float32 is exact for it
        source = source.astype(np.float32)
    csr = sp.csr_matrix(source, copy=True)
    csr.sum_duplicates()
    csr.eliminate_zeros()
    csr.sort_indices()
    if csr.dtype.kind == "f" and not np.all(np.isfinite(csr.data)):
        raise ValueError("matrix contains NaN or infinite values, which the format cannot hold.")
    return csr


def _check_value_format(value_format: str | None) -> None:
    if value_format is None:
        return
    try:
        text = value_format % 1.5
        float(text)
        if _has_white_space(text):
            # float() reads " 1.5", but a "col: 1.5" pair is no pair to the reader.
            raise ValueError(f"it writes white space, {text!r}")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"value_format must be a printf-style format of one number that produces a "
            f"number, such as '%.6g' or '%.4f'; {value_format!r} does not ({exc})."
        ) from exc


def _has_white_space(text: str) -> bool:
    return any(character.isspace() for character in text)


def _check_value_texts(values: np.ndarray, texts: np.ndarray, value_format: str) -> None:
    """Refuse a format that writes a stored value with white space (the reader cannot read
    it back) or a non-zero value as 0 (the reader drops explicit zeros: the entry would be
    lost)."""
    for value, text in zip(values.tolist(), texts.tolist(), strict=True):
        if _has_white_space(text):
            # A width ("%3g") pads some values only: 1.5 passed the first check, 1 did not.
            raise ValueError(
                f"value_format={value_format!r} writes the value {value!r} as {text!r}, with "
                "white space, which load_xc_sparse cannot read; give a format without a "
                "width, such as '%.6g'."
            )
        if value != 0 and float(text) == 0:
            raise ValueError(
                f"value_format={value_format!r} writes the value {value!r} as {text!r}, "
                "which reads back as 0 (an entry load_xc_sparse drops); give a format of more "
                "digits, such as '%.6g'."
            )


def _value_texts(values: np.ndarray, value_format: str | None) -> np.ndarray:
    """The text written for each of ``values`` (an array of distinct stored values)."""
    if value_format is not None:
        return np.asarray([value_format % value for value in values.tolist()], dtype=str)
    if values.dtype.kind in "biu":
        return values.astype(np.int64 if values.dtype.kind == "b" else values.dtype).astype(str)
    # numpy's float-to-text conversion is the shortest text that reads back to the same
    # value of that dtype. float16 values go through float32: exact for both, and the
    # file is usually read back as float32.
    single = values.dtype.itemsize <= 4
    texts = values.astype(np.float32 if single else np.float64).astype(str)
    # Integers without ".0": labels are written "col:1", as in the repository's files.
    integral = (values == np.round(values)) & (np.abs(values) < _MAX_EXACT_INTEGER)
    texts[integral] = values[integral].astype(np.int64).astype(str)
    return texts


@validate_params(
    {
        "path": [str, os.PathLike],
        "matrix": ["array-like", "sparse matrix"],
        "value_format": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def dump_xc_sparse(
    path: str | os.PathLike[str], matrix: Any, *, value_format: str | None = None
) -> None:
    """Write a matrix in the Extreme Classification Repository sparse format.

    A header ``n_rows n_cols``, then one line per row with its non-zero entries as
    ``col:val`` pairs in increasing column order. A path ending with ``.gz`` is written
    gzip-compressed (without time stamp or name in the header, so the output is
    reproducible).

    Parameters
    ----------
    path : str or os.PathLike
        The output file.
    matrix : {array-like, sparse matrix} of shape (n_rows, n_cols)
        Finite real values; explicit zeros are not written.
    value_format : str or None, default=None
        printf-style format of the values, such as ``"%.4f"``. The default writes the
        shortest text that reads back to exactly the same value: integers without a
        decimal point (``1`` for a label), float32/float16 values as the shortest text
        of their float32 value, other floats as Python's ``repr``.

    Raises
    ------
    ValueError
        If the matrix is not 2-D or holds NaN or infinity, or ``value_format`` does not
        format one number without white space, or writes a non-zero value of the matrix
        as 0.
    TypeError
        If the matrix does not hold real numbers.

    See Also
    --------
    load_xc_sparse : Read the file back.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from skxml.datasets import dump_xc_sparse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "trn_X_Y.txt")
    ...     dump_xc_sparse(path, np.array([[1, 0, 1], [0, 0, 0], [0, 0.25, 0]]))
    ...     print(path.read_text(encoding="utf-8"), end="")
    3 3
    0:1 2:1
    <BLANKLINE>
    1:0.25
    """
    csr = _check_matrix(matrix)
    _check_value_format(value_format)
    # Each distinct value is formatted once: a label matrix has a single one.
    distinct, inverse = np.unique(csr.data, return_inverse=True)
    value_texts = _value_texts(distinct, value_format)
    if value_format is not None:
        _check_value_texts(distinct, value_texts, value_format)
    if value_texts.size:
        # astype(str) gives fixed-width U32 strings; the shortest width keeps the
        # per-block "col:value" arrays small.
        value_texts = value_texts.astype(f"U{int(np.char.str_len(value_texts).max())}")
    colon_values = np.char.add(":", value_texts)
    indptr = csr.indptr
    with open_binary_for_writing(path) as stream:
        stream.write(f"{csr.shape[0]} {csr.shape[1]}\n".encode())
        for start in range(0, csr.shape[0], _WRITE_BLOCK_ROWS):
            stop = min(start + _WRITE_BLOCK_ROWS, csr.shape[0])
            first, last = indptr[start], indptr[stop]
            pairs = np.char.add(
                csr.indices[first:last].astype(str), colon_values[inverse[first:last]]
            ).tolist()
            bounds = (indptr[start : stop + 1] - first).tolist()
            block = "".join(" ".join(pairs[begin:end]) + "\n" for begin, end in pairwise(bounds))
            stream.write(block.encode("utf-8"))
