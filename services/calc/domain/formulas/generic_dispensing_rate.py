"""generic_dispensing_rate@1: the share of netted claims that are generic, with no exclusions."""
from __future__ import annotations

from services.calc.domain.amounts import optional_ratio_text
from services.calc.domain.claims import Claim
from services.calc.domain.rounding import ratio, round4

ID, VERSION = "generic_dispensing_rate", 1
NULLED_WHEN_BLOCKED = ("gdr",)


def generic_dispensing_rate(netted: list[Claim]) -> dict:
    claims = len(netted)
    generic_claims = sum(1 for claim in netted if claim.brand_generic == "G")
    gdr = round4(ratio(generic_claims, claims)) if claims else None
    return {"claims": claims, "generic_claims": generic_claims, "gdr": optional_ratio_text(gdr)}
