"""Buckets (channel, brand_generic): their documented order and their fields in a result row."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kernel.packets import BRAND_GENERIC, CHANNELS, Term
from services.calc.domain.aggregates import Bucket
from services.calc.domain.rounding import ZERO_MONEY

_CHANNEL_RANK = {channel: rank for rank, channel in enumerate(CHANNELS)}
_DRUG_TYPE_RANK = {drug_type: rank for rank, drug_type in enumerate(BRAND_GENERIC)}


def bucket_order(bucket: Bucket) -> tuple[int, int]:
    """Channel in the order of calculations.md 1.1, then B before G."""
    return (_CHANNEL_RANK[bucket[0]], _DRUG_TYPE_RANK[bucket[1]])


def channel_order(channel: str) -> int:
    return _CHANNEL_RANK[channel]


def ordered_terms(terms: Iterable[Term]) -> list[Term]:
    return sorted(terms, key=lambda term: bucket_order(term.bucket))


def bucket_fields(bucket: Bucket) -> dict:
    return {"channel": bucket[0], "brand_generic": bucket[1]}


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO_MONEY)
