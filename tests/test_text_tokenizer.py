"""Tests for skxml.text's tokenizer and stop-word lists."""

from __future__ import annotations

import pickle
import string
import unicodedata
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils._param_validation import InvalidParameterError

from skxml.text import Tokenizer, _stop_words, get_stop_words, normalize_text, tokenize

BUNDLED = get_stop_words("english", source="bundled")


@pytest.fixture
def fresh_stop_word_cache():
    """Empty the stop-word cache before and after a test that fakes NLTK."""
    _stop_words._cached_stop_words.cache_clear()
    yield
    _stop_words._cached_stop_words.cache_clear()


def _fake_nltk(monkeypatch, words=None, error=None):
    calls = []

    def loader(name):
        calls.append(name)
        if error is not None:
            raise error
        return list(words)

    monkeypatch.setattr(_stop_words, "_load_nltk_stop_words", loader)
    return calls


# --------------------------------------------------------------------------------------
# tokenize: the paper's rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("The e-mail client", ["e-mail", "client"]),
        ("x.org 2.0 server.", ["x.org", "2.0", "server"]),
        ("C++ and C# (.NET)", ["c", "c", "net"]),
        ("“Quoted” – dash … ellipsis", ["quoted", "dash", "ellipsis"]),
        ("¿Qué tal? «café» naïve", ["qué", "tal", "café", "naïve"]),
        ("I ❤️ Python 🐍", ["❤️", "python", "🐍"]),
        ("--- ... !!! “”", []),
        ("", []),
        ("  \t\n  ", []),
        ("tab\tseparated\nlines\u00a0nbsp\u2003em", ["tab", "separated", "lines", "nbsp", "em"]),
        # NFKC, then invisible characters removed, also inside words (normalize_unicode).
        ("zero\u200bwidth \u200bword\u200b", ["zerowidth", "word"]),
        ("cafe\u0301 caf\u00e9", ["caf\u00e9", "caf\u00e9"]),
        ("Ｗｉｒｅｌｅｓｓ ｈｅａｄｐｈｏｎｅｓ　２０２２", ["wireless", "headphones", "2022"]),
        ("wire\u00adless \ufb01le right\u200fto\u200eleft", ["wireless", "file", "righttoleft"]),
        ("\ufeffBOM text\x00", ["bom", "text"]),
        ("$100 50% #1 <tag> [x] {z} a_b_", ["100", "50", "1", "tag", "x", "z", "a_b"]),
        ("€5 30°", ["€5", "30°"]),
        ("Library for the X.Org server", ["library", "x.org", "server"]),
    ],
)
def test_tokenize_paper_rules(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don't stop", ["stop"]),
        ("DON'T stop", ["stop"]),
        ("don’t stop", ["stop"]),  # typographic apostrophe
        ("isn't won't shouldn't", []),
        ("can't", ["can't"]),  # not in NLTK's list
        ("i'm here", ["i'm"]),  # added to NLTK's list only in 2025; not in the bundled one
        ("don t", []),  # the apostrophe-less halves are stop words too
        ("it's ok", ["ok"]),
        ("gateway’s address", ["gateway's", "address"]),
        ("'quoted' ‘single’", ["quoted", "single"]),
    ],
)
def test_tokenize_contractions(text, expected):
    assert tokenize(text, stop_words=BUNDLED) == expected


def test_tokenize_lowercase_false_keeps_case_and_matches_stop_words_case_insensitively():
    assert tokenize("The GNU Library for X", lowercase=False) == ["GNU", "Library", "X"]
    assert tokenize("The GNU", lowercase=False, stop_words=None) == ["The", "GNU"]


@pytest.mark.parametrize(
    "stop_words",
    [
        ["library", "SERVER"],
        ("library", "server"),
        {"library", "server"},
        frozenset({"server", "library"}),
    ],
)
def test_tokenize_custom_stop_words(stop_words):
    assert tokenize("The Library for the X.Org server", stop_words=stop_words) == [
        "the",
        "for",
        "the",
        "x.org",
    ]


@pytest.mark.parametrize("apostrophe", ["\u2019", "\u2018", "\u02bc", "'"])
def test_custom_stop_words_with_typographic_apostrophes_match_as_texts_do(apostrophe):
    stop_words = [f"don{apostrophe}t", "i"]
    assert tokenize("I don\u2019t know; don't ask", stop_words=stop_words) == ["know", "ask"]


def test_tokenize_stop_words_none_keeps_every_word():
    assert tokenize("the of and", stop_words=None) == ["the", "of", "and"]
    assert tokenize("the of and") == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"text": None}, InvalidParameterError, "'text' parameter"),
        ({"text": ["a b"]}, InvalidParameterError, "'text' parameter"),
        ({"text": "a", "stop_words": "french"}, InvalidParameterError, "'stop_words'"),
        ({"text": "a", "stop_words": 3}, InvalidParameterError, "'stop_words'"),
        ({"text": "a", "lowercase": "yes"}, InvalidParameterError, "'lowercase'"),
        ({"text": "a", "stop_words": ["ok", 1]}, TypeError, "only strings"),
    ],
)
def test_tokenize_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        tokenize(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lowercase": 1}, TypeError, "lowercase must be a bool"),
        ({"stop_words": "french"}, ValueError, "'english', None or a collection"),
        ({"stop_words": 3}, TypeError, "'english', None or a collection"),
        ({"stop_words": [b"the"]}, TypeError, "only strings"),
    ],
)
def test_tokenizer_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Tokenizer(**kwargs)


def test_tokenizer_rejects_non_string_text():
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        Tokenizer()(b"bytes text")


def test_tokenizer_pickle_round_trip_keeps_behaviour_and_stop_words():
    tokenizer = Tokenizer(lowercase=False, stop_words=["gnu"])
    loaded = pickle.loads(pickle.dumps(tokenizer))
    assert loaded == tokenizer
    assert hash(loaded) == hash(tokenizer)
    assert loaded.stop_words_set == frozenset({"gnu"})
    assert loaded("The GNU C Library") == tokenizer("The GNU C Library") == ["The", "C", "Library"]
    assert repr(loaded) == (
        "Tokenizer(lowercase=False, stop_words=['gnu'], split_cjk=True, normalize_unicode=True)"
    )


def test_tokenizer_equality_compares_options():
    assert Tokenizer() == Tokenizer(stop_words=BUNDLED | get_stop_words())
    assert Tokenizer() != Tokenizer(stop_words=None)
    assert Tokenizer() != Tokenizer(lowercase=False)
    assert Tokenizer() != "Tokenizer()"


def test_tokenize_megabyte_text():
    # Linear time: a quadratic strip or join would not finish this in the test's lifetime.
    sentence = "Library for the X.Org server, development files (GTK+ 3.0) “quoted” — ok. "
    text = sentence * 15_000
    assert len(text) > 1_000_000
    tokens = tokenize(text)
    assert len(tokens) == 15_000 * len(tokenize(sentence))
    assert tokens[:9] == [
        "library",
        "x.org",
        "server",
        "development",
        "files",
        "gtk",
        "3.0",
        "quoted",
        "ok",
    ]


def _is_strippable(char):
    return (
        char in string.punctuation
        or unicodedata.category(char)[0] == "P"
        or unicodedata.category(char) in ("Cc", "Cf")
    )


_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"abcXYZ019 -'.,!?()+#\t\n", "é", "ß", "’", "“", "”", "…", "–", "🐍", "\u200b", "\u00a0"]
    ),
    max_size=60,
) | st.text(max_size=40)


@settings(max_examples=50, deadline=None)
@given(text=_TEXT)
def test_tokenize_invariants(text):
    tokens = tokenize(text)
    stop = get_stop_words()
    for token in tokens:
        assert token
        assert not any(char.isspace() for char in token)
        assert not _is_strippable(token[0]) and not _is_strippable(token[-1])
        assert token not in stop
    assert Tokenizer()(text) == tokens
    # Tokenizing the tokens again changes nothing; nor does normalising twice.
    assert tokenize(" ".join(tokens)) == tokens
    assert normalize_text(normalize_text(text)) == normalize_text(text)


# --------------------------------------------------------------------------------------
# get_stop_words


def test_get_stop_words_bundled_is_nltks_179_word_list():
    words = get_stop_words("english", source="bundled")
    assert isinstance(words, frozenset)
    assert len(words) == 179
    assert {"i", "me", "the", "don", "don't", "t", "s", "wouldn't", "any"} <= words
    assert not {"i'm", "he's", "can't", "cannot"} & words
    lines = resources.files("skxml.text").joinpath("data", "english_stop_words.txt")
    raw = lines.read_text("utf-8").splitlines()
    assert len(raw) == len(set(raw)) == 179
    assert raw[:3] == ["i", "me", "my"] and raw[-1] == "wouldn't"
    assert all(word == word.strip().lower() and word for word in raw)


def test_get_stop_words_bundled_has_provenance_readme():
    readme = resources.files("skxml.text").joinpath("data", "README.md").read_text("utf-8")
    assert "nltk_data" in readme and "179" in readme and "Snowball" in readme


def test_get_stop_words_auto_falls_back_to_bundled(monkeypatch, fresh_stop_word_cache):
    calls = _fake_nltk(monkeypatch, error=LookupError("Resource stopwords not found."))
    assert get_stop_words() == BUNDLED
    assert calls == ["english"]


def test_get_stop_words_auto_prefers_installed_nltk_corpus(monkeypatch, fresh_stop_word_cache):
    calls = _fake_nltk(monkeypatch, words=["the", " python ", ""])
    assert get_stop_words() == frozenset({"the", "python"})
    assert get_stop_words() is get_stop_words()  # cached
    assert calls == ["english"]
    assert tokenize("The Python language") == ["language"]


def test_get_stop_words_nltk_source(monkeypatch, fresh_stop_word_cache):
    _fake_nltk(monkeypatch, words=["le", "la"])
    assert get_stop_words("french", source="nltk") == frozenset({"le", "la"})


def test_get_stop_words_nltk_source_missing_corpus(monkeypatch, fresh_stop_word_cache):
    _fake_nltk(monkeypatch, error=LookupError("*****\n  Resource stopwords not found.\n"))
    with pytest.raises(LookupError, match=r"not installed .*nltk.downloader stopwords") as info:
        get_stop_words(source="nltk")
    # NLTK's banner opens with a line of asterisks: the message quotes its first words.
    assert "(NLTK said: Resource stopwords not found.)" in str(info.value)


def test_get_stop_words_bundled_ignores_nltk(monkeypatch, fresh_stop_word_cache):
    calls = _fake_nltk(monkeypatch, words=["python"])
    assert get_stop_words(source="bundled") == BUNDLED
    assert calls == []


def test_get_stop_words_unknown_bundled_language(monkeypatch, fresh_stop_word_cache):
    _fake_nltk(monkeypatch, error=LookupError("missing"))
    with pytest.raises(ValueError, match="No bundled stop-word list named 'french'"):
        get_stop_words("french")
    with pytest.raises(ValueError, match="bundles only"):
        get_stop_words("french", source="bundled")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"name": 3}, "'name' parameter"), ({"source": "web"}, "'source' parameter")],
)
def test_get_stop_words_invalid_arguments(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        get_stop_words(**kwargs)


@pytest.mark.parametrize("error", [LookupError("no corpus"), OSError("no file english")])
def test_load_nltk_stop_words_reports_lookup_error(monkeypatch, error):
    import nltk.corpus

    class FakeCorpus:
        def words(self, name):
            raise error

    monkeypatch.setattr(nltk.corpus, "stopwords", FakeCorpus())
    with pytest.raises(LookupError):
        _stop_words._load_nltk_stop_words("english")


def test_get_stop_words_auto_with_real_nltk_prints_nothing(capsys, fresh_stop_word_cache):
    words = get_stop_words(source="auto")
    # 179 words (bundled, or NLTK's corpus before 2025) or 198 (NLTK's corpus since 2025).
    assert BUNDLED <= words and len(words) in (179, 198)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
