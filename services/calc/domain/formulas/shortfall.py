"""The offset rule of calculations.md 3: how bucket variances net before a shortfall is floored at zero."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from services.calc.domain.rounding import ZERO_MONEY

Bucket = tuple[str, str]

# Which buckets may offset each other: every bucket alone, per channel, per drug type, or all together.
_OFFSET_GROUP: dict[str, Callable[[Bucket], object]] = {
    "none": lambda bucket: bucket,
    "within_channel": lambda bucket: bucket[0],
    "within_drug_type": lambda bucket: bucket[1],
    "all": lambda bucket: None,
}


def shortfall(variances: dict[Bucket, Decimal], offset: str) -> Decimal:
    """Σ over offset groups of max(0, Σ variance): surpluses offset only inside a group and are never paid back."""
    group_of = _OFFSET_GROUP[offset]
    sums: dict[object, Decimal] = defaultdict(lambda: ZERO_MONEY)
    for bucket, variance in variances.items():
        sums[group_of(bucket)] += variance
    return sum((max(ZERO_MONEY, s) for s in sums.values()), ZERO_MONEY)
