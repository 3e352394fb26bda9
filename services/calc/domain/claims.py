"""The normalized claim shape of calculations.md 1.1: columns in table order, typed claims, rejects and a batch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

CLAIM_COLUMNS: tuple[str, ...] = (
    "claim_id", "claim_status", "reverses_claim_id",
    "client_id", "pbm_id", "tpa_id", "group_id", "member_id",
    "fill_date", "ndc", "drug_name", "brand_generic", "channel", "basis_of_cost", "compound",
    "days_supply", "quantity", "awp_unit_price",
    "ingredient_cost_paid", "dispensing_fee_paid", "member_paid", "plan_paid",
    "pharmacy_npi",
)

PAID, REVERSAL = "PAID", "REVERSAL"
BASES_OF_COST = ("AWP", "MAC", "UC", "OTHER")


@dataclass(frozen=True, slots=True)
class Claim:
    """A valid row; `row` is its 1-based data record number (header excluded)."""

    row: int
    claim_id: str
    claim_status: str
    reverses_claim_id: str
    client_id: str
    pbm_id: str
    tpa_id: str
    group_id: str
    member_id: str
    fill_date: date
    ndc: str
    drug_name: str
    brand_generic: str
    channel: str
    basis_of_cost: str
    compound: bool
    days_supply: int
    quantity: Decimal
    awp_unit_price: Decimal
    ingredient_cost_paid: Decimal
    dispensing_fee_paid: Decimal
    member_paid: Decimal
    plan_paid: Decimal
    # Last and defaulted so stores that never kept the NPI can still build claims; no formula reads it.
    pharmacy_npi: str = ""

    @property
    def bucket(self) -> tuple[str, str]:
        return (self.channel, self.brand_generic)


@dataclass(frozen=True, slots=True)
class Reject:
    """A rejected row with the raw scope hints that decide whether it counts against a scope.

    The hints are None when the row's field count differs from the header's (then nothing is known);
    fill_date is set only when it is a valid date.
    """

    row: int
    reason: str
    shape_ok: bool
    client_id: str | None
    pbm_id: str | None
    tpa_id: str | None
    group_id: str | None
    fill_date: date | None


@dataclass
class ClaimsBatch:
    """Everything read from one claims input.

    `claims` may be a superset of one scope's valid rows (a store pre-filters), while `valid_count`
    stays the count of all valid rows of the input, so rows_out_of_scope = valid_count − in-scope rows.
    """

    sha256: str
    rows_read: int
    claims: list[Claim]
    rejects: list[Reject]
    valid_count: int
