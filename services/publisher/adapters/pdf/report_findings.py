"""What the auditor found beyond the formulas' totals: unguaranteed claims, suspect-channel claims, data quality.

Aggregates and the listed findings only (ClaimFindings, gathered as the claims streamed past): the PDF never
holds the run's claims. The whole-input rejected_rows list is for the analyst; only the scope's rejects show.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import CondPageBreak, Paragraph

from kernel.words import SUSPECT_CHANNEL, UNGUARANTEED_BUCKET, UNGUARANTEED_REBATE, formula_title
from services.publisher.adapters.pdf.report_tables import STYLES, code, table, text
from services.publisher.domain.claim_findings import ClaimFindings
from services.publisher.domain.findings_rows import (
    data_quality_rows,
    suspect_rows,
    unguaranteed_rebate_rows,
    unguaranteed_rows,
)
from services.publisher.domain.report_format import count
from services.publisher.domain.run_context import RunContext

WIDTH = 720.0
SHOWN_SUSPECTS = 25   # the workbook lists every one
SHOWN_REJECTS = 200   # an in-scope reject list longer than this is summarized: the workbook holds every row


def findings(context: RunContext) -> list:
    return [CondPageBreak(110), Paragraph("Audit findings", STYLES["h1"]), *unguaranteed(context),
            *unguaranteed_rebate(context), *suspect_channel(context), *data_quality(context), *rejected_rows(context)]


def unguaranteed(context: RunContext) -> list:
    """Every bucket with no contract term (`no_term`): claims and spend, and what each formula left out for it."""
    flow = [Paragraph("Claims with no contract guarantee", STYLES["h2"]), text(UNGUARANTEED_BUCKET)]
    left_out = [(f, f["excluded"]["no_term"]) for f in context.formulas if f.get("excluded", {}).get("no_term")]
    found = context.findings.unguaranteed if context.findings else ()
    if not left_out and not found:
        return flow + [text("None: every claim falls in a channel and drug type the contract guarantees.")]
    if found:
        flow.append(table(unguaranteed_rows(found), widths=[170, 90, 90, 120, 120, 120]))
    if left_out:
        words = "; ".join(f"{formula_title(f['id'])}: {count(n)} claims" for f, n in left_out)
        flow.append(Paragraph(f"Claims each formula left out for want of a term: {escape(words)}. {code('no_term')}",
                              STYLES["body"]))
    return flow


def unguaranteed_rebate(context: RunContext) -> list:
    """Brand claims in channels without a rebate term: the channel named, so received_other can be traced to it."""
    found = context.findings.unguaranteed_rebate if context.findings else ()
    if not found:
        return []
    return [Paragraph("Brand claims with no rebate guarantee", STYLES["h2"]),
            Paragraph(f"{escape(UNGUARANTEED_REBATE)} {code('rebate_guarantee: no_term')}", STYLES["body"]),
            table(unguaranteed_rebate_rows(found), widths=[170, 90, 90, 120])]


def suspect_channel(context: RunContext) -> list:
    number = context.result["data_quality"]["suspect_channel"]
    flow = [Paragraph("Retail 30-day claims shaped like 90-day fills", STYLES["h2"]),
            Paragraph(f"{escape(SUSPECT_CHANNEL)} This scope has <b>{count(number)}</b>. {code('suspect_channel')}",
                      STYLES["body"])]
    listed = _suspects(context.findings)
    if listed:
        flow.append(table(suspect_rows(listed), widths=[95, 70, 215, 65, 65, 105, 105]))
        if number > len(listed):
            flow.append(text(f"{count(len(listed))} of {count(number)} shown; the workbook lists every one.", "small"))
    return flow


def _suspects(found: ClaimFindings | None) -> tuple:
    return found.suspect_channel[:SHOWN_SUSPECTS] if found else ()


def data_quality(context: RunContext) -> list:
    return [Paragraph("Data quality of the scope", STYLES["h2"]),
            table(data_quality_rows(context), widths=[560, 100])]


def rejected_rows(context: RunContext) -> list:
    rejects = context.rejected_in_scope
    if not rejects:
        return []
    shown = ", ".join(f"row {r.row}: {r.reason}" for r in rejects[:SHOWN_REJECTS])
    more = f" (and {count(len(rejects) - SHOWN_REJECTS)} more)" if len(rejects) > SHOWN_REJECTS else ""
    return [Paragraph("Rows of this scope rejected as malformed", STYLES["h2"]), text(shown + more, "small")]
