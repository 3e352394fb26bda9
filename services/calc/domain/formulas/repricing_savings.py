"""repricing_savings@1: what the netted claims would have cost under a proposal's terms (always modeled)."""
from __future__ import annotations

from kernel.packets import Proposal, Term
from services.calc.domain.aggregates import ClaimsFacts, Totals
from services.calc.domain.amounts import money_text
from services.calc.domain.eligibility import ExclusionRule, split_eligible
from services.calc.domain.formulas.buckets import bucket_fields, bucket_order, ordered_terms, total
from services.calc.domain.rounding import round2

ID, VERSION = "repricing_savings", 1
NULLED_WHEN_BLOCKED = ("proposed_cost", "savings", "total_savings")


def rule(proposal: Proposal) -> ExclusionRule:
    """The proposal's exclusion flags, not the contract's; a missing term prices nothing but excludes nothing."""
    return ExclusionRule(uc=proposal.exclusions.uc_claims, compound=proposal.exclusions.compounds,
                         zero_awp=True, has_term=None)


def repricing_savings(facts: ClaimsFacts, proposal: Proposal) -> dict:
    """One row per proposal term; eligible claims whose bucket has no proposal term are listed as unpriced."""
    by_bucket, excluded = split_eligible(facts.classes, rule(proposal))
    rows, savings = [], []
    for term in ordered_terms(proposal.terms):
        row, saving = _bucket_row(term, by_bucket.get(term.bucket, Totals()))
        rows.append(row)
        savings.append(saving)
    priced = {term.bucket for term in proposal.terms}
    unpriced = [bucket_fields(b) for b in sorted(by_bucket, key=bucket_order) if b not in priced]
    return {"excluded": excluded, "buckets": rows, "total_savings": money_text(total(savings)),
            "unpriced_buckets": unpriced}


def _bucket_row(term: Term, totals: Totals):
    current_cost = totals.ingredient_cost + totals.dispensing_fee
    proposed_cost = round2(totals.awp * (1 - term.awp_discount)) + round2(totals.claims * term.dispensing_fee)
    saving = current_cost - proposed_cost
    row = {**bucket_fields(term.bucket), "claims": totals.claims, "current_cost": money_text(current_cost),
           "proposed_cost": money_text(proposed_cost), "savings": money_text(saving)}
    return row, saving
