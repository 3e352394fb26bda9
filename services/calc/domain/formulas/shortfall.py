"""The offset rule of calculations.md 3: how bucket variances net in groups before each group is floored at zero."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from services.calc.domain.amounts import money_text
from services.calc.domain.formulas.buckets import bucket_order
from services.calc.domain.rounding import ZERO_MONEY

Bucket = tuple[str, str]

# Which buckets may offset each other, named as the result shows the group: every bucket alone, per channel,
# per drug type, or all together.
_GROUP_OF: dict[str, Callable[[Bucket], str]] = {
    "none": lambda bucket: f"{bucket[0]}/{bucket[1]}",
    "within_channel": lambda bucket: bucket[0],
    "within_drug_type": lambda bucket: bucket[1],
    "all": lambda bucket: "all",
}


def offset_groups(variances: dict[Bucket, Decimal], offset: str) -> list[tuple[str, Decimal, Decimal]]:
    """(group, Σ variance, max(0, Σ variance)) per netting group, in bucket order: surpluses offset only inside a
    group and are never paid back. Bucket order puts B before G only within a channel, so drug types sort apart."""
    group_of = _GROUP_OF[offset]
    sums: dict[str, Decimal] = {}
    for bucket in sorted(variances, key=bucket_order):
        group = group_of(bucket)
        sums[group] = sums.get(group, ZERO_MONEY) + variances[bucket]
    groups = sorted(sums) if offset == "within_drug_type" else list(sums)  # "B" then "G"
    return [(group, sums[group], max(ZERO_MONEY, sums[group])) for group in groups]


def netting(variances: dict[Bucket, Decimal], offset: str) -> dict:
    """The result's `offset`, `offset_groups` and `shortfall` (= Σ of the groups' shortfalls), in that order."""
    groups = offset_groups(variances, offset)
    return {"offset": offset,
            "offset_groups": [{"group": group, "variance": money_text(variance), "shortfall": money_text(shortfall)}
                              for group, variance, shortfall in groups],
            "shortfall": money_text(sum((shortfall for _, _, shortfall in groups), ZERO_MONEY))}
