"""awp_discount_guarantee@1: the AWP-weighted discount per contract term bucket against its guaranteed floor."""
from __future__ import annotations

from kernel.packets import ContractPacket, Term
from services.calc.domain.aggregates import ClaimsFacts, Totals
from services.calc.domain.amounts import money_text, optional_ratio_text, ratio_text
from services.calc.domain.eligibility import ExclusionRule
from services.calc.domain.formulas.buckets import bucket_fields
from services.calc.domain.formulas.term_guarantee import per_term_bucket, term_rule
from services.calc.domain.rounding import ratio, round2, round4

ID, VERSION = "awp_discount_guarantee", 1
NULLED_WHEN_BLOCKED = ("guaranteed_discount", "guaranteed_cost", "variance", "offset_groups", "shortfall")


def rule(contract: ContractPacket) -> ExclusionRule:
    return term_rule(contract, zero_awp=True)


def awp_discount_guarantee(facts: ClaimsFacts, contract: ContractPacket) -> dict:
    """One row per contract term bucket (also one with no eligible claim), then the shortfall by the offset."""
    return per_term_bucket(facts, contract, rule(contract), _bucket_row)


def _bucket_row(term: Term, totals: Totals, members: int):
    awp, ingredient_cost = totals.awp, totals.ingredient_cost
    # 1 − cost/awp from the exact fraction; a bucket without AWP has no discount to report.
    actual_discount = round4(1 - ratio(ingredient_cost, awp)) if awp else None
    guaranteed_cost = round2(awp * (1 - term.awp_discount))
    variance = ingredient_cost - guaranteed_cost
    row = {
        **bucket_fields(term.bucket),
        "claims": totals.claims,
        "members": members,
        "awp": money_text(awp),
        "ingredient_cost": money_text(ingredient_cost),
        "actual_discount": optional_ratio_text(actual_discount),
        "guaranteed_discount": ratio_text(term.awp_discount),
        "guaranteed_cost": money_text(guaranteed_cost),
        "variance": money_text(variance),
    }
    return row, variance
