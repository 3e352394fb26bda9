"""What a formula's sheet and the workbook Summary say of it beside its figures: its registry name, its headline
figure, the caveat its status carries and its reasons in words, and the title of a chart of it (calculations.md 4:
nothing modeled reads as a final guarantee claim, repricing is a projection). The workbook and PDF renderers
(adapters/workbook/, adapters/pdf/) print these."""
from __future__ import annotations

from kernel.sufficiency import BLOCKED, MODELED, REPRICING
from kernel.words import PROJECTION, reason_sentence
from services.publisher.domain.report_format import HEADLINE

MODELED_LABEL = "MODELED — not a final guarantee claim"
BLOCKED_LABEL = "BLOCKED — no figure is shown; see the reasons"
FINAL_REASONS = "none: the evidence is sufficient for a final figure"


def formula_name(formula: dict) -> str:
    """`id@version`, as the registry names a formula (calculations.md 3)."""
    return f"{formula['id']}@{formula['version']}"


def headline_of(formula: dict) -> str:
    return HEADLINE.get(formula["id"]) or next((k for k in ("shortfall", "total_savings", "gdr") if k in formula), "")


def note_of(formula: dict) -> str:
    if formula["id"] == REPRICING and formula["status"] != BLOCKED:
        return PROJECTION
    return {BLOCKED: BLOCKED_LABEL, MODELED: MODELED_LABEL}.get(formula["status"], "")


def reasons_text(formula: dict) -> str:
    return "; ".join(reason_sentence(r) for r in formula["reasons"]) or FINAL_REASONS


def chart_title(text: str, status: str) -> str:
    """The title the report prints above a chart (as PDF text, so it is searchable and read aloud)."""
    return f"{text} - MODELED, not final" if status == "modeled" else text
