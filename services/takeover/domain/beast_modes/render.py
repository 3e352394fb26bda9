"""Replayed values as strings without float noise, and how a replayed value is compared with Domo's."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DOUBLE_DIGITS = 15  # a DOUBLE carries 15 significant decimal digits faithfully (DBL_DIG)
MATCH, DIFFERS, UNTRANSLATABLE = "match", "differs", "untranslatable"


def render(value: object) -> str | None:
    """DECIMAL and integers exactly (the SQL scale kept); DOUBLE to 15 significant digits, trailing zeros dropped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _double(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _double(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    rounded = Decimal(format(value, f".{DOUBLE_DIGITS}g"))
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def compare(replayed: str | None, recorded: str | None) -> str:
    """match when equal as numbers, or equal once the replayed value is rounded (half up) to the decimals Domo
    recorded (a card shows a rounded number); text values must be equal; differs otherwise."""
    if replayed is None or recorded is None or recorded == "":
        return MATCH if replayed is None and not recorded else DIFFERS
    ours, theirs = _number(replayed), _number(recorded)
    if ours is None or theirs is None:
        return MATCH if replayed == recorded else DIFFERS
    if ours == theirs:
        return MATCH
    exponent = theirs.as_tuple().exponent
    if isinstance(exponent, int) and exponent > ours.as_tuple().exponent:  # type: ignore[operator]
        return MATCH if ours.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) == theirs else DIFFERS
    return DIFFERS


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
