"""The text form of result decimals: money with 2 places, ratios with 4, exactly (never re-rounded here)."""
from __future__ import annotations

from decimal import Decimal

from services.calc.domain.rounding import round2, round4


def money_text(value: Decimal | int) -> str:
    return _text(value, round2(value))


def ratio_text(value: Decimal) -> str:
    return _text(value, round4(value))


def optional_ratio_text(value: Decimal | None) -> str | None:
    return None if value is None else ratio_text(value)


def optional_money_text(value: Decimal | None) -> str | None:
    return None if value is None else money_text(value)


def _text(value: Decimal | int, placed: Decimal) -> str:
    # Only the places change: a value that needed rounding here would mean a formula skipped its round2/round4.
    if placed != value:
        raise ValueError(f"{value} has more places than its kind allows")
    return format(placed, "f")
