"""The report's run pages: cover, evidence and blocked state, data quality of the scope, lineage.

Data quality shows only what concerns the scope: the whole-input rejected_rows list is for the analyst.
"""
from __future__ import annotations

from reportlab.platypus import PageBreak, Paragraph, Spacer

from services.publisher.domain.report_format import count
from services.publisher.domain.report_formulas import missing_evidence, reasons_text
from services.publisher.domain.report_pages import StatusMark
from services.publisher.domain.report_tables import STYLES, grid, pairs, status_word, text
from services.publisher.domain.run_context import RunContext

SCOPE_COUNTS = ("rejected_in_scope", "rows_out_of_scope", "reversed_pairs", "orphan_reversals", "suspect_channel")
SHOWN_REJECTS = 200  # an in-scope reject list longer than this is summarized: the workbook holds every row


def cover(context: RunContext) -> list:
    scope = context.scope
    rows = [("client_id", scope["client_id"]), ("pbm_id", scope["pbm_id"])]
    if scope["tpa_id"] is not None:
        rows.append(("tpa_id", scope["tpa_id"]))
    if scope["group_ids"]:
        rows.append(("group_ids", ", ".join(scope["group_ids"])))
    rows += [("period", f"{scope['date_from']} to {scope['date_to']}"), ("run_id", context.run_id),
             ("scope_hash", context.scope_hash), ("created_at", context.lineage["created_at"])]
    partial = " (partial scope)" if scope["tpa_id"] is not None or scope["group_ids"] else ""
    return [Spacer(0, 40), Paragraph("Pharmacy benefit audit report", STYLES["title"]),
            text(f"{scope['client_id']} / {scope['pbm_id']}, {scope['date_from']} to {scope['date_to']}{partial}",
                 "subtitle"),
            Spacer(0, 20), Paragraph(f"Readiness: {status_word(context.readiness)}", STYLES["readiness"]),
            Spacer(0, 20), pairs(rows, align="CENTER"),
            Spacer(0, 14), text("final: every figure rests on governed evidence. modeled: figures are labelled "
                                "MODELED and are estimates, not guarantee conclusions. blocked: the evidence is "
                                "insufficient, so no figure is shown.")]


def evidence(context: RunContext) -> list:
    """The evidence the run rests on, and every formula that is not final with what it lacks."""
    rows = [[text(e["evidence_id"], "cell"), text(e["kind"], "cell"),
             text(e["governance"], "cell"), text(str(e.get("version", "")), "cell"), text(e.get("sha256", ""), "mono")]
            for e in context.evidence]
    shades = {i: "modeled" for i, e in enumerate(context.evidence) if e["governance"] == "candidate"}
    flow = [PageBreak(), *(StatusMark(f["status"]) for f in context.formulas),
            Paragraph("Evidence and blocked state", STYLES["h1"]),
            Paragraph("Evidence", STYLES["h2"]),
            grid(["evidence_id", "kind", "governance", "version", "sha256"], rows,
                 widths=[140, 100, 100, 50, 330], shaded_rows=shades) if rows else text("No evidence was recorded.")]
    not_final = [f for f in context.formulas if f["status"] != "final"]
    flow.append(Paragraph("Formulas that are not final", STYLES["h2"]))
    if not not_final:
        return flow + [text("Every formula is final.")]
    rows = [[text(f["id"], "cell"), Paragraph(status_word(f["status"]), STYLES["cell"]),
             text(reasons_text(f), "cell"), text("; ".join(missing_evidence(f)) or "-", "cell")] for f in not_final]
    return flow + [grid(["formula", "status", "reasons", "missing evidence"], rows, widths=[140, 60, 240, 280],
                        shaded_rows={i: f["status"] for i, f in enumerate(not_final)})]


def data_quality(context: RunContext) -> list:
    quality = context.result["data_quality"]
    flow = [Paragraph("Data quality of the scope", STYLES["h1"]),
            text("Counts that concern this run's scope. Rows of other clients, PBMs or periods are counted in "
                 "rows_out_of_scope and never listed."),
            Spacer(0, 6), grid(list(SCOPE_COUNTS), [[text(count(quality[k]), "number") for k in SCOPE_COUNTS]])]
    rejects = context.rejected_in_scope
    if rejects:
        shown = ", ".join(f"row {r.row}: {r.reason}" for r in rejects[:SHOWN_REJECTS])
        more = f" (and {count(len(rejects) - SHOWN_REJECTS)} more)" if len(rejects) > SHOWN_REJECTS else ""
        flow += [Paragraph("Rejected rows that count against the scope", STYLES["h2"]), text(shown + more, "cell")]
    return flow


def lineage(context: RunContext) -> list:
    record, inputs = context.lineage, context.result["inputs"]
    rows = [("run_id", context.run_id), ("scope_hash", context.scope_hash),
            ("registry_version", str(record["registry_version"]))]
    rows += [(f"formula {f['formula_id']}", f"version {f['version']}") for f in record["formulas"]]
    rows += [(name, value) for name, value in sorted(record.get("input_hashes", {}).items())]
    rows += [(name, inputs[name] or "none") for name in ("contract_packet_id", "rebate_evidence_id", "proposal_id")]
    rows += [("claims_snapshot_id", record.get("claims_snapshot_id") or "none"),
             ("trace_id", record.get("trace_id") or "none"),
             ("itr_request_id", record.get("itr_request_id") or "none"), ("created_at", record["created_at"])]
    return [Paragraph("Lineage", STYLES["h1"]), pairs(rows, widths=(180, 400))]
