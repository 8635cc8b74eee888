"""Opening data files: plain or gzip (told apart by magic bytes), read as bytes or text lines.

Every reader of :mod:`skxml.datasets` goes through these helpers so that gzip detection,
UTF-8 decoding, line splitting and the wording of file-level errors are the same
everywhere. Only ``"\\n"`` ends a line (``"\\r\\n"`` is accepted and its ``"\\r"`` dropped);
a final line without a newline is still a line, and a file ending with a newline has no
extra empty line after it.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

__all__: list[str] = []

_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"

# Errors that a damaged gzip stream raises while it is being read.
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


def display_path(path: Any) -> str:
    """The path as it appears in error messages."""
    return os.fspath(path)


def _open_peeking(path: Any) -> tuple[IO[bytes], bool]:
    """``path`` opened once for binary reading, and whether it starts with gzip's magic.

    The magic is peeked at, not read, and the file is not opened twice: a pipe or FIFO
    (``<(command)``, ``/dev/stdin``) can be read only once, and whatever a first opening
    buffered would be lost to the second.
    """
    raw: io.BufferedReader = open(path, "rb")  # closed by the caller
    head = raw.peek(len(_GZIP_MAGIC))[: len(_GZIP_MAGIC)]
    if 0 < len(head) < len(_GZIP_MAGIC):  # a pipe that has delivered one byte so far
        with raw:
            whole = io.BytesIO(raw.read())
        return whole, whole.getvalue().startswith(_GZIP_MAGIC)
    return raw, head == _GZIP_MAGIC


@contextmanager
def open_binary(path: Any) -> Iterator[IO[bytes]]:
    """Open ``path`` for binary reading, decompressing it when it starts with gzip's magic.

    The file's name is not trusted: a gzip file without ``.gz`` and a plain file with it
    are both read correctly. Damaged gzip data raises ``ValueError`` naming the file.
    Pipes and FIFOs are read as files are (opened once).
    """
    raw, compressed = _open_peeking(path)
    stream: IO[bytes] = (
        cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")) if compressed else raw
    )
    try:
        yield stream
    except _GZIP_ERRORS as exc:
        raise ValueError(f"{display_path(path)}: corrupt or truncated gzip data ({exc}).") from exc
    finally:
        stream.close()
        raw.close()  # GzipFile.close() leaves a file object it was given open


def read_bytes(path: Any) -> bytes:
    """The whole (decompressed) content of ``path``."""
    with open_binary(path) as stream:
        return stream.read()


def decode_utf8(data: bytes, path: Any) -> str:
    """Decode UTF-8 (an optional byte-order mark is dropped); bad bytes name their line."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_number = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(
            f"{display_path(path)}: line {line_number}: the file is not valid UTF-8 "
            f"(byte {data[exc.start : exc.start + 1]!r} at offset {exc.start})."
        ) from exc


def split_lines(text: str) -> list[str]:
    """Split on ``"\\n"`` only, dropping ``"\\r"`` of Windows line ends.

    ``str.splitlines`` is not used on purpose: it also breaks at characters such as
    ``"\\x1c"`` or ``"\\u2028"`` that may legitimately occur inside a text.
    """
    if not text:
        return []
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def read_text_lines(path: Any) -> list[str]:
    """The lines of a UTF-8 text file (plain or gzip), without their line ends."""
    return split_lines(decode_utf8(read_bytes(path), path))


def open_binary_for_writing(path: Any) -> gzip.GzipFile | IO[bytes]:
    """Open ``path`` for writing; gzip-compressed when its name ends with ``.gz``.

    The gzip header carries neither a timestamp nor a file name, so writing the same
    content twice gives byte-identical files.
    """
    if os.fspath(path).endswith(".gz"):
        return _DeterministicGzipWriter(path)
    return open(path, "wb")  # the caller closes it


class _DeterministicGzipWriter(gzip.GzipFile):
    """A gzip writer with ``mtime=0`` and no file name that also closes its file."""

    def __init__(self, path: Any) -> None:
        self._raw = open(path, "wb")  # closed in close()
        # Level 6 (gzip's default): level 9 is several times slower for ~1% smaller files.
        super().__init__(filename="", mode="wb", compresslevel=6, fileobj=self._raw, mtime=0)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def write_text(path: Any, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` (gzip when the name ends with ``.gz``)."""
    with open_binary_for_writing(path) as stream:
        stream.write(text.encode("utf-8"))
