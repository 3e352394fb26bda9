"""The result of calculations.md 5: key order as documented, blocked fields nulled, canonical bytes."""
from __future__ import annotations

import json

from kernel.scope import Scope
from kernel.sufficiency import BLOCKED
from services.calc.domain.registry import REGISTRY_VERSION, formula_versions, nulled_when_blocked


def formula_entry(formula_id: str, status: str, reasons: list[str], body: dict) -> dict:
    """id, version, status, reasons, then the formula's own fields; a blocked formula keeps only aggregates."""
    if status == BLOCKED:
        body = _without_guarantees(body, nulled_when_blocked(formula_id))
    return {"id": formula_id, "version": formula_versions()[formula_id], "status": status, "reasons": reasons,
            **body}


def _without_guarantees(body: dict, fields: tuple[str, ...]) -> dict:
    nulled = {key: (None if key in fields else value) for key, value in body.items()}
    if "buckets" in body:
        nulled["buckets"] = [{key: (None if key in fields else value) for key, value in row.items()}
                             for row in body["buckets"]]
    return nulled


def inputs(claims_sha256: str, contract_packet_id: str | None, rebate_evidence_id: str | None,
           proposal_id: str | None) -> dict:
    return {"claims_sha256": claims_sha256, "contract_packet_id": contract_packet_id,
            "rebate_evidence_id": rebate_evidence_id, "proposal_id": proposal_id}


def result_document(scope: Scope, run_inputs: dict, data_quality: dict, readiness: str, formulas: list[dict]) -> dict:
    return {"registry_version": REGISTRY_VERSION, "scope": scope.canonical(), "scope_hash": scope.scope_hash,
            "inputs": run_inputs, "data_quality": data_quality, "readiness": readiness, "formulas": formulas}


def render(result: dict) -> bytes:
    """Canonical bytes: documented key order (not sorted), no spaces, raw UTF-8, one trailing newline."""
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
