"""Tests of skxml.datasets._io: gzip detection, decoding, line splitting, gzip writing."""

from __future__ import annotations

import gzip

import pytest

from skxml.datasets._io import (
    decode_utf8,
    open_binary_for_writing,
    read_bytes,
    read_text_lines,
    split_lines,
    write_text,
)


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("plain.txt", False),
        ("packed.txt.gz", True),
        ("packed_without_suffix.txt", True),
        ("plain_with_suffix.gz", False),
    ],
)
def test_read_bytes_detects_gzip_by_content(tmp_path, name, compress):
    content = b"first\nsecond\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(content) if compress else content)
    assert read_bytes(path) == content
    assert read_bytes(str(path)) == content


def test_read_bytes_corrupt_gzip_names_file(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(b"some text\n" * 100)[:30])
    with pytest.raises(ValueError, match=r"broken\.gz: corrupt or truncated gzip"):
        read_bytes(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("\n", [""]),
        ("a", ["a"]),
        ("a\n", ["a"]),
        ("a\nb", ["a", "b"]),
        ("a\r\nb\r\n", ["a", "b"]),
        ("a\n\nb\n", ["a", "", "b"]),
        ("a\n\n", ["a", ""]),
        # Characters that str.splitlines would break at stay inside the line.
        ("x\x1cy\u2028z\x85w\n", ["x\x1cy\u2028z\x85w"]),
    ],
)
def test_split_lines_cases(text, expected):
    assert split_lines(text) == expected


def test_decode_utf8_drops_bom_and_keeps_non_ascii():
    assert decode_utf8("\ufeffcafé 日本".encode(), "f.txt") == "café 日本"


def test_decode_utf8_invalid_names_line():
    data = b"fine\nalso fine\nbad \xff byte\n"
    with pytest.raises(ValueError, match=r"f\.txt: line 3: the file is not valid UTF-8"):
        decode_utf8(data, "f.txt")


def test_read_text_lines_windows_endings_without_final_newline(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("é one\r\ntwo".encode())
    assert read_text_lines(path) == ["é one", "two"]


@pytest.mark.parametrize("name", ["out.txt", "out.txt.gz"])
def test_write_text_round_trip(tmp_path, name):
    path = tmp_path / name
    write_text(path, "α\nβ\n")
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    assert read_text_lines(path) == ["α", "β"]


def test_gzip_writer_is_deterministic(tmp_path):
    first, second = tmp_path / "a.gz", tmp_path / "b.gz"
    for path in (first, second):
        with open_binary_for_writing(path) as stream:
            stream.write(b"same content\n")
    header = first.read_bytes()[:10]
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime
    assert header[3] & 0x08 == 0  # no FNAME field
    assert first.read_bytes() == second.read_bytes()
