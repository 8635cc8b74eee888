"""Stop-word lists: NLTK's English list, from NLTK's corpus or the bundled copy."""

from __future__ import annotations

import functools
from importlib import resources

from sklearn.utils._param_validation import StrOptions, validate_params

_BUNDLED = {"english": "english_stop_words.txt"}


def _load_bundled_stop_words(name: str) -> list[str]:
    if name not in _BUNDLED:
        raise ValueError(
            f"No bundled stop-word list named {name!r}; skxml bundles only "
            f"{sorted(_BUNDLED)}. Install NLTK's 'stopwords' corpus and use source='nltk' "
            "for other languages."
        )
    text = resources.files("skxml.text").joinpath("data", _BUNDLED[name]).read_text("utf-8")
    return text.split()


def _load_nltk_stop_words(name: str) -> list[str]:
    """Return NLTK's stop-word list ``name``; raise ``LookupError`` when it is not installed.

    NLTK is imported here, not at module level: importing it takes about a second.
    """
    try:
        from nltk.corpus import stopwords
    except ImportError as exc:  # pragma: no cover - nltk is a runtime dependency
        raise LookupError(f"NLTK cannot be imported: {exc}") from exc
    try:
        return list(stopwords.words(name))
    except OSError as exc:
        # An installed corpus without this language raises OSError (no such file).
        raise LookupError(f"NLTK's stopwords corpus has no list named {name!r}.") from exc


def _first_words(exc: Exception) -> str:
    """The first line of an exception's message that has a letter or digit in it (NLTK's
    LookupError opens with a line of asterisks)."""
    for line in str(exc).splitlines():
        if any(character.isalnum() for character in line):
            return line.strip()
    return "not found"


@functools.cache
def _cached_stop_words(name: str, source: str) -> frozenset[str]:
    if source == "bundled":
        words = _load_bundled_stop_words(name)
    elif source == "nltk":
        try:
            words = _load_nltk_stop_words(name)
        except LookupError as exc:
            # NLTK's own message is a 20-line banner; say what to do in one sentence.
            raise LookupError(
                f"NLTK's stop-word list {name!r} is not installed (NLTK said: "
                f"{_first_words(exc)}). Install it with `python -m nltk.downloader "
                "stopwords`, or use source='bundled' or source='auto'."
            ) from None
    else:  # "auto"
        try:
            words = _load_nltk_stop_words(name)
        except LookupError:
            words = _load_bundled_stop_words(name)
    return frozenset(word.strip() for word in words if word.strip())


@validate_params(
    {"name": [str], "source": [StrOptions({"auto", "bundled", "nltk"})]},
    prefer_skip_nested_validation=True,
)
def get_stop_words(name: str = "english", *, source: str = "auto") -> frozenset[str]:
    """Return a stop-word list, from NLTK's installed corpus or skxml's bundled copy.

    The result is cached per ``(name, source)`` for the life of the process.

    Parameters
    ----------
    name : str, default="english"
        Language of the list, as NLTK names it. Only ``"english"`` is bundled; other
        languages need NLTK's ``stopwords`` corpus.
    source : {"auto", "bundled", "nltk"}, default="auto"
        Where the list comes from:

        - ``"auto"``: NLTK's installed ``stopwords`` corpus when available, else the bundled
          copy (silently: both are NLTK's list).
        - ``"bundled"``: the copy shipped with skxml (the 179-word NLTK English list, see
          ``skxml/text/data/README.md``), independent of the machine.
        - ``"nltk"``: NLTK's installed corpus only.

    Returns
    -------
    stop_words : frozenset of str
        The lower-case stop words.

    Raises
    ------
    LookupError
        If ``source="nltk"`` and NLTK's corpus (or that language) is not installed.
    ValueError
        If ``source="bundled"`` (or ``"auto"`` without NLTK's corpus) and ``name`` is not a
        bundled list.

    Notes
    -----
    Since February 2025 nltk_data's English list has 198 words (19 pronoun contractions
    such as ``"i'm"`` were added); the bundled copy is the earlier 179-word list used in the
    InceptionXML paper's time. With ``source="auto"`` the list therefore depends on the
    installed corpus; pass ``source="bundled"`` for results that do not depend on the
    machine. The first ``"auto"`` or ``"nltk"`` call imports NLTK, which takes about a
    second.

    Examples
    --------
    >>> from skxml.text import get_stop_words
    >>> stop_words = get_stop_words("english", source="bundled")
    >>> len(stop_words)
    179
    >>> sorted(word for word in stop_words if word.startswith("do"))
    ['do', 'does', 'doesn', "doesn't", 'doing', 'don', "don't", 'down']
    """
    return _cached_stop_words(name, source)
