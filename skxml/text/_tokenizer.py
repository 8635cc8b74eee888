"""The paper's tokenizer: lower-case, white-space split, punctuation and stop words removed."""

from __future__ import annotations

import functools
import re
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


# Characters of scripts that write words without spaces between them and whose characters
# carry meaning on their own: Han ideographs (with radicals, iteration marks and the
# Hangzhou numerals) and Japanese kana. Each becomes a token of its own, as in BERT's basic
# tokenizer (which splits the ideographs). Hangul is not split: Korean puts spaces between
# words. Thai, Lao, Khmer and Myanmar are not split either: their letters are not
# morphemes, so splitting them would not give useful tokens.
CJK_CHARACTER_CLASS = (
    "["
    "\u2e80-\u2fdf"  # CJK radicals supplement, Kangxi radicals
    "\u3005\u3006\u3007\u3021-\u3029\u3038-\u303b"  # 々 〆 〇, Hangzhou numerals
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Katakana (and its half-width forms)
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs, extension A, compatibility
    "\U00020000-\U000323af"  # CJK ideographs, extensions B to H, compatibility supplement
    "]"
)
_CJK_RUNS = re.compile(CJK_CHARACTER_CLASS + "+")


def _spaced_run(match: re.Match[str]) -> str:
    return " " + " ".join(match.group()) + " "


def space_cjk(text: str) -> str:
    """``text`` with a space on both sides of every Han ideograph and Japanese kana.

    Chinese and Japanese write words without spaces between them, so a white-space split
    reads a whole phrase (``"日本語形態素解析システム"``) as one token, which almost no other
    text shares. Spaced out, each character is a token, and word bigrams over the result
    are the character bigrams that make up most Chinese and Japanese words. Other
    characters are left as they are; a text without such characters is returned unchanged.

    Parameters
    ----------
    text : str
        The raw text.

    Returns
    -------
    text : str
        The text with those characters spaced out.

    See Also
    --------
    Tokenizer : Applies this before splitting on white space (``split_cjk=True``).

    Examples
    --------
    >>> from skxml.text import space_cjk
    >>> space_cjk("Ruby 向けMarkdownプロセッサ").split()
    ['Ruby', '向', 'け', 'Markdown', 'プ', 'ロ', 'セ', 'ッ', 'サ']
    >>> space_cjk("无线蓝牙耳机 2022").split()
    ['无', '线', '蓝', '牙', '耳', '机', '2022']
    >>> space_cjk("best wireless headphones")
    'best wireless headphones'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__} ({text!r:.40}).")
    return _space_cjk(text)


def _space_cjk(text: str) -> str:
    if text.isascii():
        return text
    # One substitution per run of such characters (not per character: ~4x faster).
    return _CJK_RUNS.sub(_spaced_run, text)


def lowercase_and_space_cjk(text: str) -> str:
    """``space_cjk(text.lower())``: a picklable ``preprocessor`` for scikit-learn's
    vectorizers, so that their n-grams of Chinese and Japanese text are character n-grams."""
    return _space_cjk(text.lower())


def normalize_lowercase_and_space_cjk(text: str) -> str:
    """``space_cjk(normalize_text(text).lower())``: the vectorizers' ``preprocessor`` with
    both ``normalize_unicode`` and ``split_cjk``."""
    return _space_cjk(normalize_text(text).lower())


def normalize_and_lowercase(text: str) -> str:
    """``normalize_text(text).lower()``: the vectorizers' ``preprocessor`` with
    ``normalize_unicode`` and without ``split_cjk``."""
    return normalize_text(text).lower()


def tfidf_preprocessor(*, normalize_unicode: bool, split_cjk: bool) -> Any:
    """The ``preprocessor`` of a scikit-learn vectorizer that reads texts as the tokenizer
    does (``None``: scikit-learn's own lower-casing). Module-level functions, so the
    vectorizer pickles."""
    if normalize_unicode:
        return normalize_lowercase_and_space_cjk if split_cjk else normalize_and_lowercase
    return lowercase_and_space_cjk if split_cjk else None


# The ASCII control characters that are not white space (str.isspace counts \x1c-\x1f).
_ASCII_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f]")


@functools.cache
def _unicode_tables() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two patterns, built from this Python's Unicode database on first use (~0.2 s):

    - every control or format character (categories ``Cc``, ``Cf``) that is not white
      space;
    - every *spacing accent*, a character that NFKC turns into a space and a combining mark
      (``´`` → ``" \u0301"``, ``¨``, ``˜``, ``゛`` …: 50 of them), in a capturing group.
      NFKC would split the word they sit in (``"Men´s"`` → ``"Men"``, ``"\u0301s"``), so
      they are left out of it.
    """
    invisible, spacing = [], []
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) in ("Cc", "Cf") and not char.isspace():
            invisible.append(char)
        elif unicodedata.decomposition(char).startswith("<compat> 0020 "):
            spacing.append(char)
    return (
        re.compile("[" + "".join(map(re.escape, invisible)) + "]"),
        re.compile("([" + "".join(map(re.escape, spacing)) + "])"),
    )


def normalize_text(text: str) -> str:
    """``text`` in Unicode NFKC form, without invisible control and format characters.

    The same word reaches a model in several encodings: ``"café"`` with a precomposed
    ``é`` or with ``e`` and a combining accent (as macOS file names and some keyboards
    write it), ``"ｈｅａｄｐｈｏｎｅｓ"`` in the full-width letters of Chinese and
    Japanese input methods, ``"wire\u00adless"`` with a soft hyphen from a web page, or
    with a zero-width space or a direction mark inside. NFKC (compatibility composition,
    the normalisation of SentencePiece and of search engines' ICU analysers) gives each of
    them one form, once control and format characters (Unicode categories ``Cc`` and
    ``Cf``, white space aside) are removed. Compatibility characters take their plain form:
    ``"ﬁ"`` → ``"fi"``, ``"²"`` → ``"2"``, ``"™"`` → ``"TM"``, half-width katakana become
    full-width. The spacing accents that NFKC would turn into a space and a combining mark,
    splitting the word they are in, are kept as they are (``¨``, ``˜``, ``゛`` …), except
    ``´``, typed for an apostrophe (``"Men´s"`` → ``"Men's"``). ASCII text only loses its
    control characters (other than white space), at once.

    Parameters
    ----------
    text : str
        The raw text.

    Returns
    -------
    text : str
        The normalised text.

    Raises
    ------
    TypeError
        If ``text`` is not a str.

    See Also
    --------
    Tokenizer : Applies this first (``normalize_unicode=True``).

    Examples
    --------
    >>> from skxml.text import normalize_text
    >>> normalize_text("cafe\u0301") == "caf\u00e9"
    True
    >>> normalize_text("ｈｅａｄｐｈｏｎｅｓ ２０２２")
    'headphones 2022'
    >>> normalize_text("wire\u00adless zero\u200bwidth")
    'wireless zerowidth'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__} ({text!r:.40}).")
    if text.isascii():  # NFKC leaves ASCII as it is
        return text if text.isprintable() else _ASCII_INVISIBLE.sub("", text)
    invisible, spacing_accents = _unicode_tables()
    # Removed first: "e", a zero-width space and a combining accent compose once the space
    # is gone, so NFKC must come after (normalising twice then changes nothing).
    text = invisible.sub("", text)
    if spacing_accents.search(text) is None:
        return unicodedata.normalize("NFKC", text)
    pieces = spacing_accents.split(text)  # text, accent, text, accent, ..., text
    return "".join(
        unicodedata.normalize("NFKC", piece)
        if i % 2 == 0
        else ("'" if piece == "\u00b4" else piece)
        for i, piece in enumerate(pieces)
    )


@functools.lru_cache(maxsize=1 << 16)
def _is_strippable(char: str) -> bool:
    """Whether a boundary character is punctuation or an invisible control/format code
    (cached: Chinese and Japanese text, split into characters, asks for each of them)."""
    if char <= "\x7f":
        return char in _ASCII_STRIP
    category = unicodedata.category(char)
    return category[0] == "P" or category in ("Cc", "Cf")


def _strip_token(token: str) -> str:
    token = token.strip(_ASCII_STRIP)
    if token and (token[0] > "\x7f" or token[-1] > "\x7f"):
        # Rare path: a non-ASCII character at a boundary needs its Unicode category.
        if len(token) == 1:  # e.g. one Han ideograph
            return "" if _is_strippable(token) else token
        start, end = 0, len(token)
        while start < end and _is_strippable(token[start]):
            start += 1
        while end > start and _is_strippable(token[end - 1]):
            end -= 1
        token = token[start:end]
    return token


def _resolve_stop_words(stop_words: Any, normalize_unicode: bool = False) -> frozenset[str]:
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
    # As texts are: "don’t" in the list must meet "don’t" in a text, which becomes "don't".
    if normalize_unicode:
        words = [normalize_text(word) for word in words]
    return frozenset(_ascii_apostrophes(word).lower() for word in words)


def _ascii_apostrophes(text: str) -> str:
    """``text`` with its typographic apostrophes replaced by ASCII ones (rule 1)."""
    for apostrophe in _APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return text


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
        Stop words are matched case-insensitively, also when ``lowercase=False``, and with
        their typographic apostrophes made ASCII, as the text's are.
    split_cjk : bool, default=True
        Make every Han ideograph and Japanese kana a token of its own
        (:func:`space_cjk`), since Chinese and Japanese put no spaces between words. No
        effect on text without such characters; ``False`` keeps the paper's white-space
        split only (for text already segmented into words, for instance).
    normalize_unicode : bool, default=True
        Bring the text to Unicode NFKC form and remove invisible control and format
        characters first (:func:`normalize_text`), so that a word typed with a combining
        accent, in full-width letters or with a soft hyphen inside is the same token as its
        plain spelling. ``False`` keeps the characters as they are (the paper's rules).

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

    0. With ``normalize_unicode``, the text is NFKC-normalised and loses its invisible
       control and format characters (:func:`normalize_text`).
    1. ``’``, ``‘`` and ``ʼ`` become ``'``; then the text is lower-cased if ``lowercase``.
    2. With ``split_cjk``, a space is put on both sides of every Han ideograph and Japanese
       kana (:func:`space_cjk`). The text is split on white space (``str.split()``:
       Unicode white space included).
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
    >>> tokenizer("日本語形態素解析システム (共有ライブラリ)")[:5]
    ['日', '本', '語', '形', '態']
    >>> tokenizer("Ｗｉｒｅｌｅｓｓ head\u00adphones")  # full-width, soft hyphen
    ['wireless', 'headphones']
    """

    def __init__(
        self,
        *,
        lowercase: bool = True,
        stop_words: Any = "english",
        split_cjk: bool = True,
        normalize_unicode: bool = True,
    ) -> None:
        for name, value in (
            ("lowercase", lowercase),
            ("split_cjk", split_cjk),
            ("normalize_unicode", normalize_unicode),
        ):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, got {type(value).__name__}.")
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.split_cjk = split_cjk
        self.normalize_unicode = normalize_unicode
        self.stop_words_set = _resolve_stop_words(stop_words, normalize_unicode)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Tokenizers pickled before split_cjk / normalize_unicode existed split on white
        # space only, and read the characters as they were.
        state.setdefault("split_cjk", False)
        state.setdefault("normalize_unicode", False)
        self.__dict__.update(state)

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
        if self.normalize_unicode:
            text = normalize_text(text)
        text = _ascii_apostrophes(text)
        if self.split_cjk:
            text = _space_cjk(text)
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
        return (
            f"Tokenizer(lowercase={self.lowercase!r}, stop_words={self.stop_words!r}, "
            f"split_cjk={self.split_cjk!r}, normalize_unicode={self.normalize_unicode!r})"
        )

    def _key(self) -> tuple[bool, frozenset[str], bool, bool]:
        return self.lowercase, self.stop_words_set, self.split_cjk, self.normalize_unicode

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tokenizer):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@validate_params(
    {
        "text": [str],
        "lowercase": ["boolean"],
        "stop_words": [StrOptions({"english"}), "array-like", set, frozenset, None],
        "split_cjk": ["boolean"],
        "normalize_unicode": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def tokenize(
    text: str,
    *,
    lowercase: bool = True,
    stop_words: Any = "english",
    split_cjk: bool = True,
    normalize_unicode: bool = True,
) -> list[str]:
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
    split_cjk : bool, default=True
        Make every Han ideograph and Japanese kana a token of its own (:func:`space_cjk`).
    normalize_unicode : bool, default=True
        NFKC-normalise the text and remove invisible control and format characters first
        (:func:`normalize_text`).

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
    return Tokenizer(
        lowercase=lowercase,
        stop_words=stop_words,
        split_cjk=split_cjk,
        normalize_unicode=normalize_unicode,
    )(text)
