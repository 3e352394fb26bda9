"""Evidence at the edge: packet listings and metadata for one client, and the sufficiency answer for a scope."""
from __future__ import annotations

import json

from leaf.evidence.v1 import evidence_pb2
from leaf.scope.v1 import scope_pb2
from runtime.clients import call
from runtime.convert import EVIDENCE_KIND_NAME, GOVERNANCE_NAME, READINESS_NAME
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.ports import Mesh
from services.gateway.service_layer.runs import READ_RETRIES, exact_scope


async def list_packets(mesh: Mesh, identity: Identity, client_id: str, pbm_id: str) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    reply = await call(mesh.evidence.ListPackets, evidence_pb2.ListPacketsRequest(client_id=client_id, pbm_id=pbm_id),
                       timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return {"packets": [packet_to_json(p) for p in reply.packets]}


async def get_packet(mesh: Mesh, identity: Identity, packet_id: str, client_id: str) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    packet = await call(mesh.evidence.GetPacket, evidence_pb2.GetPacketRequest(packet_id=packet_id, client_id=client_id),
                        timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return {**packet_to_json(packet), "body": json.loads(packet.body_json)}


async def get_document(mesh: Mesh, identity: Identity, packet_id: str, client_id: str) -> evidence_pb2.Document:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    return await call(mesh.evidence.GetDocument, evidence_pb2.GetDocumentRequest(packet_id=packet_id, client_id=client_id),
                      timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)


async def check_sufficiency(mesh: Mesh, identity: Identity, request: scope_pb2.ResolveScopeRequest,
                            formula_ids: list[str], proposal_id: str = "") -> dict:
    grant, scope = await exact_scope(mesh, identity, request)
    reply = await call(mesh.evidence.CheckSufficiency,
                       evidence_pb2.CheckSufficiencyRequest(scope=scope, formula_ids=formula_ids,
                                                            proposal_id=proposal_id),
                       timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return {
        "scope": json.loads(scope.canonical_json), "scope_hash": scope.scope_hash,
        "formulas": [{"formula_id": f.formula_id, "version": f.version, "status": READINESS_NAME[f.status],
                      "reasons": list(f.reasons), "missing_evidence": list(f.missing_evidence)} for f in reply.formulas],
        "evidence": [{"evidence_id": e.evidence_id, "kind": EVIDENCE_KIND_NAME[e.kind],
                      "governance": GOVERNANCE_NAME[e.governance], "sha256": e.sha256, "version": e.version}
                     for e in reply.evidence],
    }


def packet_to_json(packet: evidence_pb2.Packet) -> dict:
    """Public metadata only: the document's name in the client's tree, never a download URL or local path."""
    return {
        "packet_id": packet.packet_id, "version": packet.version,
        "kind": EVIDENCE_KIND_NAME[packet.kind], "client_id": packet.client_id,
        "pbm_id": packet.pbm_id, "governance": GOVERNANCE_NAME[packet.governance],
        "effective_from": packet.effective_from, "effective_to": packet.effective_to, "sha256": packet.sha256,
        "document": {"system": packet.document.system, "name": packet.document.name, "sha256": packet.document.sha256,
                     "size": packet.document.size, "retrieved_at": packet.document.retrieved_at},
    }
