"""The pure-Python aggregates: a ClaimsBatch through scope and netting into the ClaimsFacts the formulas read."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from kernel.scope import Scope
from services.calc.domain.aggregates import ClaimsFacts, ClassTotals, MemberMask, Totals, Traits
from services.calc.domain.claims import Claim, ClaimsBatch
from services.calc.domain.pipeline import in_scope, net_reversals, suspect_channel
from services.calc.domain.rounding import ZERO_MONEY, exact_arithmetic, round2


def awp_ext(claim: Claim) -> Decimal:
    """round2(awp_unit_price × quantity), per claim, before any summing."""
    return round2(claim.awp_unit_price * claim.quantity)


class Classed(Protocol):
    """What a claim's class is read from: a Claim, or the ClaimLine a store gives for it."""

    @property
    def channel(self) -> str: ...

    @property
    def brand_generic(self) -> str: ...

    @property
    def basis_of_cost(self) -> str: ...

    @property
    def compound(self) -> bool: ...

    @property
    def awp_unit_price(self) -> Decimal: ...


def traits_key(claim: Classed) -> tuple[str, str, bool, bool, bool]:
    """Traits' fields as a plain tuple: cheap enough to look a claim's class up once per claim."""
    return (claim.channel, claim.brand_generic, claim.basis_of_cost == "UC", claim.compound, not claim.awp_unit_price)


def traits_of(claim: Classed) -> Traits:
    return Traits(*traits_key(claim))


def facts_from_batch(batch: ClaimsBatch, scope: Scope, masks: Iterable[MemberMask]) -> ClaimsFacts:
    """Scope filter and netting as in the pipeline, then sums per claim class and members per (mask, bucket)."""
    with exact_arithmetic():
        scoped = in_scope(batch.claims, scope)
        netting = net_reversals(scoped)
        by_class: dict[Traits, list[Claim]] = defaultdict(list)
        for claim in netting.claims:
            by_class[traits_of(claim)].append(claim)
        classes = tuple(ClassTotals(traits, _totals(claims), suspect_channel(claims))
                        for traits, claims in sorted(by_class.items()))
    return ClaimsFacts(batch.sha256, batch.rows_read, batch.valid_count, tuple(batch.rejects), len(scoped),
                       netting.reversed_pairs, netting.orphan_reversals, classes, _members(by_class, masks))


def _totals(claims: list[Claim]) -> Totals:
    return Totals(len(claims), sum((awp_ext(c) for c in claims), ZERO_MONEY),
                  sum((c.ingredient_cost_paid for c in claims), ZERO_MONEY),
                  sum((c.dispensing_fee_paid for c in claims), ZERO_MONEY))


def _members(by_class: dict[Traits, list[Claim]], masks: Iterable[MemberMask]) -> dict:
    """Distinct member_id as written per (mask, bucket), over the classes the mask leaves eligible."""
    seen: dict = defaultdict(set)
    for mask in masks:
        for traits, claims in by_class.items():
            if not mask.excludes(traits):
                seen[(mask, traits.bucket)].update(c.member_id for c in claims)
    return {key: len(members) for key, members in sorted(seen.items())}
