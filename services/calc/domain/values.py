"""Parsers from a CSV field, exactly as written, to a typed value; each returns INVALID when the rule fails."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

INVALID = object()
Parser = Callable[[str], object]


def _ascii_digits(text: str) -> bool:
    # isdecimal alone accepts non-ASCII digits such as Arabic-Indic ones.
    return text.isdecimal() and text.isascii()


def any_text(text: str) -> object:
    return text


def non_empty(text: str) -> object:
    return text if text else INVALID


def one_of(*allowed: str) -> Parser:
    choices = frozenset(allowed)
    return lambda text: text if text in choices else INVALID


def yes_no(text: str) -> object:
    return True if text == "Y" else False if text == "N" else INVALID


def digits(count: int) -> Parser:
    return lambda text: text if len(text) == count and _ascii_digits(text) else INVALID


@lru_cache(maxsize=8192)
def iso_date(text: str) -> object:
    """`YYYY-MM-DD` only: date.fromisoformat would also take `YYYYMMDD` and week dates."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return INVALID
    year, month, day = text[:4], text[5:7], text[8:]
    if not (_ascii_digits(year) and _ascii_digits(month) and _ascii_digits(day)):
        return INVALID
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return INVALID


def positive_integer(text: str) -> object:
    if not _ascii_digits(text):
        return INVALID
    value = int(text)
    return value if value >= 1 else INVALID


def decimal(places: int, positive: bool = False) -> Parser:
    """ASCII digits, optionally a point and at least one digit; no sign, exponent or grouping."""

    def parse(text: str) -> object:
        whole, point, fraction = text.partition(".")
        if not _ascii_digits(whole) or (point and not _ascii_digits(fraction)) or len(fraction) > places:
            return INVALID
        value = Decimal(text)
        return INVALID if positive and not value else value

    return parse
