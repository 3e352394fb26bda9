"""How a result value is written for a reader (PDF, workbook): from its Decimal string, never through a float.

One module, so the PDF, the workbook and the cross-artifact agreement test format a figure the same way.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

COUNT_FIELDS = frozenset(("claims", "members", "brand_claims", "generic_claims"))
RATIO_FIELDS = frozenset(("actual_discount", "guaranteed_discount", "gdr"))
TEXT_FIELDS = frozenset(("channel", "brand_generic"))
# The one figure the executive summary shows for each formula.
HEADLINE = {"awp_discount_guarantee": "shortfall", "dispensing_fee_guarantee": "shortfall",
            "rebate_guarantee": "shortfall", "generic_dispensing_rate": "gdr", "repricing_savings": "total_savings"}
# Column headings as a reader reads them: one word for one result field in every table of the report.
FIELD_TITLES = {"claims": "Claims", "members": "Members", "awp": "AWP", "ingredient_cost": "Ingredient cost paid",
                "actual_discount": "Actual discount", "guaranteed_discount": "Guaranteed discount",
                "guaranteed_cost": "Guaranteed cost", "variance": "Variance", "fees": "Fees paid",
                "dispensing_fee": "Guaranteed fee per claim", "guaranteed_fees": "Guaranteed fees",
                "brand_claims": "Brand claims", "rebate_per_claim": "Guaranteed rebate per claim",
                "guaranteed": "Guaranteed rebates", "received": "Rebates received",
                "current_cost": "Current cost", "proposed_cost": "Proposed cost", "savings": "Savings",
                "generic_claims": "Generic claims", "gdr": "Generic dispensing rate", "shortfall": "Shortfall",
                "total_savings": "Total savings", "received_other": "Rebates received without a guarantee",
                "variance_total": "Variance total"}
NOT_APPLICABLE = "n/a"  # a null the result keeps in a formula that is not blocked (actual_discount when awp = 0)
_CENT, _BASIS_POINT = Decimal("0.01"), Decimal("0.01")


def money(value: Decimal) -> str:
    """`$12,981.60`, `-$1,019.50`; the result already has exactly 2 places, so nothing is rounded here."""
    if value != value.quantize(_CENT):
        raise ValueError(f"{value} has more places than money allows")
    sign = "-" if value < 0 else ""  # Decimal("-0.00") < 0 is False: zero is never signed
    return f"{sign}${abs(value):,.2f}"


def percent(value: Decimal) -> str:
    """A 4-place ratio as a percent with 2 places: `0.1832` → `18.32%` (a shift of the point, not a rounding)."""
    scaled = value * 100
    if scaled != scaled.quantize(_BASIS_POINT):
        raise ValueError(f"{value} has more places than a ratio allows")
    sign = "-" if scaled < 0 else ""
    return f"{sign}{abs(scaled):,.2f}%"


def count(value: int) -> str:
    return f"{value:,}"


def field_text(field: str, value: Any) -> str:
    """A result field's value as shown: counts grouped, ratios as percents, money in dollars, codes as written."""
    if value is None:
        return NOT_APPLICABLE
    if field in TEXT_FIELDS:
        return str(value)
    if field in COUNT_FIELDS or isinstance(value, int):
        return count(int(value))
    if field in RATIO_FIELDS:
        return percent(Decimal(value))
    return money(Decimal(value))

