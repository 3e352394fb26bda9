"""round2 / round4 of calculations.md 2: half up (away from zero) applied to the exact value, never a float."""
from __future__ import annotations

import decimal
from contextlib import AbstractContextManager
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# Sums and products of the money path are exact: precision is unbounded and any rounding raises, so a
# value can only lose digits through round2/round4. Quotients never go through Decimal division at all.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                         traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Rounded,
                                decimal.DivisionByZero, decimal.Overflow])
_QUANTIZE = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                            rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation])
CENT, TEN_THOUSANDTH = Decimal("0.01"), Decimal("0.0001")
ZERO_MONEY = Decimal("0.00")
_STEP = {2: CENT, 4: TEN_THOUSANDTH}


def exact_arithmetic() -> AbstractContextManager:
    """A decimal context in which + and × are exact (and anything inexact raises)."""
    return decimal.localcontext(_EXACT)


def round2(value: Decimal | Fraction | int) -> Decimal:
    return _round(value, 2)


def round4(value: Decimal | Fraction | int) -> Decimal:
    return _round(value, 4)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Fraction:
    """The exact quotient, to be rounded by round4 rather than divided to a working precision."""
    return Fraction(numerator) / Fraction(denominator)


def _round(value: Decimal | Fraction | int, places: int) -> Decimal:
    if isinstance(value, Fraction):
        return _round_fraction(value, places)
    rounded = (value if isinstance(value, Decimal) else Decimal(value)).quantize(_STEP[places], context=_QUANTIZE)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _round_fraction(value: Fraction, places: int) -> Decimal:
    scaled = abs(value) * 10**places
    # floor(x + 1/2) on the magnitude is half up, away from zero.
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    sign = 1 if value < 0 and units else 0
    return Decimal((sign, tuple(int(d) for d in str(units)), -places))
