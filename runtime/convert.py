"""Translation between the shared exact Scope and its proto messages (leaf.common.v1)."""
from __future__ import annotations

from leaf.common.v1 import common_pb2

from runtime.errors import InputError
from runtime.scope import Scope

READINESS = {"final": common_pb2.FINAL, "modeled": common_pb2.MODELED, "blocked": common_pb2.BLOCKED}
READINESS_NAME = {value: name for name, value in READINESS.items()}
GOVERNANCE = {
    "governed_exact": common_pb2.GOVERNED_EXACT,
    "governed_lineage": common_pb2.GOVERNED_LINEAGE,
    "candidate": common_pb2.CANDIDATE,
}
GOVERNANCE_NAME = {value: name for name, value in GOVERNANCE.items()}
EVIDENCE_KIND = {"contract_packet": common_pb2.CONTRACT_PACKET, "rebate_evidence": common_pb2.REBATE_EVIDENCE}
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
