"""The claim findings gathered row by row as extract.csv is written: one pass over the claims, bounded memory.

It reads each row as the extract spells it (the cells `ExtractWriter` writes), so the service, which writes
calc's claims straight from the wire, and `leaf report`, which writes typed rows, gather the same findings.
Memory: a set of member pseudonyms per bucket it counts members in, a sum per unguaranteed bucket, and at most
`listed` suspect claims — never a list of every claim.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kernel.claim_reasons import ELIGIBLE
from kernel.packets import BRAND_GENERIC, CHANNELS
from kernel.sufficiency import REBATE, REPRICING
from services.publisher.domain.claim_findings import (
    SUSPECT_CHANNEL_LISTED,
    Bucket,
    BucketSpend,
    ClaimFindings,
    SuspectClaim,
)
from services.publisher.domain.extract import EXTRACT_COLUMNS, ExtractRow, cells_of

NO_TERM = "no_term"
SUSPECT_CHANNEL, SUSPECT_DAYS = "RETAIL_30", 84   # calculations.md 2, step 3
_AT = {name: index for index, name in enumerate(EXTRACT_COLUMNS)}
_CHANNEL, _BRAND_GENERIC, _MEMBER = _AT["channel"], _AT["brand_generic"], _AT["member_key"]
_DAYS, _FEE, _REBATE, _REPRICING = (_AT["days_supply"], _AT["dispensing_fee_excluded"], _AT["rebate_excluded"],
                                    _AT["repricing_excluded"])
_COST, _FEES = _AT["ingredient_cost_paid"], _AT["dispensing_fee_paid"]
ZERO = Decimal("0.00")


@dataclass
class _Spend:
    claims: int = 0
    members: set[str] = field(default_factory=set)
    ingredient_cost: Decimal = ZERO
    dispensing_fees: Decimal = ZERO


def _bucket_order(bucket: Bucket) -> tuple[int, int]:
    return CHANNELS.index(bucket[0]), BRAND_GENERIC.index(bucket[1])


def _result_buckets(result: dict, formula_id: str) -> list[Bucket]:
    formula = next((f for f in result["formulas"] if f["id"] == formula_id), None)
    return [] if formula is None else [(b["channel"], b["brand_generic"]) for b in formula["buckets"]]


class FindingsPass:
    """Feed it every extract row (`add`), in row order; `findings()` then gives the run's ClaimFindings."""

    def __init__(self, result: dict, listed: int = SUSPECT_CHANNEL_LISTED) -> None:
        self._listed = listed
        self._unguaranteed: dict[Bucket, _Spend] = {}
        self._unguaranteed_rebate: dict[Bucket, _Spend] = {}
        self._suspects: list[SuspectClaim] = []
        self._suspect_count = 0
        # Members are counted only for the formula buckets the result has: rebate channels, proposal terms.
        self._members: dict[str, tuple[int, dict[Bucket, set[str]]]] = {
            formula_id: (column, {bucket: set() for bucket in _result_buckets(result, formula_id)})
            for formula_id, column in ((REBATE, _REBATE), (REPRICING, _REPRICING))
            if any(f["id"] == formula_id for f in result["formulas"])}

    def add(self, cells: list[str]) -> None:
        channel = cells[_CHANNEL]
        if cells[_FEE] == NO_TERM:
            _add_spend(self._unguaranteed, cells)
        if cells[_REBATE] == NO_TERM:
            _add_spend(self._unguaranteed_rebate, cells)
        if channel == SUSPECT_CHANNEL and int(cells[_DAYS]) >= SUSPECT_DAYS:
            self._suspect_count += 1
            if len(self._suspects) < self._listed:
                self._suspects.append(_suspect(cells))
        for column, buckets in self._members.values():
            if cells[column] == ELIGIBLE:
                members = buckets.get((channel, cells[_BRAND_GENERIC]))
                if members is not None:
                    members.add(cells[_MEMBER])

    def findings(self) -> ClaimFindings:
        return ClaimFindings(
            unguaranteed=_spends(self._unguaranteed),
            unguaranteed_rebate=_spends(self._unguaranteed_rebate),
            suspect_channel=tuple(self._suspects),
            suspect_channel_count=self._suspect_count,
            eligible_members={formula_id: {bucket: len(members) for bucket, members in buckets.items()}
                              for formula_id, (_, buckets) in self._members.items()},
            suspect_channel_listed=self._listed)


def _add_spend(spends: dict[Bucket, _Spend], cells: list[str]) -> None:
    bucket = (cells[_CHANNEL], cells[_BRAND_GENERIC])
    spend = spends.get(bucket)
    if spend is None:
        spend = spends[bucket] = _Spend()
    spend.claims += 1
    spend.members.add(cells[_MEMBER])
    spend.ingredient_cost += Decimal(cells[_COST])
    spend.dispensing_fees += Decimal(cells[_FEES])


def _spends(spends: dict[Bucket, _Spend]) -> tuple[BucketSpend, ...]:
    return tuple(BucketSpend(bucket[0], bucket[1], s.claims, len(s.members), s.ingredient_cost, s.dispensing_fees)
                 for bucket, s in sorted(spends.items(), key=lambda i: _bucket_order(i[0])))


def gathered_from(rows: Iterable[ExtractRow], result: dict) -> ClaimFindings:
    """The findings of rows written without gathering them (a WrittenExtract from elsewhere): one more pass."""
    gather = FindingsPass(result)
    for row in rows:
        gather.add(cells_of(row))
    return gather.findings()


def _suspect(cells: list[str]) -> SuspectClaim:
    return SuspectClaim(int(cells[_AT["row"]]), cells[_AT["claim_id"]], date.fromisoformat(cells[_AT["fill_date"]]),
                        cells[_AT["ndc"]], cells[_AT["drug_name"]], int(cells[_DAYS]), Decimal(cells[_AT["quantity"]]),
                        Decimal(cells[_COST]), Decimal(cells[_FEES]))
