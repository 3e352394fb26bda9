"""Run contexts for the dashboard tests: demo runs through the pure calc path, with names and claim findings built here.

The findings a real run gathers from its claims (helper code in the publisher) are stood in for by values built
from the result itself: each rebate and repricing bucket takes the member count of the AWP bucket of the same
channel and drug type, and one unguaranteed bucket is added, so every table has rows to judge.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from services.publisher.domain.claim_findings import BucketSpend, ClaimFindings
from services.publisher.domain.run_context import Names, RunContext
from tests.publisher_fixtures import sample_context

NAMES = Names(client="Acme Manufacturing", pbm="Northwind Rx")
UNGUARANTEED = BucketSpend("SPECIALTY", "G", claims=40, members=25, ingredient_cost=Decimal("12345.60"),
                           dispensing_fees=Decimal("52.75"))


def awp_members(context: RunContext) -> dict[tuple[str, str], int]:
    awp = context.formula("awp_discount_guarantee")
    return {(b["channel"], b["brand_generic"]): b["members"] for b in awp["buckets"]} if awp else {}


def findings_for(context: RunContext, **overrides: dict[tuple[str, str], int]) -> ClaimFindings:
    """Eligible members per rebate and repricing bucket (the AWP bucket's, unless overridden per formula)."""
    members = awp_members(context)
    eligible = {}
    for formula_id in ("rebate_guarantee", "repricing_savings"):
        formula = context.formula(formula_id)
        buckets = [(b["channel"], b["brand_generic"]) for b in formula["buckets"]] if formula else []
        eligible[formula_id] = {b: members.get(b, 50) for b in buckets} | overrides.get(formula_id, {})
    return ClaimFindings(unguaranteed=(UNGUARANTEED,), suspect_channel_count=context.result["data_quality"]
                         ["suspect_channel"], eligible_members=eligible)


def dashboard_context(lineage: dict | None = None, **variant) -> RunContext:
    """A demo run (sample_context's variants) with names, findings and optionally extra lineage."""
    context = sample_context(**variant)
    return replace(context, names=NAMES, findings=findings_for(context),
                   lineage={**context.lineage, **(lineage or {})})
