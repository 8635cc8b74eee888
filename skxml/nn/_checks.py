"""Argument checks shared by the modules of :mod:`skxml.nn` (plain Python, no scikit-learn)."""

from __future__ import annotations

from numbers import Integral


def is_int_at_least(value: object, minimum: int) -> bool:
    """Whether ``value`` is an integer (Python or NumPy, not a bool) of at least ``minimum``."""
    return not isinstance(value, bool) and isinstance(value, Integral) and int(value) >= minimum


def check_positive_int(value: object, name: str) -> int:
    """Return ``value`` if it is an int >= 1 (not a bool), else raise a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return value


def check_dropout(value: object, name: str) -> float:
    """Return ``value`` as a float if it lies in [0, 1), else raise a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a float in [0, 1), got {value!r}.")
    return float(value)
