"""dispensing_fee_guarantee@1: dispensing fees paid per contract term bucket against the guaranteed ceiling."""
from __future__ import annotations

from runtime.packets import ContractPacket, Term
from services.calc.domain.amounts import money_text
from services.calc.domain.claims import Claim
from services.calc.domain.eligibility import ExclusionRule, no_exclusions, split_eligible
from services.calc.domain.formulas.buckets import bucket_fields, distinct_members, group_by_bucket, ordered_terms, total
from services.calc.domain.formulas.shortfall import shortfall
from services.calc.domain.rounding import round2

ID, VERSION = "dispensing_fee_guarantee", 1
NULLED_WHEN_BLOCKED = ("dispensing_fee", "guaranteed_fees", "variance", "shortfall")


def dispensing_fee_guarantee(netted: list[Claim], contract: ContractPacket) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the shortfall by the offset."""
    term_buckets = {term.bucket for term in contract.terms}
    # AWP plays no part in a fee, so a zero-AWP claim stays eligible here.
    rule = ExclusionRule(uc=contract.exclusions.uc_claims, compound=contract.exclusions.compounds,
                         zero_awp=False, has_term=lambda claim: claim.bucket in term_buckets)
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
    fees = total(claim.dispensing_fee_paid for claim in claims)
    guaranteed_fees = round2(len(claims) * term.dispensing_fee)
    variance = fees - guaranteed_fees
    row = {
        **bucket_fields(term.bucket),
        "claims": len(claims),
        "members": distinct_members(claims),
        "fees": money_text(fees),
        "dispensing_fee": money_text(term.dispensing_fee),
        "guaranteed_fees": money_text(guaranteed_fees),
        "variance": money_text(variance),
    }
    return row, variance
