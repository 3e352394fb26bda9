"""rebate_guarantee@1: guaranteed brand rebates per channel against rebates received, offset across channels."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from runtime.packets import CHANNELS, ContractPacket, RebateEvidence
from services.calc.domain.amounts import money_text
from services.calc.domain.claims import Claim
from services.calc.domain.eligibility import ExclusionRule, split_eligible
from services.calc.domain.formulas.buckets import total
from services.calc.domain.rounding import ZERO_MONEY, round2

ID, VERSION = "rebate_guarantee", 1
NULLED_WHEN_BLOCKED = ("rebate_per_claim", "guaranteed", "received", "variance", "received_other", "shortfall")
BRAND = "B"


def rebate_rates(contract: ContractPacket | None) -> dict[str, Decimal]:
    """rebate_per_claim by channel, from brand terms that carry one; empty means the formula is absent."""
    if contract is None:
        return {}
    return {t.channel: t.rebate_per_claim for t in contract.terms
            if t.brand_generic == BRAND and t.rebate_per_claim is not None}


def rebate_guarantee(netted: list[Claim], contract: ContractPacket, rebates: RebateEvidence | None) -> dict:
    """One row per channel with a brand rebate term; generic claims are neither counted nor excluded."""
    rates = rebate_rates(contract)
    rule = ExclusionRule(uc=False, compound=contract.exclusions.compounds, zero_awp=False,
                         has_term=lambda claim: claim.channel in rates)
    eligible, excluded = split_eligible((c for c in netted if c.brand_generic == BRAND), rule)
    brand_claims = Counter(claim.channel for claim in eligible)
    received = {r.channel: r.amount for r in rebates.received} if rebates is not None else {}
    rows, variances = [], []
    for channel in sorted(rates, key=CHANNELS.index):
        guaranteed = round2(brand_claims[channel] * rates[channel])
        variance = guaranteed - received.get(channel, ZERO_MONEY)
        variances.append(variance)
        rows.append({"channel": channel, "brand_generic": BRAND, "brand_claims": brand_claims[channel],
                     "rebate_per_claim": money_text(rates[channel]), "guaranteed": money_text(guaranteed),
                     "received": money_text(received.get(channel, ZERO_MONEY)), "variance": money_text(variance)})
    received_other = total(amount for channel, amount in received.items() if channel not in rates)
    shortfall = max(ZERO_MONEY, total(variances) - received_other)
    return {"excluded": excluded, "buckets": rows, "received_other": money_text(received_other),
            "shortfall": money_text(shortfall)}
