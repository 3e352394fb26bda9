"""What the auditor found beyond the formulas' totals: unguaranteed claims, suspect-channel claims, data quality.

Aggregates and the listed findings only (ClaimFindings, gathered as the claims streamed past): the PDF never
holds the run's claims. The whole-input rejected_rows list is for the analyst; only the scope's rejects show.
"""
from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.platypus import CondPageBreak, Paragraph

from kernel.words import SUSPECT_CHANNEL, UNGUARANTEED_BUCKET, UNGUARANTEED_REBATE, bucket_title, formula_title
from services.publisher.adapters.pdf.report_tables import STYLES, code, figure, grid, text
from services.publisher.domain.claim_findings import ClaimFindings
from services.publisher.domain.report_format import count, money
from services.publisher.domain.run_context import RunContext

WIDTH = 720.0
ZERO = Decimal("0.00")
SHOWN_SUSPECTS = 25   # the workbook lists every one
SHOWN_REJECTS = 200   # an in-scope reject list longer than this is summarized: the workbook holds every row
QUALITY = (("rejected_in_scope", "Rows of this scope rejected as malformed (left out of every formula)"),
           ("rows_out_of_scope", "Rows of other clients, PBMs or periods in the input (not part of this audit)"),
           ("reversed_pairs", "Paid claims cancelled by their reversal (both left out)"),
           ("orphan_reversals", "Reversals that match no paid claim of the scope"),
           ("suspect_channel", "Retail 30-day claims with 84 or more days' supply (listed above)"))


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
        rows = [[text(bucket_title(b.channel, b.brand_generic), "cell"), figure(count(b.claims), "final"),
                 figure(count(b.members), "final"), figure(money(b.ingredient_cost), "final"),
                 figure(money(b.dispensing_fees), "final"), figure(money(b.spend), "final")] for b in found]
        if len(found) > 1:   # members are not summed: one member can fill in several buckets
            rows.append([text("All unguaranteed claims", "cell_bold"), figure(count(sum(b.claims for b in found)), "final",
                                                                              "number_bold"), text("", "cell"),
                         *(figure(money(sum((getattr(b, f) for b in found), ZERO)), "final", "number_bold")
                           for f in ("ingredient_cost", "dispensing_fees", "spend"))])
        flow.append(grid(["Channel and drug type", "Claims", "Members", "Ingredient cost paid", "Dispensing fees paid",
                          "Spend"], rows, widths=[170, 90, 90, 120, 120, 120], total_row=len(found) > 1))
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
    rows = [[text(bucket_title(b.channel, b.brand_generic), "cell"), figure(count(b.claims), "final"),
             figure(count(b.members), "final"), figure(money(b.spend), "final")] for b in found]
    return [Paragraph("Brand claims with no rebate guarantee", STYLES["h2"]),
            Paragraph(f"{escape(UNGUARANTEED_REBATE)} {code('rebate_guarantee: no_term')}", STYLES["body"]),
            grid(["Channel and drug type", "Claims", "Members", "Spend"], rows, widths=[170, 90, 90, 120])]


def suspect_channel(context: RunContext) -> list:
    number = context.result["data_quality"]["suspect_channel"]
    flow = [Paragraph("Retail 30-day claims shaped like 90-day fills", STYLES["h2"]),
            Paragraph(f"{escape(SUSPECT_CHANNEL)} This scope has <b>{count(number)}</b>. {code('suspect_channel')}",
                      STYLES["body"])]
    listed = _suspects(context.findings)
    if listed:
        rows = [[text(s.claim_id, "cell"), text(s.fill_date.isoformat(), "cell"), text(s.drug_name, "cell"),
                 figure(count(s.days_supply), "final"), figure(f"{s.quantity:,}", "final"),
                 figure(money(s.ingredient_cost_paid), "final"), figure(money(s.dispensing_fee_paid), "final")]
                for s in listed]
        flow.append(grid(["Claim", "Fill date", "Drug", "Days' supply", "Quantity", "Ingredient cost paid",
                          "Dispensing fee paid"], rows, widths=[95, 70, 215, 65, 65, 105, 105]))
        if number > len(listed):
            flow.append(text(f"{count(len(listed))} of {count(number)} shown; the workbook lists every one.", "small"))
    return flow


def _suspects(found: ClaimFindings | None) -> tuple:
    return found.suspect_channel[:SHOWN_SUSPECTS] if found else ()


def data_quality(context: RunContext) -> list:
    quality = context.result["data_quality"]
    rows = [[Paragraph(f"{escape(words)} {code(key)}", STYLES["cell"]), figure(count(quality[key]), "final")]
            for key, words in QUALITY]
    return [Paragraph("Data quality of the scope", STYLES["h2"]),
            grid(["What was counted", "Rows"], rows, widths=[560, 100])]


def rejected_rows(context: RunContext) -> list:
    rejects = context.rejected_in_scope
    if not rejects:
        return []
    shown = ", ".join(f"row {r.row}: {r.reason}" for r in rejects[:SHOWN_REJECTS])
    more = f" (and {count(len(rejects) - SHOWN_REJECTS)} more)" if len(rejects) > SHOWN_REJECTS else ""
    return [Paragraph("Rows of this scope rejected as malformed", STYLES["h2"]), text(shown + more, "small")]
