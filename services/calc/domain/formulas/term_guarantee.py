"""What awp_discount_guarantee and dispensing_fee_guarantee share: a row per contract term bucket, then the shortfall."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kernel.packets import ContractPacket, Term
from services.calc.domain.aggregates import ClaimsFacts, Totals
from services.calc.domain.eligibility import ExclusionRule, no_exclusions, split_eligible
from services.calc.domain.formulas.buckets import ordered_terms
from services.calc.domain.formulas.shortfall import netting

# (term, eligible totals of its bucket, distinct members among them) → (result row, variance)
BucketRow = Callable[[Term, Totals, int], tuple[dict, Decimal]]


def term_rule(contract: ContractPacket, zero_awp: bool) -> ExclusionRule:
    """The contract's exclusion flags, zero_awp when the formula prices AWP, and no_term for a bucket without a term."""
    term_buckets = {term.bucket for term in contract.terms}
    return ExclusionRule(uc=contract.exclusions.uc_claims, compound=contract.exclusions.compounds,
                         zero_awp=zero_awp, has_term=lambda traits: traits.bucket in term_buckets)


def per_term_bucket(facts: ClaimsFacts, contract: ContractPacket, rule: ExclusionRule, bucket_row: BucketRow) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the netting by the offset."""
    eligible, excluded = split_eligible(facts.classes, rule)
    rows: list[dict] = []
    variances: dict[tuple[str, str], Decimal] = {}
    for term in ordered_terms(contract.terms):
        members = facts.members_of(rule.member_mask, term.bucket)
        row, variances[term.bucket] = bucket_row(term, eligible.get(term.bucket, Totals()), members)
        rows.append(row)
    return {"excluded": excluded, "buckets": rows, **netting(variances, contract.offset)}


def without_contract() -> dict:
    """No contract packet covers the scope: nothing is substituted, so there are no buckets to compare."""
    return {"excluded": no_exclusions(), "buckets": [], "offset": None, "offset_groups": None, "shortfall": None}
