"""Pipeline step 4 of calculations.md: per formula, the first matching exclusion reason in the fixed order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from services.calc.domain.claims import Claim

EXCLUSION_REASONS = ("uc", "compound", "zero_awp", "no_term")


@dataclass(frozen=True, slots=True)
class ExclusionRule:
    """Which reasons a formula applies; has_term is None when the formula has no `no_term` reason."""

    uc: bool
    compound: bool
    zero_awp: bool
    has_term: Callable[[Claim], bool] | None

    def reason(self, claim: Claim) -> str | None:
        if self.uc and claim.basis_of_cost == "UC":
            return "uc"
        if self.compound and claim.compound:
            return "compound"
        if self.zero_awp and not claim.awp_unit_price:
            return "zero_awp"
        if self.has_term is not None and not self.has_term(claim):
            return "no_term"
        return None


def no_exclusions() -> dict[str, int]:
    return dict.fromkeys(EXCLUSION_REASONS, 0)


def split_eligible(claims: Iterable[Claim], rule: ExclusionRule) -> tuple[list[Claim], dict[str, int]]:
    """The eligible claims in row order, and the count excluded under each of the four reasons."""
    eligible: list[Claim] = []
    excluded = no_exclusions()
    for claim in claims:
        reason = rule.reason(claim)
        if reason is None:
            eligible.append(claim)
        else:
            excluded[reason] += 1
    return eligible, excluded
