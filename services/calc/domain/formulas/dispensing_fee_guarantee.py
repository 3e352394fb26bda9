"""dispensing_fee_guarantee@1: dispensing fees paid per contract term bucket against the guaranteed ceiling."""
from __future__ import annotations

from runtime.packets import ContractPacket, Term
from services.calc.domain.amounts import money_text
from services.calc.domain.claims import Claim
from services.calc.domain.formulas.buckets import bucket_fields, distinct_members, total
from services.calc.domain.formulas.term_guarantee import per_term_bucket
from services.calc.domain.rounding import round2

ID, VERSION = "dispensing_fee_guarantee", 1
NULLED_WHEN_BLOCKED = ("dispensing_fee", "guaranteed_fees", "variance", "shortfall")


def dispensing_fee_guarantee(netted: list[Claim], contract: ContractPacket) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the shortfall by the offset."""
    # AWP plays no part in a fee, so a zero-AWP claim stays eligible here.
    return per_term_bucket(netted, contract, zero_awp=False, bucket_row=_bucket_row)


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
