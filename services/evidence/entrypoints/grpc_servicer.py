"""EvidenceService over gRPC: translate, call the handler, translate back. No URL or local path leaves here."""
from __future__ import annotations

import asyncio

from kernel.identity import operator_of
from kernel.sufficiency import RULES_VERSION
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.convert import EVIDENCE_KIND, GOVERNANCE, GOVERNANCE_NAME, READINESS, scope_from_proto
from runtime.grant_guard import current_grant
from runtime.identity_guard import current_identity
from services.evidence.adapters.repository import SqlPacketRepository
from services.evidence.domain.documents import Document
from services.evidence.domain.governance import PromotePacket
from services.evidence.domain.packets import CONTRACT, REBATES, StoredPacket
from services.evidence.service_layer import handlers


def packet_to_proto(packet: StoredPacket, document: Document | None = None) -> evidence_pb2.Packet:
    """The packet; its SourceDocument is the stored document it names, else the packet file itself."""
    source = (evidence_pb2.SourceDocument(system="onedrive", name=document.name, sha256=document.sha256,
                                          size=document.size, retrieved_at=document.retrieved_at) if document else
              evidence_pb2.SourceDocument(system="onedrive", name=packet.document_name, sha256=packet.sha256,
                                          size=len(packet.body_json), retrieved_at=packet.retrieved_at))
    return evidence_pb2.Packet(
        packet_id=packet.packet_id, kind=EVIDENCE_KIND[packet.kind], client_id=packet.client_id, pbm_id=packet.pbm_id,
        governance=GOVERNANCE[packet.governance], effective_from=packet.effective_from.isoformat(),
        effective_to=packet.effective_to.isoformat(), sha256=packet.sha256, version=packet.version,
        body_json=packet.body_json, document=source,
    )


def evidence_ref(packet: StoredPacket) -> common_pb2.EvidenceRef:
    return common_pb2.EvidenceRef(evidence_id=packet.packet_id, kind=EVIDENCE_KIND[packet.kind], sha256=packet.sha256,
                                  governance=GOVERNANCE[packet.governance], version=packet.version)


class EvidenceServicer(evidence_pb2_grpc.EvidenceServiceServicer):
    def __init__(self, packets: SqlPacketRepository) -> None:
        self.packets = packets

    async def _find(self, kind: str, request) -> evidence_pb2.FindEvidenceResponse:
        scope = scope_from_proto(request.scope)
        packet = await asyncio.to_thread(handlers.find_granted, kind, scope, current_grant(), self.packets)
        if packet is None:
            return evidence_pb2.FindEvidenceResponse(found=False)
        return evidence_pb2.FindEvidenceResponse(found=True, packet=packet_to_proto(packet))

    async def FindContractPacket(self, request, context):
        return await self._find(CONTRACT, request)

    async def FindRebateEvidence(self, request, context):
        return await self._find(REBATES, request)

    async def FindProposal(self, request, context):
        scope = scope_from_proto(request.scope)
        proposal = await asyncio.to_thread(handlers.proposal_granted, scope, request.proposal_id, current_grant(),
                                           self.packets)
        return evidence_pb2.FindEvidenceResponse(found=True, packet=packet_to_proto(proposal))

    def _with_documents(self, packets: list[StoredPacket]) -> list[evidence_pb2.Packet]:
        return [packet_to_proto(p, handlers.source_document(p, self.packets)) for p in packets]

    async def ListPackets(self, request, context):
        found = await asyncio.to_thread(handlers.list_granted, request.client_id, request.pbm_id,
                                        current_grant(), self.packets)
        return evidence_pb2.ListPacketsResponse(packets=await asyncio.to_thread(self._with_documents, found))

    async def GetPacket(self, request, context):
        packet = await asyncio.to_thread(handlers.packet_granted, request.packet_id, request.client_id,
                                         current_grant(), self.packets, request.version)
        return (await asyncio.to_thread(self._with_documents, [packet]))[0]

    async def GetDocument(self, request, context):
        document = await asyncio.to_thread(handlers.document_granted, request.packet_id, request.client_id,
                                           current_grant(), self.packets)
        return evidence_pb2.Document(name=document.name, content_type=document.content_type, sha256=document.sha256,
                                     size=document.size, data=document.data)

    async def CheckSufficiency(self, request, context):
        scope = scope_from_proto(request.scope)
        answers = await asyncio.to_thread(handlers.sufficiency_granted, scope, list(request.formula_ids),
                                          current_grant(), self.packets, request.proposal_id)
        used = {p.sha256: p for answer in answers for p in answer.evidence}
        return evidence_pb2.CheckSufficiencyResponse(
            formulas=[common_pb2.FormulaStatus(formula_id=a.formula_id, version=RULES_VERSION, status=READINESS[a.status],
                                               reasons=a.reasons, missing_evidence=a.missing) for a in answers],
            evidence=[evidence_ref(p) for p in used.values()],
            packets=[packet_to_proto(p) for p in used.values()],
        )

    async def PromotePacket(self, request, context):
        # An operator's verified identity decides, and is what the audit log records; the grant bounds the client.
        operator = operator_of(current_identity())
        order = PromotePacket(request.packet_id, request.client_id, GOVERNANCE_NAME.get(request.governance, ""),
                              operator, request.reason)
        promoted = await asyncio.to_thread(handlers.promote_granted, order, current_grant(), self.packets)
        return packet_to_proto(promoted)
