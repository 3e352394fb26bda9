"""Each formula's row in the status tables: the PDF cover's "Status of each formula" and the workbook Summary's
formulas table (calculations.md 4: each formula's status beside readiness, its reasons in words, its headline
figure, and no figure for a blocked one). The renderers (adapters/pdf/report_cover.py,
adapters/workbook/workbook_summary.py) lay them out and choose the markup and cell formats."""
from __future__ import annotations

from dataclasses import dataclass

from kernel.sufficiency import BLOCKED, REPRICING
from kernel.words import PROJECTION, formula_title, reason_sentence
from services.publisher.domain.cover_view import headline
from services.publisher.domain.formula_labels import formula_name, headline_of, note_of, reasons_text
from services.publisher.domain.run_context import RunContext

GOVERNED = "Rests on governed evidence."   # the cover's "why" of a formula with no reason against it
SUMMARY_COLUMNS = ["formula", "status", "why", "figure", "value", "note", "code"]
FIGURE_WORDS = {"shortfall": "shortfall", "gdr": "generic dispensing rate", "total_savings": "total savings"}


@dataclass(frozen=True)
class CoverStatus:
    formula_id: str
    title: str
    status: str
    why: str             # the reasons as sentences (repricing: that it is a projection)
    codes: str           # the reason codes, comma-joined, printed small under the words
    measure: str         # what the formula concludes ("Shortfall owed")
    figure: str | None   # as written ("$1,234.00", "82.58%"); None: no figure (blocked)


@dataclass(frozen=True)
class SummaryRow:
    title: str
    status: str
    why: str
    figure: str          # the headline figure's name in words
    field: str           # the result field it is, which sets the value's number format
    value: object        # as the result holds it; None for a blocked formula, which shows no figure
    note: str            # the caveat ("MODELED — …"), empty for a final formula
    code: str            # "awp_discount_guarantee v1"


def cover_status(result: dict) -> list[CoverStatus]:
    rows = []
    for formula in result["formulas"]:
        measure, shown = headline(formula)
        why = "; ".join(reason_sentence(r) for r in formula["reasons"])
        if formula["id"] == REPRICING:
            why = PROJECTION
        rows.append(CoverStatus(formula["id"], formula_title(formula["id"]), formula["status"], why or GOVERNED,
                                ", ".join(formula["reasons"]), measure, shown))
    return rows


def summary_rows(context: RunContext) -> list[SummaryRow]:
    rows = []
    for formula in context.formulas:
        field = headline_of(formula)
        value = None if formula["status"] == BLOCKED else formula.get(field)
        rows.append(SummaryRow(formula_title(formula["id"]), formula["status"], reasons_text(formula),
                               FIGURE_WORDS.get(field, field), field, value, note_of(formula), formula_name(formula)))
    return rows
