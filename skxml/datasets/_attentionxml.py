"""The AttentionXML text layout: one raw text per line, and its label names on the same line
of a second file.

``train_texts.txt`` holds one text per line; line *i* of ``train_labels.txt`` holds the
white-space separated label names of text *i* (the layout of AttentionXML, You et al.,
NeurIPS 2019, and of the project's bundled data). ``test_texts.txt`` and
``test_labels.txt`` are the test split.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import StrOptions, validate_params

from skxml.datasets._io import display_path, read_text_lines, write_text
from skxml.datasets._labels import (
    UNKNOWN_LABEL_OPTIONS,
    as_name_array,
    check_label_names,
    collect_label_names,
    label_lists_to_matrix,
)
from skxml.utils._validation import check_label_matrix, check_texts

__all__ = ["dump_attentionxml", "load_attentionxml", "load_attentionxml_split"]


def _read_pair(
    texts_path: Any,
    labels_path: Any,
    label_names: np.ndarray | None,
    on_unknown_label: str,
    *,
    append_unknown: bool = False,
) -> tuple[list[str], sp.csr_matrix, np.ndarray]:
    """Texts, label matrix and label names of a file pair. With ``append_unknown``, names
    that ``label_names`` lacks get columns after its own (sorted), instead of
    ``on_unknown_label``'s treatment."""
    texts = read_text_lines(texts_path)
    label_lines = read_text_lines(labels_path)
    if len(texts) != len(label_lines):
        raise ValueError(
            f"{display_path(texts_path)} has {len(texts)} lines but "
            f"{display_path(labels_path)} has {len(label_lines)}; line i of both files must "
            f"describe the same sample."
        )
    Y, label_names = _label_lines_to_matrix(
        label_lines, labels_path, label_names, on_unknown_label, append_unknown=append_unknown
    )
    return texts, Y, label_names


def _read_labels(
    labels_path: Any,
    label_names: np.ndarray | None,
    on_unknown_label: str,
    *,
    append_unknown: bool = False,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The label matrix and label names of a labels file alone (as :func:`_read_pair`)."""
    return _label_lines_to_matrix(
        read_text_lines(labels_path),
        labels_path,
        label_names,
        on_unknown_label,
        append_unknown=append_unknown,
    )


def _label_lines_to_matrix(
    label_lines: list[str],
    labels_path: Any,
    label_names: np.ndarray | None,
    on_unknown_label: str,
    *,
    append_unknown: bool = False,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """The label matrix and label names of a labels file's lines (``labels_path`` names it
    in messages)."""
    # split() without an argument: runs of spaces or tabs separate names, a blank line
    # is a sample without labels.
    label_lists = [line.split() for line in label_lines]
    if label_names is None:
        label_names = collect_label_names(label_lists)
        if len(label_names) == 0:
            raise ValueError(
                f"{display_path(labels_path)} contains no label at all; at least one label is "
                f"required to define the label space."
            )
    elif append_unknown:
        known = set(label_names)
        unknown = [name for name in collect_label_names(label_lists) if name not in known]
        label_names = as_name_array([*label_names, *unknown])
    Y = label_lists_to_matrix(
        label_lists,
        label_names,
        on_unknown_label=on_unknown_label,
        source=display_path(labels_path),
    )
    return Y, label_names


@validate_params(
    {
        "texts_path": [str, os.PathLike],
        "labels_path": [str, os.PathLike],
        "label_names": ["array-like", None],
        "on_unknown_label": [StrOptions(set(UNKNOWN_LABEL_OPTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def load_attentionxml(
    texts_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str],
    *,
    label_names: Sequence[str] | np.ndarray | None = None,
    on_unknown_label: str = "warn",
) -> tuple[list[str], sp.csr_matrix, np.ndarray]:
    """Load texts and their labels from the AttentionXML text layout.

    Line *i* of ``texts_path`` is the raw text of sample *i*; line *i* of ``labels_path``
    holds its label names separated by white space. Both files are UTF-8, plain or gzip
    (detected from the content, not the name). ``"\\r\\n"`` line ends and a missing final
    newline are accepted.

    Parameters
    ----------
    texts_path : str or os.PathLike
        File with one text per line (e.g. ``train_texts.txt``). Texts are kept exactly as
        written, including surrounding spaces; an empty line is an empty text.
    labels_path : str or os.PathLike
        File with the label names of each text (e.g. ``train_labels.txt``). An empty line
        is a sample without labels (its row of ``Y`` is empty). A name repeated within a
        line is counted once.
    label_names : array-like of str, default=None
        The label space, i.e. the name of each column of ``Y``. When None, it is made of
        every name found in ``labels_path``, sorted, so the result is deterministic.
        Pass the training set's ``label_names`` to load a test set in the same columns.
    on_unknown_label : {"error", "warn", "ignore"}, default="warn"
        What to do with a name of ``labels_path`` that is not in ``label_names`` (only
        possible when ``label_names`` is given): ``"error"`` raises a ``ValueError``
        giving the file, line and name; ``"warn"`` drops it and emits one warning with
        the number of dropped occurrences; ``"ignore"`` drops it silently.

    Returns
    -------
    texts : list of str
        The ``n_samples`` texts.
    Y : scipy.sparse.csr_matrix of shape (n_samples, n_labels), dtype float32
        ``Y[i, j] == 1`` when text *i* has label ``label_names[j]``.
    label_names : ndarray of str of shape (n_labels,), dtype object
        The name of each column of ``Y``.

    Raises
    ------
    ValueError
        If the two files have different numbers of lines, a file is not UTF-8, no label
        occurs at all (with ``label_names=None``), ``label_names`` holds duplicates, or a
        label is unknown with ``on_unknown_label="error"``.
    TypeError
        If ``label_names`` holds something other than str.

    See Also
    --------
    load_attentionxml_split : Load the train and test split of a directory at once.
    dump_attentionxml : Write texts and labels in this layout.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skxml.datasets import load_attentionxml
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "texts.txt").write_text("red apple\\nblue sky\\n", encoding="utf-8")
    ...     _ = Path(tmp, "labels.txt").write_text("fruit red\\nsky\\n", encoding="utf-8")
    ...     texts, Y, names = load_attentionxml(
    ...         Path(tmp, "texts.txt"), Path(tmp, "labels.txt")
    ...     )
    >>> texts
    ['red apple', 'blue sky']
    >>> names.tolist()
    ['fruit', 'red', 'sky']
    >>> Y.toarray()
    array([[1., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    names = None if label_names is None else check_label_names(label_names)
    return _read_pair(texts_path, labels_path, names, on_unknown_label)


_SPLIT_FILES = ("train_texts.txt", "train_labels.txt", "test_texts.txt", "test_labels.txt")


def _find_split_file(directory: Path, stem: str) -> Path:
    """``directory/stem`` or its gzip-compressed ``stem.gz``."""
    candidates = [directory / stem, directory / f"{stem}.gz"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{directory} has neither {stem} nor {stem}.gz; expected the AttentionXML layout "
        f"(train_texts.txt, train_labels.txt, test_texts.txt, test_labels.txt)."
    )


@validate_params(
    {
        "directory": [str, os.PathLike],
        "on_unknown_label": [StrOptions(set(UNKNOWN_LABEL_OPTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def load_attentionxml_split(
    directory: str | os.PathLike[str], *, on_unknown_label: str = "warn"
) -> tuple[list[str], list[str], sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """Load the train and test split of an AttentionXML directory in one label space.

    The directory holds ``train_texts.txt``, ``train_labels.txt``, ``test_texts.txt`` and
    ``test_labels.txt`` (each possibly gzip-compressed with a ``.gz`` suffix). The columns
    are the training set's label names, sorted; test labels that never occur in training
    cannot be learned and are handled by ``on_unknown_label``.

    Parameters
    ----------
    directory : str or os.PathLike
        The dataset directory.
    on_unknown_label : {"error", "warn", "ignore"}, default="warn"
        What to do with a test label absent from the training labels: raise, drop with
        one warning giving the count, or drop silently.

    Returns
    -------
    texts_train : list of str
    texts_test : list of str
    Y_train : scipy.sparse.csr_matrix of shape (n_train, n_labels), dtype float32
    Y_test : scipy.sparse.csr_matrix of shape (n_test, n_labels), dtype float32
    label_names : ndarray of str of shape (n_labels,), dtype object
        The name of each column of ``Y_train`` and ``Y_test``.

    Raises
    ------
    FileNotFoundError
        If one of the four files is missing.
    ValueError
        As :func:`load_attentionxml`.

    See Also
    --------
    load_attentionxml : Load one pair of files.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skxml.datasets import load_attentionxml_split
    >>> files = {
    ...     "train_texts.txt": "red apple\\nblue sky\\n",
    ...     "train_labels.txt": "fruit red\\nsky\\n",
    ...     "test_texts.txt": "green apple\\n",
    ...     "test_labels.txt": "fruit green\\n",
    ... }
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, content in files.items():
    ...         _ = Path(tmp, name).write_text(content, encoding="utf-8")
    ...     X_train, X_test, Y_train, Y_test, names = load_attentionxml_split(
    ...         tmp, on_unknown_label="ignore"
    ...     )
    >>> names.tolist()
    ['fruit', 'red', 'sky']
    >>> Y_test.toarray()
    array([[1., 0., 0.]], dtype=float32)
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"directory must be an existing directory, got {directory!r}.")
    paths = {stem: _find_split_file(root, stem) for stem in _SPLIT_FILES}
    texts_train, Y_train, label_names = _read_pair(
        paths["train_texts.txt"], paths["train_labels.txt"], None, on_unknown_label
    )
    texts_test, Y_test, _ = _read_pair(
        paths["test_texts.txt"], paths["test_labels.txt"], label_names, on_unknown_label
    )
    return texts_train, texts_test, Y_train, Y_test, label_names


@validate_params(
    {
        "texts": ["array-like"],
        "Y": ["array-like", "sparse matrix"],
        "label_names": ["array-like"],
        "texts_path": [str, os.PathLike],
        "labels_path": [str, os.PathLike],
    },
    prefer_skip_nested_validation=True,
)
def dump_attentionxml(
    texts: Sequence[str],
    Y: Any,
    label_names: Sequence[str] | np.ndarray,
    texts_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str],
) -> None:
    """Write texts and their labels in the AttentionXML text layout.

    A path ending with ``.gz`` is written gzip-compressed (without time stamp, so the
    output is reproducible). Labels of a line are written in column order.

    Parameters
    ----------
    texts : sequence of str of length n_samples
        The texts; none may contain a line break (``"\\n"`` or ``"\\r"``).
    Y : {array-like, sparse matrix} of shape (n_samples, n_labels)
        0/1 label matrix.
    label_names : array-like of str of shape (n_labels,)
        Distinct, non-empty names without white space (a space would split the name when
        reading the file back).
    texts_path : str or os.PathLike
        Output file of the texts.
    labels_path : str or os.PathLike
        Output file of the label names.

    Raises
    ------
    ValueError
        If a text holds a line break, a name is empty or holds white space, names are
        not distinct, the shapes of ``texts``, ``Y`` and ``label_names`` disagree, or
        ``texts_path`` and ``labels_path`` name the same file.

    See Also
    --------
    load_attentionxml : Read the files back.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from skxml.datasets import dump_attentionxml
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     dump_attentionxml(
    ...         ["red apple", "blue sky"], np.array([[1, 1, 0], [0, 0, 1]]),
    ...         ["fruit", "red", "sky"], Path(tmp, "t.txt"), Path(tmp, "l.txt"),
    ...     )
    ...     print(Path(tmp, "l.txt").read_text(encoding="utf-8"), end="")
    fruit red
    sky
    """
    both_exist = os.path.exists(texts_path) and os.path.exists(labels_path)
    if os.path.realpath(texts_path) == os.path.realpath(labels_path) or (
        both_exist and os.path.samefile(texts_path, labels_path)  # hard links too
    ):
        raise ValueError(
            f"texts_path and labels_path are the same file ({os.fspath(texts_path)!r}); the "
            "labels would overwrite the texts."
        )
    texts = check_texts(texts, name="texts", allow_empty=True)
    Y = check_label_matrix(Y, name="Y", allow_empty=True)
    names = check_label_names(label_names)
    if Y.shape[0] != len(texts):
        raise ValueError(
            f"texts has {len(texts)} items but Y has {Y.shape[0]} rows; they must match."
        )
    if Y.shape[1] != len(names):
        raise ValueError(
            f"label_names has {len(names)} names but Y has {Y.shape[1]} columns; they must match."
        )
    for position, text in enumerate(texts):
        if "\n" in text or "\r" in text:
            raise ValueError(
                f"texts[{position}] contains a line break, which the one-text-per-line "
                f"layout cannot hold: {text!r:.60}"
            )
        _check_utf8(text, f"texts[{position}]")
    for position, label in enumerate(names):
        if label.split() != [label]:
            raise ValueError(
                f"label_names[{position}] = {label!r} is empty or contains white space; "
                f"names are separated by spaces in the labels file."
            )
        _check_utf8(label, f"label_names[{position}]")
    label_lines = [
        " ".join(names[Y.indices[start:end]]) for start, end in pairwise(Y.indptr.tolist())
    ]
    # Readers drop one byte-order mark at the start of a file: a file whose first line
    # starts with U+FEFF gets one more, so that it reads back whole.
    write_text(texts_path, _guard_bom("".join(f"{text}\n" for text in texts)))
    write_text(labels_path, _guard_bom("".join(f"{line}\n" for line in label_lines)))


def _guard_bom(content: str) -> str:
    """``content`` with one more byte-order mark when it starts with one (readers drop one)."""
    return "\ufeff" + content if content.startswith("\ufeff") else content


def _check_utf8(value: str, name: str) -> None:
    """Refuse a string UTF-8 cannot encode (a lone surrogate) before any file is written."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} = {value!r:.60} cannot be written as UTF-8 ({exc.reason} at position "
            f"{exc.start}): a lone surrogate, as from text decoded with errors='surrogateescape'?"
        ) from exc
