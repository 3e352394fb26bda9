"""The rows of a formula's section (calculations.md 3): in the PDF its buckets, the claims it left out, the generic
dispensing rate and what a blocked one is missing, formatted as the reader sees them (report_format); in the
workbook's formula sheet the exclusions and the totals of a formula it has no layout for, as the result holds them.
The renderers (adapters/pdf/report_formulas.py, adapters/workbook/workbook_formulas.py) lay them out only."""
from __future__ import annotations

from decimal import Decimal

from kernel.sufficiency import AWP, BLOCKED, EFFECT, FEE, REBATE, REPRICING
from kernel.words import EXCLUSION_SENTENCES, bucket_title
from services.publisher.domain.report_format import FIELD_TITLES, count, field_text, money
from services.publisher.domain.table_view import LABEL, NUMBER, TOTAL, Cell, TableView

# The result's bucket fields each formula's table shows, in order, after the bucket's name.
COLUMNS = {AWP: ("claims", "members", "awp", "ingredient_cost", "actual_discount", "guaranteed_discount",
                 "guaranteed_cost", "variance"),
           FEE: ("claims", "members", "fees", "dispensing_fee", "guaranteed_fees", "variance"),
           REBATE: ("brand_claims", "rebate_per_claim", "guaranteed", "received", "variance"),
           REPRICING: ("claims", "current_cost", "proposed_cost", "savings")}
BUCKET_HEADER = "Channel and drug type"
GDR_FIELDS = ("claims", "generic_claims", "gdr")
# What would lift each blocking reason: the evidence (or data) the run is missing, in words.
MISSING = {"no_claims_in_scope": "claims of the audit period in this scope",
           "contract_evidence_missing": "the executed contract covering the audit period",
           "contract_period_gap": "a contract whose effective dates cover the whole audit period",
           "rebate_evidence_missing": "the PBM's rebate statement for the audit period",
           "rebate_evidence_period_mismatch": "a rebate statement covering exactly the audit period",
           "rebate_scope_partial": "an audit of the whole client (rebates are paid client-wide)"}
EXCLUDED_COLUMNS = ["excluded", "claims", "why"]
NOT_TOTALS = frozenset({"id", "version", "status", "reasons", "excluded", "buckets"})


def bucket_rows(formula: dict, total: str | None = None) -> TableView:
    """One row per bucket; `total`: the result field the last column sums to, as the table's last row."""
    columns = COLUMNS[formula["id"]]
    rows = [(Cell(bucket_title(b["channel"], b["brand_generic"])), *(Cell(field_text(c, b.get(c)), NUMBER)
                                                                     for c in columns))
            for b in formula["buckets"]]
    if total is not None:
        rows.append((Cell(FIELD_TITLES[total], LABEL), *(Cell("") for _ in columns[:-1]),
                     Cell(money(Decimal(formula[total])), TOTAL)))
    return TableView((BUCKET_HEADER, *(FIELD_TITLES[c] for c in columns)), tuple(rows), formula["status"],
                     total_row=total is not None)


def exclusion_rows(formula: dict) -> TableView:
    """The claims the formula left out, by reason in words. Only the reasons that left a claim out: a column of
    zeros is noise a reader must read past (no rows: the renderer says none was left out)."""
    rows = tuple((Cell(sentence_case(EXCLUSION_SENTENCES[reason]), code=reason), Cell(count(n), NUMBER))
                 for reason, n in formula["excluded"].items() if n)
    return TableView(("Reason", "Claims"), rows, formula["status"])


def generic_rate_rows(formula: dict) -> TableView:
    """The generic dispensing rate's one row: claims, generic claims, the rate."""
    return TableView(tuple(FIELD_TITLES[f] for f in GDR_FIELDS),
                     ((*(Cell(field_text(f, formula[f]), NUMBER) for f in GDR_FIELDS),),), formula["status"])


def missing_words(formula: dict) -> list[str]:
    """What would complete a blocked formula, one phrase per blocking reason the words are known for."""
    return [MISSING[r] for r in formula["reasons"] if EFFECT.get(r) == BLOCKED and r in MISSING]


def excluded_records(formula: dict) -> list[dict]:
    """The workbook's exclusions of one formula, every reason (zeros too: a sheet is for checking), by
    EXCLUDED_COLUMNS."""
    return [{"excluded": reason, "claims": claims, "why": EXCLUSION_SENTENCES.get(reason, "")}
            for reason, claims in formula["excluded"].items()]


def plain_totals(formula: dict) -> list[dict]:
    """A formula the workbook has no layout for yet: its totals as {"field", "value"} text, nothing left out."""
    return [{"field": k, "value": str(v)} for k, v in formula.items() if k not in NOT_TOTALS]


def sentence_case(words: str) -> str:
    """The first letter up, the rest as written ("no AWP price" → "No AWP price", never "No awp price")."""
    return words[:1].upper() + words[1:]
