"""The Evidence, Data quality and Lineage sheets: what the run stood on, what counted against it, how to replay it."""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from kernel.sufficiency import BLOCKED, EFFECT, GUARANTEES, REBATE, REPRICING
from services.publisher.adapters.workbook.workbook_banner import write_heading
from services.publisher.adapters.workbook.workbook_cells import FIRST_ROW, Formats, width, write_table
from services.publisher.domain.run_context import RunContext

# Which formulas a kind of evidence feeds (calculations.md 3): the contract prices every guarantee.
SUPPORTS = {"contract_packet": GUARANTEES, "rebate_evidence": (REBATE,), "proposal": (REPRICING,)}
# What a blocking reason asks for, so the reader sees what would lift the block. Mirrors calc's MISSING_EVIDENCE
# (services/calc/domain/run.py) and extends it to the other blocking reasons of calculations.md 4.
NEEDED = {"contract_evidence_missing": "contract_packet covering the scope",
          "contract_period_gap": "contract_packet whose effective window covers the scope window",
          "rebate_evidence_missing": "rebate_evidence for the scope window",
          "rebate_evidence_period_mismatch": "rebate_evidence for exactly the scope window",
          "rebate_scope_partial": "a whole-client scope (rebates received are client-wide)",
          "no_claims_in_scope": "claims in the scope"}
EVIDENCE_COLUMNS = ["evidence_id", "kind", "governance", "version", "sha256", "supports"]
MISSING_COLUMNS = ["formula_id", "blocked_reason", "needed"]
# Only what concerns the scope: rows_read and rejects_by_reason cover the whole input, other clients included.
SCOPE_COUNTS = ("rejected_in_scope", "rows_out_of_scope", "reversed_pairs", "orphan_reversals", "suspect_channel")
LINEAGE_FIELDS = ("run_id", "scope_hash", "registry_version", "trace_id", "itr_request_id", "claims_snapshot_id",
                  "created_at")


def write_evidence(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    row = write_heading(sheet, context, formats)
    present = [f["id"] for f in context.formulas]
    refs = [{**ref, "supports": "; ".join(f for f in present if f in SUPPORTS.get(ref["kind"], ()))}
            for ref in context.evidence]
    row = write_table(sheet, row, EVIDENCE_COLUMNS, refs, formats, main=True) + 1
    missing = [{"formula_id": f["id"], "blocked_reason": r, "needed": NEEDED.get(r, "")}
               for f in context.formulas for r in f["reasons"] if EFFECT.get(r) == BLOCKED]
    sheet.write_string(row, 0, "missing_evidence", formats.label)
    write_table(sheet, row + 1, MISSING_COLUMNS, missing, formats)
    for col, w in enumerate((26, 26, 52, 10, 68, 60)):
        sheet.set_column(col, col, w)


def write_data_quality(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    """The scope's row counts, then each in-scope rejected row with its input row number and reason."""
    row = write_heading(sheet, context, formats)
    quality = context.result["data_quality"]
    counts = [{"measure": name, "rows": quality[name]} for name in SCOPE_COUNTS]
    row = write_table(sheet, row, ["measure", "rows"], counts, formats) + 1
    rejected = [{"row": r.row, "reason": r.reason} for r in context.rejected_in_scope]
    write_table(sheet, row, ["row", "reason"], rejected, formats, main=True)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 68)


def write_lineage(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    """Everything needed to replay the run: ids, versions, input hashes and the run's own timestamp."""
    row = write_heading(sheet, context, formats)
    lineage = context.lineage
    facts = [{"field": k, "value": str(lineage.get(k, ""))} for k in LINEAGE_FIELDS]
    facts += [{"field": k, "value": str(v)} for k, v in sorted(lineage.get("input_hashes", {}).items())]
    facts += [{"field": k, "value": "" if v is None else str(v)} for k, v in context.result["inputs"].items()
              if k not in lineage.get("input_hashes", {})]
    sheet.freeze_panes(FIRST_ROW, 0)  # a short key/value list: keeping the run rows in view is enough
    row = write_table(sheet, row, ["field", "value"], facts, formats) + 1
    versions = [{"formula_id": f["formula_id"], "version": f["version"]} for f in lineage.get("formulas", ())]
    write_table(sheet, row, ["formula_id", "version"], versions, formats)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, width("sha256"))

