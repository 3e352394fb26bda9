"""How a guarantee's variances net into what is owed, as the PDF and the workbook show it (calculations.md 3): the
netting group each bucket falls in, the buckets a group nets, the channels rebates received elsewhere came from,
and the words the tables print. The renderers (adapters/pdf/report_netting.py, adapters/workbook/workbook_netting.py
and workbook_rebates.py) draw these; the dashboard's offset_groups table and suppression use the same group rule."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kernel.words import CHANNEL_TITLES
from services.publisher.domain.report_format import money
from services.publisher.domain.run_context import RunContext

# The netting group a bucket belongs to, by the contract's offset rule, named as the result names it (`offset_groups`).
GROUP_OF: dict[str, Callable[[str, str], str]] = {
    "none": lambda channel, brand_generic: f"{channel}/{brand_generic}",
    "within_channel": lambda channel, brand_generic: channel,
    "within_drug_type": lambda channel, brand_generic: brand_generic,
    "all": lambda channel, brand_generic: "all",
}
GROUP = "group"  # the workbook's column naming each bucket's group

# The PDF's netting and rebate reconciliation tables.
NETTING_HEADER = ["Netting group", "Buckets netted in the group", "Variance", "Shortfall owed"]
NETTING_TOTAL = "All groups: net variance; shortfall owed = sum of the groups' shortfalls"
REBATE_LINES = ("Variance total (sum of the channels' variances)",
                "Less: rebates received in channels with no rebate guarantee",
                "Difference", "Shortfall owed (a difference below zero owes nothing)")


def group_buckets(group: str, offset: str, buckets: list[dict]) -> list[dict]:
    """The buckets an offset group nets, as calculations.md 3 forms the groups."""
    group_of = GROUP_OF[offset]
    return [b for b in buckets if group_of(b["channel"], b["brand_generic"]) == group]


def grouped_buckets(formula: dict) -> list[dict]:
    """The buckets, each with the netting group it falls in; a group the result does not list is a contract drift."""
    published = {g["group"] for g in formula["offset_groups"]}
    group_of = GROUP_OF[formula["offset"]]
    buckets = [{**b, GROUP: group_of(b["channel"], b["brand_generic"])} for b in formula["buckets"]]
    unknown = {b[GROUP] for b in buckets} - published
    if unknown:
        raise ValueError(f"{formula['id']}: buckets in groups the result does not list: {sorted(unknown)}")
    return buckets


def received_other_words(lineage: dict) -> str:
    """The channels whose rebates count against the shortfall though the contract guarantees none there."""
    named = lineage.get("rebates_received_other")
    if not named:
        return "channels without a rebate term"
    return ", ".join(f"{CHANNEL_TITLES.get(r['channel'], r['channel'])} {money(Decimal(r['amount']))}" for r in named)


def received_other_channels(context: RunContext) -> list[dict]:
    """[{"channel", "received_other"}] from the lineage, in its order; empty when the run did not record them."""
    return [{"channel": r["channel"], "received_other": r["amount"]}
            for r in context.lineage.get("rebates_received_other") or ()]


def other_words(received_other: str, others: list[dict]) -> str:
    """What the workbook says of received_other beside its amount."""
    if others:
        named = ", ".join(f"{o['channel']} {money(Decimal(o['received_other']))}" for o in others)
        return f"rebates received in channels with no rebate guarantee: {named}"
    if Decimal(received_other) == 0:
        return "no rebates were received in channels without a rebate guarantee"
    return "rebates received in channels with no rebate guarantee (this run's lineage does not name them)"
