"""The offline twin of a service run: the same context the publisher assembles, built from local files.

Claims are read by the calc domain's pure reader (one pass gives the result, the netted claims and the
rejects), evidence from the JSON files given. The run id is derived exactly as the calc service derives
it; evidence — a proposal too — is referenced by the SHA-256 of its file, which is the sha256 the evidence service
records for the same file, so a run with `--proposal` has the service's run id and never the one without it.
`created_at` is SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else now — so pinning it gives
the same bytes on every replay.
"""
from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from kernel.scope import Scope
from services.calc.domain.calculate import calculate, check_evidence_scope
from services.calc.domain.claim_eligibility import claim_eligibility, judged
from services.calc.domain.claim_lines import claim_lines, netted_claims, rejects_in_scope
from services.calc.domain.registry import REGISTRY_VERSION
from services.calc.domain.run import rebates_received_other, run_id_for
from services.publisher.domain.extract import Pseudonymizer, rows_of
from services.publisher.domain.run_context import RejectedRow, RunContext


def created_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.isoformat(timespec="seconds")


def _reference(path: Path | None, evidence, kind: str, id_field: str) -> dict | None:
    if evidence is None:
        return None
    return {"evidence_id": getattr(evidence, id_field), "kind": kind, "governance": evidence.governance,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "version": 0}


def offline_context(args, batch, contract, rebates, proposal, secret: bytes) -> RunContext:
    """args: the `leaf calc` arguments; batch: the pure reader's ClaimsBatch; evidence already parsed."""
    scope = Scope.parse(args.client, args.pbm, args.date_from, args.date_to, args.tpa, tuple(args.group))
    check_evidence_scope(scope, contract, rebates)
    result = calculate(batch, scope, contract, rebates, proposal)
    evidence = [ref for ref in (_reference(args.contract, contract, "contract_packet", "packet_id"),
                                _reference(args.rebates, rebates, "rebate_evidence", "evidence_id"),
                                _reference(args.proposal, proposal, "proposal", "proposal_id")) if ref]
    run_id = run_id_for(scope.scope_hash, REGISTRY_VERSION, batch.sha256, [e["sha256"] for e in evidence], "")
    lineage = {
        "run_id": run_id, "scope_hash": scope.scope_hash, "registry_version": REGISTRY_VERSION,
        "formulas": [{"formula_id": f["id"], "version": f["version"]} for f in result["formulas"]],
        "input_hashes": {"claims_sha256": batch.sha256, **{f"{e['kind']}_sha256": e["sha256"] for e in evidence}},
        "evidence": evidence, "trace_id": "", "itr_request_id": "", "claims_snapshot_id": "", "created_at": created_at(),
        "rebates_received_other": rebates_received_other(contract, rebates),
    }
    rejected = tuple(RejectedRow(r.row, r.reason) for r in rejects_in_scope(batch.rejects, scope))
    netted = claim_lines(netted_claims(batch, scope))  # awp_ext and places exactly as the stores give them
    pseudonym = Pseudonymizer(secret, scope.client_id)
    eligibility = claim_eligibility(contract, proposal)  # the rules the formulas applied, claim by claim
    return RunContext(run_id, result, lineage, rejected, lambda: rows_of(run_id, judged(netted, eligibility), pseudonym))
