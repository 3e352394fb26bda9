"""What the PDF report says of itself: its document properties (title, author, subject: from the run, never the
environment's user) and the header and status band every page carries. The PDF renderer (adapters/pdf/report_pdf.py,
report_pages.py) draws these; calculations.md 4: the band names the final formulas first, so a blocked rebate does
not read as a blocked audit."""
from __future__ import annotations

from dataclasses import dataclass

from kernel.sufficiency import BLOCKED, MODELED
from kernel.words import FORMULA_SHORT
from services.publisher.domain.audit_summary import audit_formulas
from services.publisher.domain.run_context import RunContext

AUTHOR = "LeafEnterprise publisher"


@dataclass(frozen=True)
class ReportDocument:
    title: str         # the document property: ids only (read without the page, e.g. in a file list)
    author: str
    subject: str
    page_title: str    # every page's header: names beside the ids
    band: str          # every page's status band, in words
    band_status: str   # final | modeled | blocked: the band's colour


def report_document(context: RunContext) -> ReportDocument:
    words, status = band(context.result)
    return ReportDocument(title_of(context), AUTHOR, f"run_id {context.run_id} scope_hash {context.scope_hash}",
                          page_title(context), words, status)


def title_of(context: RunContext) -> str:
    scope = context.scope
    return f"Pharmacy benefit audit {scope['client_id']} / {scope['pbm_id']} {scope['date_from']} to {scope['date_to']}"


def page_title(context: RunContext) -> str:
    scope = context.scope
    return (f"Pharmacy benefit audit - {context.client_label} / {context.pbm_label} - "
            f"{scope['date_from']} to {scope['date_to']}")


def band(result: dict) -> tuple[str, str]:
    """The run's status in one line, on every page's band: (words, colour status). The count of final formulas
    comes first, so a blocked rebate does not read as a blocked audit."""
    audit = audit_formulas(result)
    final = sum(1 for f in audit if f["status"] == "final")
    parts = [f"{final} of {len(audit)} formulas final"]
    for status, meaning in ((MODELED, "estimates, not final"), (BLOCKED, "no figure")):
        named = [FORMULA_SHORT[f["id"]] for f in audit if f["status"] == status]
        if named:
            parts.append(f"{status.upper()} ({meaning}): {', '.join(named)}")
    return "; ".join(parts) + f" - audit readiness {result['readiness'].upper()}", result["readiness"]
