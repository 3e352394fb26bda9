"""Pipeline steps 2–3 of calculations.md: scope filter, reversal netting in row order, suspect_channel."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kernel.scope import Scope
from services.calc.domain.claims import PAID, Claim

SUSPECT_CHANNEL, SUSPECT_MIN_DAYS = "RETAIL_30", 84


@dataclass(frozen=True, slots=True)
class Netting:
    """The netted claims (all PAID, row order) and what netting counted on the way."""

    claims: list[Claim]
    reversed_pairs: int
    orphan_reversals: int


def in_scope(claims: Iterable[Claim], scope: Scope) -> list[Claim]:
    """Valid rows, PAID and REVERSAL alike, whose scope fields and fill_date fall in the scope."""
    contains = scope.contains
    return [c for c in claims if contains(c.client_id, c.pbm_id, c.tpa_id, c.group_id, c.fill_date)]


def net_reversals(claims: list[Claim]) -> Netting:
    """Each REVERSAL, in row order, removes the in-scope PAID claim it names unless an earlier one already did.

    The PAID claim may stand before or after its reversal: the spec asks for an in-scope PAID claim,
    not an earlier one (claim ids are unique among valid rows, so the name is unambiguous).
    """
    paid_ids = {c.claim_id for c in claims if c.claim_status == PAID}
    reversed_ids: set[str] = set()
    orphans = 0
    for claim in claims:
        if claim.claim_status == PAID:
            continue
        target = claim.reverses_claim_id
        if target in paid_ids and target not in reversed_ids:
            reversed_ids.add(target)
        else:
            orphans += 1
    netted = [c for c in claims if c.claim_status == PAID and c.claim_id not in reversed_ids]
    return Netting(netted, len(reversed_ids), orphans)


def suspect_channel(netted: Iterable[Claim]) -> int:
    """RETAIL_30 claims with a 90-day-like supply: reported for the analyst, never re-bucketed."""
    return sum(1 for c in netted if c.channel == SUSPECT_CHANNEL and c.days_supply >= SUSPECT_MIN_DAYS)
