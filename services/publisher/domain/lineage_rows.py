"""Everything needed to replay a run, as the PDF's closing lineage pairs and the workbook's Lineage sheet (records
keyed by column) show it: ids, versions, input hashes and the run's own timestamp. The renderers
(adapters/pdf/report_sections.py, adapters/workbook/workbook_records.py) lay them out only."""
from __future__ import annotations

from services.publisher.domain.run_context import RunContext

LINEAGE_FIELDS = ("run_id", "scope_hash", "registry_version", "trace_id", "itr_request_id", "claims_snapshot_id",
                  "created_at")
EVIDENCE_INPUTS = ("contract_packet_id", "rebate_evidence_id", "proposal_id")
NONE = "none"   # what the PDF prints for an input or id the run did not have


def lineage_facts(context: RunContext) -> list[dict]:
    """The workbook's {"field", "value"} facts: the lineage's fields, its input hashes, then the result's other
    inputs; an absent value is an empty string, every value is text (a hash must not become a number)."""
    lineage = context.lineage
    hashes = lineage.get("input_hashes", {})
    facts = [{"field": k, "value": str(lineage.get(k, ""))} for k in LINEAGE_FIELDS]
    facts += [{"field": k, "value": str(v)} for k, v in sorted(hashes.items())]
    facts += [{"field": k, "value": "" if v is None else str(v)} for k, v in context.result["inputs"].items()
              if k not in hashes]
    return facts


def formula_versions(context: RunContext) -> list[dict]:
    """The workbook's {"formula_id", "version"} of every formula the run computed."""
    return [{"formula_id": f["formula_id"], "version": f["version"]} for f in context.lineage.get("formulas", ())]


def lineage_pairs(context: RunContext) -> list[tuple[str, str]]:
    """The PDF's (name, value) lineage, in reading order; an input or id the run did not have reads "none"."""
    record, inputs = context.lineage, context.result["inputs"]
    rows = [("run_id", context.run_id), ("scope_hash", context.scope_hash),
            ("registry_version", str(record["registry_version"])),
            ("formula versions", ", ".join(f"{f['formula_id']} {f['version']}" for f in record["formulas"]))]
    rows += [(name, value) for name, value in sorted(record.get("input_hashes", {}).items())]
    rows += [(name, inputs[name] or NONE) for name in EVIDENCE_INPUTS]
    rows += [("claims_snapshot_id", record.get("claims_snapshot_id") or NONE),
             ("trace_id", record.get("trace_id") or NONE),
             ("itr_request_id", record.get("itr_request_id") or NONE), ("created_at", record["created_at"])]
    return rows
