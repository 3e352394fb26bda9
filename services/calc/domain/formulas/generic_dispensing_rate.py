"""generic_dispensing_rate@1: the share of netted claims that are generic, with no exclusions."""
from __future__ import annotations

from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.amounts import optional_ratio_text
from services.calc.domain.rounding import ratio, round4

ID, VERSION = "generic_dispensing_rate", 1
NULLED_WHEN_BLOCKED = ("gdr",)


def generic_dispensing_rate(facts: ClaimsFacts) -> dict:
    claims = facts.netted_claims
    generic_claims = sum(c.totals.claims for c in facts.classes if c.traits.brand_generic == "G")
    gdr = round4(ratio(generic_claims, claims)) if claims else None
    return {"claims": claims, "generic_claims": generic_claims, "gdr": optional_ratio_text(gdr)}
