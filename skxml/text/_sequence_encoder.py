"""SequenceEncoder: raw texts to fixed-length, zero-padded arrays of token ids."""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted

from skxml.text._tokenizer import Tokenizer
from skxml.utils._validation import check_texts

PAD_ID = 0
"""Token id of padding: the positions after a text's last token."""

UNK_ID = 1
"""Token id of words not in the vocabulary."""

UNK_TOKEN = "<unk>"
"""How :meth:`SequenceEncoder.inverse_transform` writes an unknown word."""

_FIRST_WORD_ID = 2


def _build_vocabulary(
    token_lists: list[list[str]], *, min_df: float, max_features: int | None
) -> dict[str, int]:
    """Ids from 2 upward by decreasing document frequency, ties broken alphabetically."""
    document_frequency: Counter[str] = Counter()
    for tokens in token_lists:
        document_frequency.update(set(tokens))
    min_count = min_df if isinstance(min_df, Integral) else min_df * len(token_lists)
    kept = [(word, count) for word, count in document_frequency.items() if count >= min_count]
    kept.sort(key=lambda item: (-item[1], item[0]))
    if max_features is not None:
        kept = kept[:max_features]
    return {word: index for index, (word, _) in enumerate(kept, start=_FIRST_WORD_ID)}


class SequenceEncoder(TransformerMixin, BaseEstimator):
    """Encode raw texts as fixed-length, zero-padded arrays of token ids.

    The input stage of InceptionXML: each text is tokenized (by default the paper's
    tokenizer: lower-case, white-space split, punctuation and NLTK English stop words
    removed), its first ``max_seq_len`` tokens are mapped to ids and the row is padded with
    ``PAD_ID`` (0). Words not in the vocabulary learnt by :meth:`fit` become ``UNK_ID``
    (1); real words have ids from 2 upward, most frequent first.

    Parameters
    ----------
    max_seq_len : int, default=32
        Length of every output row: longer texts are truncated to their first
        ``max_seq_len`` tokens, shorter ones padded. Used by :meth:`transform` only, so it
        can be changed after fitting.
    min_df : int or float, default=1
        Words in fewer training texts than this are left out of the vocabulary (they become
        ``UNK_ID``). An int is a number of texts; a float in [0.0, 1.0] a fraction of them.
    max_features : int or None, default=None
        Keep only the ``max_features`` words of highest document frequency (ties broken
        alphabetically). ``None`` keeps all.
    lowercase : bool, default=True
        Lower-case texts before splitting (default tokenizer only).
    stop_words : "english", None or collection of str, default="english"
        Words the default tokenizer drops: NLTK's English list (see
        :func:`get_stop_words`), none, or the given words (matched case-insensitively).
    split_cjk : bool, default=True
        Make every Han ideograph and Japanese kana a token of its own (default tokenizer
        only; see :func:`space_cjk`).
    normalize_unicode : bool, default=True
        Bring texts to Unicode NFKC form and remove invisible control and format characters
        before splitting (default tokenizer only; see :func:`normalize_text`), so that
        ``"café"`` typed with a combining accent, ``"ｃａｆé"`` in full-width letters and
        ``"ca\u00adfé"`` with a soft hyphen are the word ``"café"``.
    tokenizer : callable, default=None
        A function from one text to its list of tokens, used instead of the default
        :class:`Tokenizer`. When given, ``lowercase``, ``stop_words``, ``split_cjk`` and
        ``normalize_unicode`` are not used (a warning says so if they were changed from
        their defaults). It must be picklable for the fitted encoder to pickle.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Word to id, ids ``2 .. vocabulary_size_ - 1``. The reserved ids ``PAD_ID`` (0) and
        ``UNK_ID`` (1) have no word.
    vocabulary_size_ : int
        Number of ids, reserved ones included: ``len(vocabulary_) + 2``, the number of rows
        of an embedding table for these ids.
    tokenizer_ : callable
        The tokenizer used: ``tokenizer`` or a :class:`Tokenizer` built at fit time. Its
        stop-word set is resolved then and pickled with the encoder, so a loaded encoder
        tokenizes as it did when fitted.

    See Also
    --------
    Tokenizer : The default tokenizer.
    load_word_vectors : Pretrained vectors aligned with ``vocabulary_``.

    Notes
    -----
    Output dtype is ``int64``, what :class:`torch.nn.Embedding` expects. Rows are
    left-aligned: ``[id_1, ..., id_k, 0, ..., 0]``. A text with no token left after
    tokenization (only stop words or punctuation, or empty) gives an all-``PAD_ID`` row; a
    text of unknown words gives one ``UNK_ID`` per word, so an unknown word still occupies
    its position.

    Document frequency (the number of texts holding a word), not the number of occurrences,
    orders the vocabulary and drives ``min_df`` and ``max_features``: short texts rarely
    repeat a word.

    :meth:`get_feature_names_out` names the output columns, which are positions
    (``sequenceencoder0`` …), not words; the words are in ``vocabulary_``.

    Examples
    --------
    >>> from skxml.text import SequenceEncoder
    >>> texts = ["GNU C compiler", "C library for the GNU system", "Python library"]
    >>> encoder = SequenceEncoder(max_seq_len=4).fit(texts)
    >>> encoder.vocabulary_
    {'c': 2, 'gnu': 3, 'library': 4, 'compiler': 5, 'python': 6, 'system': 7}
    >>> encoder.transform(["the GNU Python debugger", "of the"])
    array([[3, 6, 1, 0],
           [0, 0, 0, 0]])
    >>> encoder.inverse_transform([[3, 6, 1, 0]])
    [['gnu', 'python', '<unk>']]
    """

    _parameter_constraints: ClassVar[dict] = {
        "max_seq_len": [Interval(Integral, 1, None, closed="left")],
        "min_df": [
            Interval(RealNotInt, 0, 1, closed="both"),
            Interval(Integral, 0, None, closed="left"),
        ],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "lowercase": ["boolean"],
        "stop_words": [StrOptions({"english"}), "array-like", set, frozenset, None],
        "split_cjk": ["boolean"],
        "normalize_unicode": ["boolean"],
        "tokenizer": [callable, None],
    }

    def __init__(
        self,
        *,
        max_seq_len: int = 32,
        min_df: float = 1,
        max_features: int | None = None,
        lowercase: bool = True,
        stop_words: Any = "english",
        split_cjk: bool = True,
        normalize_unicode: bool = True,
        tokenizer: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.max_seq_len = max_seq_len
        self.min_df = min_df
        self.max_features = max_features
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.split_cjk = split_cjk
        self.normalize_unicode = normalize_unicode
        self.tokenizer = tokenizer

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Encoders pickled before split_cjk / normalize_unicode existed were fitted on
        # white-space tokens of the characters as they were.
        state.setdefault("split_cjk", False)
        state.setdefault("normalize_unicode", False)
        super().__setstate__(state)

    def _make_tokenizer(self) -> Callable[[str], list[str]]:
        if self.tokenizer is None:
            return Tokenizer(
                lowercase=self.lowercase,
                stop_words=self.stop_words,
                split_cjk=self.split_cjk,
                normalize_unicode=self.normalize_unicode,
            )
        if (
            self.lowercase is not True
            or self.split_cjk is not True
            or self.normalize_unicode is not True
            or not (isinstance(self.stop_words, str) and self.stop_words == "english")
        ):
            warnings.warn(
                "lowercase, stop_words, split_cjk and normalize_unicode are not used when a "
                "tokenizer is given; pass them to the tokenizer (e.g. skxml.text.Tokenizer("
                "lowercase=..., stop_words=..., split_cjk=..., normalize_unicode=...)) "
                "instead.",
                UserWarning,
                stacklevel=3,
            )
        return self.tokenizer

    def _tokenize_all(self, texts: Iterable[str]) -> list[list[str]]:
        tokenizer = self.tokenizer_
        token_lists = []
        for position, text in enumerate(texts):
            tokens = tokenizer(text)
            if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Iterable):
                # A str would be read character by character.
                raise TypeError(
                    f"tokenizer must return a list of str; for text {position} it returned "
                    f"a {type(tokens).__name__} ({tokens!r:.40})."
                )
            if not isinstance(tokens, list):
                tokens = list(tokens)
            for token in tokens:
                if not isinstance(token, str):
                    raise TypeError(
                        f"tokenizer must return a list of str; for text {position} it "
                        f"returned an item of type {type(token).__name__} ({token!r:.40})."
                    )
            token_lists.append(tokens)
        return token_lists

    def _fit_tokens(self, X: Any) -> list[list[str]]:
        texts = check_texts(X, name="X")
        self.tokenizer_ = self._make_tokenizer()
        token_lists = self._tokenize_all(texts)
        vocabulary = _build_vocabulary(
            token_lists, min_df=self.min_df, max_features=self.max_features
        )
        if not vocabulary:
            raise ValueError(
                "After tokenization and min_df pruning the vocabulary is empty: the texts "
                "hold only stop words or punctuation, or min_df is too high."
            )
        self.vocabulary_ = vocabulary
        self.vocabulary_size_ = len(vocabulary) + _FIRST_WORD_ID
        return token_lists

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> SequenceEncoder:
        """Learn the vocabulary of the training texts.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts (a list, a 1-D array, a pandas Series). A single string is rejected.
        y : None
            Ignored; present for Pipeline compatibility.

        Returns
        -------
        self : SequenceEncoder
            The fitted encoder.

        Raises
        ------
        TypeError
            If ``X`` is a single string or holds non-string items.
        ValueError
            If ``X`` is empty or no word is left in the vocabulary.
        """
        self._fit_tokens(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Learn the vocabulary and encode the training texts, tokenizing them once.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        y : None
            Ignored.

        Returns
        -------
        ids : ndarray of shape (n_samples, max_seq_len), dtype int64
            Token ids, left-aligned and zero-padded.
        """
        return self._encode(self._fit_tokens(X))

    def transform(self, X: Any) -> np.ndarray:
        """Encode texts as token ids with the fitted vocabulary.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts. An empty sequence gives an array with zero rows.

        Returns
        -------
        ids : ndarray of shape (n_samples, max_seq_len), dtype int64
            Each row holds the ids of the text's first ``max_seq_len`` tokens (``UNK_ID``
            for words not in ``vocabulary_``), then ``PAD_ID``.
        """
        check_is_fitted(self)
        return self.transform_checked(check_texts(X, name="X", allow_empty=True))

    def transform_checked(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`transform` for texts already checked, of a fitted encoder.

        The estimators' prediction path: no input validation and no ``set_output``
        wrapping, which together cost about as much as encoding one short text.

        Parameters
        ----------
        texts : sequence of str
            A list of str, already checked (the estimators check their inputs first).

        Returns
        -------
        ids : ndarray of shape (n_samples, max_seq_len), dtype int64
            As :meth:`transform`.

        Examples
        --------
        >>> from skxml.text import SequenceEncoder
        >>> encoder = SequenceEncoder(max_seq_len=4)
        >>> encoder = encoder.fit(["red apple", "green apple"])
        >>> encoder.transform_checked(["apple red"]).tolist() == encoder.transform(
        ...     ["apple red"]
        ... ).tolist()
        True
        """
        return self._encode(self._tokenize_all(texts))

    def _encode(self, token_lists: list[list[str]]) -> np.ndarray:
        max_seq_len = self.max_seq_len
        if not isinstance(max_seq_len, Integral) or isinstance(max_seq_len, bool):
            raise TypeError(f"max_seq_len must be an int, got {max_seq_len!r}.")
        if max_seq_len < 1:
            raise ValueError(f"max_seq_len must be >= 1, got {max_seq_len}.")
        lookup = self.vocabulary_.get
        id_lists = [
            [lookup(token, UNK_ID) for token in tokens[:max_seq_len]] for tokens in token_lists
        ]
        lengths = np.fromiter(map(len, id_lists), dtype=np.intp, count=len(id_lists))
        ids = np.full((len(id_lists), max_seq_len), PAD_ID, dtype=np.int64)
        # Row-major boolean assignment fills each row's first `length` cells in order.
        ids[np.arange(max_seq_len) < lengths[:, None]] = np.fromiter(
            itertools.chain.from_iterable(id_lists), dtype=np.int64, count=int(lengths.sum())
        )
        return ids

    def inverse_transform(self, X: Any) -> list[list[str]]:
        """Turn token-id rows back into token lists.

        Padding is dropped and ``UNK_ID`` is written ``"<unk>"`` (``UNK_TOKEN``); stop words
        and truncated tokens are gone for good.

        Parameters
        ----------
        X : array-like of int of shape (n_samples, n_positions)
            Token ids, as returned by :meth:`transform`.

        Returns
        -------
        token_lists : list of list of str
            The tokens of each row.

        Raises
        ------
        ValueError
            If ``X`` is not 2-D or holds ids outside ``[0, vocabulary_size_)``.
        """
        check_is_fitted(self)
        ids = np.asarray(X)
        if ids.ndim != 2 or not (np.issubdtype(ids.dtype, np.integer) or ids.size == 0):
            raise ValueError(
                f"X must be a 2-D array of integer token ids, got shape {ids.shape} and "
                f"dtype {ids.dtype}."
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size_):
            raise ValueError(
                f"X holds token ids outside [0, {self.vocabulary_size_}) "
                f"(min {ids.min()}, max {ids.max()})."
            )
        id_to_token = np.empty(self.vocabulary_size_, dtype=object)
        id_to_token[UNK_ID] = UNK_TOKEN
        for word, index in self.vocabulary_.items():
            id_to_token[index] = word
        return [id_to_token[row[row != PAD_ID]].tolist() for row in ids.astype(np.intp)]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: one per position, ``sequenceencoder0`` ….

        Parameters
        ----------
        input_features : None
            Ignored (texts have no feature names).

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (max_seq_len,)
            Position names.
        """
        check_is_fitted(self)
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.max_seq_len)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags
