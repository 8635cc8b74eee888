"""Tests for skxml.text.load_word_vectors."""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skxml.text import PAD_ID, UNK_ID, SequenceEncoder, WordVectors, load_word_vectors
from skxml.text._word_vectors import (
    BUNDLED_WORD_VECTORS,
    _load_bundled,
    _package_file,
    bundled_token_coverage,
)

VECTORS = {
    "the": [0.5, -1.0, 2.0],
    "library": [0.25, 0.125, -0.5],
    "Python": [1.5, 2.5, -3.5],
    "gnu": [-0.75, 0.0, 4.0],
}
VOCABULARY = {"library": 2, "python": 3, "gnu": 4, "qt5": 5}


def _text_lines(vectors):
    return [f"{word} {' '.join(repr(v) for v in vector)}\n" for word, vector in vectors.items()]


def _write(path: Path, data: bytes, compress: bool) -> Path:
    if compress:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def write_glove(path, vectors=VECTORS, compress=False):
    return _write(path, "".join(_text_lines(vectors)).encode(), compress)


def write_word2vec_text(path, vectors=VECTORS, compress=False):
    dim = len(next(iter(vectors.values())))
    header = f"{len(vectors)} {dim}\n"
    return _write(path, (header + "".join(_text_lines(vectors))).encode(), compress)


def write_word2vec_binary(path, vectors=VECTORS, compress=False, newline=True):
    dim = len(next(iter(vectors.values())))
    parts = [f"{len(vectors)} {dim}\n".encode()]
    for word, vector in vectors.items():
        parts.append(word.encode() + b" " + np.asarray(vector, dtype="<f4").tobytes())
        if newline:
            parts.append(b"\n")
    return _write(path, b"".join(parts), compress)


WRITERS = {
    "glove": write_glove,
    "word2vec_text": write_word2vec_text,
    "word2vec_binary": write_word2vec_binary,
}


# --------------------------------------------------------------------------------------
# formats


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("file_format", list(WRITERS))
@pytest.mark.parametrize("format_arg", ["auto", "explicit"])
def test_load_word_vectors_formats(tmp_path, file_format, compress, format_arg):
    path = WRITERS[file_format](tmp_path / "vectors.bin", compress=compress)
    result = load_word_vectors(
        path,
        VOCABULARY,
        format=file_format if format_arg == "explicit" else "auto",
        random_state=0,
    )
    assert isinstance(result, WordVectors)
    assert result.format == file_format
    assert result.path == str(path)
    assert result.embedding_dim == 3
    assert result.matrix.shape == (6, 3) and result.matrix.dtype == np.float32
    np.testing.assert_array_equal(result.matrix[PAD_ID], 0.0)
    np.testing.assert_array_equal(result.matrix[2], VECTORS["library"])
    np.testing.assert_array_equal(result.matrix[3], VECTORS["Python"])  # lower-case match
    np.testing.assert_array_equal(result.matrix[4], VECTORS["gnu"])
    assert result.found.tolist() == [False, False, True, True, True, False]
    assert result.missing_words == ["qt5"]
    assert (result.n_found, result.n_words, result.coverage) == (3, 4, 0.75)


def test_load_word_vectors_word2vec_binary_without_newlines(tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin", newline=False)
    result = load_word_vectors(path, VOCABULARY)
    assert result.format == "word2vec_binary"
    np.testing.assert_array_equal(result.matrix[4], VECTORS["gnu"])


def test_load_word_vectors_binary_vector_with_space_and_newline_bytes(tmp_path):
    # 32.0 is b"\x00\x00\x00B" and 2.3509887e-38 holds 0x20 (space) and 0x0A bytes: the
    # record length, not a separator search, must delimit the values.
    tricky = np.frombuffer(b"\x20\x0a\x20\x0a", dtype="<f4")[0]
    vectors = {"gnu": [float(tricky), 32.0, 1.0], "library": [1.0, 2.0, 3.0]}
    path = write_word2vec_binary(tmp_path / "vectors.bin", vectors)
    result = load_word_vectors(path, ["gnu", "library"], format="word2vec_binary")
    np.testing.assert_array_equal(result.matrix[2], np.float32(vectors["gnu"]))
    np.testing.assert_array_equal(result.matrix[3], [1.0, 2.0, 3.0])


def test_load_word_vectors_detects_gzip_by_content_not_name(tmp_path):
    path = write_glove(tmp_path / "vectors.txt", compress=True)
    renamed = path.rename(tmp_path / "vectors.txt")
    assert renamed.read_bytes()[:2] == b"\x1f\x8b"
    assert load_word_vectors(renamed, VOCABULARY).n_found == 3


@pytest.mark.parametrize("damage", ["truncated", "flipped byte"])
def test_a_damaged_gzip_vector_file_is_named(tmp_path, damage):
    rng = np.random.RandomState(0)
    lines = (f"w{i} " + " ".join(f"{x:.5f}" for x in rng.rand(8)) for i in range(2000))
    data = bytearray(gzip.compress("\n".join(lines).encode()))
    if damage == "truncated":
        del data[len(data) // 2 :]
    else:
        data[len(data) // 2] ^= 0xFF
    path = tmp_path / "vectors.txt.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"vectors\.txt\.gz: corrupt or truncated gzip data"):
        load_word_vectors(path, {"w1": 2}, missing="zeros")


def test_a_binary_word_with_a_space_is_reported_not_read_as_garbage(tmp_path):
    path = write_word2vec_binary(tmp_path / "v.bin", {"new york": [0.1, 0.2], "sky": [0.3, 0.4]})
    with pytest.raises(ValueError, match=r"record 2 .* out of step.*word with a space in it"):
        load_word_vectors(path, {"new": 2, "sky": 3}, missing="zeros")


def test_a_binary_file_whose_first_floats_read_as_a_digit_and_a_line_break_is_binary(tmp_path):
    # The bytes b"5\n\x80\x3e" are the float32 0.25007787: "the 5" then reads as a text
    # record of one value (about 1 binary file in 10,000 of random vectors begins so).
    first = np.frombuffer(b"5\n\x80\x3e", dtype="<f4")[0]
    rng = np.random.RandomState(0)
    vectors = {"the": [first, *rng.rand(49)], "apple": rng.rand(50), "sky": rng.rand(50)}
    path = write_word2vec_binary(tmp_path / "v.bin", vectors)
    result = load_word_vectors(path, ["the", "sky"])
    np.testing.assert_array_equal(result.matrix[2], np.asarray(vectors["the"], dtype="<f4"))


def test_a_text_file_whose_first_line_is_4_dim_bytes_of_numbers_stays_text(tmp_path):
    # "\u3000" (an ideographic space, a token of Chinese vector files) splits the first line
    # into fields of another count, and its values happen to take 4 · 3 bytes.
    path = tmp_path / "v.txt"
    path.write_text("2 3\n\u3000 0.1 0.2 -0.3\nsky 0.5 0.6 0.7\n", encoding="utf-8")
    result = load_word_vectors(path, ["sky"], missing="zeros")
    np.testing.assert_array_equal(result.matrix[2], np.float32([0.5, 0.6, 0.7]))


def test_load_word_vectors_sequence_vocabulary_matches_dict(tmp_path):
    path = write_glove(tmp_path / "vectors.txt")
    from_list = load_word_vectors(path, ["library", "python", "gnu", "qt5"], random_state=3)
    from_dict = load_word_vectors(path, VOCABULARY, random_state=3)
    np.testing.assert_array_equal(from_list.matrix, from_dict.matrix)


def test_load_word_vectors_accepts_encoder_vocabulary_with_gaps(tmp_path):
    path = write_glove(tmp_path / "vectors.txt")
    result = load_word_vectors(path, {"gnu": 7, "library": 2}, missing="zeros")
    assert result.matrix.shape == (8, 3)
    np.testing.assert_array_equal(result.matrix[7], VECTORS["gnu"])
    np.testing.assert_array_equal(result.matrix[3:7], 0.0)
    assert result.n_words == 2 and result.coverage == 1.0


def test_load_word_vectors_text_details(tmp_path):
    # BOM, CRLF line ends, tabs and several spaces, a blank line, a token with spaces.
    path = tmp_path / "vectors.txt"
    path.write_bytes(
        b"\xef\xbb\xbfthe 1 2 3\r\ngnu\t4  5 6 \r\n\r\ngnu linux 7 8 9\nlibrary 0.5 0.25 1e-3\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "gnu linux" is another token, not a repeat of "gnu"
        result = load_word_vectors(path, ["the", "gnu", "library"])
    np.testing.assert_allclose(result.matrix[2:], [[1, 2, 3], [4, 5, 6], [0.5, 0.25, 1e-3]])


@pytest.mark.parametrize(
    ("first_line", "words"),
    [
        (b". . . 0.5 0.5 0.5\n", ["the", "gnu"]),  # a token with spaces (GloVe 840B)
        (b"1990 0.5 0.5 0.5\n", ["the", "gnu", "1990"]),  # a word that is a number
    ],
)
def test_load_word_vectors_glove_dimension_from_a_first_line_of_any_word(
    tmp_path, first_line, words
):
    path = tmp_path / "vectors.txt"
    path.write_bytes(first_line + b"the 1 2 3\ngnu 4 5 6\n")
    result = load_word_vectors(path, words)
    assert result.matrix.shape[1] == 3
    np.testing.assert_allclose(result.matrix[2:4], [[1, 2, 3], [4, 5, 6]])
    if "1990" in words:
        np.testing.assert_allclose(result.matrix[4], [0.5, 0.5, 0.5])


def test_load_word_vectors_glove_bad_value_on_the_first_line_is_named(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_bytes(b"the 1 x 3\ngnu 4 5 6\n")
    with pytest.raises(ValueError, match=r"line 1 has a value that is not a number: b'x'"):
        load_word_vectors(path, ["the", "gnu"])


def test_load_word_vectors_word2vec_text_with_invalid_utf8_and_trailing_spaces(tmp_path):
    # fastText .vec files end lines with a space; old word2vec files hold Latin-1 words.
    path = tmp_path / "vectors.vec"
    path.write_bytes(b"3 2\nna\xefve 1 2 \ngnu 3 4 \nlibrary 5 6 \n")
    result = load_word_vectors(path, ["gnu", "library", "naïve"])
    assert result.format == "word2vec_text"
    np.testing.assert_array_equal(result.matrix[2:4], [[3, 4], [5, 6]])
    assert result.missing_words == ["naïve"]


# --------------------------------------------------------------------------------------
# matching and missing words


def test_load_word_vectors_exact_match_beats_lowercase_match(tmp_path):
    vectors = {"Python": [1.0, 1.0], "PYTHON": [2.0, 2.0], "python": [3.0, 3.0]}
    path = write_glove(tmp_path / "vectors.txt", vectors)
    result = load_word_vectors(path, ["python", "Python", "pYthon"])
    np.testing.assert_array_equal(result.matrix[2:], [[3, 3], [1, 1], [1, 1]])


def test_load_word_vectors_lowercase_false_matches_exactly(tmp_path):
    path = write_glove(tmp_path / "vectors.txt")
    result = load_word_vectors(path, VOCABULARY, lowercase=False)
    assert result.missing_words == ["python", "qt5"]


def test_load_word_vectors_missing_rows_are_seeded_uniform(tmp_path):
    path = write_glove(tmp_path / "vectors.txt")
    first = load_word_vectors(path, VOCABULARY, random_state=42)
    again = load_word_vectors(path, VOCABULARY, random_state=np.random.RandomState(42))
    other = load_word_vectors(path, VOCABULARY, random_state=43)
    np.testing.assert_array_equal(first.matrix, again.matrix)
    assert not np.array_equal(first.matrix[5], other.matrix[5])
    for row in (UNK_ID, 5):
        assert np.all(np.abs(first.matrix[row]) <= 0.25) and np.any(first.matrix[row] != 0)


def test_load_word_vectors_random_rows_do_not_depend_on_found_words(tmp_path):
    full = write_glove(tmp_path / "full.txt")
    partial = write_glove(tmp_path / "partial.txt", {"the": VECTORS["the"]})
    with_found = load_word_vectors(full, VOCABULARY, random_state=0)
    without = load_word_vectors(partial, VOCABULARY, random_state=0)
    np.testing.assert_array_equal(with_found.matrix[[UNK_ID, 5]], without.matrix[[UNK_ID, 5]])


def test_load_word_vectors_missing_zeros_and_dtype(tmp_path):
    path = write_glove(tmp_path / "vectors.txt")
    result = load_word_vectors(path, VOCABULARY, missing="zeros", dtype=np.float64)
    assert result.matrix.dtype == np.float64
    np.testing.assert_array_equal(result.matrix[[PAD_ID, UNK_ID, 5]], 0.0)


def test_load_word_vectors_repr_and_coverage(tmp_path):
    result = load_word_vectors(write_glove(tmp_path / "vectors.txt"), VOCABULARY)
    assert "found 3 of 4 words (75.00%)" in repr(result)
    assert "format='glove'" in repr(result)


# --------------------------------------------------------------------------------------
# bad files


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"the 1 2\ngnu 1 2 3\n", r"line 2 has 3 values, expected 2"),
        (b"the 1 2\ngnu 1\n", r"line 2 has 1 values, expected 2"),
        (b"the 1 2\ngnu 1 nan\n", r"line 2 has NaN or infinite values"),
        (b"the 1 2\ngnu inf 1\n", r"line 2 has NaN or infinite values"),
        # Finite as text, infinite as float32.
        (b"the 1 2\ngnu 1e40 1\n", r"line 2 \('gnu'\) has a value of magnitude 1e\+40"),
        (b"the 1 2\ngnu 1 x\n", r"line 2 has a value that is not a number: b'x'"),
        (b"the 1 2\ngnu 1_0 2\n", r"line 2 has a value that is not a number: b'1_0'"),
        (b"the 1 2\ngnu 3 1 2\n", r"line 2 has 3 values, expected 2"),
        (b"lonely\n", r"line 1 is not 'word v1 ... vd'"),
        (b"2 2\ngnu 1 2\n", r"header \(line 1\) announces 2 words but the file has 1"),
        (b"1 2\ngnu 1 2\nlibrary 1 2\n", r"announces 1 words but the file has 2"),
        (b"2 2\nthe 1 2\ngnu 1 2 3\n", r"line 3 has 3 values, expected 2"),
    ],
)
def test_load_word_vectors_bad_text_files(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_word_vectors(path, ["gnu"])
    assert str(path) in str(info.value)


def test_load_word_vectors_truncated_binary_record(tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin")
    data = path.read_bytes()
    path.write_bytes(data[:-8])  # cut into the last record's values
    with pytest.raises(ValueError, match=r"record 4 of 4 \(byte \d+\) is truncated"):
        load_word_vectors(path, VOCABULARY)


def test_load_word_vectors_binary_with_fewer_records_than_header(tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin")
    data = path.read_bytes()
    path.write_bytes(b"5" + data[1:])  # header says 5 words, the file holds 4
    with pytest.raises(ValueError, match=r"record 5 of 5 .* truncated"):
        load_word_vectors(path, VOCABULARY, format="word2vec_binary")


def test_load_word_vectors_binary_with_more_records_than_header(tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin")
    data = path.read_bytes()
    path.write_bytes(b"3" + data[1:])
    with pytest.raises(ValueError, match=r"data after the 3 records announced by the header"):
        load_word_vectors(path, VOCABULARY, format="word2vec_binary")


def test_load_word_vectors_binary_nan(tmp_path):
    vectors = {"the": [1.0, 2.0], "gnu": [float("nan"), 1.0]}
    path = write_word2vec_binary(tmp_path / "vectors.bin", vectors)
    with pytest.raises(ValueError, match=r"record 2 \(byte 17\) \('gnu'\) has NaN"):
        load_word_vectors(path, ["gnu"])


def test_load_word_vectors_binary_without_separator(tmp_path):
    path = tmp_path / "vectors.bin"
    path.write_bytes(b"1 2\n" + b"x" * (1 << 20))
    with pytest.raises(ValueError, match="no word followed by a space"):
        load_word_vectors(path, ["gnu"], format="word2vec_binary")


@pytest.mark.parametrize("file_format", list(WRITERS))
def test_load_word_vectors_embedding_dim_mismatch(tmp_path, file_format):
    path = WRITERS[file_format](tmp_path / "vectors")
    with pytest.raises(ValueError, match=r"line 1.* 3.*embedding_dim=4") as info:
        load_word_vectors(path, VOCABULARY, embedding_dim=4)
    assert str(path) in str(info.value)
    assert load_word_vectors(path, VOCABULARY, embedding_dim=3).embedding_dim == 3


def test_load_word_vectors_duplicate_word_warns_and_keeps_first(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("gnu 1 2\nthe 0 0\ngnu 3 4\ngnu 5 6\n")
    with pytest.warns(UserWarning, match=r"2 occurrence.*'gnu' at line 1 and again at line 3"):
        result = load_word_vectors(path, ["gnu"])
    np.testing.assert_array_equal(result.matrix[2], [1, 2])


def test_load_word_vectors_ignores_damage_on_unused_lines(tmp_path):
    # Documented: lines of words outside the vocabulary are not parsed.
    path = tmp_path / "vectors.txt"
    path.write_text("the 1 2\nbroken 1\ngnu 3 4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = load_word_vectors(path, ["gnu"])
    np.testing.assert_array_equal(result.matrix[2], [3, 4])


def test_load_word_vectors_explicit_glove_on_word2vec_file_fails_clearly(tmp_path):
    path = write_word2vec_text(tmp_path / "vectors.txt")
    with pytest.raises(ValueError, match=r"line 3 has 3 values, expected 1"):
        load_word_vectors(path, VOCABULARY, format="glove")


def test_load_word_vectors_missing_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(
        FileNotFoundError, match=r"no such word-vector file, nor .* \('glove-6b-50d-50k'\)"
    ) as error:
        load_word_vectors(missing, VOCABULARY)
    assert error.value.filename == str(missing)


# --------------------------------------------------------------------------------------
# arguments


@pytest.mark.parametrize(
    ("vocabulary", "error", "match"),
    [
        ({"gnu": 1}, ValueError, "id 1 of 'gnu' is reserved"),
        ({"gnu": 0}, ValueError, "id 0 of 'gnu' is reserved"),
        ({"gnu": 2, "c": 2}, ValueError, "gives id 2 to both 'gnu' and 'c'"),
        ({"gnu": 2.0}, TypeError, "ids must be int"),
        ({"gnu": True}, TypeError, "ids must be int"),
        ({3: 2}, TypeError, "keys must be str"),
        ({"gnu", "c"}, TypeError, "a set has no order"),
        (["gnu", "gnu"], ValueError, "lists the word 'gnu' twice"),
        (["gnu", 3], TypeError, "item 1 is int"),
        ([], ValueError, "vocabulary is empty"),
        ({}, ValueError, "vocabulary is empty"),
    ],
)
def test_load_word_vectors_invalid_vocabulary(tmp_path, vocabulary, error, match):
    path = write_glove(tmp_path / "vectors.txt")
    with pytest.raises(error, match=match):
        load_word_vectors(path, vocabulary)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"format": "fasttext"}, InvalidParameterError, "'format'"),
        ({"embedding_dim": 0}, InvalidParameterError, "'embedding_dim'"),
        ({"missing": "normal"}, InvalidParameterError, "'missing'"),
        ({"lowercase": "no"}, InvalidParameterError, "'lowercase'"),
        ({"random_state": "seed"}, InvalidParameterError, "'random_state'"),
        ({"dtype": np.int64}, TypeError, "floating dtype"),
        ({"dtype": "no-such-dtype"}, TypeError, "floating dtype"),
    ],
)
def test_load_word_vectors_invalid_arguments(tmp_path, kwargs, error, match):
    path = write_glove(tmp_path / "vectors.txt")
    with pytest.raises(error, match=match):
        load_word_vectors(path, VOCABULARY, **kwargs)


def test_load_word_vectors_rejects_string_vocabulary(tmp_path):
    path = write_glove(tmp_path / "vectors.txt")
    with pytest.raises(InvalidParameterError, match="'vocabulary'"):
        load_word_vectors(path, "gnu")


# --------------------------------------------------------------------------------------
# streaming


@pytest.mark.parametrize("file_format", ["glove", "word2vec_binary"])
def test_load_word_vectors_streams_large_files(tmp_path, file_format):
    # 60,000 words outside the vocabulary around two inside it: the loader must keep only
    # the latter, so its peak memory stays a small fraction of the file.
    dim = 20
    rng = np.random.default_rng(0)
    values = rng.normal(size=dim).astype(np.float32)
    vectors = {f"filler{i}": values for i in range(30_000)}
    vectors["gnu"] = np.arange(dim, dtype=np.float32)
    vectors.update({f"padding{i}": values for i in range(30_000)})
    vectors["library"] = -np.arange(dim, dtype=np.float32)
    if file_format == "glove":
        row = " ".join(f"{v:.5f}" for v in values)
        lines = [f"filler{i} {row}\n" for i in range(30_000)]
        lines.append("gnu " + " ".join(str(float(v)) for v in range(dim)) + "\n")
        lines += [f"padding{i} {row}\n" for i in range(30_000)]
        lines.append("library " + " ".join(str(-float(v)) for v in range(dim)) + "\n")
        path = tmp_path / "big.txt"
        path.write_text("".join(lines))
    else:
        path = write_word2vec_binary(tmp_path / "big.bin", vectors)
    file_size = path.stat().st_size
    assert file_size > 5_000_000
    tracemalloc.start()
    try:
        result = load_word_vectors(path, ["gnu", "library", "absent"], random_state=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < file_size / 4
    np.testing.assert_array_equal(result.matrix[2], np.arange(dim))
    np.testing.assert_array_equal(result.matrix[3], -np.arange(dim))
    assert result.missing_words == ["absent"]


# --------------------------------------------------------------------------------------
# with the encoder and the real GloVe subset


def test_load_word_vectors_aligns_with_sequence_encoder_and_embedding(tmp_path):
    torch = pytest.importorskip("torch")
    texts = ["GNU library", "Python library", "GNU Python bindings"]
    encoder = SequenceEncoder(max_seq_len=4).fit(texts)
    path = write_glove(tmp_path / "vectors.txt")
    vectors = load_word_vectors(path, encoder.vocabulary_, random_state=0)
    assert vectors.matrix.shape == (encoder.vocabulary_size_, 3)
    embedding = torch.nn.Embedding.from_pretrained(
        torch.from_numpy(vectors.matrix), freeze=False, padding_idx=PAD_ID
    )
    ids = torch.from_numpy(encoder.transform(["python library ssl"]))
    embedded = embedding(ids).detach().numpy()
    np.testing.assert_array_equal(embedded[0, 0], VECTORS["Python"])
    np.testing.assert_array_equal(embedded[0, 1], VECTORS["library"])
    np.testing.assert_array_equal(embedded[0, 2], vectors.matrix[UNK_ID])
    np.testing.assert_array_equal(embedded[0, 3], 0.0)


def test_load_word_vectors_real_glove_subset(shared_data):
    with open(shared_data / "debian-tags" / "train_texts.txt", encoding="utf-8") as f:
        texts = [next(f).rstrip("\n") for _ in range(500)]
    encoder = SequenceEncoder().fit(texts)
    glove_path = shared_data / "glove.6B.50d.subset.txt"
    vectors = load_word_vectors(glove_path, encoder.vocabulary_, random_state=0)
    assert vectors.format == "glove"
    assert vectors.embedding_dim == 50
    assert vectors.matrix.shape == (encoder.vocabulary_size_, 50)
    assert vectors.coverage > 0.5
    expected = {}
    with open(glove_path, encoding="utf-8") as f:
        for line in f:
            word, *values = line.split(" ")
            if word in ("library", "development"):
                expected[word] = np.array(values, dtype=np.float32)
    for word, vector in expected.items():
        np.testing.assert_array_equal(vectors.matrix[encoder.vocabulary_[word]], vector)
    assert vectors.found[encoder.vocabulary_["library"]]


def _bundled_rows():
    assert list(BUNDLED_WORD_VECTORS) == ["glove-6b-50d-50k"]
    return _load_bundled(_package_file("glove-6b-50d-50k"))


def test_bundled_glove_file_holds_the_50000_most_frequent_words():
    words, vectors = _bundled_rows()
    assert len(words) == len(set(words)) == 50_000
    assert words[:5] == ["the", ",", ".", "of", "to"]  # GloVe 6B's own (frequency) order
    assert vectors.shape == (50_000, 50) and vectors.dtype == np.float16
    assert np.isfinite(vectors).all() and (np.abs(vectors).max(axis=1) > 0).all()


def test_load_word_vectors_bundled_glove():
    words, vectors = _bundled_rows()
    vocabulary = {"the": 2, "Clock": 3, "qt5zz": 4}
    loaded = load_word_vectors("glove-6b-50d-50k", vocabulary, random_state=0)
    assert loaded.format == "bundled" and loaded.path == "glove-6b-50d-50k"
    assert loaded.embedding_dim == 50 and loaded.matrix.shape == (5, 50)
    assert loaded.matrix.dtype == np.float32
    np.testing.assert_array_equal(loaded.matrix[2], vectors[words.index("the")])
    # "Clock" has no exact entry (GloVe 6B is lower-case): it takes "clock"'s vector.
    np.testing.assert_array_equal(loaded.matrix[3], vectors[words.index("clock")])
    assert loaded.missing_words == ["qt5zz"]
    assert np.abs(loaded.matrix[[UNK_ID, 4]]).max() <= 0.25
    np.testing.assert_array_equal(loaded.matrix[PAD_ID], 0.0)
    with pytest.raises(ValueError, match="bundled word vectors have dimension 50"):
        load_word_vectors("glove-6b-50d-50k", vocabulary, embedding_dim=300)


def test_a_file_named_like_the_bundled_vectors_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("glove-6b-50d-50k").write_text("the 1.0 2.0\n")
    loaded = load_word_vectors("glove-6b-50d-50k", {"the": 2})
    assert loaded.format == "glove"
    np.testing.assert_array_equal(loaded.matrix[2], [1.0, 2.0])


def test_the_bundled_package_file_loads_by_its_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("glove-6b-50d-50k").write_text("the 1.0 2.0\n")  # not read: the path is explicit
    words, vectors = _bundled_rows()
    loaded = load_word_vectors(_package_file("glove-6b-50d-50k"), {"the": 2})
    assert loaded.format == "bundled"
    np.testing.assert_array_equal(loaded.matrix[2], vectors[words.index("the")])


def test_bundled_glove_matches_the_shared_glove_file(shared_data):
    words, vectors = _bundled_rows()
    row = {word: i for i, word in enumerate(words)}
    checked = 0
    with open(shared_data / "glove.6B.50d.subset.txt", encoding="utf-8") as f:
        for line in itertools.islice(f, 2000):
            word, *values = line.rstrip("\n").split(" ")
            if word in row:
                expected = np.array(values, dtype=np.float32)
                # float16 keeps 11 significant bits: relative error below 2^-11.
                np.testing.assert_allclose(vectors[row[word]], expected, rtol=1e-3, atol=1e-4)
                checked += 1
    assert checked > 1000


def test_bundled_token_coverage_counts_word_occurrences():
    vocabulary = {"the": 2, "Camera": 3, "zqxvq": 4}
    # Occurrences: "the" twice, "Camera" once (its lower-case form is a GloVe word), the
    # made-up word once, UNK once (not covered); padding does not count: 3 of 5.
    token_ids = np.array([[2, 3, 4, 0], [1, 2, 0, 0]])
    assert bundled_token_coverage("glove-6b-50d-50k", vocabulary, token_ids) == 0.6
    assert bundled_token_coverage("glove-6b-50d-50k", vocabulary, np.zeros((2, 3), int)) == 0.0


def test_a_word2vec_text_file_with_a_wrong_header_dimension_is_read_as_text(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("2 3\napple 0.1 0.2\npie 0.3 0.4\n")
    with pytest.raises(ValueError, match=r"line 2 has 2 values, expected 3"):
        load_word_vectors(path, ["apple", "pie"])


@pytest.mark.parametrize("file_format", ["auto", "word2vec_text", "word2vec_binary"])
@pytest.mark.parametrize("content", [b"1 100000000\napple 0.1 0.2\n", b"0 2000000000\n"])
def test_a_header_dimension_no_file_has_is_refused_before_any_allocation(
    tmp_path, file_format, content
):
    # Read or allocated by the header's word, 2e9 dimensions would ask for gigabytes.
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    with pytest.raises(
        ValueError,
        match=r"line 1 \(header\) gives dimension \d+; word "
        r"vectors of more than 100,000 dimensions",
    ):
        load_word_vectors(path, ["apple"], format=file_format)


def test_a_word2vec_text_file_whose_first_token_has_a_space_is_detected_as_text(tmp_path):
    # fastText .vec files hold a few tokens with spaces; "new york" first must not make the
    # file look binary (a vocabulary word never has a space: the record is skipped).
    path = tmp_path / "vectors.vec"
    path.write_text("2 2\nnew york 0.1 0.2\napple 0.3 0.4\n")
    vectors = load_word_vectors(path, ["apple"])
    np.testing.assert_allclose(vectors.matrix[-1], [0.3, 0.4], rtol=1e-6)
    assert vectors.found[-1]


def test_a_text_file_read_as_word2vec_binary_is_refused(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("2 2\napple 0.1 0.2\npie 0.3 0.4\n")
    with pytest.raises(ValueError, match=r"record 1 .* holds decimal digits.*word2vec text file"):
        load_word_vectors(path, ["apple", "pie"], format="word2vec_binary")
    vectors = load_word_vectors(path, ["apple", "pie"])  # "auto" reads it as text
    np.testing.assert_allclose(vectors.matrix[-2:], [[0.1, 0.2], [0.3, 0.4]], rtol=1e-6)


def test_values_beyond_the_dtype_are_refused_and_fit_within_a_wider_one(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"the 1 2\ngnu -1e40 1\n")
    with pytest.raises(ValueError, match=r"beyond the largest float32 number"):
        load_word_vectors(path, ["the", "gnu"])
    wide = load_word_vectors(path, ["the", "gnu"], dtype=np.float64)
    assert wide.matrix[wide.found][1].tolist() == [-1e40, 1.0]
