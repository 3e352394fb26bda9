"""Audit findings beyond the formulas' figures, as dashboard rows: counts and spend only, never a claim or member.

`unguaranteed_buckets`: each channel and drug type the contract has no term for (`no_term`), with its claims,
distinct members and spend (from the run's ClaimFindings; no rows until they are gathered). `suspect_channel`:
how many RETAIL_30 claims carry 84 or more days' supply (the result's data_quality count); the claims themselves
are listed only in the workbook.
"""
from __future__ import annotations

from kernel.words import SUSPECT_CHANNEL, UNGUARANTEED_BUCKET, UNGUARANTEED_REBATE
from services.publisher.domain.dashboard_table import SCOPE_COLUMNS, Table, money_text
from services.publisher.domain.run_context import RunContext

UNGUARANTEED_COLUMNS = ("finding", "channel", "brand_generic", "claims", "members", "ingredient_cost",
                        "dispensing_fees", "spend", "explanation")
SUSPECT_COLUMNS = ("finding", "claims", "explanation")


def unguaranteed_buckets(context: RunContext, scope: dict) -> Table:
    """`no_term` rows: no pricing guarantee (the fee formula's no_term); `no_rebate_term` rows: brand claims in a
    channel without a rebate guarantee (the rebate formula's no_term)."""
    findings = context.findings
    found = ([("no_term", UNGUARANTEED_BUCKET, b) for b in findings.unguaranteed]
             + [("no_rebate_term", UNGUARANTEED_REBATE, b) for b in findings.unguaranteed_rebate]) if findings else []
    rows = tuple({**scope, "finding": finding, "channel": b.channel, "brand_generic": b.brand_generic,
                  "claims": b.claims, "members": b.members, "ingredient_cost": money_text(b.ingredient_cost),
                  "dispensing_fees": money_text(b.dispensing_fees), "spend": money_text(b.spend),
                  "explanation": explanation} for finding, explanation, b in found)
    return Table("unguaranteed_buckets", (*SCOPE_COLUMNS, *UNGUARANTEED_COLUMNS), rows)


def suspect_channel(context: RunContext, scope: dict) -> Table:
    count = context.result["data_quality"]["suspect_channel"]
    row = {**scope, "finding": "suspect_channel", "claims": count, "explanation": SUSPECT_CHANNEL}
    return Table("suspect_channel", (*SCOPE_COLUMNS, *SUSPECT_COLUMNS), (row,))

