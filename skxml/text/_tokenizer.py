"""The paper's tokenizer: lower-case, white-space split, punctuation and stop words removed."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from typing import Any

from sklearn.utils._param_validation import StrOptions, validate_params

from skxml.text._stop_words import get_stop_words

# ASCII characters stripped from both ends of a token: string.punctuation (the rule used to
# build the bundled GloVe subset, so tokens and vectors agree) plus the ASCII control
# characters that str.split() does not treat as white space.
_ASCII_STRIP = string.punctuation + "".join(
    chr(code) for code in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F)
)

# Typographic apostrophes become ASCII ones so that "don’t" meets the stop word "don't" and
# "gateway’s" and "gateway's" are one token.
_APOSTROPHES = ("\u2018", "\u2019", "\u02bc")


def _is_strippable(char: str) -> bool:
    """Whether a boundary character is punctuation or an invisible control/format code."""
    if char <= "\x7f":
        return char in _ASCII_STRIP
    category = unicodedata.category(char)
    return category[0] == "P" or category in ("Cc", "Cf")


def _strip_token(token: str) -> str:
    token = token.strip(_ASCII_STRIP)
    if token and (token[0] > "\x7f" or token[-1] > "\x7f"):
        # Rare path: a non-ASCII character at a boundary needs its Unicode category.
        start, end = 0, len(token)
        while start < end and _is_strippable(token[start]):
            start += 1
        while end > start and _is_strippable(token[end - 1]):
            end -= 1
        token = token[start:end]
    return token


def _resolve_stop_words(stop_words: Any) -> frozenset[str]:
    """Turn the ``stop_words`` option into the lower-case set that tokens are checked against."""
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words == "english":
            return get_stop_words("english")
        raise ValueError(
            f"stop_words must be 'english', None or a collection of words, got the string "
            f"{stop_words!r}."
        )
    if not isinstance(stop_words, Iterable):
        raise TypeError(
            f"stop_words must be 'english', None or a collection of words, got "
            f"{type(stop_words).__name__}."
        )
    words = list(stop_words)
    for word in words:
        if not isinstance(word, str):
            raise TypeError(
                f"stop_words must contain only strings, found {type(word).__name__} "
                f"({word!r:.40})."
            )
    return frozenset(word.lower() for word in words)


class Tokenizer:
    """Callable tokenizer of the InceptionXML paper (§6), picklable for use in estimators.

    A text is lower-cased (optional), split on white space, and each piece loses its leading
    and trailing punctuation; pieces left empty and stop words are dropped. No sub-word
    splitting. The stop-word set is resolved once, when the tokenizer is built, and travels
    with it when pickled.

    Parameters
    ----------
    lowercase : bool, default=True
        Lower-case the text before splitting.
    stop_words : "english", None or collection of str, default="english"
        Words to drop. ``"english"`` is NLTK's English list (``get_stop_words("english")``:
        NLTK's installed corpus, else skxml's bundled copy); ``None`` keeps every token.
        Stop words are matched case-insensitively, also when ``lowercase=False``.

    Attributes
    ----------
    stop_words_set : frozenset of str
        The lower-case stop words in use.

    See Also
    --------
    tokenize : The same as a function.
    SequenceEncoder : Turns texts into padded token-id arrays with this tokenizer.

    Notes
    -----
    Rules, in order:

    1. ``’``, ``‘`` and ``ʼ`` become ``'``; then the text is lower-cased if ``lowercase``.
    2. The text is split on white space (``str.split()``: Unicode white space included).
    3. Each piece is stripped, at both ends, of ASCII punctuation and symbols
       (``string.punctuation``: ``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~``), of every Unicode
       punctuation character (categories ``P*``: ``“ ” « » – — … ¿`` …) and of control and
       format characters (``Cc``, ``Cf``: e.g. a zero-width space). Inner characters stay:
       ``e-mail``, ``x.org``, ``2.0``, ``don't`` are single tokens. Non-ASCII symbols
       (categories ``S*``: emoji, ``€``, ``°``) are kept, so ``🐍`` is a token.
    4. Empty pieces (pure punctuation) are dropped, and so are stop words.

    This is the tokenisation of the GloVe subset in the project's data (lower-case,
    white-space split, leading/trailing ``string.punctuation`` stripped), so tokens match the
    vectors. A consequence: ``c++`` and ``c#`` become ``c``, ``.net`` becomes ``net``.

    Contractions stay whole (``isn't``), so NLTK's list removes the contractions it holds
    (``don't``, ``isn't``, ``won't`` …) but not those it lacks (``can't``, ``i'm`` in the
    179-word list); its apostrophe-less halves (``don``, ``t``, ``s``, ``ll``) only remove
    pieces the user wrote that way (``don t``).

    Examples
    --------
    >>> from skxml.text import Tokenizer
    >>> tokenizer = Tokenizer()
    >>> tokenizer("The e-mail client (GTK+ 3.0) doesn't crash!")
    ['e-mail', 'client', 'gtk', '3.0', 'crash']
    >>> Tokenizer(stop_words=None, lowercase=False)("“Hello”, World…")
    ['Hello', 'World']
    """

    def __init__(self, *, lowercase: bool = True, stop_words: Any = "english") -> None:
        if not isinstance(lowercase, bool):
            raise TypeError(f"lowercase must be a bool, got {type(lowercase).__name__}.")
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.stop_words_set = _resolve_stop_words(stop_words)

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text.

        Parameters
        ----------
        text : str
            The raw text.

        Returns
        -------
        tokens : list of str
            The tokens, in text order.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__} ({text!r:.40}).")
        for apostrophe in _APOSTROPHES:
            if apostrophe in text:
                text = text.replace(apostrophe, "'")
        stop = self.stop_words_set
        if self.lowercase:
            text = text.lower()
            tokens = (_strip_token(piece) for piece in text.split())
            return [token for token in tokens if token and token not in stop]
        tokens = (_strip_token(piece) for piece in text.split())
        if not stop:
            return [token for token in tokens if token]
        return [token for token in tokens if token and token.lower() not in stop]

    def __repr__(self) -> str:
        return f"Tokenizer(lowercase={self.lowercase!r}, stop_words={self.stop_words!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tokenizer):
            return NotImplemented
        return (self.lowercase, self.stop_words_set) == (other.lowercase, other.stop_words_set)

    def __hash__(self) -> int:
        return hash((self.lowercase, self.stop_words_set))


@validate_params(
    {
        "text": [str],
        "lowercase": ["boolean"],
        "stop_words": [StrOptions({"english"}), "array-like", set, frozenset, None],
    },
    prefer_skip_nested_validation=True,
)
def tokenize(text: str, *, lowercase: bool = True, stop_words: Any = "english") -> list[str]:
    """Split a text into tokens the way the InceptionXML paper does (§6).

    Lower-case, split on white space, strip leading and trailing punctuation from each piece,
    drop empty pieces and stop words. See :class:`Tokenizer` for the exact rules; to
    tokenize many texts, build one :class:`Tokenizer` and call it on each text.

    Parameters
    ----------
    text : str
        The raw text.
    lowercase : bool, default=True
        Lower-case the text before splitting.
    stop_words : "english", None or collection of str, default="english"
        Words to drop: NLTK's English list, nothing, or the given words (matched
        case-insensitively).

    Returns
    -------
    tokens : list of str
        The tokens, in text order.

    See Also
    --------
    Tokenizer : The same as a picklable callable object.

    Examples
    --------
    >>> from skxml.text import tokenize
    >>> tokenize("Library for the X.Org server -- development files")
    ['library', 'x.org', 'server', 'development', 'files']
    >>> tokenize("Library for the X.Org server", stop_words=None)
    ['library', 'for', 'the', 'x.org', 'server']
    >>> tokenize("Library for the X.Org server", stop_words=["library", "SERVER"])
    ['for', 'the', 'x.org']
    """
    return Tokenizer(lowercase=lowercase, stop_words=stop_words)(text)
