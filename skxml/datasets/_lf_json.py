"""The raw-text JSON-lines format of the Extreme Classification Repository's LF-* datasets.

``trn.json.gz`` / ``tst.json.gz`` hold one JSON object per line, with the text fields
``title`` and ``content`` and the label indices ``target_ind`` (sometimes also
``target_rel``, relevance scores, not used here); ``lbl.json.gz`` holds one object per
label, line *j* describing label *j* (``uid``, ``title``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, validate_params

from skxml.datasets._io import display_path, open_binary
from skxml.datasets._labels import as_name_array, binary_csr_from_rows, check_label_names

__all__ = ["load_lf_json", "load_lf_label_names"]


def _json_records(path: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` of every non-blank line; bad JSON names its line."""
    with open_binary(path) as stream:
        for line_number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                raise ValueError(
                    f"{display_path(path)}: line {line_number}: invalid JSON ({exc})."
                ) from exc
            if not isinstance(record, dict):
                raise ValueError(
                    f"{display_path(path)}: line {line_number}: expected a JSON object, got "
                    f"{type(record).__name__}."
                )
            yield line_number, record


def _field(record: dict[str, Any], field: str, path: Any, line_number: int) -> Any:
    try:
        return record[field]
    except KeyError:
        present = ", ".join(repr(key) for key in list(record)[:8]) or "none"
        raise ValueError(
            f"{display_path(path)}: line {line_number}: missing field {field!r} (fields present: "
            f"{present})."
        ) from None


def _text_field(record: dict[str, Any], field: str, path: Any, line_number: int) -> str:
    value = _field(record, field, path, line_number)
    if not isinstance(value, str):
        raise ValueError(
            f"{display_path(path)}: line {line_number}: field {field!r} must be a string, got "
            f"{type(value).__name__}."
        )
    return value


def _check_text_fields(text_fields: Any) -> tuple[str, ...]:
    fields = (text_fields,) if isinstance(text_fields, str) else tuple(text_fields)
    if not fields:
        raise ValueError("text_fields is empty; name at least one field, e.g. ('title',).")
    for field in fields:
        if not isinstance(field, str) or not field:
            raise TypeError(
                f"text_fields must contain non-empty field names (str), got {field!r}."
            )
    return fields


# Label indices below int32's maximum, the XC sparse format's limit on its header.
_MAX_LABEL_INDEX = int(np.iinfo(np.int32).max)
# The most labels a file may imply by its highest index alone (n_labels not given): 30 times
# the largest public XMC label spaces (~3M); its label names alone would take 800 MB.
_MAX_IMPLIED_LABELS = 100_000_000


@validate_params(
    {
        "path": [str, os.PathLike],
        "n_labels": [Interval(Integral, 1, None, closed="left"), None],
        "text_fields": [str, list, tuple],
        "label_names": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def load_lf_json(
    path: str | os.PathLike[str],
    *,
    n_labels: int | None = None,
    text_fields: str | Sequence[str] = ("title",),
    label_names: Sequence[str] | np.ndarray | None = None,
) -> tuple[list[str], sp.csr_matrix, np.ndarray]:
    """Load texts and labels from an LF-* JSON-lines file (``trn.json.gz``, ``tst.json.gz``).

    Each non-blank line is a JSON object with the text fields (``title``, ``content``)
    and ``target_ind``, the list of the sample's label indices. Plain or gzip (detected
    from the content).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    n_labels : int or None, default=None
        Number of labels (columns of ``Y``). Pass the dataset's true count, e.g.
        ``len(load_lf_label_names("lbl.json.gz"))``: when None it is the highest index
        found plus one, which is too small for a file (typically a test file) that does
        not contain the last labels, and then the train and test matrices would not
        share their columns. A file whose highest index would make more than 100 million
        labels is refused unless ``n_labels`` declares them.
    text_fields : str or sequence of str, default=("title",)
        Fields joined with a space to make each text: ``("title",)`` gives the short
        texts of the ``LF-*Titles`` benchmarks, ``("title", "content")`` the full texts.
    label_names : array-like of str, default=None
        Name of each label, e.g. from :func:`load_lf_label_names`. Its length sets
        ``n_labels`` (which, if also given, must agree) and it is returned as the third
        output. Names may repeat (columns are identified by their index).

    Returns
    -------
    texts : list of str
        One text per sample, in file order.
    Y : scipy.sparse.csr_matrix of shape (n_samples, n_labels), dtype float32
        0/1 label matrix; ``target_rel`` is ignored, a repeated index counts once.
    label_names : ndarray of shape (n_labels,)
        ``label_names`` when given (dtype object), otherwise the label indices
        ``0 .. n_labels - 1`` (dtype int64).

    Raises
    ------
    ValueError
        If a line is not a JSON object, a field is missing or of the wrong type, or a
        label index is negative or ``>= n_labels``; the message names the file and the
        1-based line. Also if ``n_labels`` and ``label_names`` disagree, or the file has
        no labels at all and ``n_labels`` is None.

    See Also
    --------
    load_lf_label_names : Read the label titles of ``lbl.json.gz``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from skxml.datasets import load_lf_json
    >>> records = [
    ...     {"uid": "B001", "title": "usb cable", "content": "1 m", "target_ind": [0, 2]},
    ...     {"uid": "B002", "title": "phone case", "content": "red", "target_ind": [1]},
    ... ]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "trn.json")
    ...     _ = path.write_text("\\n".join(map(json.dumps, records)), encoding="utf-8")
    ...     texts, Y, names = load_lf_json(path, n_labels=4, text_fields=("title", "content"))
    >>> texts
    ['usb cable 1 m', 'phone case red']
    >>> Y.toarray()
    array([[1., 0., 1., 0.],
           [0., 1., 0., 0.]], dtype=float32)
    >>> names
    array([0, 1, 2, 3])
    """
    fields = _check_text_fields(text_fields)
    names = None if label_names is None else check_label_names(label_names, distinct=False)
    if names is not None and n_labels is not None and n_labels != len(names):
        raise ValueError(
            f"n_labels={n_labels} disagrees with label_names, which has {len(names)} names."
        )
    limit = len(names) if names is not None else n_labels
    texts: list[str] = []
    counts: list[int] = []
    columns: list[int] = []
    for line_number, record in _json_records(path):
        texts.append(" ".join(_text_field(record, field, path, line_number) for field in fields))
        targets = _field(record, "target_ind", path, line_number)
        if not isinstance(targets, list):
            raise ValueError(
                f"{display_path(path)}: line {line_number}: 'target_ind' must be a list of label "
                f"indices, got {type(targets).__name__}."
            )
        for target in targets:
            # bool is an int subclass in Python; true/false in the file is an error.
            if not isinstance(target, int) or isinstance(target, bool) or target < 0:
                raise ValueError(
                    f"{display_path(path)}: line {line_number}: 'target_ind' must hold "
                    f"non-negative integers, found {target!r}."
                )
            if limit is not None and target >= limit:
                raise ValueError(
                    f"{display_path(path)}: line {line_number}: label index {target} is out of "
                    f"range for {limit} labels."
                )
            if target >= _MAX_LABEL_INDEX:  # as the XC sparse format's header allows
                raise ValueError(
                    f"{display_path(path)}: line {line_number}: label index {target} is too "
                    f"large (at most {_MAX_LABEL_INDEX - 1}); is the file corrupt?"
                )
        columns.extend(targets)
        counts.append(len(targets))
    if limit is None:
        if not columns:
            raise ValueError(
                f"{display_path(path)} contains no label index; pass n_labels to define the "
                f"label space."
            )
        limit = max(columns) + 1
        if limit > _MAX_IMPLIED_LABELS:
            raise ValueError(
                f"{display_path(path)}'s highest label index, {limit - 1}, would make a "
                f"space of {limit:,} labels (more than {_MAX_IMPLIED_LABELS:,}, whose names "
                "alone take 8 bytes each); is the file corrupt? If not, pass n_labels to "
                "declare that label space."
            )
    Y = binary_csr_from_rows(
        np.asarray(counts, dtype=np.int64), np.asarray(columns, dtype=np.int64), limit
    )
    returned_names = names if names is not None else np.arange(limit, dtype=np.int64)
    return texts, Y, returned_names


@validate_params(
    {"path": [str, os.PathLike], "field": [str]},
    prefer_skip_nested_validation=True,
)
def load_lf_label_names(path: str | os.PathLike[str], *, field: str = "title") -> np.ndarray:
    """Read the label names of an LF-* dataset (``lbl.json.gz``).

    Line *j* (blank lines skipped) is a JSON object describing label *j*, e.g.
    ``{"uid": "B00ADKXAQO", "title": "Wireless Mouse"}``.

    Parameters
    ----------
    path : str or os.PathLike
        The label file, plain or gzip.
    field : str, default="title"
        Field holding the name; ``"uid"`` gives the identifiers instead.

    Returns
    -------
    label_names : ndarray of str of shape (n_labels,), dtype object
        In file order, i.e. ``label_names[j]`` is the name of label index *j*. Names
        need not be distinct (titles repeat in some datasets).

    Raises
    ------
    ValueError
        If a line is not a JSON object or lacks ``field``, or ``field`` is not a string;
        the message names the file and the 1-based line.

    See Also
    --------
    load_lf_json : Read the samples.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skxml.datasets import load_lf_label_names
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "lbl.json")
    ...     _ = path.write_text(
    ...         '{"uid": "L0", "title": "usb"}\\n{"uid": "L1", "title": "cases"}\\n',
    ...         encoding="utf-8",
    ...     )
    ...     names = load_lf_label_names(path)
    >>> names.tolist()
    ['usb', 'cases']
    """
    names = [_text_field(record, field, path, line) for line, record in _json_records(path)]
    return as_name_array(names)
