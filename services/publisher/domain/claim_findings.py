"""What an auditor finds in the claims beyond the formulas' totals, gathered in the one pass over the netted claims.

- unguaranteed buckets: claims in a channel and drug type the contract has no term for (`no_term`) — no shortfall
  can be measured on them, so each is an audit finding with its claims and spend;
- suspect_channel claims: RETAIL_30 claims with days_supply ≥ 84 (calculations.md 2, step 3), listed for review;
- eligible members per formula bucket, for the tables whose result rows carry no member count (rebate,
  repricing), so small-cell suppression can judge every table that can describe a bucket.

Nothing here changes a figure of the result; it explains and lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

Bucket = tuple[str, str]   # (channel, brand_generic)
# Suspect claims kept for listing (in row order); every one is counted. A workbook lists 10,000 rows comfortably,
# and a run with more has a data problem no longer list would explain better.
SUSPECT_CHANNEL_LISTED = 10_000


@dataclass(frozen=True)
class BucketSpend:
    """An unguaranteed bucket: netted claims with no contract term for their channel and drug type."""

    channel: str
    brand_generic: str
    claims: int
    members: int
    ingredient_cost: Decimal
    dispensing_fees: Decimal

    @property
    def spend(self) -> Decimal:
        return self.ingredient_cost + self.dispensing_fees


@dataclass(frozen=True)
class SuspectClaim:
    """A RETAIL_30 claim with 84 or more days' supply, as the extract shows it (no member field)."""

    row: int
    claim_id: str
    fill_date: date
    ndc: str
    drug_name: str
    days_supply: int
    quantity: Decimal
    ingredient_cost_paid: Decimal
    dispensing_fee_paid: Decimal


@dataclass(frozen=True)
class ClaimFindings:
    unguaranteed: tuple[BucketSpend, ...] = ()
    suspect_channel: tuple[SuspectClaim, ...] = ()    # in row order, at most `suspect_channel_listed` of them
    suspect_channel_count: int = 0                    # all of them (equals data_quality.suspect_channel)
    # formula_id → bucket → distinct members among the formula's eligible claims of that bucket: rebate_guarantee
    # (each channel's B bucket) and repricing_savings (each proposal term bucket), when the run has the formula
    eligible_members: dict[str, dict[Bucket, int]] = field(default_factory=dict)
    suspect_channel_listed: int = SUSPECT_CHANNEL_LISTED   # the most `suspect_channel` holds
    # Brand claims in a channel without a rebate term (rebate_guarantee's `no_term`): no rebate is guaranteed on
    # them, yet rebates received in such channels (received_other) offset the rebate shortfall.
    unguaranteed_rebate: tuple[BucketSpend, ...] = ()

    @property
    def suspect_channel_unlisted(self) -> int:
        """Suspect claims counted but not listed (past `suspect_channel_listed`)."""
        return self.suspect_channel_count - len(self.suspect_channel)
