"""Translation between the shared exact Scope and its proto messages (leaf.common.v1)."""
from __future__ import annotations

from kernel.errors import InputError
from kernel.scope import Scope
from leaf.common.v1 import common_pb2

READINESS = {"final": common_pb2.FINAL, "modeled": common_pb2.MODELED, "blocked": common_pb2.BLOCKED}
READINESS_NAME = {value: name for name, value in READINESS.items()}
GOVERNANCE = {
    "governed_exact": common_pb2.GOVERNED_EXACT,
    "governed_lineage": common_pb2.GOVERNED_LINEAGE,
    "candidate": common_pb2.CANDIDATE,
    "proposed": common_pb2.PROPOSED,  # a proposal: never governed (kernel/packets.py PROPOSED)
}
GOVERNANCE_NAME = {value: name for name, value in GOVERNANCE.items()}
EVIDENCE_KIND = {"contract_packet": common_pb2.CONTRACT_PACKET, "rebate_evidence": common_pb2.REBATE_EVIDENCE,
                 "proposal": common_pb2.PROPOSAL}
EVIDENCE_KIND_NAME = {value: name for name, value in EVIDENCE_KIND.items()}


def scope_to_proto(scope: Scope) -> common_pb2.ExactScope:
    message = common_pb2.Scope(client_id=scope.client_id, pbm_id=scope.pbm_id, group_ids=scope.group_ids,
                               date_from=scope.date_from.isoformat(), date_to=scope.date_to.isoformat())
    if scope.tpa_id is not None:
        message.tpa_id = scope.tpa_id
    return common_pb2.ExactScope(scope=message, scope_hash=scope.scope_hash,
                                 canonical_json=scope.canonical_json().decode(), partial=scope.is_partial)


def scope_from_proto(message: common_pb2.ExactScope) -> Scope:
    """Rebuild and re-check an exact scope: a hash that does not match its fields is refused."""
    fields = message.scope
    scope = Scope.parse(fields.client_id, fields.pbm_id, fields.date_from, fields.date_to,
                        fields.tpa_id if fields.HasField("tpa_id") else None, tuple(fields.group_ids))
    if message.scope_hash and message.scope_hash != scope.scope_hash:
        raise InputError("bad_input:scope", "scope_hash does not match the scope")
    return scope


def lineage_to_dict(lineage: common_pb2.RunLineage) -> dict:
    """A run's lineage as the API, run.json and every artifact show it (one rendering for all of them)."""
    return {
        "run_id": lineage.run_id, "scope_hash": lineage.scope_hash, "registry_version": lineage.registry_version,
        "formulas": [{"formula_id": f.formula_id, "version": f.version} for f in lineage.formulas],
        "input_hashes": dict(sorted(lineage.input_hashes.items())),
        "evidence": [{"evidence_id": e.evidence_id, "sha256": e.sha256, "version": e.version,
                      "governance": GOVERNANCE_NAME[e.governance],
                      "kind": EVIDENCE_KIND_NAME[e.kind]} for e in lineage.evidence],
        "trace_id": lineage.trace_id, "itr_request_id": lineage.itr_request_id or None,
        "claims_snapshot_id": lineage.claims_snapshot_id, "created_at": lineage.created_at,
        "rebates_received_other": [{"channel": r.channel, "amount": r.amount} for r in lineage.rebates_received_other],
    }
