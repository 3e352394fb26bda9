"""The rows of the audit findings (claim_findings.py gathered them as the claims streamed past), as the PDF's
tables (TableView, values in words) and the workbook's Findings and Data quality sheets (records keyed by column,
values as the result holds them) show them. The renderers (adapters/pdf/report_findings.py,
adapters/workbook/workbook_findings.py and workbook_records.py) lay them out only."""
from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from kernel.words import EXCLUSION_SENTENCES, FORMULA_SHORT, bucket_title
from services.publisher.domain.claim_findings import BucketSpend, SuspectClaim
from services.publisher.domain.report_format import count, money
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.table_view import LABEL, NUMBER, TOTAL, Cell, TableView
from services.publisher.domain.workbook_view import counted

ZERO = Decimal("0.00")
BUCKET_HEADER = "Channel and drug type"
UNGUARANTEED_TOTAL = "All unguaranteed claims"
SPEND_FIELDS = ("ingredient_cost", "dispensing_fees", "spend")
# The PDF's data quality table: only what concerns the scope, each count in words with its code beside it.
QUALITY = (("rejected_in_scope", "Rows of this scope rejected as malformed (left out of every formula)"),
           ("rows_out_of_scope", "Rows of other clients, PBMs or periods in the input (not part of this audit)"),
           ("reversed_pairs", "Paid claims cancelled by their reversal (both left out)"),
           ("orphan_reversals", "Reversals that match no paid claim of the scope"),
           ("suspect_channel", "Retail 30-day claims with 84 or more days' supply (listed above)"))
# The workbook's Data quality counts: rows_read and rejects_by_reason cover the whole input, other clients included.
SCOPE_COUNTS = tuple(key for key, _ in QUALITY)
UNGUARANTEED_COLUMNS = ["bucket", "channel", "brand_generic", "claims", "members", "ingredient_cost",
                        "dispensing_fees", "spend"]
SUSPECT_COLUMNS = ["row", "claim_id", "fill_date", "ndc", "drug_name", "days_supply", "quantity",
                   "ingredient_cost_paid", "dispensing_fee_paid"]


def unguaranteed_rows(found: tuple[BucketSpend, ...]) -> TableView:
    """The PDF's buckets with no contract term: claims, members and spend; with a total row when there are several
    (members are not summed: one member can fill in several buckets)."""
    rows = [(Cell(bucket_title(b.channel, b.brand_generic)), Cell(count(b.claims), NUMBER),
             Cell(count(b.members), NUMBER), *(Cell(money(getattr(b, f)), NUMBER) for f in SPEND_FIELDS))
            for b in found]
    several = len(found) > 1
    if several:
        rows.append((Cell(UNGUARANTEED_TOTAL, LABEL), Cell(count(sum(b.claims for b in found)), TOTAL), Cell(""),
                     *(Cell(money(sum((getattr(b, f) for b in found), ZERO)), TOTAL) for f in SPEND_FIELDS)))
    return TableView((BUCKET_HEADER, "Claims", "Members", "Ingredient cost paid", "Dispensing fees paid", "Spend"),
                     tuple(rows), total_row=several)


def unguaranteed_rebate_rows(found: tuple[BucketSpend, ...]) -> TableView:
    """The PDF's brand claims in channels without a rebate term, so received_other can be traced to them."""
    return TableView((BUCKET_HEADER, "Claims", "Members", "Spend"),
                     tuple((Cell(bucket_title(b.channel, b.brand_generic)), Cell(count(b.claims), NUMBER),
                            Cell(count(b.members), NUMBER), Cell(money(b.spend), NUMBER)) for b in found))


def suspect_rows(listed: tuple[SuspectClaim, ...]) -> TableView:
    """The PDF's suspect-channel claims, one row each."""
    return TableView(("Claim", "Fill date", "Drug", "Days' supply", "Quantity", "Ingredient cost paid",
                      "Dispensing fee paid"),
                     tuple((Cell(s.claim_id), Cell(s.fill_date.isoformat()), Cell(s.drug_name),
                            Cell(count(s.days_supply), NUMBER), Cell(f"{s.quantity:,}", NUMBER),
                            Cell(money(s.ingredient_cost_paid), NUMBER), Cell(money(s.dispensing_fee_paid), NUMBER))
                           for s in listed))


def data_quality_rows(context: RunContext) -> TableView:
    """The PDF's data quality of the scope: each count in words, its code beside them."""
    quality = context.result["data_quality"]
    return TableView(("What was counted", "Rows"),
                     tuple((Cell(words, code=key), Cell(count(quality[key]), NUMBER)) for key, words in QUALITY))


def bucket_records(found: tuple[BucketSpend, ...]) -> list[dict]:
    """The workbook's unguaranteed (or rebate-unguaranteed) buckets, by UNGUARANTEED_COLUMNS."""
    return [{"bucket": bucket_title(b.channel, b.brand_generic), **asdict(b), "spend": b.spend} for b in found]


def suspect_records(listed: tuple[SuspectClaim, ...]) -> list[dict]:
    """The workbook's suspect-channel claims, by SUSPECT_COLUMNS."""
    return [asdict(claim) for claim in listed]


def suspect_note(context: RunContext) -> str:
    """What the workbook says above the suspect-channel list: how many, and whether all are listed."""
    number = context.result["data_quality"]["suspect_channel"]
    listed = context.findings.suspect_channel if context.findings is not None else ()
    claims = counted(number, "claim")
    if not listed and number:
        return f"{claims} (not listed for this run)"
    return (f"{claims}; the first {len(listed):,} are listed, the extract holds every claim"
            if len(listed) < number else f"{claims}, all listed")


def excluded_table(context: RunContext) -> tuple[list[str], list[dict]]:
    """The workbook's excluded claims: reason | claims per formula | why, for every formula that excludes claims."""
    formulas = [f for f in context.formulas if "excluded" in f and f["status"] != "blocked"]
    columns = ["reason", *(FORMULA_SHORT[f["id"]] for f in formulas), "why"]
    reasons = list(dict.fromkeys(r for f in formulas for r in f["excluded"]))
    rows = [{"reason": r, **{FORMULA_SHORT[f["id"]]: f["excluded"].get(r) for f in formulas},
             "why": EXCLUSION_SENTENCES.get(r, "")} for r in reasons]
    return columns, rows


def scope_count_records(context: RunContext) -> list[dict]:
    """The workbook's Data quality counts of the scope, by ["measure", "rows"]."""
    quality = context.result["data_quality"]
    return [{"measure": name, "rows": quality[name]} for name in SCOPE_COUNTS]


def rejected_records(context: RunContext) -> list[dict]:
    """Each in-scope rejected row with its input row number and reason, by ["row", "reason"]."""
    return [{"row": r.row, "reason": r.reason} for r in context.rejected_in_scope]
