"""How a guarantee's variances net into what is owed, as the PDF and the workbook show it (calculations.md 3): the
netting group each bucket falls in, the buckets a group nets, the channels rebates received elsewhere came from,
and the words the tables print. The renderers (adapters/pdf/report_netting.py, adapters/workbook/workbook_netting.py
and workbook_rebates.py) draw these; the dashboard's offset_groups table and suppression use the same group rule."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kernel.words import CHANNEL_TITLES, bucket_title, offset_group_title
from services.publisher.domain.report_format import money
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.table_view import LABEL, NUMBER, TEXT, TOTAL, Cell, TableView

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


def netting_rows(formula: dict) -> TableView:
    """The PDF's netting table: each group, the buckets it nets, its variance and shortfall; then the net variance
    and the shortfall owed, which is the sum of the groups' shortfalls (so it can exceed the net variance)."""
    offset = formula["offset"]
    rows = [(Cell(offset_group_title(g["group"])),
             Cell(" + ".join(bucket_title(b["channel"], b["brand_generic"])
                             for b in group_buckets(g["group"], offset, formula["buckets"]))),
             Cell(money(Decimal(g["variance"])), NUMBER), Cell(money(Decimal(g["shortfall"])), NUMBER))
            for g in formula["offset_groups"]]
    net = sum((Decimal(g["variance"]) for g in formula["offset_groups"]), Decimal("0.00"))
    rows.append((Cell(NETTING_TOTAL, LABEL), Cell(""), Cell(money(net), TOTAL),
                 Cell(money(Decimal(formula["shortfall"])), TOTAL)))
    return TableView(tuple(NETTING_HEADER), tuple(rows), formula["status"], total_row=True)


def rebate_rows(formula: dict, lineage: dict) -> TableView:
    """The PDF's rebate reconciliation: variance_total - received_other = difference; shortfall = the difference
    floored at zero. received_other names the channels it came from when the lineage records them."""
    total, other = Decimal(formula["variance_total"]), Decimal(formula["received_other"])
    other_label = f"{REBATE_LINES[1]} ({received_other_words(lineage)})" if other else REBATE_LINES[1]
    values = (money(total), money(other), money(total - other), money(Decimal(formula["shortfall"])))
    labels = (REBATE_LINES[0], other_label, REBATE_LINES[2], REBATE_LINES[3])
    last = len(labels) - 1
    rows = tuple((Cell(label, LABEL if i == last else TEXT), Cell(value, TOTAL if i == last else NUMBER))
                 for i, (label, value) in enumerate(zip(labels, values, strict=True)))
    return TableView(("Rebate reconciliation", "Amount"), rows, formula["status"], total_row=True)


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


REBATE_DIFFERENCE = "variance_total − received_other"


def rebate_lines(formula: dict, others: list[dict]) -> list[tuple[str, str]]:
    """The workbook's rebate reconciliation lines as (code, words), in order: variance_total, received_other, the
    difference, the shortfall. The renderer writes each beside its figure and the Excel check of it."""
    return [("variance_total", "Σ variance of the guaranteed channels (guaranteed − received)"),
            ("received_other", other_words(formula["received_other"], others)),
            (REBATE_DIFFERENCE, "what the guaranteed channels fell short, less what other channels paid"),
            ("shortfall", f"max(0, {REBATE_DIFFERENCE}); owed to the plan")]


def other_words(received_other: str, others: list[dict]) -> str:
    """What the workbook says of received_other beside its amount."""
    if others:
        named = ", ".join(f"{o['channel']} {money(Decimal(o['received_other']))}" for o in others)
        return f"rebates received in channels with no rebate guarantee: {named}"
    if Decimal(received_other) == 0:
        return "no rebates were received in channels without a rebate guarantee"
    return "rebates received in channels with no rebate guarantee (this run's lineage does not name them)"
