"""dispensing_fee_guarantee@1: dispensing fees paid per contract term bucket against the guaranteed ceiling."""
from __future__ import annotations

from kernel.packets import ContractPacket, Term
from services.calc.domain.aggregates import ClaimsFacts, Totals
from services.calc.domain.amounts import money_text
from services.calc.domain.eligibility import ExclusionRule
from services.calc.domain.formulas.buckets import bucket_fields
from services.calc.domain.formulas.term_guarantee import per_term_bucket, term_rule
from services.calc.domain.rounding import round2

ID, VERSION = "dispensing_fee_guarantee", 1
NULLED_WHEN_BLOCKED = ("dispensing_fee", "guaranteed_fees", "variance", "offset_groups", "shortfall")


def rule(contract: ContractPacket) -> ExclusionRule:
    # AWP plays no part in a fee, so a zero-AWP claim stays eligible here.
    return term_rule(contract, zero_awp=False)


def dispensing_fee_guarantee(facts: ClaimsFacts, contract: ContractPacket) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the shortfall by the offset."""
    return per_term_bucket(facts, contract, rule(contract), _bucket_row)


def _bucket_row(term: Term, totals: Totals, members: int):
    fees = totals.dispensing_fee
    guaranteed_fees = round2(totals.claims * term.dispensing_fee)
    variance = fees - guaranteed_fees
    row = {
        **bucket_fields(term.bucket),
        "claims": totals.claims,
        "members": members,
        "fees": money_text(fees),
        "dispensing_fee": money_text(term.dispensing_fee),
        "guaranteed_fees": money_text(guaranteed_fees),
        "variance": money_text(variance),
    }
    return row, variance
