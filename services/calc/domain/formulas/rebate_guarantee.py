"""rebate_guarantee@1: guaranteed brand rebates per channel against rebates received, offset across channels."""
from __future__ import annotations

from decimal import Decimal

from kernel.packets import CHANNELS, ContractPacket, RebateEvidence
from services.calc.domain.aggregates import ClaimsFacts, Totals, Traits
from services.calc.domain.amounts import money_text
from services.calc.domain.eligibility import ExclusionRule, split_eligible
from services.calc.domain.formulas.buckets import total
from services.calc.domain.rounding import ZERO_MONEY, round2

ID, VERSION = "rebate_guarantee", 1
NULLED_WHEN_BLOCKED = ("rebate_per_claim", "guaranteed", "received", "variance", "variance_total", "received_other",
                       "shortfall")
BRAND = "B"


def rebate_rates(contract: ContractPacket | None) -> dict[str, Decimal]:
    """rebate_per_claim by channel, from brand terms that carry one; empty means the formula is absent."""
    if contract is None:
        return {}
    return {t.channel: t.rebate_per_claim for t in contract.terms
            if t.brand_generic == BRAND and t.rebate_per_claim is not None}


def rule(contract: ContractPacket) -> ExclusionRule:
    """Compounds when the contract excludes them, and no_term for a channel without a brand rebate term."""
    rates = rebate_rates(contract)
    return ExclusionRule(uc=False, compound=contract.exclusions.compounds, zero_awp=False,
                         has_term=lambda traits: traits.channel in rates)


def looks_at(traits: Traits) -> bool:
    """Brand claims only: a generic claim is neither counted nor excluded."""
    return traits.brand_generic == BRAND


def received_other_by_channel(contract: ContractPacket, rebates: RebateEvidence | None) -> list[tuple[str, Decimal]]:
    """Rebates received in channels without a rebate term, in channel order: what `received_other` sums."""
    rates = rebate_rates(contract)
    received = rebates.received if rebates is not None else ()
    return sorted(((r.channel, r.amount) for r in received if r.channel not in rates), key=lambda r: CHANNELS.index(r[0]))


def rebate_guarantee(facts: ClaimsFacts, contract: ContractPacket, rebates: RebateEvidence | None) -> dict:
    """One row per channel with a brand rebate term; generic claims are neither counted nor excluded."""
    rates = rebate_rates(contract)
    eligible, excluded = split_eligible((c for c in facts.classes if looks_at(c.traits)), rule(contract))
    received = {r.channel: r.amount for r in rebates.received} if rebates is not None else {}
    rows, variances = [], []
    for channel in sorted(rates, key=CHANNELS.index):
        brand_claims = eligible.get((channel, BRAND), Totals()).claims
        guaranteed = round2(brand_claims * rates[channel])
        variance = guaranteed - received.get(channel, ZERO_MONEY)
        variances.append(variance)
        rows.append({"channel": channel, "brand_generic": BRAND, "brand_claims": brand_claims,
                     "rebate_per_claim": money_text(rates[channel]), "guaranteed": money_text(guaranteed),
                     "received": money_text(received.get(channel, ZERO_MONEY)), "variance": money_text(variance)})
    received_other = total(amount for _, amount in received_other_by_channel(contract, rebates))
    variance_total = total(variances)
    shortfall = max(ZERO_MONEY, variance_total - received_other)
    return {"excluded": excluded, "buckets": rows, "variance_total": money_text(variance_total),
            "received_other": money_text(received_other), "shortfall": money_text(shortfall)}
