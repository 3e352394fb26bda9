"""awp_discount_guarantee@1: the AWP-weighted discount per contract term bucket against its guaranteed floor."""
from __future__ import annotations

from runtime.packets import ContractPacket, Term
from services.calc.domain.amounts import money_text, optional_ratio_text, ratio_text
from services.calc.domain.claims import Claim
from services.calc.domain.eligibility import ExclusionRule, no_exclusions, split_eligible
from services.calc.domain.formulas.buckets import (awp_ext, bucket_fields, distinct_members, group_by_bucket,
                                                   ordered_terms, total)
from services.calc.domain.formulas.shortfall import shortfall
from services.calc.domain.rounding import ratio, round2, round4

ID, VERSION = "awp_discount_guarantee", 1
NULLED_WHEN_BLOCKED = ("guaranteed_discount", "guaranteed_cost", "variance", "shortfall")


def awp_discount_guarantee(netted: list[Claim], contract: ContractPacket) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the shortfall by the offset."""
    term_buckets = {term.bucket for term in contract.terms}
    rule = ExclusionRule(uc=contract.exclusions.uc_claims, compound=contract.exclusions.compounds,
                         zero_awp=True, has_term=lambda claim: claim.bucket in term_buckets)
    eligible, excluded = split_eligible(netted, rule)
    by_bucket = group_by_bucket(eligible)
    rows, variances = [], {}
    for term in ordered_terms(contract.terms):
        row, variances[term.bucket] = _bucket_row(term, by_bucket.get(term.bucket, []))
        rows.append(row)
    return {"excluded": excluded, "buckets": rows, "shortfall": money_text(shortfall(variances, contract.offset))}


def without_contract() -> dict:
    """No contract packet covers the scope: nothing is substituted, so there are no buckets to compare."""
    return {"excluded": no_exclusions(), "buckets": [], "shortfall": None}


def _bucket_row(term: Term, claims: list[Claim]):
    awp = total(awp_ext(claim) for claim in claims)
    ingredient_cost = total(claim.ingredient_cost_paid for claim in claims)
    # 1 − cost/awp from the exact fraction; a bucket without AWP has no discount to report.
    actual_discount = round4(1 - ratio(ingredient_cost, awp)) if awp else None
    guaranteed_cost = round2(awp * (1 - term.awp_discount))
    variance = ingredient_cost - guaranteed_cost
    row = {
        **bucket_fields(term.bucket),
        "claims": len(claims),
        "members": distinct_members(claims),
        "awp": money_text(awp),
        "ingredient_cost": money_text(ingredient_cost),
        "actual_discount": optional_ratio_text(actual_discount),
        "guaranteed_discount": ratio_text(term.awp_discount),
        "guaranteed_cost": money_text(guaranteed_cost),
        "variance": money_text(variance),
    }
    return row, variance
