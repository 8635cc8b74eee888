"""Docstrings of every public name are clean text.

A ``\\b`` or ``\\f`` in a docstring that is not a raw string is a control character
(backspace, form feed): it shows as garbage in ``help()`` and in the rendered API pages,
and no linter flags it, because ``"\\b"`` is a valid escape. Regular expressions in
parameter docs (``tfidf_token_pattern``'s default) are where this happens.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import skxml
from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier

# Control characters that a docstring can only hold by a slip; tab and newline are fine.
_CONTROL = {chr(code) for code in range(32)} - {"\t", "\n"}


def _public_objects():
    for module_info in pkgutil.walk_packages(skxml.__path__, "skxml."):
        if module_info.name.endswith("__main__"):
            continue  # running it parses the command line
        module = importlib.import_module(module_info.name)
        yield module_info.name, module
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            yield f"{module_info.name}.{name}", value
            if inspect.isclass(value):
                for member_name, member in vars(value).items():
                    if not member_name.startswith("_") or member_name == "__init__":
                        yield f"{module_info.name}.{name}.{member_name}", member


def test_public_docstrings_hold_no_control_characters():
    checked, dirty = 0, []
    for name, value in _public_objects():
        doc = inspect.getdoc(value) if not isinstance(value, property) else value.__doc__
        if not doc:
            continue
        checked += 1
        found = sorted({repr(char) for char in doc if char in _CONTROL})
        if found:
            dirty.append(f"{name}: {', '.join(found)}")
    assert checked > 50, f"only {checked} docstrings found: the walk is broken"
    assert not dirty, "control characters in docstrings (use a raw string or \\\\):\n" + "\n".join(
        dirty
    )


def test_token_pattern_default_is_documented_as_written():
    pattern = r"(?u)\b\w+\b"
    for estimator in (InceptionXMLClassifier, InceptionXMLPlusClassifier):
        assert estimator().tfidf_token_pattern == pattern
    assert f'default=r"{pattern}"' in InceptionXMLClassifier.__doc__
