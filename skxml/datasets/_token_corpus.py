"""Training data on disk: token ids, TF-IDF bag and labels, memory-mapped for out-of-core fits."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

import skxml

_FORMAT_VERSION = 1
_META = "corpus.json"
_PREPROCESSING = "preprocessing.joblib"
# The estimator parameters that decide the token ids and the TF-IDF bag of a text.
TEXT_PARAMETERS = (
    "max_seq_len",
    "min_df",
    "max_features",
    "tfidf_embedding",
    "tfidf_linear",
    "tfidf_ngram_range",
    "tfidf_min_df",
    "tfidf_token_pattern",
    "split_cjk",
    "normalize_unicode",
)


class TokenCorpus:
    """Training texts prepared once and memory-mapped from disk: fit without loading them.

    A corpus directory holds the token ids (``tokens.npy``, ``(n_samples, max_seq_len)``
    int32), the label matrix and, when the estimator uses TF-IDF n-grams, the TF-IDF bag,
    both as CSR arrays in ``.npy`` files, and the fitted vocabularies. Opening it maps the
    arrays and reads them once, in order, to check that every id lies within its
    vocabularies and labels (memory stays flat: the pages are not kept); ``fit(corpus)``
    then reads one shuffled batch at a time, so
    the training set never has to fit in memory (the operating system's page cache keeps
    what it can). Write one with :func:`write_token_corpus` or ``skxml prepare``.

    Use :func:`load_token_corpus` to open one.

    Parameters
    ----------
    path : str or os.PathLike
        The corpus directory.

    Attributes
    ----------
    path : pathlib.Path
        The corpus directory.
    n_samples : int
        Number of texts.
    tokens : numpy.memmap of shape (n_samples, max_seq_len), dtype int32
        Token ids (0 padding, 1 unknown word), as :class:`~skxml.text.SequenceEncoder` gives.
    labels : scipy.sparse.csr_matrix of shape (n_samples, n_labels)
        0/1 labels, its arrays memory-mapped.
    bag : scipy.sparse.csr_matrix of shape (n_samples, n_ngrams) or None
        TF-IDF n-gram weights (memory-mapped), or None when the estimator uses none.
    sequence_encoder : SequenceEncoder
        The fitted vocabulary of the token ids.
    tfidf_vectorizer : sklearn.feature_extraction.text.TfidfVectorizer or None
        The fitted TF-IDF vectorizer of the bag.
    classes : ndarray of shape (n_labels,)
        Label names (when written from label lists) or ``arange(n_labels)``.
    label_binarizer : sklearn.preprocessing.MultiLabelBinarizer or None
        The binarizer of label lists, or None for a label matrix.
    text_parameters : dict
        The estimator parameters the corpus was prepared with (``TEXT_PARAMETERS``).

    Examples
    --------
    >>> import tempfile
    >>> from skxml import InceptionXMLClassifier
    >>> from skxml.datasets import load_token_corpus, write_token_corpus
    >>> texts = ["apple pie", "apple juice", "storm cloud", "storm rain"] * 4
    >>> labels = [["food"], ["drink"], ["weather"], ["weather"]] * 4
    >>> clf = InceptionXMLClassifier(n_epochs=2, batch_size=4, top_k=1, random_state=0)
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     _ = write_token_corpus(directory + "/train", texts, labels, estimator=clf)
    ...     corpus = load_token_corpus(directory + "/train")
    ...     print(corpus)
    ...     _ = clf.fit(corpus)
    TokenCorpus(n_samples=16, n_labels=3, max_seq_len=32, tfidf=True)
    >>> clf.predict_labels(["apple pie"])
    [['food']]
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        meta_file = self.path / _META
        if not meta_file.is_file():
            raise FileNotFoundError(
                f"{self.path} is not a token corpus (no {_META}); write one with "
                "skxml.datasets.write_token_corpus or 'skxml prepare'."
            )
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{meta_file} is damaged ({exc}); write the corpus again.") from exc
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT_VERSION:
            found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
            raise ValueError(
                f"{meta_file}: corpus format {found!r} is not supported by skxml "
                f"{skxml.__version__} (format {_FORMAT_VERSION}); write the corpus again."
            )
        self._current_file = meta_file
        try:
            self._read(meta)
        except FileNotFoundError:
            raise
        except Exception as exc:  # whatever a damaged file makes json, joblib or numpy raise
            raise ValueError(
                f"{self._current_file}: the token corpus at {self.path} is damaged "
                f"({type(exc).__name__}: {exc}); write it again."
            ) from exc
        finally:
            del self._current_file

    def _read(self, meta: dict[str, Any]) -> None:
        self.n_samples = int(meta["n_samples"])
        self._current_file = self.path / _PREPROCESSING
        preprocessing = joblib.load(self._current_file)
        self.sequence_encoder = preprocessing["sequence_encoder"]
        self.tfidf_vectorizer = preprocessing["tfidf_vectorizer"]
        self.classes = preprocessing["classes"]
        self.label_binarizer = preprocessing["label_binarizer"]
        self.text_parameters: dict[str, Any] = preprocessing["text_parameters"]
        # Corpora written before split_cjk / normalize_unicode were compared: the setting
        # their tokens were made with is their encoder's (unpickled with False if it
        # predates the parameter).
        for name in ("split_cjk", "normalize_unicode"):
            self.text_parameters.setdefault(
                name, bool(getattr(self.sequence_encoder, name, False))
            )
        self._current_file = self.path / "tokens.npy"
        self.tokens = np.load(self._current_file, mmap_mode="r")
        max_seq_len = self.sequence_encoder.max_seq_len
        if self.tokens.shape != (self.n_samples, max_seq_len):
            raise ValueError(
                f"it holds {self.tokens.shape} token ids, not {self.n_samples} rows as "
                f"{_META} says of {max_seq_len} ids as its vocabulary's max_seq_len says"
            )
        _check_ids(self.tokens, self.sequence_encoder.vocabulary_size_, "token ids")
        self.labels = self._load_csr("labels", (self.n_samples, len(self.classes)))
        self.bag = (
            None
            if self.tfidf_vectorizer is None
            else self._load_csr("bag", (self.n_samples, len(self.tfidf_vectorizer.vocabulary_)))
        )

    def _load_csr(self, name: str, shape: tuple[int, int]) -> sp.csr_matrix:
        arrays = {}
        for part in ("data", "indices", "indptr"):
            self._current_file = self.path / f"{name}_{part}.npy"
            arrays[part] = np.load(self._current_file, mmap_mode="r")
        if arrays["indptr"].shape != (shape[0] + 1,) or arrays["indptr"][-1] != len(
            arrays["indices"]
        ):
            raise ValueError(
                f"its index pointer has shape {arrays['indptr'].shape}, not ({shape[0] + 1},) "
                f"for the {shape[0]} rows {_META} says, or does not end at the "
                f"{len(arrays['indices'])} stored entries"
            )
        if arrays["data"].shape != arrays["indices"].shape:
            raise ValueError(
                f"it holds {arrays['data'].shape} values for {arrays['indices'].shape} indices"
            )
        self._current_file = self.path / f"{name}_indices.npy"
        _check_ids(arrays["indices"], shape[1], "column indices")
        matrix = sp.csr_matrix(shape, dtype=arrays["data"].dtype)
        # Set the arrays directly: the constructor may copy them to another index dtype.
        matrix.data, matrix.indices, matrix.indptr = (
            arrays["data"],
            arrays["indices"],
            arrays["indptr"],
        )
        return matrix

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return (
            f"TokenCorpus(n_samples={self.n_samples}, n_labels={len(self.classes)}, "
            f"max_seq_len={self.tokens.shape[1]}, tfidf={self.bag is not None})"
        )


_CHECK_BLOCK_IDS = 1 << 22  # 16 MB of int32 ids at a time


def _check_ids(ids: np.ndarray, n_ids: int, what: str) -> None:
    """Refuse ids outside ``[0, n_ids)`` (a damaged or mixed-up file): out of range, they
    would be read past the end of a table, which can crash the interpreter."""
    if ids.size == 0:
        return
    # One pass, a block at a time (a memory-mapped file is read once, not once for the
    # minimum and again for the maximum).
    flat = ids.reshape(-1)
    low, high = int(flat[0]), int(flat[0])
    for start in range(0, flat.size, _CHECK_BLOCK_IDS):
        block = np.asarray(flat[start : start + _CHECK_BLOCK_IDS])
        low, high = min(low, int(block.min())), max(high, int(block.max()))
    if low < 0 or high >= n_ids:
        raise ValueError(
            f"its {what} run from {low} to {high}, outside [0, {n_ids}) for the corpus's "
            "vocabularies and labels"
        )


def load_token_corpus(path: str | os.PathLike) -> TokenCorpus:
    """Open a corpus written by :func:`write_token_corpus` (the arrays are memory-mapped).

    Parameters
    ----------
    path : str or path-like
        The corpus directory.

    Returns
    -------
    corpus : TokenCorpus
        Pass it to ``fit`` in place of ``(X, Y)``.

    Raises
    ------
    FileNotFoundError
        If ``path`` holds no corpus.
    ValueError
        If it was written in a format this version cannot read.

    Examples
    --------
    >>> import tempfile
    >>> from skxml.datasets import load_token_corpus, write_token_corpus
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     _ = write_token_corpus(directory, ["red apple", "green pear"], [["a"], ["b"]])
    ...     corpus = load_token_corpus(directory)
    ...     print(corpus.tokens.shape, corpus.labels.shape, list(corpus.classes))
    (2, 32) (2, 2) ['a', 'b']
    """
    return TokenCorpus(path)


def write_token_corpus(
    path: str | os.PathLike,
    X: Sequence[str],
    Y: Any,
    *,
    estimator: Any = None,
    chunk_size: int = 65_536,
) -> TokenCorpus:
    """Prepare training texts once, on disk, for a fit that does not load them into memory.

    The vocabularies (token ids and TF-IDF n-grams) are fitted on ``X`` with the text
    parameters of ``estimator`` — exactly those ``estimator.fit(X, Y)`` would fit — then the
    texts are transformed ``chunk_size`` at a time and written to memory-mapped files. Only
    the vocabularies and one chunk's arrays are in memory at once (plus ``X`` and ``Y``
    themselves). ``estimator.fit(load_token_corpus(path))`` then trains exactly as
    ``estimator.fit(X, Y)`` would: same batches, same result for the same ``random_state``.

    Parameters
    ----------
    path : str or path-like
        Directory to write (created; files of an earlier corpus there are replaced).
    X : sequence of str
        Raw training texts.
    Y : {array-like, sparse matrix} of shape (n_samples, n_labels) or list of lists
        Labels, as for ``fit``.
    estimator : InceptionXMLClassifier or InceptionXMLPlusClassifier, default=None
        The estimator to be trained (only its parameters are read); default
        ``InceptionXMLClassifier()``. A fit with other text parameters (``max_seq_len``,
        ``min_df``, ``max_features``, ``split_cjk``, ``normalize_unicode``,
        ``tfidf_embedding``, ``tfidf_linear``, ``tfidf_ngram_range``, ``tfidf_min_df``,
        ``tfidf_token_pattern``: ``TokenCorpus.text_parameters``) rejects the corpus.
    chunk_size : int, default=65536
        Texts transformed and written at a time.

    Returns
    -------
    corpus : TokenCorpus
        The written corpus, opened.

    Examples
    --------
    >>> import tempfile
    >>> from skxml.datasets import write_token_corpus
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     corpus = write_token_corpus(directory, ["red apple", "green pear"], [[1, 0], [0, 1]])
    ...     print(corpus)
    TokenCorpus(n_samples=2, n_labels=2, max_seq_len=32, tfidf=True)
    """
    from skxml._base import BaseInceptionXML
    from skxml._text_features import transform_texts
    from skxml.models import InceptionXMLClassifier

    if estimator is None:
        estimator = InceptionXMLClassifier()
    if not isinstance(estimator, BaseInceptionXML):
        raise TypeError(
            "estimator must be an InceptionXMLClassifier or InceptionXMLPlusClassifier, got "
            f"{type(estimator).__name__}."
        )
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    estimator = clone(estimator)
    estimator._validate_params()
    texts, labels, _ = estimator._check_fit_inputs(X, Y, None, reuse_fitted=False)
    sequence_encoder, vectorizer = estimator._fit_text_features(texts)

    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / _META).unlink(missing_ok=True)  # an interrupted write leaves no corpus
    n_samples, max_seq_len = len(texts), estimator.max_seq_len
    tokens = np.lib.format.open_memmap(
        directory / "tokens.npy", mode="w+", dtype=np.int32, shape=(n_samples, max_seq_len)
    )
    bag_indptr = [np.zeros(1, dtype=np.int64)]
    with (
        open(directory / "bag_indices.part", "wb") as indices_file,
        open(directory / "bag_data.part", "wb") as data_file,
    ):
        n_entries = 0
        for start in range(0, n_samples, chunk_size):
            chunk = texts[start : start + chunk_size]
            token_ids, bag = transform_texts(sequence_encoder, vectorizer, chunk)
            tokens[start : start + len(chunk)] = token_ids
            if bag is not None:
                bag.indices.astype(np.int64).tofile(indices_file)
                bag.data.astype(np.float32).tofile(data_file)
                bag_indptr.append(bag.indptr[1:].astype(np.int64) + n_entries)
                n_entries += bag.nnz
    tokens.flush()
    del tokens
    if vectorizer is not None:
        _save_csr_part(directory, "bag", np.concatenate(bag_indptr), n_entries)
    for part in ("indices", "data"):
        (directory / f"bag_{part}.part").unlink(missing_ok=True)
    labels = sp.csr_matrix(labels, dtype=np.float32)
    labels.sum_duplicates()
    index_dtype = _index_dtype(labels.nnz)
    np.save(directory / "labels_data.npy", labels.data)
    np.save(directory / "labels_indices.npy", labels.indices.astype(index_dtype))
    np.save(directory / "labels_indptr.npy", labels.indptr.astype(index_dtype))
    joblib.dump(
        {
            "sequence_encoder": sequence_encoder,
            "tfidf_vectorizer": vectorizer,
            "classes": estimator.classes_,
            "label_binarizer": estimator._label_binarizer_,
            "text_parameters": {name: getattr(estimator, name) for name in TEXT_PARAMETERS},
        },
        directory / _PREPROCESSING,
    )
    meta = {
        "format": _FORMAT_VERSION,
        "n_samples": n_samples,
        "n_labels": len(estimator.classes_),
        "skxml_version": skxml.__version__,
    }
    (directory / _META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return TokenCorpus(directory)


def _index_dtype(n_entries: int) -> type[np.signedinteger]:
    """One index dtype for indices and indptr: scipy would otherwise copy them to match."""
    return np.int32 if n_entries < np.iinfo(np.int32).max else np.int64


def _save_csr_part(directory: Path, name: str, indptr: np.ndarray, n_entries: int) -> None:
    """Turn the raw ``.part`` files of a CSR matrix into ``.npy`` files, streaming."""
    index_dtype = _index_dtype(n_entries)
    np.save(directory / f"{name}_indptr.npy", indptr.astype(index_dtype))
    for part, source_dtype, dtype in (
        ("indices", np.int64, index_dtype),
        ("data", np.float32, np.float32),
    ):
        target = np.lib.format.open_memmap(
            directory / f"{name}_{part}.npy", mode="w+", dtype=dtype, shape=(n_entries,)
        )
        if n_entries:
            source = np.memmap(directory / f"{name}_{part}.part", dtype=source_dtype, mode="r")
            step = 1 << 24
            for start in range(0, n_entries, step):
                target[start : start + step] = source[start : start + step]
            del source
        target.flush()
        del target
