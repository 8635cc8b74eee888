"""Pretrained word vectors (GloVe, word2vec text/binary) read into an embedding matrix."""

from __future__ import annotations

import errno
import functools
import itertools
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Integral
from typing import IO, Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skxml.datasets._io import open_binary
from skxml.text._sequence_encoder import PAD_ID, UNK_ID

_FIRST_WORD_ID = 2
_UTF8_BOM = b"\xef\xbb\xbf"
_MAX_LINE_BYTES = 1 << 24  # a 300-d text line is ~3 KB; 16 MB means "this is no text file"
_MAX_DIMENSION = 100_000  # the largest word vectors in use have a few thousand dimensions
_CHUNK_BYTES = 1 << 18
_UNIFORM_SCALE = 0.25  # paper: words without a pretrained vector ~ U(-0.25, 0.25)

#: Names of the word vectors shipped with skxml, accepted wherever a vector file's path is
#: (``load_word_vectors``, the estimators' ``word_vectors``): name -> file in ``text/data``.
BUNDLED_WORD_VECTORS = {"glove-6b-50d-50k": "glove_6b_50d_50k.npz"}


@dataclass(frozen=True, eq=False)
class WordVectors:
    """Embedding matrix read by :func:`load_word_vectors`, with what was found.

    Attributes
    ----------
    matrix : ndarray of shape (n_ids, embedding_dim)
        Row ``i`` is the vector of token id ``i``: row ``PAD_ID`` (0) is zeros, row
        ``UNK_ID`` (1) and the rows of words missing from the file follow ``missing``, the
        other rows are the file's vectors.
    found : ndarray of bool of shape (n_ids,)
        Whether row ``i`` comes from the file.
    missing_words : list of str
        Vocabulary words with no vector in the file, in id order.
    embedding_dim : int
        Width of the vectors.
    format : str
        The file format read: ``"glove"``, ``"word2vec_text"``, ``"word2vec_binary"`` or
        ``"bundled"``.
    path : str
        The file read, or the name of the bundled vectors.

    Examples
    --------
    >>> import tempfile, os
    >>> from skxml.text import load_word_vectors
    >>> path = os.path.join(tempfile.mkdtemp(), "vectors.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("apple 0.1 0.2\\nsky 0.3 0.4\\n")
    >>> vectors = load_word_vectors(path, {"apple": 2, "pear": 3}, random_state=0)
    >>> vectors.matrix.shape, vectors.n_found, vectors.missing_words
    ((4, 2), 1, ['pear'])
    """

    matrix: np.ndarray
    found: np.ndarray
    missing_words: list[str] = field(repr=False)
    embedding_dim: int
    format: str
    path: str

    @property
    def n_found(self) -> int:
        """Number of vocabulary words whose vector was in the file."""
        return int(self.found.sum())

    @property
    def n_words(self) -> int:
        """Number of vocabulary words (the reserved ids excluded)."""
        return self.n_found + len(self.missing_words)

    @property
    def coverage(self) -> float:
        """Share of vocabulary words found in the file, in [0, 1]."""
        return self.n_found / self.n_words

    def __repr__(self) -> str:
        return (
            f"WordVectors(matrix shape={self.matrix.shape}, dtype={self.matrix.dtype}, "
            f"found {self.n_found} of {self.n_words} words ({100 * self.coverage:.2f}%), "
            f"format={self.format!r}, path={self.path!r})"
        )


def _check_vocabulary(vocabulary: Any) -> dict[str, int]:
    """Return the vocabulary as word -> id with ids >= 2, unique and non-empty."""
    if isinstance(vocabulary, Mapping):
        result: dict[str, int] = {}
        seen_ids: dict[int, str] = {}
        for word, index in vocabulary.items():
            if not isinstance(word, str):
                raise TypeError(
                    f"vocabulary keys must be str, found {type(word).__name__} ({word!r:.40})."
                )
            if not isinstance(index, Integral) or isinstance(index, bool):
                raise TypeError(
                    f"vocabulary ids must be int, found {type(index).__name__} for {word!r}."
                )
            index = int(index)
            if index < _FIRST_WORD_ID:
                raise ValueError(
                    f"vocabulary id {index} of {word!r} is reserved: ids {PAD_ID} (padding) "
                    f"and {UNK_ID} (unknown words) have no word; word ids start at "
                    f"{_FIRST_WORD_ID}, as in SequenceEncoder.vocabulary_."
                )
            if index in seen_ids:
                raise ValueError(
                    f"vocabulary gives id {index} to both {seen_ids[index]!r} and {word!r}."
                )
            seen_ids[index] = word
            result[word] = index
    elif isinstance(vocabulary, (str, bytes)):
        raise TypeError(
            "vocabulary must be a dict word -> id or an ordered sequence of words, got a "
            f"single {type(vocabulary).__name__}."
        )
    elif isinstance(vocabulary, (set, frozenset)):
        raise TypeError(
            "vocabulary must be a dict word -> id or an ordered sequence of words, got a "
            f"{type(vocabulary).__name__}: a set has no order, so its ids would be arbitrary."
        )
    else:
        words = list(vocabulary)
        result = {}
        for position, word in enumerate(words):
            if not isinstance(word, str):
                raise TypeError(
                    f"vocabulary must contain only str; item {position} is "
                    f"{type(word).__name__} ({word!r:.40})."
                )
            if word in result:
                raise ValueError(f"vocabulary lists the word {word!r} twice.")
            result[word] = position + _FIRST_WORD_ID
    if not result:
        raise ValueError("vocabulary is empty; at least one word is required.")
    return result


def _parse_header(line: bytes) -> tuple[int, int] | None:
    """``(n_words, dim)`` if the line is a word2vec header, else ``None``."""
    fields = line.split()
    if len(fields) != 2:
        return None
    try:
        n_words, dim = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return (n_words, dim) if n_words >= 0 and dim >= 1 else None


def _check_header_dimension(path: str, dim: int) -> None:
    """Refuse a header's dimension no word-vector file has before anything is allocated
    by it (a damaged or mistaken header line would otherwise ask for gigabytes)."""
    if dim > _MAX_DIMENSION:
        raise ValueError(
            f"{path}: line 1 (header) gives dimension {dim}; word vectors of more than "
            f"{_MAX_DIMENSION:,} dimensions are not supported (is the header damaged?)."
        )


def _is_text_record(line: bytes, dim: int) -> bool:
    """Whether ``line`` reads as a word (one or more fields: fastText's "new york") followed
    by ``dim`` decimal numbers."""
    try:
        fields = line.decode("utf-8", "replace").split()
        if len(fields) < dim + 1:
            return False
        [float(value) for value in fields[-dim:]]
    except ValueError:
        return False
    return True


def _read_first_line(fileobj: IO[bytes], path: str) -> bytes:
    line = fileobj.readline(_MAX_LINE_BYTES)
    if not line.strip():
        raise ValueError(f"{path}: the file is empty (or its first line is blank).")
    if len(line) == _MAX_LINE_BYTES and not line.endswith(b"\n"):
        raise ValueError(
            f"{path}: line 1 is longer than {_MAX_LINE_BYTES} bytes; this is not a word-vector "
            "file in a supported format."
        )
    return line.removeprefix(_UTF8_BOM)


def _detect_format(path: str) -> str:
    """Tell GloVe text, word2vec text and word2vec binary apart from the first bytes.

    A first line of exactly two integers is a word2vec header; the format is then text if
    the next line reads as a word followed by ``dim`` numbers, else binary (``dim`` raw
    float32 values cannot pass for that). Anything else is GloVe text.
    """
    with open_binary(path) as fileobj:
        header = _parse_header(_read_first_line(fileobj, path))
        if header is None:
            return "glove"
        n_words, dim = header
        _check_header_dimension(path, dim)
        if n_words == 0:
            return "word2vec_text"
        sample = fileobj.read(64 * dim + 4096)
    newline = sample.find(b"\n")
    if newline == -1:
        return "word2vec_binary"
    if _is_text_record(sample[:newline], dim):
        return "word2vec_text"
    if _is_text_record_of_any_dim(sample[:newline]) and not _reads_as_binary(sample, dim):
        # A word and numbers, though not as many as the header says (the text reader then
        # says so), unless the bytes are a binary record whose first float32 values happen
        # to read as a digit and a line break (about 1 file in 10,000).
        return "word2vec_text"
    return "word2vec_binary"


def _reads_as_binary(sample: bytes, dim: int) -> bool:
    """Whether ``sample`` starts with a word2vec binary record of ``dim`` values ended by a
    line break, as word2vec writes them."""
    space = sample.find(b" ")
    end = space + 1 + 4 * dim
    values = sample[space + 1 : end]
    # Decimal text of exactly 4·dim bytes ends its line there too (a first word with a
    # no-break space in it reads as two fields): raw float32 values are not all digits.
    return (
        space > 0 and sample[end : end + 1] == b"\n" and not _NUMBER_CHARACTERS.issuperset(values)
    )


def _is_text_record_of_any_dim(line: bytes) -> bool:
    """Whether ``line`` reads as a word followed by one or more decimal numbers."""
    fields = line.split()
    if len(fields) < 2 or not all(_NUMBER_CHARACTERS.issuperset(field) for field in fields[1:]):
        return False
    return all(_float_or_none(field) is not None for field in fields[1:])


# The bytes of numbers written as text (and the spaces and line ends between them).
_NUMBER_CHARACTERS = frozenset(b"0123456789+-.eE \t\r\n")


def _float_or_none(value: bytes) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _parse_values(values: list[bytes], dim: int, path: str, where: str) -> np.ndarray:
    if len(values) != dim:
        raise ValueError(
            f"{path}: {where} has {len(values)} values, expected {dim} (a wrong dimension or "
            "a truncated line)."
        )
    try:
        if any(b"_" in value for value in values):  # float() reads "1_0" as 10
            raise ValueError
        vector = np.array(values, dtype=np.float64)
    except ValueError:
        bad = next(value for value in values if b"_" in value or _float_or_none(value) is None)
        raise ValueError(
            f"{path}: {where} has a value that is not a number: {bad[:40]!r}."
        ) from None
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"{path}: {where} has NaN or infinite values.")
    return vector


class _Matcher:
    """Collects the vectors of vocabulary words while a file streams past.

    An exact match wins; with ``lowercase`` a vocabulary word without one takes the vector
    of the first file word equal to it after lower-casing both.
    """

    def __init__(self, vocabulary: dict[str, int], *, lowercase: bool) -> None:
        self.exact = vocabulary
        self.lower: dict[str, list[int]] = {}
        if lowercase:
            for word, index in vocabulary.items():
                self.lower.setdefault(word.lower(), []).append(index)
        self.lowercase = lowercase
        self.exact_vectors: dict[int, np.ndarray] = {}
        self.exact_where: dict[int, str] = {}
        self.fallback_vectors: dict[int, np.ndarray] = {}
        self.duplicates: list[tuple[str, str, str]] = []

    def wanted(self, word: str) -> tuple[int | None, list[int]]:
        """The id to fill exactly (``None`` if none) and the ids to fill by lower-case."""
        exact_id = self.exact.get(word)
        if not self.lowercase:
            return exact_id, []
        candidates = self.lower.get(word.lower())
        if not candidates:
            return exact_id, []
        fallback_ids = [
            index
            for index in candidates
            if index != exact_id
            and index not in self.fallback_vectors
            and index not in self.exact_vectors
        ]
        return exact_id, fallback_ids

    def add(
        self, word: str, exact_id: int | None, fallback_ids: list[int], vector: Any, where: str
    ) -> None:
        if exact_id is not None:
            if exact_id in self.exact_vectors:
                self.duplicates.append((word, self.exact_where[exact_id], where))
            else:
                self.exact_vectors[exact_id] = vector
                self.exact_where[exact_id] = where
        for index in fallback_ids:
            self.fallback_vectors[index] = vector


def _glove_values_in(line: bytes) -> int:
    """How many values a GloVe record holds: the numbers that end the line, all but the
    first field at most. A word may itself be a number ("1990 0.1 0.2") or hold spaces
    (". . . 0.1 0.2", as in GloVe 840B), so neither the field count nor the numbers alone
    tell the dimension. (A word of several parts whose last part is a number, "at 1 0.1
    0.2", still reads as one more value: the next line then reports the mismatch.)"""
    fields = line.split()
    numbers_at_end = 0
    for value in reversed(fields):
        if _float_or_none(value) is None:
            break
        numbers_at_end += 1
    word_parts = fields[1 : len(fields) - numbers_at_end]
    if any(_float_or_none(part) is not None for part in word_parts):
        # A number amid the "word" is rather a bad value among the values (reported as such).
        return len(fields) - 1
    return min(len(fields) - 1, numbers_at_end)


def _read_text(
    path: str, matcher: _Matcher, *, has_header: bool, embedding_dim: int | None
) -> int:
    """Stream a GloVe or word2vec text file through ``matcher``; return the dimension."""
    with open_binary(path) as fileobj:
        first = _read_first_line(fileobj, path)
        expected_records = None
        if has_header:
            header = _parse_header(first)
            if header is None:
                raise ValueError(
                    f"{path}: line 1 should be a word2vec header 'n_words dim', got "
                    f"{first[:80]!r}."
                )
            expected_records, dim = header
            _check_header_dimension(path, dim)
            if embedding_dim is not None and dim != embedding_dim:
                raise ValueError(
                    f"{path}: line 1 (header) gives dimension {dim}, but embedding_dim="
                    f"{embedding_dim}."
                )
            records: Iterable[bytes] = fileobj
            first_line_number = 2
        else:
            n_values = _glove_values_in(first)
            if n_values < 1:
                raise ValueError(
                    f"{path}: line 1 is not 'word v1 ... vd' (GloVe text format): {first[:80]!r}."
                )
            dim = n_values if embedding_dim is None else embedding_dim
            if dim != n_values:
                raise ValueError(
                    f"{path}: line 1 has {n_values} values, but embedding_dim={embedding_dim}."
                )
            # The first line is already read and is a record: put it back in front.
            records = itertools.chain([first], fileobj)
            first_line_number = 1

        n_records = 0
        line_number = first_line_number - 1
        for line_number, line in enumerate(records, first_line_number):
            head = line.split(None, 1)
            if not head:
                continue  # blank line
            n_records += 1
            word = head[0].decode("utf-8", "replace")
            exact_id, fallback_ids = matcher.wanted(word)
            if exact_id is None and not fallback_ids:
                continue
            fields = line.split()
            if len(fields) > dim + 1 and _float_or_none(fields[-dim - 1]) is None:
                continue  # a token with spaces (GloVe 840B has a few); never a vocabulary word
            where = f"line {line_number}"
            if exact_id is not None and exact_id in matcher.exact_vectors and not fallback_ids:
                matcher.add(word, exact_id, [], None, where)  # a repeat: only reported
                continue
            vector = _parse_values(fields[1:], dim, path, where)
            matcher.add(word, exact_id, fallback_ids, vector, where)
        if expected_records is not None and n_records != expected_records:
            raise ValueError(
                f"{path}: the header (line 1) announces {expected_records} words but the file "
                f"has {n_records} (ending at line {line_number}); is it truncated?"
            )
    return dim


def _package_file(name: str) -> str:
    """The file in ``text/data`` that holds the bundled vectors ``name``."""
    return os.path.join(os.path.dirname(__file__), "data", BUNDLED_WORD_VECTORS[name])


def _bundled_path(name: str) -> str | None:
    """The package file of bundled vectors ``name`` (``None``: not a bundled name, or a file
    of that name exists, which then wins). The package file's own path is recognised too."""
    if name in BUNDLED_WORD_VECTORS:
        return None if os.path.exists(name) else _package_file(name)
    package_files = {_package_file(bundled) for bundled in BUNDLED_WORD_VECTORS}
    return name if name in package_files else None


def _load_bundled(path: str) -> tuple[list[str], np.ndarray]:
    """The words and float16 vectors of a bundled file (``words``: the UTF-8 words joined
    by newlines, as uint8; ``vectors``: one row per word)."""
    with np.load(path, allow_pickle=False) as stored:
        return stored["words"].tobytes().decode("utf-8").split("\n"), stored["vectors"]


@functools.lru_cache(maxsize=len(BUNDLED_WORD_VECTORS))
def _bundled_words(name: str) -> frozenset[str]:
    """The words of the bundled vectors ``name`` (read once per process)."""
    return frozenset(_load_bundled(_package_file(name))[0])


def bundled_token_coverage(
    name: str, vocabulary: Mapping[str, int], token_ids: np.ndarray
) -> float:
    """Share of the word occurrences in ``token_ids`` that the bundled vectors ``name`` cover.

    A word counts as covered when it, or its lower-case form, is one of the bundled words
    (the matching :func:`load_word_vectors` does). Padding (``PAD_ID``) is not counted;
    unknown words (``UNK_ID``) count as not covered. 0.0 when there are no words at all.
    """
    words = _bundled_words(name)
    ids = np.asarray(token_ids, dtype=np.int64).ravel()
    counts = np.bincount(
        ids[ids != PAD_ID], minlength=max(vocabulary.values(), default=UNK_ID) + 1
    )
    covered = np.zeros(counts.shape[0], dtype=bool)
    for word, token_id in vocabulary.items():
        covered[token_id] = word in words or word.lower() in words
    total = int(counts.sum())
    return float(counts[covered].sum() / total) if total else 0.0


def _read_bundled(path: str, matcher: _Matcher, *, embedding_dim: int | None) -> int:
    """Pass the bundled vectors at ``path`` through ``matcher``; return the dimension."""
    words, vectors = _load_bundled(path)
    dim = vectors.shape[1]
    if embedding_dim is not None and dim != embedding_dim:
        raise ValueError(
            f"the bundled word vectors have dimension {dim}, but embedding_dim={embedding_dim}."
        )
    for row, word in enumerate(words):
        exact_id, fallback_ids = matcher.wanted(word)
        if exact_id is not None or fallback_ids:
            vector = vectors[row].astype(np.float64)
            matcher.add(word, exact_id, fallback_ids, vector, f"row {row}")
    return int(dim)


def _read_binary(path: str, matcher: _Matcher, *, embedding_dim: int | None) -> int:
    """Stream a word2vec binary file through ``matcher``; return the dimension."""
    with open_binary(path) as fileobj:
        first = _read_first_line(fileobj, path)
        header = _parse_header(first)
        if header is None:
            raise ValueError(
                f"{path}: line 1 should be a word2vec header 'n_words dim', got {first[:80]!r}."
            )
        n_words, dim = header
        _check_header_dimension(path, dim)
        if embedding_dim is not None and dim != embedding_dim:
            raise ValueError(
                f"{path}: line 1 (header) gives dimension {dim}, but embedding_dim="
                f"{embedding_dim}."
            )
        record_bytes = 4 * dim
        buffer = b""
        position = 0
        offset = len(first)  # byte offset of buffer[0] in the (decompressed) file
        for record in range(1, n_words + 1):
            while True:
                space = buffer.find(b" ", position)
                if space != -1 and len(buffer) - space - 1 >= record_bytes:
                    break
                if space == -1 and len(buffer) - position > _CHUNK_BYTES:
                    raise ValueError(
                        f"{path}: record {record} (byte {offset + position}) has no word "
                        f"followed by a space within {_CHUNK_BYTES} bytes; not a word2vec "
                        "binary file?"
                    )
                more = fileobj.read(_CHUNK_BYTES)
                if not more:
                    raise ValueError(
                        f"{path}: record {record} of {n_words} (byte {offset + position}) is "
                        f"truncated: the file ends before its {dim} float32 values; is the "
                        "file cut short?"
                    )
                offset += position
                buffer = buffer[position:] + more
                position = 0
            word_bytes = buffer[position:space].lstrip(b"\r\n")
            record_offset = offset + space - len(word_bytes)
            word = word_bytes.decode("utf-8", "replace")
            if b"\n" in word_bytes:
                # A line break inside a word: the reading is out of step, the record before
                # held more than one word and dim values (a word with a space in it).
                raise ValueError(
                    f"{path}: record {record} (byte {record_offset}) is out of step: its word "
                    f"{word!r} holds a line break, so record {record - 1} was not one word, a "
                    f"space and {dim} float32 values (a word with a space in it?)."
                )
            start = space + 1
            position = start + record_bytes
            exact_id, fallback_ids = matcher.wanted(word)
            if exact_id is None and not fallback_ids:
                continue
            where = f"record {record} (byte {record_offset})"
            if record == 1 and _NUMBER_CHARACTERS.issuperset(buffer[start:position]):
                raise ValueError(
                    f"{path}: {where} ({word!r}) holds decimal digits, not {dim} raw float32 "
                    "values: this is a word2vec text file; read it with format='word2vec_text' "
                    "or 'auto'."
                )
            vector = np.frombuffer(buffer, dtype="<f4", count=dim, offset=start)
            if not np.all(np.isfinite(vector)):
                raise ValueError(f"{path}: {where} ({word!r}) has NaN or infinite values.")
            matcher.add(word, exact_id, fallback_ids, vector.astype(np.float64), where)
        rest = buffer[position:]
        while True:
            if rest.strip():
                raise ValueError(
                    f"{path}: data after the {n_words} records announced by the header "
                    "(line 1); the header is wrong or the file is damaged."
                )
            rest = fileobj.read(_CHUNK_BYTES)
            if not rest:
                break
    return dim


@validate_params(
    {
        "path": [str, os.PathLike],
        "vocabulary": [Mapping, "array-like"],
        "format": [StrOptions({"auto", "glove", "word2vec_text", "word2vec_binary"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "lowercase": ["boolean"],
        "missing": [StrOptions({"uniform", "zeros"})],
        "random_state": ["random_state"],
        "dtype": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def load_word_vectors(
    path: str | os.PathLike,
    vocabulary: Mapping[str, int] | Any,
    *,
    format: str = "auto",
    embedding_dim: int | None = None,
    lowercase: bool = True,
    missing: str = "uniform",
    random_state: Any = None,
    dtype: Any = np.float32,
) -> WordVectors:
    """Read pretrained word vectors into an embedding matrix aligned with token ids.

    The file is streamed (line by line, or record by record for binary files) and only the
    vectors of vocabulary words are kept, so memory grows with the vocabulary, never with
    the file: a 5 GB file is fine.

    Parameters
    ----------
    path : str or path-like
        The vector file, plain or gzip-compressed (recognised by content, whatever its name),
        or the name of vectors shipped with skxml (when no file of that name exists):

        - ``"glove-6b-50d-50k"``: the 50,000 most frequent words of GloVe 6B (Pennington,
          Socher and Manning, 2014; Wikipedia 2014 + Gigaword 5, lower-case), 50
          dimensions, stored in float16 (4.8 MB; PDDL 1.0, provenance in
          ``skxml/text/data/README.md``). ``format`` is then ignored.
    vocabulary : dict of str to int, or sequence of str
        Word -> token id with ids from 2 upward (``SequenceEncoder.vocabulary_``), or words
        in id order (the first gets id 2). Ids 0 (``PAD_ID``) and 1 (``UNK_ID``) are
        reserved.
    format : {"auto", "glove", "word2vec_text", "word2vec_binary"}, default="auto"
        ``"glove"``: ``word v1 ... vd`` per line, no header. ``"word2vec_text"``: the same
        after a header line ``n_words d`` (also fastText ``.vec``). ``"word2vec_binary"``:
        the header line, then per word ``word`` + space + d little-endian float32 values
        (+ an optional newline). ``"auto"`` reads the first line: two integers make a
        word2vec header, and the format is then text if the next line is a word followed by
        d numbers, binary otherwise; any other first line means GloVe.
    embedding_dim : int or None, default=None
        Expected width; ``None`` takes it from the file. A file of another width is an error.
    lowercase : bool, default=True
        A vocabulary word with no exact match in the file takes the vector of the first file
        word equal to it after lower-casing both (``"Python"`` in a word2vec file serves
        ``"python"``). Exact matches always win. ``False``: exact matches only.
    missing : {"uniform", "zeros"}, default="uniform"
        Rows of vocabulary words missing from the file, and of ``UNK_ID``: drawn from
        U(-0.25, 0.25) (the paper's choice) or zeros. Row ``PAD_ID`` is always zeros.
    random_state : int, RandomState instance or None, default=None
        Seeds the uniform rows. The draw covers every row, so a row's values do not depend
        on which other words were found.
    dtype : floating dtype, default=np.float32
        dtype of the matrix.

    Returns
    -------
    word_vectors : WordVectors
        ``matrix`` of shape (max id + 1, d), ``found`` (bool per row), ``missing_words``,
        ``n_found``, ``n_words``, ``coverage``, ``embedding_dim``, ``format``, ``path``.

    Raises
    ------
    ValueError
        For an empty file, a header that disagrees with the file or ``embedding_dim``, or a
        vocabulary word's line with the wrong number of values, a non-number, NaN or
        infinity, or a truncated binary record; the message names the file and the line (or
        record). Also for a vocabulary with reserved, repeated or no ids.
    TypeError
        For a vocabulary that is not a dict or ordered sequence of str, or a non-float dtype.
    FileNotFoundError
        For a path that is neither a file nor the name of bundled vectors.

    Warns
    -----
    UserWarning
        When a vocabulary word occurs more than once in the file; the first occurrence is
        used.

    Notes
    -----
    Only the lines of vocabulary words are parsed and checked in full; the others are read
    just for their first word, which keeps a pass over a multi-gigabyte file fast, so damage
    on a line that is not used goes unnoticed. Tokens containing spaces (a few entries of
    GloVe 840B) are skipped. Words are decoded as UTF-8, invalid bytes replaced.

    Examples
    --------
    >>> import os, tempfile
    >>> from skxml.text import load_word_vectors
    >>> path = os.path.join(tempfile.mkdtemp(), "vectors.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("the 0.1 0.2\\nlibrary 0.3 0.4\\nPython 0.5 0.6\\n")
    >>> vectors = load_word_vectors(path, {"library": 2, "python": 3, "qt5": 4},
    ...                             random_state=0)
    >>> vectors.matrix.shape, vectors.n_found, vectors.missing_words
    ((5, 2), 2, ['qt5'])
    >>> vectors.matrix[[0, 2, 3]]  # padding, "library", "python" (from "Python")
    array([[0. , 0. ],
           [0.3, 0.4],
           [0.5, 0.6]], dtype=float32)
    >>> vectors.found
    array([False, False,  True,  True, False])
    """
    path = os.fspath(path)
    try:
        matrix_dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a floating dtype, got {dtype!r}.") from exc
    if matrix_dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype such as np.float32, got {dtype!r}.")
    word_ids = _check_vocabulary(vocabulary)
    bundled = _bundled_path(path)
    if bundled is None and not os.path.exists(path):
        raise FileNotFoundError(
            errno.ENOENT,
            "no such word-vector file, nor is it the name of vectors shipped with skxml ("
            f"{', '.join(map(repr, BUNDLED_WORD_VECTORS))})",
            path,
        )
    if bundled is not None:
        format = "bundled"
    elif format == "auto":
        format = _detect_format(path)
    matcher = _Matcher(word_ids, lowercase=lowercase)
    if bundled is not None:
        dim = _read_bundled(bundled, matcher, embedding_dim=embedding_dim)
    elif format == "word2vec_binary":
        dim = _read_binary(path, matcher, embedding_dim=embedding_dim)
    else:
        dim = _read_text(
            path, matcher, has_header=format == "word2vec_text", embedding_dim=embedding_dim
        )
    if matcher.duplicates:
        word, first_where, again_where = matcher.duplicates[0]
        warnings.warn(
            f"{path}: {len(matcher.duplicates)} occurrence(s) of vocabulary words repeat an "
            f"earlier entry (e.g. {word!r} at {first_where} and again at {again_where}); the "
            "first occurrence of each word is used.",
            UserWarning,
            stacklevel=2,
        )

    n_ids = max(word_ids.values()) + 1
    random_state = check_random_state(random_state)
    if missing == "uniform":
        matrix = random_state.uniform(-_UNIFORM_SCALE, _UNIFORM_SCALE, size=(n_ids, dim))
    else:
        matrix = np.zeros((n_ids, dim))
    matrix[PAD_ID] = 0.0
    found = np.zeros(n_ids, dtype=bool)
    missing_words = []
    for word, index in sorted(word_ids.items(), key=lambda item: item[1]):
        vector = matcher.exact_vectors.get(index)
        if vector is None:
            vector = matcher.fallback_vectors.get(index)
        if vector is None:
            missing_words.append(word)
        else:
            matrix[index] = vector
            found[index] = True
    largest = np.finfo(matrix_dtype).max
    # Row maxima and minima: no matrix-sized temporary, as np.abs(matrix) would be.
    too_large = (matrix.max(axis=1) > largest) | (matrix.min(axis=1) < -largest)
    if too_large.any():
        index = int(np.argmax(too_large))
        word = next(word for word, i in word_ids.items() if i == index)
        where = matcher.exact_where.get(index, "a line")
        raise ValueError(
            f"{path}: {where} ({word!r}) has a value of magnitude "
            f"{np.abs(matrix[index]).max():.3g}, beyond the largest {matrix_dtype} number "
            f"({largest:.3g}); is the file corrupt?"
        )
    return WordVectors(
        matrix=matrix.astype(matrix_dtype, copy=False),
        found=found,
        missing_words=missing_words,
        embedding_dim=dim,
        format=format,
        path=path,
    )
