"""Buckets (channel, brand_generic): their documented order, grouping of claims, and the per-claim awp_ext."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Iterable

from runtime.packets import BRAND_GENERIC, CHANNELS, Term
from services.calc.domain.claims import Claim
from services.calc.domain.rounding import ZERO_MONEY, round2

Bucket = tuple[str, str]
_CHANNEL_RANK = {channel: rank for rank, channel in enumerate(CHANNELS)}
_DRUG_TYPE_RANK = {drug_type: rank for rank, drug_type in enumerate(BRAND_GENERIC)}


def bucket_order(bucket: Bucket) -> tuple[int, int]:
    """Channel in the order of calculations.md 1.1, then B before G."""
    return (_CHANNEL_RANK[bucket[0]], _DRUG_TYPE_RANK[bucket[1]])


def channel_order(channel: str) -> int:
    return _CHANNEL_RANK[channel]


def ordered_terms(terms: Iterable[Term]) -> list[Term]:
    return sorted(terms, key=lambda term: bucket_order(term.bucket))


def group_by_bucket(claims: Iterable[Claim]) -> dict[Bucket, list[Claim]]:
    groups: dict[Bucket, list[Claim]] = defaultdict(list)
    for claim in claims:
        groups[(claim.channel, claim.brand_generic)].append(claim)
    return groups


def bucket_fields(bucket: Bucket) -> dict:
    return {"channel": bucket[0], "brand_generic": bucket[1]}


def awp_ext(claim: Claim) -> Decimal:
    """round2(awp_unit_price × quantity), per eligible claim, before any summing."""
    return round2(claim.awp_unit_price * claim.quantity)


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO_MONEY)


def distinct_members(claims: Iterable[Claim]) -> int:
    return len({claim.member_id for claim in claims})
