"""The evidence a run stood on, as the PDF's closing table (TableView, in words) and the workbook's Evidence sheet
(records keyed by column) show it: each document, the formulas it feeds, and what a blocked formula is missing.
The renderers (adapters/pdf/report_sections.py, adapters/workbook/workbook_records.py) lay them out only."""
from __future__ import annotations

from kernel.sufficiency import BLOCKED, EFFECT, GUARANTEES, MODELED, REBATE, REPRICING
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.table_view import MONO, Cell, TableView

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
# The PDF names a kind and a governance in words.
KINDS = {"contract_packet": "Contract terms", "rebate_evidence": "Rebate statement", "proposal": "Proposal"}
GOVERNANCE = {"governed_exact": "Governed, exact", "governed_lineage": "Governed, traced to its source",
              "candidate": "Candidate, not yet governed"}
EVIDENCE_HEADER = ("Evidence", "Id", "Governance", "Version", "SHA-256 of the document")


def evidence_records(context: RunContext) -> list[dict]:
    """The workbook's evidence references, each with the run's formulas it supports ("; "-joined)."""
    present = [f["id"] for f in context.formulas]
    return [{**ref, "supports": "; ".join(f for f in present if f in SUPPORTS.get(ref["kind"], ()))}
            for ref in context.evidence]


def missing_evidence(context: RunContext) -> list[dict]:
    """One record per blocking reason of each formula, with the evidence that would lift it."""
    return [{"formula_id": f["id"], "blocked_reason": r, "needed": NEEDED.get(r, "")}
            for f in context.formulas for r in f["reasons"] if EFFECT.get(r) == BLOCKED]


def evidence_rows(context: RunContext) -> TableView:
    """The PDF's evidence table; a candidate document's row is shaded as modeled (no rows: none was recorded)."""
    rows = tuple((Cell(KINDS.get(e["kind"], e["kind"])), Cell(e["evidence_id"], MONO),
                  Cell(GOVERNANCE.get(e["governance"], e["governance"])), Cell(str(e.get("version", ""))),
                  Cell(e.get("sha256", ""), MONO)) for e in context.evidence)
    shaded = {i: MODELED for i, e in enumerate(context.evidence) if e["governance"] == "candidate"}
    return TableView(EVIDENCE_HEADER, rows, shaded_rows=shaded)
