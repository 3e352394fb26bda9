"""Pipeline step 4 of calculations.md: per formula, the first matching exclusion reason in the fixed order."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kernel.claim_reasons import EXCLUSION_REASONS
from services.calc.domain.aggregates import Bucket, ClassTotals, MemberMask, Totals, Traits

__all__ = ["EXCLUSION_REASONS", "ExclusionRule", "no_exclusions", "split_eligible"]


@dataclass(frozen=True, slots=True)
class ExclusionRule:
    """Which reasons a formula applies; has_term is None when the formula has no `no_term` reason.

    Every reason is a property of a claim class (the terms are per bucket or per channel), so the rule
    applies to whole classes and never needs the claims themselves.
    """

    uc: bool
    compound: bool
    zero_awp: bool
    has_term: Callable[[Traits], bool] | None

    def reason(self, traits: Traits) -> str | None:
        if self.uc and traits.uc:
            return "uc"
        if self.compound and traits.compound:
            return "compound"
        if self.zero_awp and traits.zero_awp:
            return "zero_awp"
        if self.has_term is not None and not self.has_term(traits):
            return "no_term"
        return None

    @property
    def member_mask(self) -> MemberMask:
        """The claim-level part of the rule: what decides, inside a bucket with a term, whose members count."""
        return MemberMask(self.uc, self.compound, self.zero_awp)


def no_exclusions() -> dict[str, int]:
    return dict.fromkeys(EXCLUSION_REASONS, 0)


def split_eligible(classes: Iterable[ClassTotals], rule: ExclusionRule) -> tuple[dict[Bucket, Totals], dict[str, int]]:
    """The eligible totals per bucket, and the count of claims excluded under each of the four reasons."""
    eligible: dict[Bucket, Totals] = defaultdict(Totals)
    excluded = no_exclusions()
    for claim_class in classes:
        reason = rule.reason(claim_class.traits)
        if reason is None:
            eligible[claim_class.traits.bucket] += claim_class.totals
        else:
            excluded[reason] += claim_class.totals.claims
    return dict(eligible), excluded
