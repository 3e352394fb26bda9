"""What awp_discount_guarantee and dispensing_fee_guarantee share: a row per contract term bucket, then the shortfall."""
from __future__ import annotations

from typing import Callable

from runtime.packets import ContractPacket, Term
from services.calc.domain.amounts import money_text
from services.calc.domain.claims import Claim
from services.calc.domain.eligibility import ExclusionRule, no_exclusions, split_eligible
from services.calc.domain.formulas.buckets import group_by_bucket, ordered_terms
from services.calc.domain.formulas.shortfall import shortfall

BucketRow = Callable[[Term, list[Claim]], tuple[dict, object]]


def per_term_bucket(netted: list[Claim], contract: ContractPacket, zero_awp: bool, bucket_row: BucketRow) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the shortfall by the offset."""
    term_buckets = {term.bucket for term in contract.terms}
    rule = ExclusionRule(uc=contract.exclusions.uc_claims, compound=contract.exclusions.compounds,
                         zero_awp=zero_awp, has_term=lambda claim: claim.bucket in term_buckets)
    eligible, excluded = split_eligible(netted, rule)
    by_bucket = group_by_bucket(eligible)
    rows, variances = [], {}
    for term in ordered_terms(contract.terms):
        row, variances[term.bucket] = bucket_row(term, by_bucket.get(term.bucket, []))
        rows.append(row)
    return {"excluded": excluded, "buckets": rows, "shortfall": money_text(shortfall(variances, contract.offset))}


def without_contract() -> dict:
    """No contract packet covers the scope: nothing is substituted, so there are no buckets to compare."""
    return {"excluded": no_exclusions(), "buckets": [], "shortfall": None}
